/* Unit tests: the fallback's decisions — enter_after, exit_after, min_interval, day 0 and the
   phc2sys -a rule — driven by hand-made inputs and times. */
#include <string.h>

#include "bridge/control/fallback_fsm.h"
#include "test.h"

#define S(x) ((int64_t)((x) * 1e9))

static struct fallback_fsm_config cfg(void)
{
  return (struct fallback_fsm_config){.enter_after_ns = S(2), .exit_after_ns = S(60),
                                      .min_interval_ns = S(10)};
}

/* port: 0 none steering, 1 UNCALIBRATED, 2 SLAVE; hold_off as the caller computes it */
static struct fallback_step at3(struct fallback_fsm *f, double t, bool good, bool hold_off,
                               int port)
{
  struct fallback_step st;
  fallback_fsm_input(f, S(t), good, hold_off, port);
  fallback_fsm_step(f, S(t), &st);
  return st;
}

/* steering: a SLAVE port */
static struct fallback_step at(struct fallback_fsm *f, double t, bool good, bool steering)
{
  struct fallback_step st;
  fallback_fsm_input(f, S(t), good, steering, steering ? 2 : 0);
  fallback_fsm_step(f, S(t), &st);
  return st;
}

static void start_and_loss(void)
{
  struct fallback_fsm_config c = cfg();
  struct fallback_fsm f;
  struct fallback_step st;

  /* Nothing decided: PTP good at once means PTP, without exit_after. */
  fallback_fsm_init(&f, &c, S(0), false);
  st = at(&f, 0.5, true, false);
  CHECK(st.toggled && st.from == FALLBACK_START && st.to == FALLBACK_PTP);
  CHECK_EQ_INT(st.reason, FALLBACK_REASON_LOCKED);

  /* Loss waits enter_after, logged once; recovery inside it stays on PTP. */
  st = at(&f, 100, false, false);
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_ENTER_AFTER && st.wait_changed);
  CHECK_EQ_INT(st.next_ns, S(102));
  st = at(&f, 101, false, false);
  CHECK(!st.toggled && !st.wait_changed);
  st = at(&f, 101.5, true, false);
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_NONE && st.wait_changed);
  /* A new loss starts enter_after again. */
  st = at(&f, 103, false, false);
  CHECK(!st.toggled && st.next_ns == S(105));
  st = at(&f, 105, false, false);
  CHECK(st.toggled && st.to == FALLBACK_NTP && st.reason == FALLBACK_REASON_LOSS);

  /* Good again: exit_after from when it became good. */
  st = at(&f, 110, true, false);
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_EXIT_AFTER && st.next_ns == S(170));
  st = at(&f, 140, false, false); /* lost again inside exit_after: stays NTP, restarts */
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_NONE && st.wait_changed);
  st = at(&f, 150, true, false);
  CHECK(!st.toggled && st.next_ns == S(210));
  st = at(&f, 210, true, false);
  CHECK(st.toggled && st.to == FALLBACK_PTP && st.reason == FALLBACK_REASON_RECOVERED);

  /* The START -> NTP path: loss from the start, no min_interval. */
  fallback_fsm_init(&f, &c, S(0), false);
  st = at(&f, 0, false, false);
  CHECK(!st.toggled && st.next_ns == S(2));
  st = at(&f, 2, false, false);
  CHECK(st.toggled && st.from == FALLBACK_START && st.to == FALLBACK_NTP);
}

static void min_interval(void)
{
  struct fallback_fsm_config c = cfg();
  struct fallback_fsm f;
  struct fallback_step st;
  int toggles = 0;

  c.enter_after_ns = 0;
  c.exit_after_ns = 0;
  fallback_fsm_init(&f, &c, S(0), false);
  at(&f, 0, true, false);
  /* Flapping every 0.5 s for 60 s: at most one toggle per 10 s, whatever the input. */
  int64_t last = -S(100);
  for (int i = 1; i <= 120; i++) {
    double t = i * 0.5;
    st = at(&f, t, i % 2 == 0, false);
    if (st.toggled) {
      toggles++;
      CHECK(S(t) - last >= S(10));
      last = S(t);
    } else if (st.wait == FALLBACK_WAIT_MIN_INTERVAL) {
      CHECK(st.next_ns == last + S(10));
    }
  }
  CHECK(toggles >= 5 && toggles <= 7);
}

