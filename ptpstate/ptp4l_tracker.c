/* ptp4l tracker: a client of ptp4l's UDS management protocol. Port states are pushed
   (SUBSCRIBE_EVENTS_NP); TIME_STATUS_NP is polled so that a silent master is seen from
   ingress_time before ptp4l's own announce timeout fires. */
#define _GNU_SOURCE /* struct ucred, SCM_CREDENTIALS */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "ptpstate/pmc_msg.h"
#include "bridge/core/sched.h"
#include "ptpstate/tracker_driver.h"
#include "bridge/core/util.h"

#define MAX_PORTS 16
/* Datasets that change rarely are asked for once every this many polls. */
#define SLOW_EVERY 4
/* A request counts as unanswered after this many polls without any reply. */
#define SILENCE_POLLS 8
/* Datagrams handled per wake-up: a flood must not starve the loop (and its watchdog). */
#define MAX_READS_PER_WAKE 64

struct ptp4l {
  struct tracker *trk;
  char *server;          /* ptp4l's uds_address */
  char *client;          /* ours: a path, or "@name" for an abstract address */
  uint8_t domain, transport_specific;
  int64_t poll_ns;
  int stale_syncs;
  uint16_t duration;     /* subscription, seconds */
  int fd;
  struct sched_fd *watch;
  struct sched_timer *timer;
  struct sched_timer *stale_timer; /* fires when the latest Sync becomes too old */
  struct pmc_session session; /* our identity, open requests, ptp4l's identity, push numbering */
  uint16_t seq;
  unsigned polls;
  /* What ptp4l told us. */
  uint8_t port_state[MAX_PORTS + 1];
  bool have_ports;
  int8_t log_sync_interval;  /* clamped to [-10, 10] */
  bool sync_pushed;          /* ptp4l 4.x pushes TIME_SYNC: every Sync is seen */
  bool have_status;
  int64_t master_offset, ingress, ingress_changed_mono;
  bool have_tp;
  struct pmc_time_properties tp;
  int gm_clock_class;
  bool have_gm_identity;
  uint8_t gm_identity[8];
  int64_t next_subscribe_mono;
  /* Health: outages go through the tracker's health. */
  int silent_polls;
  bool reachable;
  uint64_t dropped; /* messages dropped, for the log */
  uint64_t dropped_since_good; /* messages dropped since the last one that counted */
  const char *last_drop;
  struct log_ratelimit rl_bad;
};

static void on_poll(void *arg);
static void on_stale(void *arg);
static void on_readable(void *arg, uint32_t revents);

static bool ptp4l_check(const struct conf_section *s)
{
  const char *c = conf_str(s, "client_address");
  if (c && c[0] != '/' && c[0] != '@') {
    conf_fail(s, "client_address", "'%s' is neither an absolute path nor @abstract-name", c);
    return false;
  }
  return true;
}

static void *ptp4l_create(struct tracker *trk, const struct conf_section *s)
{
  struct ptp4l *p = xnew(struct ptp4l);
  unsigned pid = (unsigned)getpid();

  p->trk = trk;
  p->server = xstrdup(conf_str(s, "socket"));
  p->client = conf_is_set(s, "client_address")
                  ? xstrdup(conf_str(s, "client_address"))
                  : xasprintf("@refclock-bridge/%u/%s", pid, tracker_name(trk));
  p->domain = (uint8_t)conf_int(s, "domain");
  p->transport_specific = (uint8_t)conf_int(s, "transport_specific");
  p->poll_ns = round_to_ns(conf_double(s, "poll_interval"));
  p->stale_syncs = (int)conf_int(s, "stale_syncs");
  p->duration = (uint16_t)conf_int(s, "subscribe_duration");
  p->fd = -1;
  p->gm_clock_class = -1;
  /* Pushes number from 0 per subscriber: start far from there so they are told apart. */
  p->seq = 0x8000;
  /* A stable identity for the process lifetime: renewals replace the subscription. */
  {
    struct pmc_port_identity me;
    unsigned h = 5381;
    memcpy(me.clock, "rcbridge", 8);
    me.clock[6] = (uint8_t)(pid >> 8);
    me.clock[7] = (uint8_t)pid;
    for (const char *c = tracker_name(trk); *c; c++)
      h = h * 33 + (unsigned char)*c;
    me.port = (uint16_t)(1 + h % 0xfffe); /* one identity per tracker */
    pmc_session_init(&p->session, &me, p->domain, p->transport_specific);
  }
  p->timer = sched_timer_new(on_poll, p);
  p->stale_timer = sched_timer_new(on_stale, p);
  health_set_retry(tracker_health(trk), p->poll_ns, p->poll_ns); /* polls go on: no backoff */
  return p;
}

