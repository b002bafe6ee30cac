/* Kernel PPS source (/dev/ppsN, RFC 2783): edges fetched without blocking on a timer, each
   numbered with its second by a lock source (serial time) or a trusted system clock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/timepps.h>

#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/sources/pps_number.h"
#include "bridge/core/sched.h"
#include "bridge/core/source_driver.h"
#include "bridge/core/util.h"

enum edge { EDGE_ASSERT, EDGE_CLEAR };
static const char *const edge_names[] = {"assert", "clear", NULL};

#define RETRY_MIN_NS (NS_PER_SEC / 2)
#define RETRY_MAX_NS (8 * NS_PER_SEC)
/* After an edge, the next is expected one second later: fetch just after it (the system
   clock's frequency error moves it by microseconds), then keep looking for a while. */
#define NEXT_EDGE_MARGIN_NS (200 * 1000LL)
#define LATE_RETRY_NS (500 * 1000LL)
#define LATE_EDGE_NS (20 * 1000000LL)

struct pps {
  struct source *src;
  char *device;
  enum edge edge;
  int64_t interval_ns;
  char *lock;             /* name of the lock source, looked up per edge (reload-safe) */
  bool trust_system_clock;
  int64_t offset_ns;
  int precision;
  int fd;
  pps_handle_t handle;
  bool have_seq;
  unsigned long last_seq;
  int64_t last_edge_ns;
  int64_t expect_mono;    /* when the next edge is due, on the monotonic clock; 0 if unknown */
  struct sched_timer *timer;
  bool eperm_warned;
  uint64_t edges, missed, unnumbered;
  enum pps_number last_drop; /* a new reason to drop edges is always logged */
  struct log_ratelimit rl_drop;
};

static bool pps_check(const struct conf_section *s)
{
  const char *const *names;
  if (conf_is_set(s, "lock")) {
    if (conf_refs(s, "lock", &names) != 1) {
      conf_fail(s, "lock", "name exactly one source");
      return false;
    }
    if (strcmp(names[0], conf_name(s)) == 0) {
      conf_fail(s, "lock", "a source cannot lock to itself");
      return false;
    }
  } else if (!conf_bool(s, "trust_system_clock")) {
    conf_fail(s, "lock", "set 'lock' to a source that numbers the seconds, or "
                         "'trust_system_clock = yes'");
    return false;
  }
  return true;
}

static void on_timer(void *arg);

static void *pps_create(struct source *src, const struct conf_section *s)
{
  struct pps *p = xnew(struct pps);
  const char *const *names;

  p->src = src;
  p->device = xstrdup(conf_str(s, "device"));
  p->edge = (enum edge)conf_enum(s, "edge");
  p->interval_ns = round_to_ns(conf_double(s, "interval"));
  p->lock = conf_is_set(s, "lock") && conf_refs(s, "lock", &names) ? xstrdup(names[0]) : NULL;
  p->trust_system_clock = conf_bool(s, "trust_system_clock");
  p->offset_ns = round_to_ns(conf_double(s, "offset"));
  p->precision = (int)conf_int(s, "precision");
  p->fd = -1;
  p->timer = sched_timer_new(on_timer, p);
  health_set_retry(source_health(src), RETRY_MIN_NS, RETRY_MAX_NS);
  return p;
}

static void start_outage(struct pps *p, const char *what, int err)
{
  int64_t retry = health_down(source_health(p->src), "%s %s: %s", what, p->device, strerror(err));

  source_lost(p->src);
  if (p->fd >= 0) {
    time_pps_destroy(p->handle);
    close(p->fd);
    p->fd = -1;
  }
  sched_timer_after(p->timer, retry);
}

/* Asks for the configured edge. Without CAP_SYS_TIME the kernel refuses: keep the device's
   current mode and say so once. */
