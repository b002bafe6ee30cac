/* chrony SOCK output (and ntpd-rs "sock"): datagrams to a socket that the time daemon owns.
   The daemon binds the path; we connect, and reconnect whenever it restarts. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/output_driver.h"
#include "bridge/core/sched.h"
#include "sock/sock_sample.h"
#include "bridge/core/util.h"

/* Reconnecting to a Unix socket is cheap; retry often so a restarted daemon gets samples
   within a second. */
#define RECONNECT_NS (NS_PER_SEC / 2)

struct sock_out {
  struct output *out;
  char *path;
  int fd;
  bool connected;
  struct sched_timer *retry;
  struct log_ratelimit rl_send;
};

/* The offset chronyd takes from a sample: it rebuilds the reference time as tv + offset by
   adding 1e9 * (the offset's fraction) to tv's nanoseconds in double arithmetic and truncating
   the sum to whole nanoseconds, then subtracts tv. */
static long long chrony_offset_ns(long usec, double offset)
{
  long long whole = (long long)offset, start = (long long)usec * 1000;
  return whole * NS_PER_SEC + (long long)((double)start + 1e9 * (offset - (double)whole)) - start;
}

/* The next double up or down from a non-zero x. */
static double next_double(double x, bool up)
{
  uint64_t bits;
  memcpy(&bits, &x, sizeof(bits));
  bits = (x > 0) == up ? bits + 1 : bits - 1;
  memcpy(&x, &bits, sizeof(bits));
  return x;
}

void sock_sample_fill(struct sock_sample *s, long long sys_ns, long long ref_ns, int leap)
{
  struct timespec sys = ns_to_ts(sys_ns);
  long long want = ref_ns - sys_ns, got;
  double offset;

  memset(s, 0, sizeof(*s));
  s->tv.tv_sec = sys.tv_sec;
  s->tv.tv_usec = sys.tv_nsec / 1000;
  /* The offset holds at the truncated tv too (true time advances with system time), so the
     measured nanoseconds go whole into offset: an exact integer difference, then one
     correctly rounded division. chronyd's truncation can still land that a nanosecond off
     (for about half of all offsets over a second); then the double next to it is sent, which
     chronyd reads exactly and which is within 1e-15 relative of the true value for others. */
  offset = (double)want / 1e9;
  got = chrony_offset_ns(s->tv.tv_usec, offset);
  for (int i = 0; got != want && i < 4 && offset != 0; i++) {
    offset = next_double(offset, got < want);
    got = chrony_offset_ns(s->tv.tv_usec, offset);
  }
  if (got != want)
    offset = (double)want / 1e9; /* never seen: keep the correctly rounded value */
  s->offset = offset;
  s->pulse = 0;
  s->leap = leap;
  s->magic = SOCK_SAMPLE_MAGIC;
}

static void try_connect(void *arg);

static void *sock_create(struct output *out, const struct conf_section *s)
{
  struct sock_out *so = xnew(struct sock_out);

  so->out = out;
  so->path = xstrdup(conf_str(s, "path"));
  so->fd = -1;
  so->retry = sched_timer_new(try_connect, so);
  health_set_retry(output_health(out), RECONNECT_NS, RECONNECT_NS);
  return so;
}

/* The reason for an outage. On EACCES: who owns the socket and what to change, since chronyd
   creates it root-owned. */
static void describe(struct sock_out *so, int err, char *buf, size_t len)
{
  struct stat st;
  struct passwd *pw;
  struct group *gr;
  char owner[64], group[64];

  if (err != EACCES) {
    snprintf(buf, len, "cannot send to %s: %s (is the time daemon running?)", so->path,
             strerror(err));
    return;
  }
  if (stat(so->path, &st) < 0) {
    snprintf(buf, len, "permission denied on %s: %s", so->path, strerror(errno));
    return;
  }
  pw = getpwuid(st.st_uid);
  gr = getgrgid(st.st_gid);
  snprintf(owner, sizeof(owner), "%s", pw ? pw->pw_name : "?");
  snprintf(group, sizeof(group), "%s", gr ? gr->gr_name : "?");
  snprintf(buf, len,
           "permission denied sending to %s (owner %s:%s, mode %04o; the bridge runs as uid "
           "%u): let the bridge's user write to the socket (group-writable for a group the "
           "bridge is in, or a directory the bridge's user owns)",
           so->path, owner, group, (unsigned)(st.st_mode & 07777), (unsigned)getuid());
}