static socklen_t make_addr(const char *name, struct sockaddr_un *sa)
{
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  if (name[0] == '@') {
    /* Abstract: no file to clean up, reachable from ptp4l in the same network namespace. */
    size_t n = strlen(name + 1);
    assert(n < sizeof(sa->sun_path)); /* the config limits names and addresses */
    memcpy(sa->sun_path + 1, name + 1, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
  }
  snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", name);
  return (socklen_t)sizeof(*sa);
}

/* Forgets what ptp4l said, so that a ptp4l that answers again is learned afresh (identity,
   subscription, port states). */
static void forget(struct ptp4l *p)
{
  p->reachable = false;
  pmc_session_forget(&p->session);
  p->have_status = false;
  p->have_tp = false;
  p->have_ports = false;
  p->have_gm_identity = false;
  p->gm_clock_class = -1;
  p->next_subscribe_mono = 0;
  p->sync_pushed = false; /* a restarted ptp4l may be another version */
  sched_timer_stop(p->stale_timer);
  memset(p->port_state, 0, sizeof(p->port_state));
}

static void lose(struct ptp4l *p, const char *why)
{
  health_down(tracker_health(p->trk), "ptp4l at %s: %s", p->server, why);
  forget(p);
  tracker_unreachable(p->trk, why);
}

static bool open_socket(struct ptp4l *p)
{
  struct sockaddr_un sa;
  socklen_t len = make_addr(p->client, &sa);

  p->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd < 0)
    return false;
  /* The kernel then tells each datagram's sender: only ptp4l (root) may speak for PTP. An
     abstract address has no permissions, so anyone in the network namespace can reach it. */
  setsockopt(p->fd, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int));
  if (p->client[0] == '/')
    unlink(p->client); /* a stale file from an earlier run */
  if (bind(p->fd, (struct sockaddr *)&sa, len) < 0) {
    log_rl(&p->rl_bad, LOG_ERR, "tracker %s: cannot bind %s: %s", tracker_name(p->trk), p->client,
           strerror(errno));
    close(p->fd);
    p->fd = -1;
    return false;
  }
  p->watch = sched_fd_new(p->fd, EPOLLIN, on_readable, p);
  return true;
}

static void close_socket(struct ptp4l *p)
{
  sched_fd_free(p->watch);
  p->watch = NULL;
  if (p->fd >= 0)
    close(p->fd);
  p->fd = -1;
}

static void send_request(struct ptp4l *p, enum pmc_action action, uint16_t id, const uint8_t *data,
                         size_t data_len)
{
  struct pmc_request r = {
    .transport_specific = p->transport_specific,
    .domain = p->domain,
    .sequence = p->seq++,
    .source = p->session.me,
    .action = action,
    .id = id,
    .data = data,
    .data_len = data_len,
  };
  uint8_t buf[PMC_MAX_MSG];
  struct sockaddr_un sa;
  socklen_t salen = make_addr(p->server, &sa);
  size_t n = pmc_encode(buf, sizeof(buf), &r);

  if (n == 0)
    return;
  if (sendto(p->fd, buf, n, MSG_DONTWAIT, (struct sockaddr *)&sa, salen) < 0) {
    if (errno == ECONNREFUSED || errno == ENOENT || errno == ENOTCONN)
      lose(p, errno == ENOENT ? "no socket (ptp4l is not running)"
                              : "connection refused (ptp4l is not running)");
    else if (errno != EAGAIN)
      lose(p, strerror(errno));
    return;
  }
  /* Only a request that left can be answered. */
  pmc_session_sent(&p->session, r.sequence, id);
}

static void subscribe(struct ptp4l *p, uint16_t duration, uint32_t events)
{
  uint8_t body[66];
  pmc_subscribe_body(body, duration, events);
  send_request(p, PMC_SET, PMC_ID_SUBSCRIBE_EVENTS_NP, body, sizeof(body));
}

static const char *best_port_state(const struct ptp4l *p, bool *slave)
{
  uint8_t best = 0;
  *slave = false;
  for (int i = 1; i <= MAX_PORTS; i++) {
    if (p->port_state[i] == PMC_PS_SLAVE)
      *slave = true;
    if (p->port_state[i] > best)
      best = p->port_state[i];
  }
  return *slave ? "SLAVE" : pmc_port_state_name(best);
}

