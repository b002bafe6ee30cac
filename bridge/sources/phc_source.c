/* PHC source: reads /dev/ptpN (or a NIC's PHC) with the PTP_SYS_OFFSET* ioctls, and gates its
   samples on a PTP tracker. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/sched.h"
#include "bridge/core/source_driver.h"
#include "bridge/core/util.h"
#include "bridge/sources/phc_ioctl.h"
#include "bridge/sources/phc_readings.h"
#include "ptpstate/tracker.h"

static const char *const method_names[] = {"auto", "precise", "extended", "basic", NULL};
static const char *const combine_names[] = {"quantile", "min-delay", NULL};
enum timescale { TIMESCALE_TAI, TIMESCALE_UTC };
static const char *const timescale_names[] = {"tai", "utc", NULL};

/* A NIC reset takes seconds; reopening a missing device is cheap. */
#define PHC_PATH_MAX 63 /* a /dev path, or /dev/ptpN resolved from an interface */
#define RETRY_MIN_NS (NS_PER_SEC / 2)
#define RETRY_MAX_NS (8 * NS_PER_SEC)

struct phc {
  struct source *src;
  char *device;    /* configured path, or NULL when resolved from the interface */
  char *interface;
  char path[PHC_PATH_MAX + 1]; /* what is open now */
  int64_t interval_ns;
  int readings;
  enum phc_method forced, method;
  int64_t last_delay_ns; /* the widest window of the latest sample's readings */
  int kept_of, kept;      /* the combine keeps kept of kept_of readings (worked out once) */
  int window_precision;   /* of half-windows in (window_lo, window_hi]: rarely recomputed */
  int64_t window_lo, window_hi;
  enum phc_combine combine;
  double quantile;
  int64_t utc_minus_phc_ns;
  bool tai;
  int precision; /* 1 when derived from the measurement */
  char *tracker;  /* gate on this PTP tracker's state; NULL: always valid */
  bool publish_in_holdover;
  /* The gate: the tracker watch alone keeps it. Open only while the tracker is LOCKED (or in
     HOLDOVER if allowed); then gate_tracker is that tracker, for its UTC offset and leap. */
  bool gate_open;
  const struct tracker *gate_tracker;
  int fd;
  struct sched_tick *poller; /* while open: polls share one wake-up per interval */
  struct sched_timer *timer; /* while closed: the next reopen attempt */
  bool method_logged;
  struct log_ratelimit rl_read;
};

static bool phc_check(const struct conf_section *s)
{
  if (conf_is_set(s, "device") == conf_is_set(s, "interface")) {
    conf_fail(s, conf_is_set(s, "device") ? "interface" : "device",
              "set exactly one of 'device' and 'interface'");
    return false;
  }
  if (conf_is_set(s, "tracker")) {
    const char *const *names;
    if (conf_refs(s, "tracker", &names) != 1) {
      conf_fail(s, "tracker", "name exactly one tracker");
      return false;
    }
  } else if (conf_is_set(s, "publish_in_holdover")) {
    conf_fail(s, "publish_in_holdover", "only meaningful with 'tracker'");
    return false;
  }
  if (conf_enum(s, "timescale") == TIMESCALE_UTC && conf_is_set(s, "tai_offset")) {
    conf_fail(s, "tai_offset", "only meaningful with timescale = tai");
    return false;
  }
  return true;
}

static void on_timer(void *arg);
static void on_poll(void *arg, uint64_t periods);

static void *phc_create(struct source *src, const struct conf_section *s)
{
  struct phc *p = xnew(struct phc);

  p->src = src;
  p->device = conf_is_set(s, "device") ? xstrdup(conf_str(s, "device")) : NULL;
  p->interface = conf_is_set(s, "interface") ? xstrdup(conf_str(s, "interface")) : NULL;
  p->interval_ns = round_to_ns(conf_double(s, "interval"));
  p->readings = (int)conf_int(s, "readings");
  p->forced = (enum phc_method)conf_enum(s, "method");
  p->combine = (enum phc_combine)conf_enum(s, "combine");
  p->quantile = conf_double(s, "quantile");
  p->tai = conf_enum(s, "timescale") == TIMESCALE_TAI;
  p->utc_minus_phc_ns =
      conf_enum(s, "timescale") == TIMESCALE_TAI ? -conf_int(s, "tai_offset") * NS_PER_SEC : 0;
  p->precision = conf_is_set(s, "precision") ? (int)conf_int(s, "precision") : 1;
  if (conf_is_set(s, "tracker")) {
    const char *const *names;
    conf_refs(s, "tracker", &names);
    p->tracker = xstrdup(names[0]);
  }
  p->publish_in_holdover = conf_bool(s, "publish_in_holdover");
  p->fd = -1;
  p->timer = sched_timer_new(on_timer, p);
  health_set_retry(source_health(src), RETRY_MIN_NS, RETRY_MAX_NS);
  return p;
}

