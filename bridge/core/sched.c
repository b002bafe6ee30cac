/* The event loop: thin wrappers over sd-event so modules share one loop and one style. */
#include <assert.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/sched.h"
#include "bridge/core/util.h"

static sd_event *loop;

struct sched_timer {
  sd_event_source *src;
  sched_timer_fn fn;
  void *arg;
};

struct sched_fd {
  sd_event_source *src;
  sched_fd_fn fn;
  void *arg;
};

int sched_init(void)
{
  int r = sd_event_new(&loop);
  if (r < 0)
    return r;
  /* Pings the systemd watchdog from the loop when WatchdogSec= is set. */
  sd_event_set_watchdog(loop, 1);
  return 0;
}

void sched_fini(void)
{
  loop = sd_event_unref(loop);
}

sd_event *sched_event(void)
{
  return loop;
}

bool sched_running(void)
{
  int state = loop ? sd_event_get_state(loop) : SD_EVENT_FINISHED;

  return state != SD_EVENT_FINISHED && state != SD_EVENT_EXITING;
}

int sched_run(void)
{
  return sd_event_loop(loop);
}

void sched_quit(int code)
{
  sd_event_exit(loop, code);
}

static int timer_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
  struct sched_timer *t = userdata;
  (void)s;
  (void)usec;
  t->fn(t->arg);
  return 0;
}

struct sched_timer *sched_timer_new(sched_timer_fn fn, void *arg)
{
  struct sched_timer *t = xnew(struct sched_timer);
  int r;

  t->fn = fn;
  t->arg = arg;
  /* accuracy 1 us: the default 250 ms slack would smear poll times */
  r = sd_event_add_time(loop, &t->src, CLOCK_MONOTONIC, UINT64_MAX, 1, timer_cb, t);
  if (r < 0) {
    log_err("sd_event_add_time failed: %s", strerror(-r));
    abort();
  }
  sd_event_source_set_enabled(t->src, SD_EVENT_OFF);
  return t;
}

void sched_timer_at(struct sched_timer *t, int64_t mono_ns)
{
  uint64_t usec = mono_ns <= 0 ? 1 : (uint64_t)(mono_ns + 999) / 1000;
  sd_event_source_set_time(t->src, usec);
  sd_event_source_set_enabled(t->src, SD_EVENT_ONESHOT);
}

void sched_timer_after(struct sched_timer *t, int64_t delay_ns)
{
  sched_timer_at(t, monotonic_ns() + (delay_ns > 0 ? delay_ns : 0));
}

void sched_timer_stop(struct sched_timer *t)
{
  sd_event_source_set_enabled(t->src, SD_EVENT_OFF);
}

void sched_timer_free(struct sched_timer *t)
{
  if (!t)
    return;
  sd_event_source_disable_unref(t->src);
  free(t);
}

static int fd_cb(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
  struct sched_fd *w = userdata;
  (void)s;
  (void)fd;
  w->fn(w->arg, revents);
  return 0;
}

struct sched_fd *sched_fd_new(int fd, uint32_t events, sched_fd_fn fn, void *arg)
{
  struct sched_fd *w = xnew(struct sched_fd);
  int r;

  w->fn = fn;
  w->arg = arg;
  r = sd_event_add_io(loop, &w->src, fd, events, fd_cb, w);
  if (r < 0) {
    log_err("sd_event_add_io failed: %s", strerror(-r));
    abort();
  }
  return w;
}

void sched_fd_free(struct sched_fd *w)
{
  if (!w)
    return;
  sd_event_source_disable_unref(w->src);
  free(w);
}

struct sched_periodic {
  int fd;
  struct sched_fd *watch;
  sched_periodic_fn fn;
  void *arg;
};

static void periodic_cb(void *arg, uint32_t revents)
{
  struct sched_periodic *t = arg;
  uint64_t periods = 0;
  (void)revents;
  if (read(t->fd, &periods, sizeof(periods)) == (ssize_t)sizeof(periods) && periods > 0)
    t->fn(t->arg, periods);
}