static void day0(void)
{
  struct fallback_fsm_config c = cfg();
  struct fallback_fsm f;
  struct fallback_step st;

  /* chronyd already running: stays until PTP is good for exit_after, even if good at once. */
  fallback_fsm_init(&f, &c, S(0), true);
  CHECK_EQ_INT(f.mode, FALLBACK_NTP);
  st = at(&f, 1, true, false);
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_EXIT_AFTER && st.next_ns == S(61));
  st = at(&f, 60, true, false);
  CHECK(!st.toggled);
  st = at(&f, 61, true, false);
  CHECK(st.toggled && st.to == FALLBACK_PTP); /* no min_interval before the first toggle */
  st = at(&f, 62, false, false);
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_ENTER_AFTER);
  st = at(&f, 64, false, false);
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_MIN_INTERVAL && st.next_ns == S(71));
  st = at(&f, 71, false, false);
  CHECK(st.toggled && st.to == FALLBACK_NTP);
}

static void phc2sys_auto(void)
{
  struct fallback_fsm_config c = cfg();
  struct fallback_fsm f;
  struct fallback_step st;

  c.phc2sys_auto = true;
  fallback_fsm_init(&f, &c, S(0), false);
  at(&f, 0, true, true);
  /* Lost while the port stays SLAVE: phc2sys -a still steers, so NTP waits for it. */
  st = at(&f, 10, false, true);
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_ENTER_AFTER);
  st = at(&f, 12, false, true);
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_PHC2SYS && st.next_ns == FALLBACK_NEVER);
  st = at(&f, 500, false, true);
  CHECK(!st.toggled);
  st = at(&f, 501, false, false); /* the port left SLAVE */
  CHECK(st.toggled && st.to == FALLBACK_NTP);
  /* The port is SLAVE again: phc2sys steers, NTP stops at once, ignoring exit_after. */
  st = at(&f, 502, false, true);
  CHECK(st.toggled && st.to == FALLBACK_PTP && st.reason == FALLBACK_REASON_PHC2SYS);

  /* Stuck in UNCALIBRATED: NTP waits (the caller holds off for phc2sys_wait), then starts;
     the port becoming SLAVE later stops it, before phc2sys steers. */
  fallback_fsm_init(&f, &c, S(0), false);
  at(&f, 0, true, true);
  st = at3(&f, 10, false, true, 1);
  st = at3(&f, 12, false, true, 1);
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_PHC2SYS);
  st = at3(&f, 40, false, false, 1); /* the caller's phc2sys_wait is over */
  CHECK(st.toggled && st.to == FALLBACK_NTP);
  st = at3(&f, 41, false, false, 1);
  CHECK(!st.toggled);
  st = at3(&f, 42, false, true, 2); /* SLAVE */
  CHECK(st.toggled && st.to == FALLBACK_PTP && st.reason == FALLBACK_REASON_PHC2SYS);

  /* LISTENING in NTP, then UNCALIBRATED: NTP stops already (SLAVE comes next), and does not
     start again while the port is UNCALIBRATED. */
  fallback_fsm_init(&f, &c, S(0), false);
  at(&f, 0, true, true);
  st = at3(&f, 10, false, false, 0);
  st = at3(&f, 12, false, false, 0);
  CHECK(st.toggled && st.to == FALLBACK_NTP);
  st = at3(&f, 15, false, true, 1);
  CHECK(st.toggled && st.to == FALLBACK_PTP && st.reason == FALLBACK_REASON_PHC2SYS);
  st = at3(&f, 16, false, true, 1);
  CHECK(!st.toggled && st.wait == FALLBACK_WAIT_PHC2SYS);
}

static void names(void)
{
  CHECK(strcmp(fallback_mode_name(FALLBACK_NTP), "ntp") == 0);
  CHECK(strcmp(fallback_wait_name(FALLBACK_WAIT_PHC2SYS), "phc2sys") == 0);
  CHECK(strcmp(fallback_reason_name(FALLBACK_REASON_DAY0), "day0") == 0);
  CHECK(strcmp(fallback_reason_name(FALLBACK_REASONS), "?") == 0);
}

int main(void)
{
  start_and_loss();
  min_interval();
  day0();
  phc2sys_auto();
  names();
  return test_report("fallback_fsm");
}
