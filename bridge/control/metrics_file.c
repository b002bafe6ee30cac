/* The metrics file for node_exporter's textfile collector: a snapshot rendered every interval,
   written to a temporary name in the same directory and renamed over refclock-bridge.prom, so
   the collector never reads half a file. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge/control/metrics_file.h"
#include "bridge/control/metrics_prom.h"
#include "bridge/control/snapshot.h"
#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/sched.h"
#include "bridge/core/util.h"

/* The collector reads *.prom only: the temporary name is never picked up. */
#define METRICS_FILE "refclock-bridge.prom"
#define METRICS_TMP ".refclock-bridge.prom.tmp"

static struct {
  char *dir, *path, *tmp;
  int64_t interval_ns;
  struct sched_periodic *timer;
  bool failing; /* an outage: logged when it begins and when it ends, retried every interval */
  int64_t failing_since_mono_ns;
} m;

static int write_all(int fd, const char *buf, size_t len)
{
  while (len > 0) {
    ssize_t n = write(fd, buf, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return -1;
    buf += n;
    len -= (size_t)n;
  }
  return 0;
}

/* Writes the file; on failure returns -1 with the reason in err. */
static int write_file(const char *text, size_t len, char *err, size_t err_len)
{
  int fd;

  /* A fresh inode every time (O_EXCL after unlink): nothing planted at the temporary name, a
     symbolic or a hard link, is ever followed or truncated. */
  if (unlink(m.tmp) < 0 && errno != ENOENT) {
    snprintf(err, err_len, "cannot remove %s: %s", m.tmp, strerror(errno));
    return -1;
  }
  fd = open(m.tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    snprintf(err, err_len, "cannot create %s: %s", m.tmp, strerror(errno));
    return -1;
  }
  /* node_exporter runs as another user: readable whatever the umask */
  if (fchmod(fd, 0644) < 0 || write_all(fd, text, len) < 0) {
    snprintf(err, err_len, "cannot write %s: %s", m.tmp, strerror(errno));
    close(fd);
    unlink(m.tmp);
    return -1;
  }
  if (close(fd) < 0) {
    snprintf(err, err_len, "cannot write %s: %s", m.tmp, strerror(errno));
    unlink(m.tmp);
    return -1;
  }
  if (rename(m.tmp, m.path) < 0) {
    snprintf(err, err_len, "cannot rename %s to %s: %s", m.tmp, m.path, strerror(errno));
    unlink(m.tmp);
    return -1;
  }
  return 0;
}

static void tick(void *arg, uint64_t periods)
{
  struct snapshot snap;
  char err[1024];
  size_t len;
  char *text;
  int64_t t0 = monotonic_ns();
  int r;

  (void)arg;
  (void)periods;
  snapshot_take(&snap);
  text = metrics_prom_render(&snap, &len);
  snapshot_free(&snap);
  r = write_file(text, len, err, sizeof(err));
  free(text);
  log_debug("metrics: %zu bytes in %lld us", len, (long long)(monotonic_ns() - t0) / 1000);
  if (r < 0 && !m.failing) {
    m.failing = true;
    m.failing_since_mono_ns = monotonic_ns();
    log_warn("metrics: %s; retrying every %.0f s", err, (double)m.interval_ns / 1e9);
  } else if (r == 0 && m.failing) {
    m.failing = false;
    log_notice("metrics: writing %s again after %.1f s", m.path,
               (double)(monotonic_ns() - m.failing_since_mono_ns) / 1e9);
  }
}

/* Stops writing and removes the file: metrics of a bridge that no longer writes them must not
   look current. */
static void stop(void)
{
  sched_periodic_free(m.timer);
  m.timer = NULL;
  if (m.path) {
    if (unlink(m.path) < 0 && errno != ENOENT)
      log_debug("metrics: cannot remove %s: %s", m.path, strerror(errno));
    unlink(m.tmp);
  }
  free(m.dir);
  free(m.path);
  free(m.tmp);
  m.dir = m.path = m.tmp = NULL;
  m.failing = false;
}

void metrics_file_apply(const char *dir, int64_t interval_ns)
{
  bool same_dir = dir && m.dir && strcmp(dir, m.dir) == 0;

  if (!same_dir) {
    if (m.path && !dir)
      log_info("metrics: off; %s removed", m.path);
    stop();
    if (!dir)
      return;
    m.dir = xstrdup(dir);
    m.path = xasprintf("%s/%s", dir, METRICS_FILE);
    m.tmp = xasprintf("%s/%s", dir, METRICS_TMP);
  }
  if (!same_dir || interval_ns != m.interval_ns)
    log_info("metrics: writing %s every %.3g s", m.path, (double)interval_ns / 1e9);
  m.interval_ns = interval_ns;
  /* The first write at once, in the next loop iteration: after the instances this
     configuration adds have been started. */
  sched_periodic_free(m.timer);
  m.timer = sched_periodic_new(monotonic_ns(), interval_ns, tick, NULL);
}

void metrics_file_fini(void)
{
  stop();
}