/* Device lost or not there: tell the outputs, close, and retry with backoff. */
static void start_outage(struct phc *p, const char *what, int err)
{
  int64_t retry = health_down(source_health(p->src), "%s %s: %s", what,
                              p->path[0] ? p->path : p->interface, strerror(err));
  source_lost(p->src);
  sched_tick_leave(p->poller);
  p->poller = NULL;
  if (p->fd >= 0) {
    close(p->fd);
    p->fd = -1;
  }
  sched_timer_after(p->timer, retry);
}

static void try_open(struct phc *p)
{
  const char *what;
  int r;

  if (p->interface) {
    p->path[0] = '\0';
    r = phc_resolve_interface(p->interface, p->path, sizeof(p->path));
    if (r < 0) {
      start_outage(p, "cannot find the PHC of interface", -r);
      return;
    }
  } else {
    snprintf(p->path, sizeof(p->path), "%s", p->device);
  }
  p->fd = phc_open(p->path, &what);
  if (p->fd < 0) {
    r = -p->fd;
    p->fd = -1;
    start_outage(p, what, r);
    return;
  }
  if (!health_up(source_health(p->src), "%s is back", p->path))
    log_info("source %s: opened %s", source_name(p->src), p->path);
  p->method = p->forced;
  p->method_logged = false;
  p->poller = sched_tick_join(p->interval_ns, on_poll, p);
  /* The first sample at once, not a shared interval later. */
  on_poll(p, 1);
}

static void on_poll(void *arg, uint64_t periods)
{
  struct phc *p = arg;
  struct ptp_sys_offset_extended r;
  struct phc_result res;
  struct rb_sample sample;
  int n;

  (void)periods; /* a late wake-up takes one sample, not a burst */
  n = p->method == PHC_METHOD_AUTO ? phc_read_method(p->fd, &p->method, p->readings, &r)
                                    : phc_read(p->fd, p->method, p->readings, &r);
  if (n > 0 && !p->method_logged) {
    p->method_logged = true;
    log_info("source %s: %s reads with %s, %d reading%s per poll", source_name(p->src), p->path,
             phc_method_ioctl(p->method), n, n == 1 ? "" : "s");
  }
  if (n < 0) {
    if (phc_unsupported(n)) {
      health_error(source_health(p->src), "%s does not support method %s: %s", p->path,
                   method_names[p->forced], strerror(-n));
      log_rl(&p->rl_read, LOG_ERR, "source %s: %s does not support method %s: %s",
             source_name(p->src), p->path, method_names[p->forced], strerror(-n));
      source_lost(p->src);
    } else if (n == -EINTR || n == -EBUSY || n == -EAGAIN) {
      health_error(source_health(p->src), "reading %s: %s", p->path, strerror(-n));
      log_rl(&p->rl_read, LOG_WARNING, "source %s: reading %s: %s; skipping this poll",
             source_name(p->src), p->path, strerror(-n));
    } else {
      start_outage(p, "lost", -n);
    }
    return;
  }
  if (n != p->kept_of) {
    p->kept_of = n;
    p->kept = phc_kept(n, p->combine, p->quantile);
  }
  if (!phc_combine_kept(r.ts, n, p->kept, &res)) {
    health_error(source_health(p->src), "system clock stepped during a read");
    log_rl(&p->rl_read, LOG_WARNING, "source %s: system clock stepped during a read; skipped",
           source_name(p->src));
    return;
  }
  p->last_delay_ns = res.delay_ns;
  sample.sys_ns = res.sys_ns;
  sample.ref_ns = res.phc_ns + p->utc_minus_phc_ns;
  sample.leap = RB_LEAP_NONE;
  if (p->precision <= 0) {
    sample.precision = p->precision;
  } else {
    int64_t half = res.delay_ns / 2 + 1;
    if (half <= p->window_lo || half > p->window_hi)
      p->window_precision = precision_bracket(half, &p->window_lo, &p->window_hi);
    sample.precision = p->window_precision;
  }
  sample.valid = true;
  if (p->tracker) {
    int utc_offset;
    sample.valid = p->gate_open;
    if (p->gate_open) {
      /* TAI - UTC and leap warnings from PTP itself; tai_offset is the fallback. */
      if (p->tai && tracker_utc_offset(p->gate_tracker, &utc_offset))
        sample.ref_ns = res.phc_ns - (int64_t)utc_offset * NS_PER_SEC;
      sample.leap = tracker_leap(p->gate_tracker);
    }
  }
  source_publish(p->src, &sample);
}