/* Without TIME_SYNC pushes (linuxptp 3.x) a Sync is seen only at the poll after it. */
static int64_t stale_after(const struct ptp4l *p)
{
  int64_t interval = p->log_sync_interval >= 0 ? NS_PER_SEC << p->log_sync_interval
                                               : NS_PER_SEC >> -p->log_sync_interval;
  return tracker_stale_window(p->stale_syncs, interval, p->sync_pushed ? 0 : p->poll_ns);
}

/* The sync data is fresh while ingress_time keeps advancing: a silent master stops it within
   a sync interval, long before ptp4l's announce timeout. */
static bool sync_fresh(const struct ptp4l *p, int64_t now)
{
  if (!p->have_status || p->ingress == 0)
    return false;
  return now - p->ingress_changed_mono < stale_after(p);
}

static void evaluate(struct ptp4l *p, bool new_measurement)
{
  struct tracker_observation o;

  memset(&o, 0, sizeof(o));
  o.new_measurement = new_measurement;
  o.port_state = best_port_state(p, &o.slave);
  o.have_offset = p->have_status;
  o.offset_ns = p->master_offset;
  o.fresh = sync_fresh(p, monotonic_ns());
  o.gm_clock_class = p->gm_clock_class;
  o.have_gm_identity = p->have_gm_identity;
  memcpy(o.gm_identity, p->gm_identity, sizeof(o.gm_identity));
  o.have_time_properties = p->have_tp;
  o.time_traceable = p->tp.time_traceable;
  o.utc_offset_valid = p->tp.utc_offset_valid;
  o.utc_offset = p->tp.utc_offset;
  o.leap61 = p->tp.leap61;
  o.leap59 = p->tp.leap59;
  tracker_update(p->trk, &o);
}

/* malformed: not a management message we can parse; otherwise well-formed but refused. */
static void bad_message(struct ptp4l *p, const char *what, bool malformed)
{
  if (malformed)
    tracker_count_malformed(p->trk);
  else
    tracker_count_rejected(p->trk);
  p->dropped++;
  p->dropped_since_good++;
  p->last_drop = what;
  health_error(tracker_health(p->trk), "management message dropped: %s", what);
  log_rl(&p->rl_bad, LOG_WARNING, "tracker %s: management message dropped: %s (%llu so far)",
         tracker_name(p->trk), what, (unsigned long long)p->dropped);
}

static void handle(struct ptp4l *p, const struct pmc_msg *m)
{
  int64_t now = monotonic_ns();
  bool new_measurement = false;

  switch (m->id) {
  case PMC_ID_DEFAULT_DATA_SET:
    /* The session learnt ptp4l's identity from it: a new or restarted ptp4l, subscribe now. */
    p->next_subscribe_mono = 0;
    break;
  case PMC_ID_PORT_DATA_SET:
    if (m->u.port_ds.port.port >= 1 && m->u.port_ds.port.port <= MAX_PORTS) {
      uint8_t old = p->port_state[m->u.port_ds.port.port];
      p->port_state[m->u.port_ds.port.port] = m->u.port_ds.state;
      p->have_ports = true;
      if (m->u.port_ds.state == PMC_PS_SLAVE || old == PMC_PS_SLAVE) {
        int8_t v = m->u.port_ds.log_sync_interval;
        p->log_sync_interval = v < -10 ? -10 : v > 10 ? 10 : v;
      }
      if (old && old != m->u.port_ds.state)
        log_info("tracker %s: port %u %s -> %s", tracker_name(p->trk), m->u.port_ds.port.port,
                 pmc_port_state_name(old), pmc_port_state_name(m->u.port_ds.state));
    }
    break;
  case PMC_ID_TIME_STATUS_NP:
    /* Only a sync newer than the last one is a new measurement. */
    if (!p->have_status || m->u.time_status.ingress_time_ns != p->ingress) {
      p->ingress_changed_mono = now;
      new_measurement = true;
      /* Judge staleness the moment it happens, not at the next reply. */
      sched_timer_at(p->stale_timer, now + stale_after(p) + 1000);
    }
    p->master_offset = m->u.time_status.master_offset_ns;
    p->ingress = m->u.time_status.ingress_time_ns;
    p->have_status = true;
    break;
  case PMC_ID_TIME_PROPERTIES_DATA_SET:
    p->tp = m->u.time_properties;
    p->have_tp = true;
    break;
  case PMC_ID_PARENT_DATA_SET:
    p->gm_clock_class = m->u.parent_ds.gm_clock_class;
    memcpy(p->gm_identity, m->u.parent_ds.gm_identity, sizeof(p->gm_identity));
    p->have_gm_identity = true;
    break;
  default:
    return; /* acknowledgements (subscription) and the rest need no action */
  }
  /* Nothing can be said before the first port state. */
  if (p->have_ports)
    evaluate(p, new_measurement);
}

