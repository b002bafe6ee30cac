/* statime tracker: reads statime's observation socket on a timer. Each connection yields one
   JSON document, read to EOF without blocking. statime publishes a new snapshot only after
   each BMCA (every 2 s by default) and it carries no timestamp: a snapshot already seen is no
   new measurement, and one that stops changing goes stale.
   A connection is never closed before EOF: statime 0.4 writes its document with
   `write_json(...).await?` in its accept loop, so a client that hung up before statime wrote
   (EPIPE) ends statime's observer for good. A read still pending at the next poll is waited
   for (no second connection), and staleness covers a statime that stops answering. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/sched.h"
#include "ptpstate/statime_json.h"
#include "ptpstate/tracker_driver.h"
#include "bridge/core/util.h"

#define DOC_MAX (256 * 1024)
/* After this many unusable documents in a row the last good state is stale. */
#define BAD_DOCS_STALE 3
/* Connections still unanswered when their tracker went away in a reload (see park()). */
#define PARKED_MAX 16

struct statime {
  struct tracker *trk;
  char *path;
  int64_t poll_ns;
  int64_t stale_ns;          /* an unchanged snapshot older than this is stale */
  uint64_t snapshot_hash;    /* of the latest good document */
  int64_t doc_changed_mono;
  int fd;                    /* the connection being read, -1 between polls */
  int64_t conn_mono;         /* when it was opened */
  bool overlong;             /* more than DOC_MAX: read on to EOF, then dropped */
  bool wait_logged;          /* "does not answer" was logged for this connection */
  struct sched_fd *watch;
  struct sched_timer *timer;
  char *doc;
  size_t len;
  bool reachable;
  char version[32];          /* statime's, from its latest good document */
  struct tracker_observation last_good;
  bool have_good;
  int bad_in_row;
  uint64_t malformed;
  struct log_ratelimit rl_bad;
};

static void on_poll(void *arg);

static void *statime_create(struct tracker *trk, const struct conf_section *s)
{
  struct statime *st = xnew(struct statime);

  st->trk = trk;
  st->path = xstrdup(conf_str(s, "socket"));
  st->poll_ns = round_to_ns(conf_double(s, "poll_interval"));
  health_set_retry(tracker_health(trk), st->poll_ns, st->poll_ns); /* polls go on: no backoff */
  st->stale_ns = round_to_ns(conf_double(s, "stale_after"));
  st->fd = -1;
  st->doc = xmalloc(DOC_MAX);
  st->timer = sched_timer_new(on_poll, st);
  return st;
}

/* Only at EOF, after an error, or for a connection that was never accepted. */
static void close_conn(struct statime *st)
{
  sched_fd_free(st->watch);
  st->watch = NULL;
  if (st->fd >= 0)
    close(st->fd);
  st->fd = -1;
  st->len = 0;
  st->overlong = false;
  st->wait_logged = false;
}

/* A connection whose tracker was destroyed in a reload, read to EOF and discarded. */
struct parked {
  int fd;
  struct sched_fd *watch;
};
static struct parked parked[PARKED_MAX];
static size_t n_parked;

/* Keeps the order: parked[0] is the oldest. */
static void unpark(size_t i)
{
  sched_fd_free(parked[i].watch);
  close(parked[i].fd);
  memmove(&parked[i], &parked[i + 1], (n_parked - i - 1) * sizeof(parked[0]));
  n_parked--;
}

static void on_parked_readable(void *arg, uint32_t revents)
{
  static char sink[4096];
  int fd = (int)(intptr_t)arg;
  ssize_t n;
  (void)revents;

  while ((n = read(fd, sink, sizeof(sink))) > 0)
    ;
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  for (size_t i = 0; i < n_parked; i++)
    if (parked[i].fd == fd) {
      unpark(i);
      return;
    }
}

/* Keeps st's pending connection open until statime answers it. While the loop runs (a
   reload) that is possible; at exit it is not, and the connection closes with the process. */
