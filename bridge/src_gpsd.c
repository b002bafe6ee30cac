/* gpsd source (libgps): serial time from TOFF reports, or pulse time from gpsd's PPS reports,
   gated on the fix. The gpsd socket lives in the event loop; nothing blocks but the connect. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "gps_dl.h"
#include "log.h"
#include "memory.h"
#include "sched.h"
#include "source.h"
#include "util.h"

enum stream { STREAM_SERIAL, STREAM_PPS };
static const char *const stream_names[] = {"serial", "pps", NULL};
static const char *const fix_names[] = {"2d", "3d", NULL};

#define RETRY_MIN_NS (NS_PER_SEC / 2)
#define RETRY_MAX_NS (30 * NS_PER_SEC)
/* gpsd reports a fix every cycle (1 s or faster): three missed cycles mean no fix. */
#define FIX_TIMEOUT_NS (3 * NS_PER_SEC)
#define LINE_MAX_LEN 8192

struct gpsd_src {
  struct source *src;
  char *host, *port, *device;
  enum stream stream;
  int min_mode;
  int min_satellites;
  int min_good_fixes;
  int64_t offset_ns;
  int precision;
  struct gps_data_t gps;
  const struct gps_api *api;
  bool connected;
  struct sched_fd *watch;
  struct sched_timer *retry;
  struct sched_timer *fix_timer;
  struct backoff backoff;
  bool outage_logged;
  int good_fixes;  /* consecutive good fixes since (re)acquisition */
  bool have_sky;
  int satellites_used;
  bool fix_ok;
  uint64_t malformed;
  struct log_ratelimit rl_bad;
  char line[LINE_MAX_LEN]; /* bytes received, up to a whole line */
  size_t line_len;
  bool discarding;         /* inside an overlong line: drop until its end */
};

static void try_connect(void *arg);
static void fix_timeout(void *arg);

static void *gpsd_create(struct source *src, const struct conf_section *s)
{
  struct gpsd_src *g = xnew(struct gpsd_src);

  g->src = src;
  g->host = xstrdup(conf_str(s, "host"));
  g->port = xasprintf("%lld", (long long)conf_int(s, "port"));
  g->device = conf_is_set(s, "device") ? xstrdup(conf_str(s, "device")) : NULL;
  g->stream = (enum stream)conf_enum(s, "stream");
  g->min_mode = conf_enum(s, "min_fix") == 0 ? MODE_2D : MODE_3D;
  g->min_satellites = (int)conf_int(s, "min_satellites");
  g->min_good_fixes = (int)conf_int(s, "min_good_fixes");
  g->offset_ns = round_to_ns(conf_double(s, "offset"));
  g->precision = conf_is_set(s, "precision") ? (int)conf_int(s, "precision")
                 : g->stream == STREAM_PPS ? -20 : -10;
  g->retry = sched_timer_new(try_connect, g);
  g->fix_timer = sched_timer_new(fix_timeout, g);
  backoff_init(&g->backoff, RETRY_MIN_NS, RETRY_MAX_NS);
  return g;
}

static const char *what(const struct gpsd_src *g)
{
  return g->stream == STREAM_PPS ? "PPS" : "serial time";
}

/* The fix is gone (or never came): outputs learn at once, and re-acquisition starts over. */
static void lose_fix(struct gpsd_src *g, const char *why)
{
  if (g->fix_ok || g->good_fixes > 0)
    log_warn("source %s: %s; %s is not valid until %d good fixes", source_name(g->src), why,
             what(g), g->min_good_fixes);
  g->fix_ok = false;
  g->good_fixes = 0;
  source_lost(g->src);
}

static void fix_timeout(void *arg)
{
  lose_fix(arg, "no fix report from gpsd for 3 s");
}

static void disconnect(struct gpsd_src *g)
{
  if (!g->connected)
    return;
  sched_fd_free(g->watch);
  g->watch = NULL;
  g->api->close(&g->gps);
  g->connected = false;
}

static void start_outage(struct gpsd_src *g, const char *why)
{
  disconnect(g);
  sched_timer_stop(g->fix_timer);
  g->fix_ok = false;
  g->good_fixes = 0;
  source_lost(g->src);
  if (!g->outage_logged) {
    g->outage_logged = true;
    log_warn("source %s: gpsd at %s:%s: %s; retrying with backoff", source_name(g->src), g->host,
             g->port, why);
  }
  sched_timer_after(g->retry, backoff_next(&g->backoff));
}