static void on_stale(void *arg)
{
  struct ptp4l *p = arg;
  /* A Sync already queued is not late: this loop's own delay must not count against ptp4l. */
  if (p->fd >= 0)
    on_readable(p, EPOLLIN);
  if (p->have_ports && p->have_status)
    evaluate(p, false);
}

/* Receives one datagram; *uid is its sender's (or -1 when the kernel gave none). */
static ssize_t receive(struct ptp4l *p, uint8_t *buf, size_t len, long *uid)
{
  union {
    struct cmsghdr align;
    char space[CMSG_SPACE(sizeof(struct ucred))];
  } control;
  struct iovec iov = {.iov_base = buf, .iov_len = len};
  struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
                      .msg_controllen = sizeof(control)};
  ssize_t n = recvmsg(p->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

  *uid = -1;
  for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      struct ucred cred;
      memcpy(&cred, CMSG_DATA(c), sizeof(cred));
      *uid = (long)cred.uid;
    }
  return n;
}

static void on_readable(void *arg, uint32_t revents)
{
  struct ptp4l *p = arg;
  uint8_t buf[PMC_MAX_MSG];
  (void)revents;

  for (int reads = 0; reads < MAX_READS_PER_WAKE; reads++) {
    struct pmc_msg m;
    enum pmc_parse_error e;
    enum pmc_verdict v;
    long uid;
    ssize_t n = receive(p, buf, sizeof(buf), &uid);

    if (n < 0)
      return;
    if (uid != 0 && uid != (long)geteuid()) {
      bad_message(p, "not sent by root or by the bridge's own user", false);
      continue;
    }
    e = pmc_parse(buf, (size_t)n, &m);
    if (e != PMC_OK && e != PMC_ERR_STATUS) {
      bad_message(p, pmc_parse_error_str(e), true);
      continue;
    }
    /* Only replies to our own open requests, and the pushes subscribed to, from the clock
       that DEFAULT_DATA_SET named: nothing else may change anything. */
    v = pmc_session_check(&p->session, &m);
    if (v != PMC_REPLY && v != PMC_PUSH) {
      bad_message(p, pmc_verdict_str(v), false);
      continue;
    }
    if (v == PMC_PUSH) {
      log_debug("tracker %s: push of management id 0x%04x", tracker_name(p->trk), m.id);
      if (m.id == PMC_ID_TIME_STATUS_NP)
        p->sync_pushed = true;
    }
    if (!p->reachable) {
      if (!health_up(tracker_health(p->trk), "ptp4l at %s answers", p->server))
        log_info("tracker %s: ptp4l at %s answers", tracker_name(p->trk), p->server);
      p->reachable = true;
    }
    p->silent_polls = 0;
    p->dropped_since_good = 0;
    if (e == PMC_ERR_STATUS) {
      log_rl(&p->rl_bad, LOG_WARNING, "tracker %s: ptp4l refused management id 0x%04x: %s",
             tracker_name(p->trk), m.id, pmc_mgmt_error_str(m.error_code));
      continue;
    }
    handle(p, &m);
  }
}