static void park(struct statime *st)
{
  if (st->fd < 0 || !sched_running())
    return;
  if (n_parked == PARKED_MAX) {
    log_warn("tracker %s: %d unanswered statime connections already kept; closing the oldest",
             tracker_name(st->trk), PARKED_MAX);
    unpark(0);
  }
  sched_fd_free(st->watch);
  st->watch = NULL;
  parked[n_parked].fd = st->fd;
  parked[n_parked].watch = sched_fd_new(st->fd, EPOLLIN, on_parked_readable,
                                        (void *)(intptr_t)st->fd);
  n_parked++;
  st->fd = -1;
}

static void lose(struct statime *st, const char *why)
{
  close_conn(st);
  health_down(tracker_health(st->trk), "statime at %s: %s", st->path, why);
  st->reachable = false;
  st->have_good = false;
  tracker_unreachable(st->trk, why);
}

/* A statime that keeps answering garbage gives no evidence of sync: go stale. */
static void update_stale(struct statime *st)
{
  struct tracker_observation o = st->last_good;

  o.fresh = false;
  o.new_measurement = false;
  tracker_update(st->trk, &o);
}

static void count_bad(struct statime *st)
{
  if (++st->bad_in_row >= BAD_DOCS_STALE && st->have_good)
    update_stale(st);
}

static void use_document(struct statime *st)
{
  struct statime_obs obs;
  struct tracker_observation o;
  const char *detail = NULL;
  enum statime_error e = statime_parse(st->doc, st->len, &obs, &detail);

  if (e != STATIME_OK) {
    st->malformed++;
    tracker_count_malformed(st->trk);
    health_error(tracker_health(st->trk), "statime document dropped: %s",
                 detail ? detail : "malformed");
    log_rl(&st->rl_bad, LOG_WARNING, "tracker %s: statime document dropped: %s (%llu so far)",
           tracker_name(st->trk), detail ? detail : "malformed", (unsigned long long)st->malformed);
    count_bad(st);
    return;
  }
  st->bad_in_row = 0;
  if (!st->reachable) {
    if (!health_up(tracker_health(st->trk), "statime %s at %s answers",
                   obs.version[0] ? obs.version : "(unknown version)", st->path))
      log_notice("tracker %s: statime %s at %s answers", tracker_name(st->trk),
                 obs.version[0] ? obs.version : "(unknown version)", st->path);
    st->reachable = true;
  }
  memcpy(st->version, obs.version, sizeof(st->version));
  {
    /* The instance part only: statime writes a new uptime on every connection. */
    int64_t now = monotonic_ns();
    memset(&o, 0, sizeof(o));
    o.new_measurement = !st->have_good || obs.snapshot_hash != st->snapshot_hash;
    if (o.new_measurement)
      st->doc_changed_mono = now;
    st->snapshot_hash = obs.snapshot_hash;
    o.fresh = now - st->doc_changed_mono < st->stale_ns;
  }
  /* statime 0.3 has no port list: a parent other than itself means a slave port. */
  o.slave = obs.schema >= 4 ? obs.any_slave : (obs.steps_removed >= 1 && !obs.gm_is_self);
  o.port_state = o.slave ? "Slave"
                 : obs.n_ports > 0 ? statime_port_state_name(obs.port_state[0])
                                   : "no port";
  o.have_offset = obs.have_offset;
  o.offset_ns = (int64_t)(obs.offset_ns < 0 ? obs.offset_ns - 0.5 : obs.offset_ns + 0.5);
  o.gm_clock_class = obs.gm_clock_class;
  o.have_gm_identity = true;
  memcpy(o.gm_identity, obs.gm_identity, sizeof(o.gm_identity));
  o.time_traceable = obs.time_traceable;
  o.have_time_properties = true;
  o.utc_offset_valid = obs.utc_offset_valid;
  o.utc_offset = obs.utc_offset;
  o.leap61 = obs.leap61;
  o.leap59 = obs.leap59;
  st->last_good = o;
  st->last_good.port_state = NULL; /* points into obs */
  st->have_good = true;
  tracker_update(st->trk, &o);
}