static bool set_capture(struct pps *p)
{
  int caps, want = p->edge == EDGE_ASSERT ? PPS_CAPTUREASSERT : PPS_CAPTURECLEAR;
  pps_params_t params;

  if (time_pps_getcap(p->handle, &caps) < 0) {
    start_outage(p, "not a PPS device:", errno);
    return false;
  }
  if (!(caps & want)) {
    if (!health_is_down(source_health(p->src)))
      log_err("source %s: %s cannot capture %s edges", source_name(p->src), p->device,
              edge_names[p->edge]);
    start_outage(p, "unusable", EOPNOTSUPP);
    return false;
  }
  memset(&params, 0, sizeof(params));
  if (time_pps_getparams(p->handle, &params) < 0) {
    start_outage(p, "cannot read the parameters of", errno);
    return false;
  }
  if ((params.mode & want) && (params.mode & PPS_TSFMT_TSPEC))
    return true;
  params.mode |= want | PPS_TSFMT_TSPEC;
  if (time_pps_setparams(p->handle, &params) == 0)
    return true;
  if (errno == EPERM || errno == EACCES || errno == EBADF) {
    if (!p->eperm_warned) {
      p->eperm_warned = true;
      log_warn("source %s: cannot select %s edges on %s (%s: setting the capture mode needs "
               "CAP_SYS_TIME); keeping the device's current mode",
               source_name(p->src), edge_names[p->edge], p->device, strerror(errno));
    }
    return true;
  }
  start_outage(p, "cannot set the capture mode of", errno);
  return false;
}

static void try_open(struct pps *p)
{
  p->fd = open(p->device, O_RDWR | O_CLOEXEC);
  if (p->fd < 0 && (errno == EACCES || errno == EPERM || errno == EROFS))
    p->fd = open(p->device, O_RDONLY | O_CLOEXEC); /* fetching needs no write access */
  if (p->fd < 0) {
    start_outage(p, "cannot open", errno);
    return;
  }
  if (time_pps_create(p->fd, &p->handle) < 0) {
    int err = errno;
    close(p->fd);
    p->fd = -1;
    start_outage(p, "not a PPS device:", err);
    return;
  }
  if (!set_capture(p))
    return;
  if (!health_up(source_health(p->src), "%s is back", p->device))
    log_info("source %s: opened %s, %s edges, seconds from %s", source_name(p->src), p->device,
             edge_names[p->edge],
             p->lock ? p->lock : "the system clock");
  p->have_seq = false;
  p->last_edge_ns = 0;
  p->expect_mono = 0;
  on_timer(p);
}

static void handle_edge(struct pps *p, const struct timespec *ts, unsigned long seq)
{
  int64_t edge_ns = ts_to_ns(ts), second_ns;
  const struct source *lock = p->lock ? source_find(p->lock) : NULL;
  struct rb_sample s;
  enum rb_leap leap;
  enum pps_number r;

  /* The kernel counts only pulses that came: a pulse that never came shows as a gap in time;
     a jump in the sequence means edges came faster than they were fetched. */
  if (p->last_edge_ns && edge_ns - p->last_edge_ns > NS_PER_SEC + NS_PER_SEC / 2) {
    int64_t gap = (edge_ns - p->last_edge_ns + NS_PER_SEC / 2) / NS_PER_SEC - 1;
    p->missed += (uint64_t)gap;
    log_rl(&p->rl_drop, LOG_NOTICE, "source %s: %lld edge(s) missed on %s (%llu so far)",
           source_name(p->src), (long long)gap, p->device, (unsigned long long)p->missed);
  } else if (p->have_seq && seq - p->last_seq > 1) {
    p->missed += seq - p->last_seq - 1;
    log_rl(&p->rl_drop, LOG_NOTICE, "source %s: %lu edge(s) came between two fetches on %s",
           source_name(p->src), seq - p->last_seq - 1, p->device);
  }
  p->last_edge_ns = edge_ns;
  p->edges++;
  r = pps_number_edge(edge_ns, lock ? source_last(lock) : NULL, p->trust_system_clock,
                      &second_ns, &leap);
  if (r != PPS_NUMBERED_BY_LOCK && r != PPS_NUMBERED_BY_SYSTEM) {
    p->unnumbered++;
    if (r != p->last_drop)
      log_rl_restart(&p->rl_drop, LOG_WARNING); /* a new reason is news: never suppressed */
    log_rl(&p->rl_drop, LOG_WARNING, "source %s: edge at %lld.%09ld dropped: %s (%llu so far)",
           source_name(p->src), (long long)ts->tv_sec, ts->tv_nsec, pps_number_reason(r),
           (unsigned long long)p->unnumbered);
    p->last_drop = r;
    source_lost(p->src);
    return;
  }
  s.sys_ns = edge_ns;
  s.ref_ns = second_ns + p->offset_ns;
  s.leap = leap;
  s.precision = p->precision;
  s.valid = true;
  source_publish(p->src, &s);
}