static void begin_outage(struct sock_out *so, int err)
{
  char why[512];

  if (so->fd >= 0)
    close(so->fd);
  so->fd = -1;
  so->connected = false;
  output_set_connected(so->out, false);
  describe(so, err, why, sizeof(why));
  health_down(output_health(so->out), "%s", why);
  sched_timer_after(so->retry, RECONNECT_NS);
}

static bool connect_now(struct sock_out *so)
{
  struct sockaddr_un sa = {.sun_family = AF_UNIX};

  if (so->fd < 0) {
    so->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (so->fd < 0) {
      begin_outage(so, errno);
      return false;
    }
  }
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", so->path);
  if (connect(so->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
    begin_outage(so, errno);
    return false;
  }
  so->connected = true;
  output_set_connected(so->out, true);
  if (!health_up(output_health(so->out), "connected to %s", so->path))
    log_info("output %s: connected to %s", output_name(so->out), so->path);
  return true;
}

static void try_connect(void *arg)
{
  connect_now(arg);
}

static void sock_start(void *priv)
{
  connect_now(priv);
}

static bool peer_gone(int err)
{
  return err == ECONNREFUSED || err == ENOENT || err == ENOTCONN || err == EDESTADDRREQ ||
         err == ECONNRESET || err == EPIPE;
}

static void sock_send(void *priv, const struct rb_sample *sample)
{
  struct sock_out *so = priv;
  struct sock_sample s;

  if (!so->connected) {
    output_count_dropped(so->out);
    return;
  }
  sock_sample_fill(&s, sample->sys_ns, sample->ref_ns, (int)sample->leap);
  for (int attempt = 0; attempt < 2; attempt++) {
    if (send(so->fd, &s, sizeof(s), MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof(s)) {
      output_count_sent(so->out);
      return;
    }
    if (errno == EAGAIN || errno == ENOBUFS) {
      health_error(output_health(so->out), "%s is not reading; sample dropped", so->path);
      log_rl(&so->rl_send, LOG_WARNING, "output %s: %s is not reading; sample dropped",
             output_name(so->out), so->path);
      break;
    }
    if (!peer_gone(errno) || attempt > 0) {
      int err = errno;
      health_error(output_health(so->out), "send to %s: %s", so->path, strerror(err));
      log_rl(&so->rl_send, LOG_WARNING, "output %s: send to %s: %s", output_name(so->out),
             so->path, strerror(err));
      if (peer_gone(err))
        begin_outage(so, err);
      break;
    }
    /* The daemon restarted and bound a new socket: reconnect at once and send this sample. */
    close(so->fd);
    so->fd = -1;
    so->connected = false;
    output_set_connected(so->out, false);
    if (!connect_now(so))
      break;
  }
  output_count_dropped(so->out);
}

/* SOCK has no "unsynchronised" code: a source that is not valid simply stops sending. */
static void sock_invalidate(void *priv, const struct rb_sample *last)
{
  (void)priv;
  (void)last;
}

static void sock_destroy(void *priv)
{
  struct sock_out *so = priv;

  sched_timer_free(so->retry);
  if (so->fd >= 0)
    close(so->fd);
  free(so->path);
  free(so);
}

static const struct conf_key sock_keys[] = {
  {.name = "path", .type = CONF_PATH, .required = true, .max = CONF_SOCKET_PATH_MAX, .unique = true},
  {0},
};

static void sock_report(void *priv, struct output_report *r)
{
  const struct sock_out *so = priv;
  report_copy(r->target, sizeof(r->target), so->path);
}

const struct output_ops sock_output_ops = {
  .conf = {.type = "sock", .keys = sock_keys},
  .create = sock_create,
  .start = sock_start,
  .send = sock_send,
  .invalidate = sock_invalidate,
  .destroy = sock_destroy,
  .report = sock_report,
};
