/* PTP sync-state trackers: one LOCKED/HOLDOVER/FREERUN state machine per PTP instance, fed by a
   driver (ptp4l's management socket, statime's observation socket), read by sources that gate
   on it and by anything that watches its transitions. */
#ifndef RB_TRACKER_H
#define RB_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "conf.h"
#include "sample.h"

enum trk_state { TRK_UNKNOWN, TRK_FREERUN, TRK_LOCKED, TRK_HOLDOVER };
const char *trk_state_name(enum trk_state s);

/* What a driver saw in one update. */
struct trk_observation {
  bool slave;               /* a port is in SLAVE */
  const char *port_state;   /* for messages: the best port's state name */
  bool have_offset;
  int64_t offset_ns;        /* offset from master */
  bool fresh;               /* sync data arrived recently enough */
  bool new_measurement;     /* a new offset: counts toward lock_updates (a repeat does not) */
  int gm_clock_class;       /* -1 if unknown */
  bool time_traceable;
  bool have_time_properties;
  bool utc_offset_valid;
  int utc_offset;
  bool leap61, leap59;
};

struct tracker;

struct tracker_ops {
  struct conf_driver conf;
  void *(*create)(struct tracker *t, const struct conf_section *s);
  void (*start)(void *priv);
  void (*destroy)(void *priv);
};

extern const struct conf_driver *const tracker_conf_drivers[];
extern const struct conf_key tracker_common_keys[];

/* Reconfiguration like sources: tracker_drop_changed(c) first, tracker_add_new(c) after. */
void tracker_drop_changed(const struct conf *c);
void tracker_add_new(const struct conf *c);
void tracker_fini(void);

/* For drivers. */
const char *tracker_name(const struct tracker *t);
void tracker_update(struct tracker *t, const struct trk_observation *o);
/* How long after the latest Sync was seen sync data turns stale, for Syncs every interval_ns
   seen up to lag_ns after they arrive (0 when pushed): stale_syncs intervals plus a margin for
   the jitter of their delivery, from the earliest the Sync can have arrived; at least an
   interval plus the lag plus that margin from when it was seen. */
int64_t trk_stale_window(int stale_syncs, int64_t interval_ns, int64_t lag_ns);
/* The PTP daemon cannot be reached or does not answer: the state is UNKNOWN. */
void tracker_unreachable(struct tracker *t, const char *why);

/* For consumers. Trackers are looked up by name, so references survive reloads. */
struct tracker *tracker_find(const char *name);
enum trk_state tracker_state(const struct tracker *t);
/* TAI - UTC when the PTP daemon says it is valid. */
bool tracker_utc_offset(const struct tracker *t, int *offset);
enum rb_leap tracker_leap(const struct tracker *t);

typedef void (*tracker_watch_fn)(void *arg, const char *tracker, enum trk_state from,
                                 enum trk_state to, const char *reason);
/* Calls fn on every transition of the tracker called name, whether it exists yet or not. */
void tracker_watch(const char *name, tracker_watch_fn fn, void *arg);
void tracker_unwatch(const char *name, tracker_watch_fn fn, void *arg);

#endif
