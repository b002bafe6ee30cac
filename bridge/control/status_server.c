/* The status socket. Every client gets a snapshot rendered once (a piece per turn of the
   loop, shared with the clients that connect within 0.1 s), written with non-blocking writes
   as the socket drains, under a deadline and a cap on clients served at once. Nothing a client
   sends is read: its input is not even watched. */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bridge/control/snapshot.h"
#include "bridge/control/status_json.h"
#include "bridge/control/status_server.h"
#include "bridge/core/health.h"
#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/sched.h"
#include "bridge/core/util.h"

/* The send buffer of each client's socket. A client that stops reading pins at most about
   twice this in the kernel (Linux doubles it) instead of the 208 KiB default, so 16 of them
   cost little; the document goes out in a few writable events instead of one. */
#define CLIENT_SNDBUF 2048
#define RETRY_MIN_NS (1 * NS_PER_SEC)
#define RETRY_MAX_NS (30 * NS_PER_SEC)
/* Out of fds: accepting again at once would spin on the pending connection. */
#define ACCEPT_PAUSE_NS (100 * 1000000LL)

/* Clients that connect within this long of a snapshot share it and its rendering: a burst of
   clients costs one snapshot, not one each. */
#define SHARE_NS (100 * 1000000LL)

/* A snapshot and its document, rendered a piece per writable event of a client that waits
   for it (a new connection's socket is writable at once: each turn of the loop renders one
   piece, with no timer to re-arm). Shared by the clients that connect while it is fresh. */
struct doc {
  unsigned refs;
  int64_t taken_mono_ns;
  struct snapshot snap;
  char **names; /* the snapshot's instance names, copied: a reload may free them meanwhile */
  size_t n_names;
  struct status_text render;
  bool rendered;
};

/* Clients are listed oldest first, so their deadlines come in order: one timer serves all. */
struct client {
  struct client *prev, *next;
  int fd;
  struct doc *doc;
  size_t off; /* bytes of the document sent */
  struct sched_fd *watch;
  int64_t deadline_ns; /* CLOCK_MONOTONIC */
};

static struct {
  char *path, *group;
  int fd; /* listening, or -1 */
  struct sched_fd *watch;
  struct sched_timer *retry; /* binding again, or accepting again after a pause */
  struct health health;
  bool have_id; /* the socket file we bound: removed at the end only if it is still ours */
  dev_t dev;
  ino_t ino;
  struct client *oldest, *newest;
  size_t n_clients;
  struct sched_timer *deadline; /* of the oldest client, or later */
  struct doc *fresh; /* the latest document, while clients may still share it */
  uint64_t refused, dropped;
  struct log_ratelimit rl_accept, rl_refused, rl_slow, rl_write, rl_render;
} srv = {.fd = -1};

static void start(void);

/* ==== clients */

static void forget_snapshot(struct doc *d)
{
  snapshot_free(&d->snap);
  for (size_t i = 0; i < d->n_names; i++)
    free(d->names[i]);
  free(d->names);
  d->names = NULL;
  d->n_names = 0;
}

static void doc_unref(struct doc *d)
{
  if (!d || --d->refs)
    return;
  forget_snapshot(d);
  free(d->render.text);
  free(d);
}

static char *own(struct doc *d, const char *name)
{
  return d->names[d->n_names++] = xstrdup(name ? name : "");
}

static struct doc *doc_new(void)
{
  struct doc *d = xnew(struct doc);
  struct snapshot *s = &d->snap;

  d->taken_mono_ns = monotonic_ns();
  snapshot_take(s);
  d->names = xnew_array(char *, s->n_sources + s->n_outputs + s->n_trackers + 1);
  for (size_t i = 0; i < s->n_sources; i++)
    s->sources[i].name = own(d, s->sources[i].name);
  for (size_t i = 0; i < s->n_outputs; i++)
    s->outputs[i].name = own(d, s->outputs[i].name);
  for (size_t i = 0; i < s->n_trackers; i++)
    s->trackers[i].name = own(d, s->trackers[i].name);
  status_text_start(&d->render, s, (long)getpid());
  return d;
}

/* The fresh document, or a new one. The caller gets a reference. */
static struct doc *doc_get(void)
{
  if (!srv.fresh || monotonic_ns() - srv.fresh->taken_mono_ns >= SHARE_NS) {
    doc_unref(srv.fresh);
    srv.fresh = doc_new();
    srv.fresh->refs = 1;
  }
  srv.fresh->refs++;
  return srv.fresh;
}

/* One more piece; true once the document is finished (or failed: render.text NULL). */
static bool doc_step(struct doc *d)
{
  if (!d->rendered && status_text_step(&d->render)) {
    d->rendered = true;
    forget_snapshot(d);
    if (!d->render.text)
      log_rl(&srv.rl_render, LOG_ERR, "status socket: cannot render the status document");
  }
  return d->rendered;
}

static void client_end(struct client *c, bool complete)
{
  *(c->prev ? &c->prev->next : &srv.oldest) = c->next;
  *(c->next ? &c->next->prev : &srv.newest) = c->prev;
  srv.n_clients--;
  if (complete)
    shutdown(c->fd, SHUT_WR);
  close(c->fd);
  sched_fd_free(c->watch);
  doc_unref(c->doc);
  free(c);
}

