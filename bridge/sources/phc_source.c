/* PHC source: reads /dev/ptpN (or a NIC's PHC) with the PTP_SYS_OFFSET* ioctls. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/ethtool.h>
#include <linux/ptp_clock.h>
#include <linux/sockios.h>

#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/sources/phc_readings.h"
#include "bridge/core/sched.h"
#include "bridge/core/source_driver.h"
#include "ptpstate/tracker.h"
#include "bridge/core/util.h"

enum phc_method { METHOD_AUTO, METHOD_PRECISE, METHOD_EXTENDED, METHOD_BASIC };
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
  enum phc_combine combine;
  double quantile;
  int64_t utc_minus_phc_ns;
  bool tai;
  int precision; /* 1 when derived from the measurement */
  char *tracker;  /* gate on this PTP tracker's state; NULL: always valid */
  bool publish_in_holdover;
  bool gate_open;
  int fd;
  struct sched_periodic *poller; /* while open: one wake-up per poll, re-armed by the kernel */
  struct sched_timer *timer;     /* while closed: the next reopen attempt */
  struct backoff backoff;
  bool outage_logged;
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
static bool gate_allows(const struct phc *p, enum tracker_state st);

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
  backoff_init(&p->backoff, RETRY_MIN_NS, RETRY_MAX_NS);
  return p;
}

/* Finds the PHC of a network interface, as ethtool -T does. */
static int resolve_interface(const char *ifname, char *path, size_t len)
{
  struct ethtool_ts_info info = {.cmd = ETHTOOL_GET_TS_INFO};
  struct ifreq ifr;
  int sock, r;

  memset(&ifr, 0, sizeof(ifr));
  snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
  ifr.ifr_data = (char *)&info;
  sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return -errno;
  r = ioctl(sock, SIOCETHTOOL, &ifr);
  r = r < 0 ? -errno : 0;
  close(sock);
  if (r < 0)
    return r;
  if (info.phc_index < 0)
    return -ENOTSUP;
  snprintf(path, len, "/dev/ptp%d", info.phc_index);
  return 0;
}


/* Device lost or not there: tell the outputs, close, and retry with backoff. */
static void start_outage(struct phc *p, const char *what, int err)
{
  if (!p->outage_logged) {
    log_warn("source %s: %s %s: %s; retrying with backoff", source_name(p->src), what,
             p->path[0] ? p->path : p->interface, strerror(err));
    p->outage_logged = true;
  }
  source_lost(p->src);
  sched_periodic_free(p->poller);
  p->poller = NULL;
  if (p->fd >= 0) {
    close(p->fd);
    p->fd = -1;
  }
  sched_timer_after(p->timer, backoff_next(&p->backoff));
}

static void try_open(struct phc *p)
{
  struct ptp_clock_caps caps;
  int r;

  if (p->interface) {
    p->path[0] = '\0';
    r = resolve_interface(p->interface, p->path, sizeof(p->path));
    if (r < 0) {
      start_outage(p, "cannot find the PHC of interface", -r);
      return;
    }
  } else {
    snprintf(p->path, sizeof(p->path), "%s", p->device);
  }
  /* Read-only: reading needs no write access, and the bridge never steers a clock. */
  p->fd = open(p->path, O_RDONLY | O_CLOEXEC);
  if (p->fd < 0) {
    start_outage(p, "cannot open", errno);
    return;
  }
  if (ioctl(p->fd, PTP_CLOCK_GETCAPS, &caps) < 0) {
    start_outage(p, "not a PTP clock:", errno);
    return;
  }
  if (p->outage_logged)
    log_notice("source %s: %s is back", source_name(p->src), p->path);
  else
    log_info("source %s: opened %s", source_name(p->src), p->path);
  p->outage_logged = false;
  backoff_reset(&p->backoff);
  p->method = p->forced;
  p->method_logged = false;
  p->poller = sched_periodic_new(monotonic_ns(), p->interval_ns, on_poll, p);
}

/* Every method leaves its readings in x->ts, in the shape PTP_SYS_OFFSET_EXTENDED gives. */
static int read_precise(struct phc *p, struct ptp_sys_offset_extended *x)
{
  struct ptp_sys_offset_precise y;

  memset(&y, 0, sizeof(y));
  if (ioctl(p->fd, PTP_SYS_OFFSET_PRECISE, &y) < 0)
    return -errno;
  x->ts[0][0] = x->ts[0][2] = y.sys_realtime; /* a cross-timestamp: a zero-width window */
  x->ts[0][1] = y.device;
  return 1;
}

static int read_extended(struct phc *p, struct ptp_sys_offset_extended *x)
{
  /* Only the request header: the kernel fills every timestamp asked for. */
  memset(x, 0, offsetof(struct ptp_sys_offset_extended, ts));
  x->n_samples = (unsigned)p->readings;
  if (ioctl(p->fd, PTP_SYS_OFFSET_EXTENDED, x) < 0)
    return -errno;
  return p->readings;
}