static void on_poll(void *arg)
{
  struct ptp4l *p = arg;
  int64_t now = monotonic_ns();

  sched_timer_after(p->timer, p->poll_ns);
  if (p->fd < 0 && !open_socket(p))
    return;

  if (++p->silent_polls > SILENCE_POLLS) {
    if (!health_is_down(tracker_health(p->trk))) {
      char dropped[160] = "";
      /* Messages that failed the checks are not ptp4l's answers: say so, they may hide it. */
      if (p->dropped_since_good)
        snprintf(dropped, sizeof(dropped),
                 "; %llu other messages dropped meanwhile, the latest: %s",
                 (unsigned long long)p->dropped_since_good, p->last_drop);
      health_down(tracker_health(p->trk),
                  "ptp4l at %s does not answer (%d requests%s). ptp4l silently drops "
                  "management messages of another domainNumber or transportSpecific: this "
                  "tracker uses domain %u, transport_specific %u",
                  p->server, SILENCE_POLLS, dropped, p->domain, p->transport_specific);
    }
    if (p->reachable || tracker_state(p->trk) != TRACKER_UNKNOWN) {
      forget(p);
      tracker_unreachable(p->trk, "ptp4l does not answer");
    }
    /* Answers may be lost to our own address (its file removed, say): bind afresh now and
       then. */
    if (p->silent_polls % SILENCE_POLLS == 0) {
      close_socket(p);
      if (!open_socket(p))
        return;
    }
  }

  p->polls++;
  if (!p->session.have_clock) {
    send_request(p, PMC_GET, PMC_ID_DEFAULT_DATA_SET, NULL, 0);
    send_request(p, PMC_GET, PMC_ID_PORT_DATA_SET, NULL, 0);
    return;
  }
  if (p->next_subscribe_mono <= now) {
    subscribe(p, p->duration, (1u << PMC_NOTIFY_PORT_STATE) | (1u << PMC_NOTIFY_TIME_SYNC));
    p->next_subscribe_mono = now + (int64_t)p->duration * NS_PER_SEC / 3;
  }
  send_request(p, PMC_GET, PMC_ID_TIME_STATUS_NP, NULL, 0);
  if (p->polls % SLOW_EVERY == 0) {
    send_request(p, PMC_GET, PMC_ID_PORT_DATA_SET, NULL, 0);
    send_request(p, PMC_GET, PMC_ID_TIME_PROPERTIES_DATA_SET, NULL, 0);
    send_request(p, PMC_GET, PMC_ID_PARENT_DATA_SET, NULL, 0);
    send_request(p, PMC_GET, PMC_ID_CURRENT_DATA_SET, NULL, 0);
  }
}

static void ptp4l_start(void *priv)
{
  struct ptp4l *p = priv;
  log_info("tracker %s: ptp4l at %s, domain %u, transport_specific %u, from %s",
           tracker_name(p->trk), p->server, p->domain, p->transport_specific, p->client);
  on_poll(p);
}

static void ptp4l_destroy(void *priv)
{
  struct ptp4l *p = priv;

  if (p->fd >= 0 && p->session.have_clock)
    subscribe(p, 0, 0); /* unsubscribe: ptp4l would otherwise push to a dead address */
  sched_timer_free(p->timer);
  sched_timer_free(p->stale_timer);
  if (p->fd >= 0 && p->client[0] == '/')
    unlink(p->client);
  close_socket(p);
  free(p->server);
  free(p->client);
  free(p);
}

static const struct conf_key ptp4l_keys[] = {
  {.name = "socket", .type = CONF_PATH, .def = "/var/run/ptp4l", .max = CONF_SOCKET_PATH_MAX},
  {.name = "client_address", .type = CONF_STRING, .max = CONF_SOCKET_PATH_MAX, .unique = true},
  {.name = "domain", .type = CONF_INT, .def = "0", .min = 0, .max = 255},
  {.name = "transport_specific", .type = CONF_INT, .def = "0", .min = 0, .max = 15},
  {.name = "poll_interval", .type = CONF_DOUBLE, .def = "0.25", .min = 0.01, .max = 10},
  {.name = "stale_syncs", .type = CONF_INT, .def = "3", .min = 1, .max = 1000},
  {.name = "subscribe_duration", .type = CONF_INT, .def = "60", .min = 10, .max = 65535},
  {0},
};

static void ptp4l_report(void *priv, struct tracker_report *r)
{
  const struct ptp4l *p = priv;

  report_copy(r->endpoint, sizeof(r->endpoint), p->server);
  report_int(&r->extras, "domain", p->domain);
  report_int(&r->extras, "transport_specific", p->transport_specific);
  report_string(&r->extras, "client_address", p->client);
  report_bool(&r->extras, "reachable", p->reachable);
  report_bool(&r->extras, "sync_pushed", p->sync_pushed);
  if (p->have_ports)
    report_int(&r->extras, "log_sync_interval", p->log_sync_interval);
}

const struct tracker_ops ptp4l_tracker_ops = {
  .conf = {.type = "ptp4l", .keys = ptp4l_keys, .check = ptp4l_check},
  .create = ptp4l_create,
  .start = ptp4l_start,
  .destroy = ptp4l_destroy,
  .report = ptp4l_report,
};
