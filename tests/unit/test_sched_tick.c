/* Unit tests: periodic callbacks at the same interval share one timer, in the order they
   joined; a member may leave (itself or another) from a callback; groups go when empty. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bridge/core/log.h"
#include "bridge/core/sched.h"
#include "bridge/core/util.h"
#include "test.h"

#define MS 1000000LL

struct member {
  int calls;
  int order;          /* the call sequence number of the latest call */
  struct sched_tick *tick;
  struct member *kick; /* leaves this one on its first call */
};

static int seq;

static void on_tick(void *arg, uint64_t periods)
{
  struct member *m = arg;
  (void)periods;
  m->calls++;
  m->order = ++seq;
  if (m->kick) {
    sched_tick_leave(m->kick->tick);
    m->kick->tick = NULL;
    m->kick = NULL;
  }
}

static void run_for(int64_t ns)
{
  int64_t end = monotonic_ns() + ns;
  while (monotonic_ns() < end)
    sd_event_run(sched_event(), 1000);
}

static size_t open_fds(void)
{
  size_t n = 0;
  char path[64];
  for (int fd = 0; fd < 1024; fd++) {
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    n += access(path, F_OK) == 0;
  }
  return n;
}

int main(void)
{
  struct member a = {0}, b = {0}, c = {0}, other = {0};
  size_t fds_before;

  log_init(true, LOG_ERR);
  sched_init();
  fds_before = open_fds();

  a.tick = sched_tick_join(10 * MS, on_tick, &a);
  b.tick = sched_tick_join(10 * MS, on_tick, &b);
  c.tick = sched_tick_join(10 * MS, on_tick, &c);
  other.tick = sched_tick_join(20 * MS, on_tick, &other);
  /* Two intervals: two timers, however many members. */
  CHECK_EQ_INT(open_fds() - fds_before, 2);

  run_for(55 * MS);
  CHECK(a.calls >= 3 && a.calls == b.calls && b.calls == c.calls);
  CHECK(a.order < b.order && b.order < c.order); /* the order they joined */
  CHECK(other.calls >= 1 && other.calls < a.calls);

  /* b removes c while the group runs: c is not called again, a and b go on. */
  b.kick = &c;
  {
    int c_calls = c.calls, a_calls = a.calls;
    run_for(35 * MS);
    CHECK(c.tick == NULL);
    CHECK(c.calls <= c_calls + 1 && a.calls > a_calls + 1);
  }
  /* a removes itself from its own callback. */
  a.kick = &a;
  run_for(25 * MS);
  CHECK(a.tick == NULL);
  {
    int a_calls = a.calls;
    run_for(25 * MS);
    CHECK_EQ_INT(a.calls, a_calls);
  }
  sched_tick_leave(b.tick);
  sched_tick_leave(other.tick);
  sd_event_run(sched_event(), 0);
  /* Empty groups give their timers back. */
  CHECK_EQ_INT(open_fds(), fds_before);
  sched_fini();
  return test_report("sched_tick");
}