struct sched_periodic *sched_periodic_new(int64_t first_mono_ns, int64_t interval_ns,
                                          sched_periodic_fn fn, void *arg)
{
  struct sched_periodic *t = xnew(struct sched_periodic);
  struct itimerspec its = {.it_value = ns_to_ts(first_mono_ns > 0 ? first_mono_ns : 1),
                           .it_interval = ns_to_ts(interval_ns)};

  t->fn = fn;
  t->arg = arg;
  t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (t->fd < 0 || timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
    log_err("timerfd failed: %s", strerror(errno));
    abort();
  }
  t->watch = sched_fd_new(t->fd, EPOLLIN, periodic_cb, t);
  return t;
}

void sched_periodic_free(struct sched_periodic *t)
{
  if (!t)
    return;
  sched_fd_free(t->watch);
  close(t->fd);
  free(t);
}

struct tick_group {
  int64_t interval_ns;
  struct sched_periodic *timer;
  struct sched_tick **members;
  size_t n;
  bool dispatching;
  struct tick_group *next;
};

struct sched_tick {
  struct tick_group *group;
  sched_periodic_fn fn;
  void *arg;
  bool gone;
};

static struct tick_group *tick_groups;

static void drop_group_if_empty(struct tick_group *g)
{
  struct tick_group **p;

  if (g->n > 0 || g->dispatching)
    return;
  for (p = &tick_groups; *p != g; p = &(*p)->next)
    ;
  *p = g->next;
  sched_periodic_free(g->timer);
  free(g->members);
  free(g);
}

static void on_group_tick(void *arg, uint64_t periods)
{
  struct tick_group *g = arg;
  size_t n = g->n, kept = 0; /* members that join now wait for the next tick */

  g->dispatching = true;
  for (size_t i = 0; i < n; i++)
    if (!g->members[i]->gone)
      g->members[i]->fn(g->members[i]->arg, periods);
  g->dispatching = false;
  for (size_t i = 0; i < g->n; i++) {
    if (g->members[i]->gone)
      free(g->members[i]);
    else
      g->members[kept++] = g->members[i];
  }
  g->n = kept;
  drop_group_if_empty(g);
}

struct sched_tick *sched_tick_join(int64_t interval_ns, sched_periodic_fn fn, void *arg)
{
  struct tick_group *g;
  struct sched_tick *m = xnew(struct sched_tick);

  for (g = tick_groups; g && g->interval_ns != interval_ns; g = g->next)
    ;
  if (!g) {
    g = xnew(struct tick_group);
    g->interval_ns = interval_ns;
    g->timer = sched_periodic_new(monotonic_ns(), interval_ns, on_group_tick, g);
    /* Samples first: when a poll and other work (a status client, say) are ready at once,
       the poll is not made to wait. */
    sd_event_source_set_priority(g->timer->watch->src, SD_EVENT_PRIORITY_IMPORTANT);
    /* Samples first: when a poll and other work (a status client, say) are ready at once,
       the poll is not made to wait. */
    sd_event_source_set_priority(g->timer->watch->src, SD_EVENT_PRIORITY_IMPORTANT);
    g->next = tick_groups;
    tick_groups = g;
  }
  g->members = xreallocarray(g->members, g->n + 1, sizeof(*g->members));
  g->members[g->n++] = m;
  m->group = g;
  m->fn = fn;
  m->arg = arg;
  return m;
}

void sched_tick_leave(struct sched_tick *m)
{
  struct tick_group *g;
  size_t i;

  if (!m)
    return;
  g = m->group;
  if (g->dispatching) {
    m->gone = true;
    return;
  }
  for (i = 0; g->members[i] != m; i++)
    ;
  memmove(&g->members[i], &g->members[i + 1], (g->n - i - 1) * sizeof(*g->members));
  g->n--;
  free(m);
  drop_group_if_empty(g);
}
