/* gpsd source (libgps): serial time from TOFF reports, or pulse time from gpsd's PPS reports,
   gated on the fix. The gpsd socket lives in the event loop and never blocks: the bridge
   connects and sends its WATCH itself, and libgps unpacks the reports. */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "bridge/sources/gps_dl.h"
#include "bridge/sources/gpsd_report.h"
#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/sched.h"
#include "bridge/core/source_driver.h"
#include "bridge/core/util.h"

enum stream { STREAM_SERIAL, STREAM_PPS };
static const char *const stream_names[] = {"serial", "pps", NULL};
static const char *const fix_names[] = {"2d", "3d", NULL};

#define RETRY_MIN_NS (NS_PER_SEC / 2)
#define RETRY_MAX_NS (30 * NS_PER_SEC)
/* gpsd reports a fix every cycle (1 s or faster): three missed cycles mean no fix. */
#define FIX_TIMEOUT_NS (3 * NS_PER_SEC)
#define CONNECT_TIMEOUT_NS (5 * NS_PER_SEC)
/* gpsd's replies reach 10 KiB (a SKY with many satellites) */
#define LINE_MAX_LEN 16384
_Static_assert(GPSD_MAX_SATELLITES <= MAXCHANNELS, "a rebuilt SKY must fit libgps's skyview");

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
  int fd;                        /* -1 when not connected */
  bool connected;                /* the WATCH is sent */
  bool healthy;                  /* a report came on this connection */
  struct addrinfo *addrs, *next_addr;
  int connect_err;
  struct sched_fd *watch;
  struct sched_timer *retry;
  struct sched_timer *connect_timer;
  struct sched_timer *fix_timer;
  char version[32];  /* gpsd's release, from its greeting */
  bool warned_no_fix;
  int good_fixes;  /* consecutive good receiver cycles since (re)acquisition */
  struct timespec counted_fix_time; /* the fix time last counted in good_fixes */
  bool have_sky;
  int satellites_used;
  bool fix_ok;
  uint64_t malformed;
  struct log_ratelimit rl_bad;
  struct gpsd_report report; /* the line being handled, rebuilt for libgps */
  char line[LINE_MAX_LEN]; /* bytes received, up to a whole line */
  size_t line_len;
  bool discarding;         /* inside an overlong line: drop until its end */
};

static void try_connect(void *arg);
static void connect_timeout(void *arg);
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
  g->fd = -1;
  g->retry = sched_timer_new(try_connect, g);
  g->connect_timer = sched_timer_new(connect_timeout, g);
  g->fix_timer = sched_timer_new(fix_timeout, g);
  health_set_retry(source_health(src), RETRY_MIN_NS, RETRY_MAX_NS);
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
  struct gpsd_src *g = arg;

  /* Also when no fix ever came: a receiver that is not attached, or a device filter that
     matches nothing, must not stay silent. */
  if (!g->fix_ok && g->good_fixes == 0 && !g->warned_no_fix) {
    g->warned_no_fix = true;
    log_warn("source %s: no fix report from gpsd at %s:%s%s%s for 3 s; %s is not valid",
             source_name(g->src), g->host, g->port, g->device ? " for " : "",
             g->device ? g->device : "", what(g));
  }
  lose_fix(g, "no fix report from gpsd for 3 s");
}

static void close_socket(struct gpsd_src *g)
{
  sched_fd_free(g->watch);
  g->watch = NULL;
  if (g->fd >= 0)
    close(g->fd);
  g->fd = -1;
}

static void disconnect(struct gpsd_src *g)
{
  close_socket(g);
  sched_timer_stop(g->connect_timer);
  if (g->addrs)
    freeaddrinfo(g->addrs);
  g->addrs = g->next_addr = NULL;
  g->connected = false;
}

static void start_outage(struct gpsd_src *g, const char *why)
{
  disconnect(g);
  sched_timer_stop(g->fix_timer);
  g->fix_ok = false;
  g->good_fixes = 0;
  source_lost(g->src);
  sched_timer_after(g->retry,
                    health_down(source_health(g->src), "gpsd at %s:%s: %s", g->host, g->port, why));
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
      else if (!(g->gps.set & TIME_SET))
        snprintf(why, sizeof(why), "fix report without a time");
      else
        snprintf(why, sizeof(why), "too few satellites (%d of %d)", g->satellites_used,
                 g->min_satellites);
      lose_fix(g, why);
    }
    return;
  }
  /* gpsd may report one receiver cycle several times (at start, say): only a new fix time is
     another cycle. */
  if (g->good_fixes < g->min_good_fixes &&
      (g->good_fixes == 0 || g->gps.fix.time.tv_sec != g->counted_fix_time.tv_sec ||
       g->gps.fix.time.tv_nsec != g->counted_fix_time.tv_nsec)) {
    g->good_fixes++;
    g->counted_fix_time = g->gps.fix.time;
  }
  if (!g->fix_ok && g->good_fixes >= g->min_good_fixes) {
    g->fix_ok = true;
    g->warned_no_fix = false;
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
  health_error(source_health(g->src), "malformed message from gpsd: %s", what_was_wrong);
  log_rl(&g->rl_bad, LOG_WARNING, "source %s: malformed message from gpsd dropped (%s; %llu so far)",
         source_name(g->src), what_was_wrong, (unsigned long long)g->malformed);
}

