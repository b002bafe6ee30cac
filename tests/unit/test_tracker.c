/* Unit tests: the tracker state machine, its watchers, what it tells gated sources, and the
   stale window. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/core/conf.h"
#include "bridge/core/log.h"
#include "bridge/core/sched.h"
#include "test.h"
#include "ptpstate/tracker_driver.h"

static const struct conf_kind kinds[] = {
  {.name = "tracker", .named = true, .keys = tracker_common_keys, .drivers = tracker_drivers},
};

static int transitions;
static enum tracker_state last_to;
static char last_reason[200];

static void watcher(void *arg, const struct tracker *t, enum tracker_state from, enum tracker_state to,
                    const char *reason)
{
  (void)arg;
  (void)t;
  (void)from;
  transitions++;
  last_to = to;
  snprintf(last_reason, sizeof(last_reason), "%s", reason);
}

/* A watcher that, on its first call, unwatches the other one (arg) and looks trackers up. */
static int bystander_calls, remover_calls;
static void bystander(void *arg, const struct tracker *t, enum tracker_state from, enum tracker_state to,
                      const char *reason)
{
  (void)arg, (void)t, (void)from, (void)to, (void)reason;
  bystander_calls++;
}
static void remover(void *arg, const struct tracker *t, enum tracker_state from,
                    enum tracker_state to, const char *reason)
{
  const char *name = tracker_name(t);
  (void)from, (void)to, (void)reason;
  remover_calls++;
  tracker_find(name); /* must be safe while trackers are being dropped */
  tracker_unwatch(name, bystander, arg);
}

static struct tracker_observation good(int64_t offset)
{
  struct tracker_observation o;
  memset(&o, 0, sizeof(o));
  o.slave = true;
  o.port_state = "SLAVE";
  o.have_offset = true;
  o.offset_ns = offset;
  o.fresh = true;
  o.gm_clock_class = 6;
  o.time_traceable = true;
  o.have_time_properties = true;
  o.utc_offset_valid = true;
  o.utc_offset = 37;
  o.new_measurement = true;
  return o;
}

static void run_loop(int ms)
{
  for (int i = 0; i < ms / 10; i++)
    sd_event_run(sched_event(), 10000);
}

/* The stale window: stale_syncs intervals plus a jitter margin of half an interval within
   [0.1 s, 0.25 s], from the earliest the Sync can have come (a lag before it was seen); never
   less than an interval, the lag and the margin. Checked for every allowed stale_syncs and
   logSyncInterval. */
static void test_stale_window(void)
{
  const int64_t ms = 1000000;
  const int64_t lags[] = {0, 10 * ms, 250 * ms, 10000 * ms};
  int bad = 0;

  CHECK_EQ_INT(tracker_stale_window(1, 250 * ms, 0), 375 * ms);
  CHECK_EQ_INT(tracker_stale_window(3, 250 * ms, 0), 875 * ms);
  CHECK_EQ_INT(tracker_stale_window(1, 62500000, 0), 162500000);
  CHECK_EQ_INT(tracker_stale_window(3, 1000 * ms, 0), 3250 * ms);
  CHECK_EQ_INT(tracker_stale_window(1, 1000 * ms, 250 * ms), 1500 * ms);
  CHECK_EQ_INT(tracker_stale_window(3, 1000 * ms, 250 * ms), 3000 * ms); /* linuxptp 3.x defaults */
  CHECK_EQ_INT(tracker_stale_window(1, 250 * ms, 1000 * ms), 1375 * ms);
  CHECK_EQ_INT(tracker_stale_window(3, 62500000, 250 * ms), 412500000);
  for (int n = 1; n <= 1000; n++)
    for (int lg = -10; lg <= 10; lg++)
      for (size_t k = 0; k < sizeof(lags) / sizeof(lags[0]); k++) {
        int64_t i = lg >= 0 ? 1000000000LL << lg : 1000000000LL >> -lg, lag = lags[k];
        int64_t w = tracker_stale_window(n, i, lag), m = w - ((int64_t)n * i - lag);
        /* Syncs that keep coming, seen a lag late, an interval apart and 0.1 s more (a loaded
           host), are never stale; the margin over stale_syncs intervals from the earliest the
           last Sync can have come is 0.1 to 0.25 s unless that floor is higher; with pushes
           the loss shows within 0.25 s of stale_syncs intervals. */
        if (w < i + lag + 100 * ms || (w > i + lag + 250 * ms && (m < 100 * ms || m > 250 * ms)) ||
            (lag == 0 && (w - (int64_t)n * i < 100 * ms || w - (int64_t)n * i > 250 * ms)))
          bad++;
      }
  CHECK_EQ_INT(bad, 0);
}