static void on_readable(void *arg, uint32_t revents)
{
  struct statime *st = arg;
  (void)revents;

  for (;;) {
    ssize_t n = read(st->fd, st->doc + st->len, DOC_MAX - st->len);
    if (n > 0) {
      st->len += (size_t)n;
      if (st->len == DOC_MAX) { /* keep the last 4 KiB as scratch space up to EOF */
        st->overlong = true;
        st->len = DOC_MAX - 4096;
      }
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      return;
    if (n < 0) {
      lose(st, strerror(errno));
      return;
    }
    /* EOF: the whole document is in */
    if (st->wait_logged)
      log_notice("tracker %s: statime answers again after %.1f s", tracker_name(st->trk),
                 (double)(monotonic_ns() - st->conn_mono) / 1e9);
    if (st->overlong) {
      st->malformed++;
      tracker_count_malformed(st->trk);
      health_error(tracker_health(st->trk), "statime document over %d KiB dropped",
                   DOC_MAX / 1024);
      log_rl(&st->rl_bad, LOG_WARNING, "tracker %s: statime document over %d KiB dropped",
             tracker_name(st->trk), DOC_MAX / 1024);
      count_bad(st);
    } else {
      use_document(st);
    }
    close_conn(st);
    return;
  }
}

/* A read still pending at the next poll: keep waiting, and let the last snapshot go stale. */
static void still_waiting(struct statime *st)
{
  int64_t now = monotonic_ns();

  if (now - st->conn_mono >= st->stale_ns && !st->wait_logged) {
    log_warn("tracker %s: statime at %s has not answered for %.1f s; waiting on (hanging up "
             "first would stop statime's observer)",
             tracker_name(st->trk), st->path, (double)(now - st->conn_mono) / 1e9);
    st->wait_logged = true;
  }
  if (st->have_good && now - st->doc_changed_mono >= st->stale_ns)
    update_stale(st);
}

static void on_poll(void *arg)
{
  struct statime *st = arg;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};

  sched_timer_after(st->timer, st->poll_ns);
  if (st->fd >= 0) {
    still_waiting(st);
    return;
  }
  st->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (st->fd < 0) {
    lose(st, strerror(errno));
    return;
  }
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", st->path);
  if (connect(st->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
    if (errno == EAGAIN) {
      close_conn(st); /* statime's accept queue is full: try again at the next poll */
      return;
    }
    lose(st, errno == ENOENT         ? "no socket (statime is not running)"
             : errno == ECONNREFUSED ? "connection refused (statime is not running, or its "
                                       "observer has stopped)"
                                     : strerror(errno));
    return;
  }
  st->len = 0;
  st->conn_mono = monotonic_ns();
  st->watch = sched_fd_new(st->fd, EPOLLIN, on_readable, st);
}

static void statime_start(void *priv)
{
  struct statime *st = priv;
  log_info("tracker %s: statime observation socket %s", tracker_name(st->trk), st->path);
  on_poll(st);
}

static void statime_destroy(void *priv)
{
  struct statime *st = priv;
  park(st);
  close_conn(st);
  sched_timer_free(st->timer);
  free(st->doc);
  free(st->path);
  free(st);
}

static const struct conf_key statime_keys[] = {
  {.name = "socket", .type = CONF_PATH, .def = "/var/run/statime/observe", .max = CONF_SOCKET_PATH_MAX},
  {.name = "poll_interval", .type = CONF_DOUBLE, .def = "1", .min = 0.1, .max = 60},
  {.name = "stale_after", .type = CONF_DOUBLE, .def = "10", .min = 0.5, .max = 600},
  {0},
};

static void statime_report(void *priv, struct tracker_report *r)
{
  const struct statime *st = priv;

  report_copy(r->endpoint, sizeof(r->endpoint), st->path);
  report_string(&r->extras, "statime_version", st->version);
  report_bool(&r->extras, "reachable", st->reachable);
}

const struct tracker_ops statime_tracker_ops = {
  .conf = {.type = "statime", .keys = statime_keys},
  .create = statime_create,
  .start = statime_start,
  .destroy = statime_destroy,
  .report = statime_report,
};