/* Writes what the socket takes. Returns true when the client is finished with (the whole
   document sent, or the client gone). */
static bool client_write(struct client *c)
{
  const char *doc = c->doc->render.text;
  size_t len = c->doc->render.len;

  while (c->off < len) {
    ssize_t n = send(c->fd, doc + c->off, len - c->off, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c->off += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return false;
    } else {
      /* EPIPE, ECONNRESET: the client left early, which is its right */
      if (errno != EPIPE && errno != ECONNRESET)
        log_rl(&srv.rl_write, LOG_WARNING, "status socket: writing to a client: %s",
               strerror(errno));
      client_end(c, false);
      return true;
    }
  }
  client_end(c, true);
  return true;
}

static void on_writable(void *arg, uint32_t revents)
{
  struct client *c = arg;

  (void)revents; /* an error or hang-up shows up as the write's errno */
  if (!doc_step(c->doc))
    return;
  if (!c->doc->render.text)
    client_end(c, false);
  else
    client_write(c);
}

/* Drops the clients whose time is up; the timer then waits for the next oldest. A client that
   finished early leaves the timer armed for its deadline: one idle wake-up. */
static void on_deadline(void *arg)
{
  int64_t now = monotonic_ns();

  (void)arg;
  while (srv.oldest && srv.oldest->deadline_ns <= now) {
    struct client *c = srv.oldest;
    srv.dropped++;
    log_rl(&srv.rl_slow, LOG_NOTICE,
           "status socket: dropped a client that took %zu of %zu bytes in %lld s (%llu so far)",
           c->off, c->doc->render.len, STATUS_WRITE_DEADLINE_NS / NS_PER_SEC,
           (unsigned long long)srv.dropped);
    client_end(c, false);
  }
  if (srv.oldest)
    sched_timer_at(srv.deadline, srv.oldest->deadline_ns);
}

static void serve(int fd)
{
  struct client *c = xnew(struct client);
  int sndbuf = CLIENT_SNDBUF;

  c->fd = fd;
  c->deadline_ns = monotonic_ns() + STATUS_WRITE_DEADLINE_NS;
  c->prev = srv.newest;
  *(srv.newest ? &srv.newest->next : &srv.oldest) = c;
  srv.newest = c;
  srv.n_clients++;
  if (!srv.deadline)
    srv.deadline = sched_timer_new(on_deadline, NULL);
  if (srv.oldest == c)
    sched_timer_at(srv.deadline, c->deadline_ns);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
  c->doc = doc_get();
  c->watch = sched_fd_new(fd, EPOLLOUT, on_writable, c);
}

/* ==== the listening socket */

/* One connection per wake-up: a burst of clients is served between the other events of the
   loop (the listening socket stays readable), never in one long callback. */
static void on_accept(void *arg, uint32_t revents)
{
  int fd;

  (void)arg;
  (void)revents;
  fd = accept4(srv.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED)
      return;
    log_rl(&srv.rl_accept, LOG_WARNING, "status socket: accept: %s", strerror(errno));
    if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
      sched_fd_free(srv.watch);
      srv.watch = NULL;
      sched_timer_after(srv.retry, ACCEPT_PAUSE_NS);
    }
    return;
  }
  if (srv.n_clients >= STATUS_MAX_CLIENTS) {
    srv.refused++;
    log_rl(&srv.rl_refused, LOG_NOTICE,
           "status socket: %d clients are being served; closed another at once (%llu so far)",
           STATUS_MAX_CLIENTS, (unsigned long long)srv.refused);
    close(fd);
    return;
  }
  serve(fd);
}

static void close_listener(void)
{
  struct stat st;

  sched_fd_free(srv.watch);
  srv.watch = NULL;
  if (srv.retry)
    sched_timer_stop(srv.retry);
  if (srv.fd >= 0)
    close(srv.fd);
  srv.fd = -1;
  /* Another process may have replaced the file since (a second daemon, a cleanup). */
  if (srv.have_id && lstat(srv.path, &st) == 0 && st.st_dev == srv.dev && st.st_ino == srv.ino)
    unlink(srv.path);
  srv.have_id = false;
}

/* Logged once per outage (health.h), then binding is tried again with backoff. */
static void retry_later(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void retry_later(const char *fmt, ...)
{
  char why[REPORT_TEXT_MAX];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(why, sizeof(why), fmt, ap);
  va_end(ap);
  sched_timer_after(srv.retry, health_down(&srv.health, "%s", why));
}

/* The directory of the socket, one level, as systemd's RuntimeDirectory= would. */
static void make_parent(void)
{
  char *dir = xstrdup(srv.path), *slash = strrchr(dir, '/');

  if (slash && slash != dir) {
    *slash = '\0';
    if (mkdir(dir, 0755) == 0)
      chmod(dir, 0755); /* whatever the umask */
  }
  free(dir);
}

enum probe { PROBE_STALE, PROBE_BUSY, PROBE_GONE, PROBE_ERROR };

/* Is something serving the existing socket file? Non-blocking: a listener with a full backlog
   answers EAGAIN, which is as alive as an accepted connection. */
static enum probe probe(const struct sockaddr_un *addr, int *err)
{
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  enum probe r;

  if (fd < 0) {
    *err = errno;
    return PROBE_ERROR;
  }
  if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 || errno == EAGAIN ||
      errno == EINPROGRESS)
    r = PROBE_BUSY;
  else if (errno == ECONNREFUSED)
    r = PROBE_STALE;
  else if (errno == ENOENT)
    r = PROBE_GONE;
  else
    r = PROBE_ERROR;
  *err = errno;
  close(fd);
  return r;
}