/* Acts on one rebuilt report that libgps has just unpacked (a SKY here lists satellites). */
static void handle_report(struct gpsd_src *g, enum gpsd_class cls)
{
  const struct timedelta_t *td;
  bool toff = cls == GPSD_TOFF;

  if (cls == GPSD_SKY) {
    if (g->gps.set & SATELLITE_SET) {
      g->have_sky = true;
      g->satellites_used = g->gps.satellites_used;
    }
  } else if (cls == GPSD_TPV) {
    if (!(g->gps.set & MODE_SET))
      count_malformed(g, "TPV without a mode");
    else
      on_tpv(g);
  } else {
#if GPSD_API_MAJOR_VERSION <= 11
    /* libgps up to API 11 (gpsd 3.22) parses TOFF into gpsdata.pps. */
    td = &g->gps.pps;
#else
    /* Later ones use gpsdata.toff, but up to gpsd 3.24 (API 14, as 3.25) still gpsdata.pps:
       take whichever was filled (both are cleared before each unpack). */
    td = toff && (g->gps.toff.real.tv_sec || g->gps.toff.clock.tv_sec) ? &g->gps.toff
                                                                         : &g->gps.pps;
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

/* The first report on a connection: only now is gpsd back (a server that accepts and then
   closes, having no room for a client, must not reset the backoff). */
static void connection_healthy(struct gpsd_src *g)
{
  g->healthy = true;
  health_up(source_health(g->src), "gpsd at %s:%s is back", g->host, g->port);
}

/* VERSION greets each client; ERROR answers a WATCH gpsd cannot apply (no such device). */
static void on_gpsd_message(struct gpsd_src *g, const struct gpsd_report *r)
{
  if (r->cls == GPSD_VERSION) {
    snprintf(g->version, sizeof(g->version), "%.31s", r->text);
    if (!health_is_down(source_health(g->src)))
      log_info("source %s: connected to gpsd %s at %s:%s%s%s (%s)", source_name(g->src),
               r->text[0] ? r->text : "?", g->host, g->port, g->device ? ", device " : "",
               g->device ? g->device : "", what(g));
  } else {
    char why[160];
    snprintf(why, sizeof(why), "gpsd says \"%.120s\"", r->text[0] ? r->text : "error");
    start_outage(g, why);
  }
}

/* One line from gpsd. libgps unpacks only the line gpsd_report_parse() rebuilt from the
   fields the bridge uses, never gpsd's own text: libgps's parser can spin for ever on some
   malformed input (gpsd_report.c says why the rebuilt lines cannot). */
static void handle_line(struct gpsd_src *g, const char *line, size_t len)
{
  const char *why = gpsd_report_parse(line, len, g->device, &g->report);

  if (why) {
    count_malformed(g, why);
    return;
  }
  if (g->report.cls == GPSD_SKIP)
    return;
  if (g->report.cls == GPSD_VERSION || g->report.cls == GPSD_ERROR) {
    on_gpsd_message(g, &g->report);
    return;
  }
  if (!g->healthy)
    connection_healthy(g);
  if (!g->report.line[0]) { /* a SKY without a satellite list */
    if (g->report.used_without_list >= 0) {
      g->have_sky = true;
      g->satellites_used = g->report.used_without_list;
    }
    return;
  }
  /* libgps accumulates flags and keeps old values: clear them so that a report that fails to
     unpack can never re-publish an earlier sample. */
  g->gps.set = 0;
  memset(&g->gps.pps, 0, sizeof(g->gps.pps));
  memset(&g->gps.toff, 0, sizeof(g->gps.toff));
  g->api->unpack(g->report.line, &g->gps);
  handle_report(g, g->report.cls);
}

/* Reads what gpsd sent, without blocking, and handles each whole line. */
static void on_readable(void *arg, uint32_t revents)
{
  struct gpsd_src *g = arg;
  (void)revents;

  for (;;) {
    ssize_t n = recv(g->fd, g->line + g->line_len, sizeof(g->line) - g->line_len, 0);
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
      count_malformed(g, "a line longer than 16 KiB");
      g->discarding = true;
      g->line_len = 0;
    }
  }
}

/* The WATCH that gps_stream(WATCH_ENABLE | WATCH_JSON | WATCH_PPS [| WATCH_DEVICE]) sends,
   written here: libgps cuts its commands at 80 bytes, which drops the device filter of a
   /dev/serial/by-id path, and it writes with SIGPIPE armed. */
static bool send_watch(struct gpsd_src *g, bool enable)
{
  json_t *w = enable ? json_pack("{s:b, s:b, s:b}", "enable", 1, "json", 1, "pps", 1)
                     : json_pack("{s:b}", "enable", 0);
  char *body, *cmd;
  ssize_t n;

  if (!w)
    abort(); /* out of memory: jansson allocates */
  if (enable && g->device)
    json_object_set_new(w, "device", json_string(g->device));
  body = json_dumps(w, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(w);
  if (!body)
    abort();
  cmd = xasprintf("?WATCH=%s;\n", body);
  free(body);
  n = send(g->fd, cmd, strlen(cmd), MSG_NOSIGNAL | MSG_DONTWAIT);
  free(cmd);
  return n > 0;
}

static void on_connected(struct gpsd_src *g)
{
  sched_timer_stop(g->connect_timer);
  sched_fd_free(g->watch);
  g->watch = NULL;
  if (!send_watch(g, true)) {
    start_outage(g, "cannot send the WATCH command");
    return;
  }
  freeaddrinfo(g->addrs);
  g->addrs = g->next_addr = NULL;
  memset(&g->gps, 0, sizeof(g->gps));
  g->connected = true;
  g->healthy = false;
  g->line_len = 0;
  g->discarding = false;
  g->have_sky = false;
  g->watch = sched_fd_new(g->fd, EPOLLIN, on_readable, g);
  sched_timer_after(g->fix_timer, FIX_TIMEOUT_NS);
}

static void connect_next(struct gpsd_src *g);

static void on_connect_done(void *arg, uint32_t revents)
{
  struct gpsd_src *g = arg;
  int err = 0;
  socklen_t len = sizeof(err);

  (void)revents;
  if (getsockopt(g->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
    err = errno;
  if (err == 0) {
    on_connected(g);
    return;
  }
  g->connect_err = err;
  connect_next(g);
}

static void connect_timeout(void *arg)
{
  struct gpsd_src *g = arg;

  g->connect_err = ETIMEDOUT;
  connect_next(g);
}

/* Tries the next resolved address without blocking: the connect completes in the loop. */
static void connect_next(struct gpsd_src *g)
{
  close_socket(g);
  while (g->next_addr) {
    const struct addrinfo *ai = g->next_addr;
    g->next_addr = ai->ai_next;
    g->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (g->fd < 0) {
      g->connect_err = errno;
      continue;
    }
    if (connect(g->fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      on_connected(g);
      return;
    }
    if (errno == EINPROGRESS) {
      g->watch = sched_fd_new(g->fd, EPOLLOUT, on_connect_done, g);
      sched_timer_after(g->connect_timer, CONNECT_TIMEOUT_NS);
      return;
    }
    g->connect_err = errno;
    close(g->fd);
    g->fd = -1;
  }
  start_outage(g, strerror(g->connect_err));
}

static void try_connect(void *arg)
{
  struct gpsd_src *g = arg;
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
  char err[256];
  int r;

  if (!g->api && !(g->api = gps_api_get(err, sizeof(err)))) {
    start_outage(g, err);
    return;
  }
  /* Names resolve through the system resolver (for gpsd, normally localhost or an address). */
  r = getaddrinfo(g->host, g->port, &hints, &g->addrs);
  if (r != 0) {
    g->addrs = NULL;
    start_outage(g, gai_strerror(r));
    return;
  }
  g->next_addr = g->addrs;
  g->connect_err = ECONNREFUSED;
  connect_next(g);
}

static void gpsd_start(void *priv)
{
  try_connect(priv);
}

static void gpsd_destroy(void *priv)
{
  struct gpsd_src *g = priv;

  if (g->connected)
    send_watch(g, false);
  disconnect(g);
  sched_timer_free(g->retry);
  sched_timer_free(g->connect_timer);
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

static void gpsd_source_report(void *priv, struct source_report *r)
{
  const struct gpsd_src *g = priv;

  snprintf(r->endpoint, sizeof(r->endpoint), "%s:%s%s%s", g->host, g->port,
           g->device ? " " : "", g->device ? g->device : "");
  report_string(&r->extras, "stream", g->stream == STREAM_PPS ? "pps" : "serial");
  report_string(&r->extras, "gpsd_version", g->version);
  report_bool(&r->extras, "connected", g->healthy);
  report_int(&r->extras, "fix_mode", g->healthy ? g->gps.fix.mode : 0);
  if (g->have_sky)
    report_int(&r->extras, "satellites_used", g->satellites_used);
  report_int(&r->extras, "good_fixes", g->good_fixes);
  report_bool(&r->extras, "fix_ok", g->fix_ok);
  report_count(&r->extras, "malformed", g->malformed);
}

const struct source_ops gpsd_source_ops = {
  .conf = {.type = "gpsd", .keys = gpsd_keys, },
  .create = gpsd_create,
  .start = gpsd_start,
  .destroy = gpsd_destroy,
  .report = gpsd_source_report,
};
