/* PTP sync-state trackers, as the daemon and consumers see them: one LOCKED/HOLDOVER/FREERUN
   state machine per PTP instance, read by sources that gate on it and by anything that watches
   its transitions. Drivers (ptp4l, statime) include tracker_driver.h. */
#ifndef RB_TRACKER_H
#define RB_TRACKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bridge/core/conf.h"
#include "bridge/core/report.h"
#include "bridge/core/sample.h"

/* The numeric values are OpenShift's ptp-operator's: FREERUN 0, LOCKED 1, HOLDOVER 2. */
enum tracker_state { TRACKER_FREERUN = 0, TRACKER_LOCKED = 1, TRACKER_HOLDOVER = 2, TRACKER_UNKNOWN = 3 };
const char *tracker_state_name(enum tracker_state s);

struct tracker;

extern const struct conf_key tracker_common_keys[];

/* Reconfiguration like sources: tracker_drop_changed(c) first, tracker_add_new(c) after. */
void tracker_drop_changed(const struct conf *c);
void tracker_add_new(const struct conf *c);
void tracker_fini(void);

/* Trackers are looked up by name, so references survive reloads. */
struct tracker *tracker_find(const char *name);
const char *tracker_name(const struct tracker *t);
enum tracker_state tracker_state(const struct tracker *t);
/* TAI - UTC when the PTP daemon says it is valid. */
bool tracker_utc_offset(const struct tracker *t, int *offset);
enum rb_leap tracker_leap(const struct tracker *t);
/* The best port's state as the PTP daemon names it ("SLAVE", "LISTENING"), NULL if unknown. */
const char *tracker_port_state(const struct tracker *t);

/* t is valid during the call; it may be kept while the state is not UNKNOWN (a tracker that
   stops passes through UNKNOWN first). */
typedef void (*tracker_watch_fn)(void *arg, const struct tracker *t, enum tracker_state from,
                                 enum tracker_state to, const char *reason);
/* Calls fn on every transition of the tracker called name, whether it exists yet or not. */
void tracker_watch(const char *name, tracker_watch_fn fn, void *arg);
void tracker_unwatch(const char *name, tracker_watch_fn fn, void *arg);

#define TRACKER_TRANSITIONS_MAX 16

struct tracker_transition {
  int64_t time_ns; /* CLOCK_REALTIME */
  enum tracker_state from, to;
  char reason[REPORT_TEXT_MAX];
};

struct tracker_report {
  const char *name, *kind;
  char endpoint[REPORT_TEXT_MAX]; /* the PTP daemon's socket */
  enum tracker_state state;
  int64_t since_ns;
  char reason[REPORT_TEXT_MAX];   /* of the latest transition */
  char port_state[24];            /* "" if unknown */
  bool have_offset;
  int64_t offset_ns;              /* offset from master */
  char gm_identity[24];           /* "xxxxxx.xxxx.xxxxxx", "" if unknown */
  int gm_clock_class;             /* -1 if unknown */
  bool have_time_properties;
  bool time_traceable, utc_offset_valid, leap61, leap59;
  int utc_offset;
  uint64_t updates, malformed, rejected;
  uint64_t transitions_total[4][4]; /* every transition since start, by [from][to] */
  size_t n_transitions; /* the latest, oldest first */
  struct tracker_transition transitions[TRACKER_TRANSITIONS_MAX];
  struct health_report health;
  struct report_extras extras;
};

size_t tracker_count(void);
void tracker_report(size_t i, struct tracker_report *r);

#endif