int main(void)
{
  char path[] = "/tmp/rb-test-tracker-XXXXXX", err[512];
  int fd = mkstemp(path), offset;
  FILE *f = fdopen(fd, "w");
  struct conf *c;
  struct tracker *t;
  struct tracker_observation o;

  log_init(true, LOG_ERR);
  sched_init();
  test_stale_window();
  fputs("[tracker ptp]\ntype = statime\nsocket = /nonexistent/observe\npoll_interval = 60\n"
        "holdover = 0.05\nlock_updates = 3\nmax_offset = 100\nmax_clock_class = 7\n", f);
  fclose(f);
  c = conf_load(path, kinds, 1, err, sizeof(err));
  unlink(path);
  CHECK(c != NULL);
  if (!c) {
    fprintf(stderr, "%s\n", err);
    return test_report("tracker");
  }
  tracker_watch("ptp", watcher, NULL);
  tracker_add_new(c);
  t = tracker_find("ptp");
  CHECK(t != NULL);
  CHECK_EQ_INT(tracker_state(t), TRACKER_UNKNOWN);
  CHECK(!tracker_utc_offset(t, &offset));

  /* LOCKED only after 3 consecutive good measurements; repeats of one do not count. */
  o = good(40);
  tracker_update(t, &o);
  o.new_measurement = false;
  tracker_update(t, &o);
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_UNKNOWN);
  o.new_measurement = true;
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_UNKNOWN);
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_LOCKED);
  CHECK_EQ_INT(transitions, 1);
  CHECK(tracker_utc_offset(t, &offset) && offset == 37);
  CHECK_EQ_INT(tracker_leap(t), RB_LEAP_NONE);
  o.leap61 = true;
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_leap(t), RB_LEAP_INSERT);

  /* Offset beyond the threshold: HOLDOVER, then FREERUN once holdover expires. */
  o = good(150);
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_HOLDOVER);
  CHECK(strstr(last_reason, "offset +150 ns beyond +/-100 ns") != NULL);
  run_loop(30);
  CHECK_EQ_INT(tracker_state(t), TRACKER_HOLDOVER);
  run_loop(60);
  CHECK_EQ_INT(tracker_state(t), TRACKER_FREERUN);
  CHECK(strstr(last_reason, "holdover") != NULL);

  /* Back: 3 good updates; a port leaving SLAVE goes to HOLDOVER at once. */
  o = good(-99);
  for (int i = 0; i < 3; i++)
    tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_LOCKED);
  o.slave = false;
  o.port_state = "LISTENING";
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_HOLDOVER);
  CHECK(strstr(last_reason, "no port in SLAVE (LISTENING)") != NULL);
  /* Recovery within holdover: straight back to LOCKED, no FREERUN. */
  o = good(0);
  for (int i = 0; i < 3; i++)
    tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_LOCKED);
  run_loop(80);
  CHECK_EQ_INT(tracker_state(t), TRACKER_LOCKED);

  /* Stale sync, clock class, and a good update interleaved: the count restarts. */
  o.fresh = false;
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_HOLDOVER);
  CHECK(strstr(last_reason, "stale") != NULL);
  o = good(0);
  o.gm_clock_class = 248;
  tracker_update(t, &o);
  tracker_update(t, &o);
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_HOLDOVER);
  o = good(0);
  tracker_update(t, &o);
  tracker_update(t, &o);
  o.slave = false;
  tracker_update(t, &o); /* breaks the run of good updates */
  o = good(0);
  tracker_update(t, &o);
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_HOLDOVER);
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_LOCKED);

  /* The daemon goes away: UNKNOWN at once, and no UTC offset from it any more. */
  tracker_unreachable(t, "connection refused");
  CHECK_EQ_INT(tracker_state(t), TRACKER_UNKNOWN);
  CHECK(!tracker_utc_offset(t, &offset));
  /* From UNKNOWN, a bad update says FREERUN. */
  o.slave = false;
  tracker_update(t, &o);
  CHECK_EQ_INT(tracker_state(t), TRACKER_FREERUN);

  /* A watcher that unwatches another from its callback: the other is not called after. */
  tracker_watch("ptp", remover, NULL);
  tracker_watch("ptp", bystander, NULL);
  tracker_unreachable(t, "test");
  CHECK_EQ_INT(remover_calls, 1);
  CHECK_EQ_INT(bystander_calls, 0);
  tracker_unwatch("ptp", remover, NULL);

  tracker_unwatch("ptp", watcher, NULL);
  {
    int before = transitions;
    tracker_fini();
    CHECK_EQ_INT(transitions, before);
  }
  conf_free(c);
  sched_fini();
  return test_report("tracker");
}
