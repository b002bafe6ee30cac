/* The marker file: present while PTP owns the clock, absent in fallback, so that a chronyd
   drop-in with ConditionPathExists=!PATH keeps chronyd from starting while PTP is good. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge/control/fallback_action.h"
#include "bridge/core/memory.h"

struct marker {
  char *path;
};

static void *marker_create(const struct conf_section *s, const char *fallback)
{
  struct marker *m;

  (void)fallback;
  if (!conf_is_set(s, "marker"))
    return NULL;
  m = xnew(struct marker);
  m->path = xstrdup(conf_str(s, "marker"));
  return m;
}

/* Written beside the marker and renamed over it, so it never exists half-written. */
static int create_marker(const char *path, const char *reason, char *err, size_t len)
{
  char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
  char text[384];
  int fd, n;

  n = snprintf(text, sizeof(text), "refclock-bridge: PTP owns the clock since %lld: %s\n",
               (long long)time(NULL), reason);
  fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 || write(fd, text, (size_t)n) != n || fsync(fd) != 0) {
    snprintf(err, len, "cannot write %s: %s", tmp, strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    free(tmp);
    return -1;
  }
  close(fd);
  if (rename(tmp, path) != 0) {
    snprintf(err, len, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return -1;
  }
  free(tmp);
  return 0;
}

static void marker_apply(void *priv, const struct fallback_change *ch, fallback_done_fn done,
                         void *ctx)
{
  struct marker *m = priv;
  char err[512];

  if (ch->to == FALLBACK_PTP) {
    if (create_marker(m->path, ch->reason, err, sizeof(err)) != 0) {
      done(ctx, false, err);
      return;
    }
  } else if (unlink(m->path) != 0 && errno != ENOENT) {
    snprintf(err, sizeof(err), "cannot remove %s: %s", m->path, strerror(errno));
    done(ctx, false, err);
    return;
  }
  done(ctx, true, NULL);
}

static void marker_target(void *priv, char *buf, size_t len)
{
  snprintf(buf, len, "%s", ((struct marker *)priv)->path);
}

static void marker_destroy(void *priv)
{
  struct marker *m = priv;

  free(m->path);
  free(m);
}

const struct fallback_action_ops fallback_marker_ops = {
  .kind = "marker",
  .create = marker_create,
  .apply = marker_apply,
  .target = marker_target,
  .destroy = marker_destroy,
  .retried = true,
};