static bool gate_allows(const struct phc *p, enum tracker_state st)
{
  return st == TRACKER_LOCKED || (st == TRACKER_HOLDOVER && p->publish_in_holdover);
}

/* Closes the gate the moment the tracker leaves LOCKED (SHM readers see leap 3 at once), rather
   than at the next poll. */
static void on_tracker_change(void *arg, const struct tracker *t, enum tracker_state from,
                              enum tracker_state to, const char *reason)
{
  struct phc *p = arg;
  bool open = gate_allows(p, to);
  (void)from;

  /* A tracker that stops passes through UNKNOWN first: the pointer never outlives it. */
  p->gate_tracker = open ? t : NULL;
  if (open == p->gate_open)
    return;
  p->gate_open = open;
  log_notice("source %s: gate %s: tracker %s is %s (%s)", source_name(p->src),
             open ? "open" : "closed", tracker_name(t), tracker_state_name(to), reason);
  if (!open)
    source_gated(p->src);
}

/* Only reopen attempts use the one-shot timer. */
static void on_timer(void *arg)
{
  try_open(arg);
}

static void phc_start(void *priv)
{
  struct phc *p = priv;
  if (p->tracker) {
    /* Trackers start before sources: the state now, then every change. */
    const struct tracker *t = tracker_find(p->tracker);
    p->gate_open = t && gate_allows(p, tracker_state(t));
    p->gate_tracker = p->gate_open ? t : NULL;
    tracker_watch(p->tracker, on_tracker_change, p);
  }
  try_open(p);
}

static void phc_destroy(void *priv)
{
  struct phc *p = priv;

  if (p->tracker)
    tracker_unwatch(p->tracker, on_tracker_change, p);
  free(p->tracker);
  sched_timer_free(p->timer);
  sched_tick_leave(p->poller);
  if (p->fd >= 0)
    close(p->fd);
  free(p->device);
  free(p->interface);
  free(p);
}

static const struct conf_key phc_keys[] = {
  {.name = "device", .type = CONF_PATH, .max = PHC_PATH_MAX},
  {.name = "interface", .type = CONF_STRING, .max = IFNAMSIZ - 1},
  {.name = "interval", .type = CONF_DOUBLE, .def = "1", .min = 0.0625, .max = 16},
  {.name = "readings", .type = CONF_INT, .def = "10", .min = 1, .max = PHC_MAX_READINGS},
  {.name = "method", .type = CONF_ENUM, .def = "auto", .choices = method_names},
  {.name = "combine", .type = CONF_ENUM, .def = "quantile", .choices = combine_names},
  {.name = "quantile", .type = CONF_DOUBLE, .def = "0.3", .min = 0.01, .max = 1},
  {.name = "timescale", .type = CONF_ENUM, .def = "tai", .choices = timescale_names},
  {.name = "tai_offset", .type = CONF_INT, .def = "37", .min = 0, .max = 1000},
  {.name = "precision", .type = CONF_INT, .min = -30, .max = 0},
  {.name = "tracker", .type = CONF_REFS, .ref_kind = "tracker"},
  {.name = "publish_in_holdover", .type = CONF_BOOL, .def = "no"},
  {0},
};

static void phc_report(void *priv, struct source_report *r)
{
  const struct phc *p = priv;

  if (!p->interface)
    report_copy(r->endpoint, sizeof(r->endpoint), p->path);
  else
    snprintf(r->endpoint, sizeof(r->endpoint), "%s%s%s%s", p->path, p->path[0] ? " (" : "",
             p->interface, p->path[0] ? ")" : "");
  report_string(&r->extras, "method",
                p->method == PHC_METHOD_AUTO ? "auto" : method_names[p->method]);
  report_int(&r->extras, "readings", p->method == PHC_METHOD_PRECISE ? 1 : p->readings);
  if (r->have_sample)
    report_int(&r->extras, "delay_window_ns", p->last_delay_ns);
  report_double(&r->extras, "interval_seconds", (double)p->interval_ns / 1e9);
  if (p->tracker) {
    report_string(&r->extras, "tracker", p->tracker);
    report_bool(&r->extras, "gate_open", p->gate_open);
  }
}

const struct source_ops phc_source_ops = {
  .conf = {.type = "phc", .keys = phc_keys, .check = phc_check},
  .create = phc_create,
  .start = phc_start,
  .destroy = phc_destroy,
  .report = phc_report,
};
