/* NTP fallback: each [fallback NAME] watches trackers and sources and, when PTP is lost, hands
   the system clock to NTP (a systemd unit, a marker file, a hook) and back when PTP returns,
   with hysteresis and never two disciplines at once. */
#ifndef RB_FALLBACK_H
#define RB_FALLBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bridge/control/fallback_fsm.h"
#include "bridge/core/conf.h"
#include "bridge/core/report.h"

extern const struct conf_key fallback_keys[];
/* Cross-key checks of a [fallback NAME] section (conf_kind.check). */
bool fallback_check(const struct conf_section *s);

/* Reconfiguration like trackers: drop changed first, add new after trackers and sources. A
   dropped fallback leaves units, marker and hook as they are: its successor takes over from
   what it finds. */
void fallback_drop_changed(const struct conf *c);
void fallback_add_new(const struct conf *c);
void fallback_fini(void);

/* `refclock-bridge safe-state`: puts every fallback of c into NTP (exclusive units stopped, the
   unit started, the marker removed, the hook run) and returns 0 if all of it worked. Runs its
   own event loop; for ExecStopPost=. */
int fallback_safe_state(const struct conf *c);

#define FALLBACK_ACTIONS_MAX 3

struct fallback_action_report {
  const char *kind;            /* "unit", "marker", "hook" */
  char target[REPORT_TEXT_MAX]; /* unit names, marker path, hook program */
  bool busy;                   /* applying now */
  bool ok;                     /* the last application worked */
  uint64_t applied, failures;
  char last_error[REPORT_TEXT_MAX];
  int64_t last_error_ns;
};

struct fallback_report {
  const char *name;
  enum fallback_mode mode;
  int64_t since_ns;             /* CLOCK_REALTIME, when mode began */
  bool ptp_good;                /* every watched tracker and source good now */
  char loss[REPORT_TEXT_MAX];   /* what is not good ("" when all is) */
  enum fallback_wait wait;      /* what holds a toggle back */
  int64_t wait_until_ns;        /* CLOCK_REALTIME, 0 if no wait */
  char last_reason[REPORT_TEXT_MAX]; /* of the latest toggle */
  uint64_t transitions_total[3][FALLBACK_REASONS]; /* by [to mode][reason] */
  uint64_t refused;             /* toggles held back by min_interval */
  size_t n_actions;
  struct fallback_action_report actions[FALLBACK_ACTIONS_MAX];
};

size_t fallback_count(void);
void fallback_report(size_t i, struct fallback_report *r);

#endif