static void on_tpv(struct gpsd_src *g)
{
  bool good;

  if (!(g->gps.set & MODE_SET))
    return;
  sched_timer_after(g->fix_timer, FIX_TIMEOUT_NS);
  good = g->gps.fix.mode >= g->min_mode && (g->gps.set & TIME_SET);
  if (g->min_satellites > 0)
    good = good && g->have_sky && g->satellites_used >= g->min_satellites;
  if (!good) {
    if (g->fix_ok || g->good_fixes > 0) {
      char why[96];
      if (g->gps.fix.mode < g->min_mode)
        snprintf(why, sizeof(why), "fix lost (mode %d)", g->gps.fix.mode);
      else
        snprintf(why, sizeof(why), "too few satellites (%d of %d)", g->satellites_used,
                 g->min_satellites);
      lose_fix(g, why);
    }
    return;
  }
  if (g->good_fixes < g->min_good_fixes)
    g->good_fixes++;
  if (!g->fix_ok && g->good_fixes >= g->min_good_fixes) {
    g->fix_ok = true;
    log_info("source %s: %dD fix after %d good fixes; %s is valid", source_name(g->src),
             g->gps.fix.mode == MODE_3D ? 3 : 2, g->good_fixes, what(g));
  }
}

/* TOFF (serial time) or PPS (pulse): real is GPS time, clock the system time it held at. */
static void on_timedelta(struct gpsd_src *g, const struct timedelta_t *td)
{
  struct rb_sample s;

  s.sys_ns = ts_to_ns(&td->clock);
  s.ref_ns = ts_to_ns(&td->real) + g->offset_ns;
  s.leap = RB_LEAP_NONE;
  s.precision = g->precision;
  s.valid = g->fix_ok;
  source_publish(g->src, &s);
}

static void count_malformed(struct gpsd_src *g, const char *what_was_wrong)
{
  g->malformed++;
  log_rl(&g->rl_bad, LOG_WARNING, "source %s: malformed message from gpsd dropped (%s; %llu so far)",
         source_name(g->src), what_was_wrong, (unsigned long long)g->malformed);
}

/* Acts on one report that libgps has just unpacked. */
static void handle_report(struct gpsd_src *g, const char *cls)
{
  const struct timedelta_t *td;
  bool toff = strcmp(cls, "TOFF") == 0;

  if (strcmp(cls, "SKY") == 0) {
    if (g->gps.set & SATELLITE_SET) {
      g->have_sky = true;
      g->satellites_used = g->gps.satellites_used;
    }
  } else if (strcmp(cls, "TPV") == 0) {
    if (!(g->gps.set & MODE_SET))
      count_malformed(g, "TPV without a mode");
    else
      on_tpv(g);
  } else {
#if GPSD_API_MAJOR_VERSION <= 11
    /* libgps up to API 11 (gpsd 3.22) parses TOFF into gpsdata.pps. */
    td = &g->gps.pps;
#else
    td = toff ? &g->gps.toff : &g->gps.pps;
#endif
    if (!(g->gps.set & (toff ? TOFF_SET : PPS_SET)) || td->real.tv_sec <= 0 ||
        td->clock.tv_sec <= 0 || td->real.tv_nsec >= NS_PER_SEC || td->clock.tv_nsec >= NS_PER_SEC) {
      count_malformed(g, toff ? "TOFF without valid times" : "PPS without valid times");
      return;
    }
    if ((toff && g->stream == STREAM_SERIAL) || (!toff && g->stream == STREAM_PPS))
      on_timedelta(g, td);
  }
}

/* One line from gpsd. It is checked with jansson and re-serialised compactly before libgps
   unpacks it: libgps's own parser can spin forever on some malformed input, and a string value
   could otherwise smuggle in a "class". Reports the bridge does not use are skipped. */
static void handle_line(struct gpsd_src *g, const char *line, size_t len)
{
  static const char *const wanted[] = {"TPV", "SKY", "TOFF", "PPS", NULL};
  json_error_t err;
  json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
  const char *cls = json_is_object(obj) ? json_string_value(json_object_get(obj, "class")) : NULL;
  char *compact;
  int i;

  if (!cls) {
    count_malformed(g, obj ? "a JSON value without a class" : "not JSON");
    json_decref(obj);
    return;
  }
  for (i = 0; wanted[i] && strcmp(cls, wanted[i]) != 0; i++)
    ;
  if (!wanted[i]) {
    json_decref(obj);
    return;
  }
  compact = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(obj);
  if (!compact)
    return;
  /* libgps accumulates flags and keeps old values: clear them so that a report that fails to
     unpack can never re-publish an earlier sample. */
  g->gps.set = 0;
  memset(&g->gps.pps, 0, sizeof(g->gps.pps));
  memset(&g->gps.toff, 0, sizeof(g->gps.toff));
  g->api->unpack(compact, &g->gps);
  handle_report(g, wanted[i]);
  free(compact);
}