static int read_basic(struct phc *p, struct ptp_sys_offset_extended *x)
{
  struct ptp_sys_offset y;

  memset(&y, 0, offsetof(struct ptp_sys_offset, ts));
  y.n_samples = (unsigned)p->readings;
  if (ioctl(p->fd, PTP_SYS_OFFSET, &y) < 0)
    return -errno;
  for (int i = 0; i < p->readings; i++) {
    x->ts[i][0] = y.ts[2 * i];
    x->ts[i][1] = y.ts[2 * i + 1];
    x->ts[i][2] = y.ts[2 * i + 2];
  }
  return p->readings;
}

static int read_method(struct phc *p, enum phc_method m, struct ptp_sys_offset_extended *r)
{
  int n;
  for (int attempt = 0; attempt < 2; attempt++) {
    switch (m) {
    case METHOD_PRECISE: n = read_precise(p, r); break;
    case METHOD_EXTENDED: n = read_extended(p, r); break;
    default: n = read_basic(p, r); break;
    }
    /* A busy or interrupted driver gets one immediate second try. */
    if (n != -EINTR && n != -EBUSY && n != -EAGAIN)
      break;
  }
  return n;
}

static bool unsupported(int err)
{
  return err == -EOPNOTSUPP || err == -ENOTTY || err == -EINVAL;
}

/* Reads with the chosen ioctl; in auto mode probes PRECISE, EXTENDED, then basic, and keeps
   the first that works. */
static int read_phc(struct phc *p, struct ptp_sys_offset_extended *r)
{
  int n = -EOPNOTSUPP;

  if (p->method != METHOD_AUTO) {
    n = read_method(p, p->method, r);
  } else {
    for (enum phc_method m = METHOD_PRECISE; m <= METHOD_BASIC; m++) {
      n = read_method(p, m, r);
      if (n > 0)
        p->method = m;
      if (!unsupported(n))
        break;
    }
  }
  if (n > 0 && !p->method_logged) {
    p->method_logged = true;
    log_info("source %s: %s reads with PTP_SYS_OFFSET%s, %d reading%s per poll",
             source_name(p->src), p->path,
             p->method == METHOD_PRECISE ? "_PRECISE"
             : p->method == METHOD_EXTENDED ? "_EXTENDED" : "",
             n, n == 1 ? "" : "s");
  }
  return n;
}

static void on_poll(void *arg, uint64_t periods)
{
  struct phc *p = arg;
  struct ptp_sys_offset_extended r;
  struct phc_result res;
  struct rb_sample sample;
  int n;

  (void)periods; /* a late wake-up takes one sample, not a burst */
  n = read_phc(p, &r);
  if (n < 0) {
    if (unsupported(n)) {
      log_rl(&p->rl_read, LOG_ERR, "source %s: %s does not support method %s: %s",
             source_name(p->src), p->path, method_names[p->forced], strerror(-n));
      source_lost(p->src);
    } else if (n == -EINTR || n == -EBUSY || n == -EAGAIN) {
      log_rl(&p->rl_read, LOG_WARNING, "source %s: reading %s: %s; skipping this poll",
             source_name(p->src), p->path, strerror(-n));
    } else {
      start_outage(p, "lost", -n);
    }
    return;
  }
  if (!phc_combine(r.ts, n, p->combine, p->quantile, &res)) {
    log_rl(&p->rl_read, LOG_WARNING, "source %s: system clock stepped during a read; skipped",
           source_name(p->src));
    return;
  }
  sample.sys_ns = res.sys_ns;
  sample.ref_ns = res.phc_ns + p->utc_minus_phc_ns;
  sample.leap = RB_LEAP_NONE;
  sample.precision = p->precision <= 0 ? p->precision : precision_from_ns(res.delay_ns / 2 + 1);
  sample.valid = true;
  if (p->tracker) {
    const struct tracker *t = tracker_find(p->tracker);
    int utc_offset;
    sample.valid = t && gate_allows(p, tracker_state(t));
    if (t) {
      /* TAI - UTC and leap warnings from PTP itself; tai_offset is the fallback. */
      if (p->tai && tracker_utc_offset(t, &utc_offset))
        sample.ref_ns = res.phc_ns - (int64_t)utc_offset * NS_PER_SEC;
      sample.leap = tracker_leap(t);
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
static void on_tracker_change(void *arg, const char *tracker, enum tracker_state from,
                              enum tracker_state to, const char *reason)
{
  struct phc *p = arg;
  bool open = gate_allows(p, to);
  (void)from;

  if (open == p->gate_open)
    return;
  p->gate_open = open;
  log_notice("source %s: gate %s: tracker %s is %s (%s)", source_name(p->src),
             open ? "open" : "closed", tracker, tracker_state_name(to), reason);
  if (!open)
    source_lost(p->src);
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
    const struct tracker *t = tracker_find(p->tracker);
    p->gate_open = t && gate_allows(p, tracker_state(t));
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
  sched_periodic_free(p->poller);
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

const struct source_ops phc_source_ops = {
  .conf = {.type = "phc", .keys = phc_keys, .check = phc_check},
  .create = phc_create,
  .start = phc_start,
  .destroy = phc_destroy,
};