static void fetch(struct pps *p)
{
  struct timespec timeout = {0, 0}; /* non-blocking: the loop never waits on the device */
  pps_info_t info;
  unsigned long seq;
  struct timespec ts;

  memset(&info, 0, sizeof(info));
  if (time_pps_fetch(p->handle, PPS_TSFMT_TSPEC, &info, &timeout) < 0) {
    if (errno == EINTR || errno == EAGAIN || errno == ETIMEDOUT)
      return;
    start_outage(p, "lost", errno);
    return;
  }
  seq = p->edge == EDGE_ASSERT ? info.assert_sequence : info.clear_sequence;
  ts = p->edge == EDGE_ASSERT ? info.assert_timestamp : info.clear_timestamp;
  if (!p->have_seq) {
    /* The first fetch after opening only learns where the sequence stands: an edge already
       there may be old, but the next one is new whether or not one was there. */
    p->have_seq = true;
    p->last_seq = seq;
    if (ts.tv_sec || ts.tv_nsec)
      p->expect_mono = monotonic_ns() - (realtime_ns() - ts_to_ns(&ts)) + NS_PER_SEC;
    return;
  }
  if ((ts.tv_sec == 0 && ts.tv_nsec == 0) || seq == p->last_seq)
    return;
  handle_edge(p, &ts, seq);
  p->last_seq = seq;
  /* The next edge is due one second after this one. */
  p->expect_mono = monotonic_ns() - (realtime_ns() - ts_to_ns(&ts)) + NS_PER_SEC;
}

/* Fetches on a fixed cadence, and also just after each expected edge, so an edge reaches the
   outputs within milliseconds without a blocking wait. */
static void on_timer(void *arg)
{
  struct pps *p = arg;
  int64_t now, next;

  if (p->fd < 0) {
    try_open(p);
    return;
  }
  fetch(p);
  if (p->fd < 0)
    return;
  now = monotonic_ns();
  next = now + p->interval_ns;
  if (p->expect_mono && p->expect_mono + NEXT_EDGE_MARGIN_NS > now &&
      p->expect_mono + NEXT_EDGE_MARGIN_NS < next)
    next = p->expect_mono + NEXT_EDGE_MARGIN_NS;
  else if (p->expect_mono && now >= p->expect_mono && now < p->expect_mono + LATE_EDGE_NS)
    next = now + LATE_RETRY_NS; /* due but not seen yet: look again shortly */
  sched_timer_at(p->timer, next);
}

static void pps_start(void *priv)
{
  try_open(priv);
}

static void pps_destroy(void *priv)
{
  struct pps *p = priv;

  sched_timer_free(p->timer);
  if (p->fd >= 0) {
    time_pps_destroy(p->handle);
    close(p->fd);
  }
  free(p->device);
  free(p->lock);
  free(p);
}

static const struct conf_key pps_keys[] = {
  {.name = "device", .type = CONF_PATH, .required = true},
  {.name = "edge", .type = CONF_ENUM, .def = "assert", .choices = edge_names},
  {.name = "interval", .type = CONF_DOUBLE, .def = "0.2", .min = 0.01, .max = 1},
  {.name = "lock", .type = CONF_REFS, .ref_kind = "source"},
  {.name = "trust_system_clock", .type = CONF_BOOL, .def = "no"},
  {.name = "offset", .type = CONF_DOUBLE, .def = "0", .min = -0.5, .max = 0.5},
  {.name = "precision", .type = CONF_INT, .def = "-20", .min = -30, .max = 0},
  {0},
};

static void pps_report(void *priv, struct source_report *r)
{
  const struct pps *p = priv;

  report_copy(r->endpoint, sizeof(r->endpoint), p->device);
  report_string(&r->extras, "edge", edge_names[p->edge]);
  report_string(&r->extras, "lock", p->lock ? p->lock : "system clock");
  report_count(&r->extras, "edges", p->edges);
  report_count(&r->extras, "missed", p->missed);
  report_count(&r->extras, "unnumbered", p->unnumbered);
}

const struct source_ops pps_source_ops = {
  .conf = {.type = "pps", .keys = pps_keys, .check = pps_check},
  .create = pps_create,
  .start = pps_start,
  .destroy = pps_destroy,
  .report = pps_report,
};