/* Group ownership is best effort: the socket still works for its owner. */
static void set_group(void)
{
  struct group *g;

  if (!srv.group)
    return;
  errno = 0;
  g = getgrnam(srv.group);
  if (!g) {
    log_warn("status socket: unknown group %s%s%s; keeping the default group", srv.group,
             errno ? ": " : "", errno ? strerror(errno) : "");
    return;
  }
  if (chown(srv.path, (uid_t)-1, g->gr_gid) < 0)
    log_warn("status socket: cannot give %s to group %s: %s", srv.path, srv.group,
             strerror(errno));
}

static bool bind_once(int fd, const struct sockaddr_un *addr)
{
  struct stat st;
  int err;

  if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
    return true;
  if (errno != EADDRINUSE) {
    retry_later("cannot bind %s: %s", srv.path, strerror(errno));
    return false;
  }
  if (lstat(srv.path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
    retry_later("%s exists and is not a socket", srv.path);
    return false;
  }
  switch (probe(addr, &err)) {
  case PROBE_BUSY:
    retry_later("%s is served by another process", srv.path);
    return false;
  case PROBE_ERROR:
    retry_later("cannot tell whether %s is in use: %s", srv.path, strerror(err));
    return false;
  case PROBE_STALE:
    log_info("status socket: removing the stale %s", srv.path);
    if (unlink(srv.path) < 0 && errno != ENOENT) {
      retry_later("cannot remove the stale %s: %s", srv.path, strerror(errno));
      return false;
    }
    break;
  case PROBE_GONE:
    break;
  }
  if (bind(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
    return true;
  retry_later("cannot bind %s: %s", srv.path, strerror(errno));
  return false;
}

static void start(void)
{
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  struct stat st;
  int fd;

  if (strlen(srv.path) >= sizeof(addr.sun_path)) {
    log_err("status socket: %s is too long for a socket address", srv.path);
    return;
  }
  memcpy(addr.sun_path, srv.path, strlen(srv.path) + 1);
  make_parent();
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    retry_later("cannot create a socket for %s: %s", srv.path, strerror(errno));
    return;
  }
  if (!bind_once(fd, &addr)) {
    close(fd);
    return;
  }
  /* Mode and group before listen(): until then, a connection is refused. */
  if (chmod(srv.path, 0660) < 0)
    log_warn("status socket: cannot set the mode of %s: %s", srv.path, strerror(errno));
  set_group();
  srv.have_id = lstat(srv.path, &st) == 0;
  if (srv.have_id) {
    srv.dev = st.st_dev;
    srv.ino = st.st_ino;
  }
  if (listen(fd, SOMAXCONN) < 0) {
    srv.fd = fd;
    close_listener();
    retry_later("cannot listen on %s: %s", srv.path, strerror(errno));
    return;
  }
  srv.fd = fd;
  srv.watch = sched_fd_new(fd, EPOLLIN, on_accept, NULL);
  if (!health_up(&srv.health, "serving %s", srv.path))
    log_info("status socket: serving %s", srv.path);
}

static void on_retry(void *arg)
{
  (void)arg;
  if (srv.fd < 0)
    start();
  else if (!srv.watch)
    srv.watch = sched_fd_new(srv.fd, EPOLLIN, on_accept, NULL);
}

static bool same(const char *a, const char *b)
{
  return a == b || (a && b && strcmp(a, b) == 0);
}

void status_server_apply(const char *path, const char *group)
{
  if (path && !*path)
    path = NULL;
  if (srv.path && same(path, srv.path) && same(group, srv.group))
    return;
  close_listener();
  free(srv.path);
  free(srv.group);
  srv.path = path ? xstrdup(path) : NULL;
  srv.group = group ? xstrdup(group) : NULL;
  if (!srv.path)
    return;
  if (!srv.retry)
    srv.retry = sched_timer_new(on_retry, NULL);
  health_init(&srv.health, "status", "socket", RETRY_MIN_NS, RETRY_MAX_NS);
  start();
}

void status_server_fini(void)
{
  while (srv.oldest)
    client_end(srv.oldest, false);
  sched_timer_free(srv.deadline);
  srv.deadline = NULL;
  doc_unref(srv.fresh);
  srv.fresh = NULL;
  if (srv.path)
    close_listener();
  sched_timer_free(srv.retry);
  free(srv.path);
  free(srv.group);
  srv.path = srv.group = NULL;
  srv.retry = NULL;
}
