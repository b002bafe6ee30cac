/* The NTP fallback's decision, apart from any I/O: given whether PTP is good (and, where
   phc2sys -a runs outside the bridge, whether it is steering), when to hand the system clock to
   NTP and when to hand it back, with enter_after, exit_after and min_interval. Times are
   CLOCK_MONOTONIC ns. */
#ifndef RB_FALLBACK_FSM_H
#define RB_FALLBACK_FSM_H

#include <stdbool.h>
#include <stdint.h>

/* START: nothing decided yet (PTP not yet good, NTP not running). PTP: PTP owns the clock.
   NTP: the fallback owns it. */
enum fallback_mode { FALLBACK_START, FALLBACK_PTP, FALLBACK_NTP };
const char *fallback_mode_name(enum fallback_mode m); /* "start", "ptp", "ntp" */

/* What holds a toggle back. */
enum fallback_wait {
  FALLBACK_WAIT_NONE,
  FALLBACK_WAIT_ENTER_AFTER, /* loss must last enter_after */
  FALLBACK_WAIT_EXIT_AFTER,  /* PTP must be good for exit_after */
  FALLBACK_WAIT_MIN_INTERVAL, /* the last toggle was too recent */
  FALLBACK_WAIT_PHC2SYS,     /* phc2sys -a may still steer (a SLAVE port) */
};
const char *fallback_wait_name(enum fallback_wait w);

/* Why a toggle happened. */
enum fallback_reason {
  FALLBACK_REASON_LOSS,      /* PTP lost for enter_after */
  FALLBACK_REASON_RECOVERED, /* PTP good for exit_after */
  FALLBACK_REASON_PHC2SYS,   /* phc2sys -a is about to steer again: NTP must stop at once */
  FALLBACK_REASON_DAY0,      /* NTP was running when the bridge started */
  FALLBACK_REASON_LOCKED,    /* PTP good before anything was decided */
  FALLBACK_REASONS
};
const char *fallback_reason_name(enum fallback_reason r);

#define FALLBACK_NEVER INT64_MAX

struct fallback_fsm_config {
  int64_t enter_after_ns, exit_after_ns, min_interval_ns;
  bool phc2sys_auto; /* the hold_off and claim inputs count */
};

struct fallback_fsm {
  struct fallback_fsm_config cfg;
  enum fallback_mode mode;
  bool good, hold_off;
  int claim;
  int64_t good_changed_ns, claim_rose_ns;
  int64_t entered_ns;     /* when the current mode began */
  int64_t last_toggle_ns; /* FALLBACK_NEVER: none yet */
  enum fallback_wait wait;
};

struct fallback_step {
  bool toggled;
  enum fallback_mode from, to;
  enum fallback_reason reason;
  enum fallback_wait wait; /* when not toggled: what holds it back */
  bool wait_changed;       /* the wait began or changed: worth a log line */
  int64_t next_ns;         /* step again at this time (FALLBACK_NEVER: only on new input) */
};

/* ntp_running: the fallback's unit was active when the bridge started (day 0: it stays until
   PTP has been good for exit_after). Inputs start as all false. */
void fallback_fsm_init(struct fallback_fsm *f, const struct fallback_fsm_config *cfg,
                       int64_t now_ns, bool ntp_running);
/* With phc2sys_auto: hold_off, phc2sys -a steers or may soon, so NTP may not start yet;
   claim, how close a watched port is to phc2sys steering from it (0 none, 1 UNCALIBRATED,
   2 SLAVE): when it rises while NTP runs, NTP stops at once, before phc2sys resumes. */
void fallback_fsm_input(struct fallback_fsm *f, int64_t now_ns, bool good, bool hold_off,
                        int claim);
/* Decides at now_ns; a toggle is committed to f->mode before it returns. */
void fallback_fsm_step(struct fallback_fsm *f, int64_t now_ns, struct fallback_step *out);

#endif