/* Reads what gpsd sent, without blocking, and handles each whole line. */
static void on_readable(void *arg, uint32_t revents)
{
  struct gpsd_src *g = arg;
  (void)revents;

  for (;;) {
    ssize_t n = recv((int)g->gps.gps_fd, g->line + g->line_len, sizeof(g->line) - g->line_len, 0);
    char *start = g->line, *nl;

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return;
    if (n <= 0) {
      start_outage(g, n == 0 ? "connection closed" : strerror(errno));
      return;
    }
    g->line_len += (size_t)n;
    while ((nl = memchr(start, '\n', g->line_len - (size_t)(start - g->line)))) {
      if (g->discarding)
        g->discarding = false;
      else
        handle_line(g, start, (size_t)(nl - start));
      start = nl + 1;
    }
    g->line_len -= (size_t)(start - g->line);
    memmove(g->line, start, g->line_len);
    if (g->line_len == sizeof(g->line)) {
      count_malformed(g, "a line longer than 8 KiB");
      g->discarding = true;
      g->line_len = 0;
    }
  }
}

static void try_connect(void *arg)
{
  struct gpsd_src *g = arg;
  unsigned flags = WATCH_ENABLE | WATCH_JSON | WATCH_PPS;
  char err[256];
  int fd;

  if (!g->api && !(g->api = gps_api_get(err, sizeof(err)))) {
    start_outage(g, err);
    return;
  }
  memset(&g->gps, 0, sizeof(g->gps));
  if (g->api->open(g->host, g->port, &g->gps) != 0) {
    start_outage(g, g->api->errstr(errno));
    return;
  }
  g->connected = true;
  if (g->device)
    flags |= WATCH_DEVICE;
  if (g->api->stream(&g->gps, flags, g->device) != 0) {
    start_outage(g, "cannot send the WATCH command");
    return;
  }
  fd = (int)g->gps.gps_fd;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  g->line_len = 0;
  g->discarding = false;
  g->watch = sched_fd_new(fd, EPOLLIN, on_readable, g);
  if (g->outage_logged)
    log_notice("source %s: gpsd at %s:%s is back", source_name(g->src), g->host, g->port);
  else
    log_info("source %s: connected to gpsd at %s:%s%s%s (%s)", source_name(g->src), g->host,
             g->port, g->device ? ", device " : "", g->device ? g->device : "", what(g));
  g->outage_logged = false;
  backoff_reset(&g->backoff);
  g->have_sky = false;
  sched_timer_after(g->fix_timer, FIX_TIMEOUT_NS);
}

static void gpsd_start(void *priv)
{
  try_connect(priv);
}

static void gpsd_destroy(void *priv)
{
  struct gpsd_src *g = priv;

  if (g->connected)
    g->api->stream(&g->gps, WATCH_DISABLE, NULL);
  disconnect(g);
  sched_timer_free(g->retry);
  sched_timer_free(g->fix_timer);
  free(g->host);
  free(g->port);
  free(g->device);
  free(g);
}

static const struct conf_key gpsd_keys[] = {
  {.name = "host", .type = CONF_STRING, .def = "localhost"},
  {.name = "port", .type = CONF_INT, .def = "2947", .min = 1, .max = 65535},
  {.name = "device", .type = CONF_PATH},
  {.name = "stream", .type = CONF_ENUM, .def = "serial", .choices = stream_names},
  {.name = "min_fix", .type = CONF_ENUM, .def = "2d", .choices = fix_names},
  {.name = "min_satellites", .type = CONF_INT, .def = "0", .min = 0, .max = 64},
  {.name = "min_good_fixes", .type = CONF_INT, .def = "3", .min = 0, .max = 100},
  {.name = "offset", .type = CONF_DOUBLE, .def = "0", .min = -2, .max = 2},
  {.name = "precision", .type = CONF_INT, .min = -30, .max = 0},
  {0},
};

const struct source_ops gpsd_source_ops = {
  .conf = {.type = "gpsd", .keys = gpsd_keys, },
  .create = gpsd_create,
  .start = gpsd_start,
  .destroy = gpsd_destroy,
};
