/* The hook: a program run without a shell on every toggle, with the old and new state and the
   reason in its environment, killed if it outlives hook_timeout. A failure is logged and counted,
   not retried: a hook that fails once would most likely fail again. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bridge/control/fallback_action.h"
#include "bridge/core/conf.h"
#include "bridge/core/memory.h"
#include "bridge/core/sched.h"
#include "bridge/core/util.h"

extern char **environ;

#define HOOK_ARGS_MAX 32

struct hook {
  char *command; /* as configured, for the status model */
  char *words;   /* argv points into it */
  char *argv[HOOK_ARGS_MAX + 1];
  int64_t timeout_ns;
  char *fallback;
  pid_t pid;
  bool timed_out;
  sd_event_source *child;
  struct sched_timer *timer;
  fallback_done_fn done;
  void *ctx;
};

/* Splits on blanks: no quoting, since nothing is run through a shell. */
static size_t split_words(char *words, char **argv)
{
  size_t n = 0;

  for (char *p = strtok(words, " \t"); p && n < HOOK_ARGS_MAX; p = strtok(NULL, " \t"))
    argv[n++] = p;
  argv[n] = NULL;
  return n;
}

static bool hook_check(const struct conf_section *s)
{
  char *words, *argv[HOOK_ARGS_MAX + 1];
  struct stat st;
  size_t n;
  bool ok = true;

  if (!conf_is_set(s, "hook"))
    return true;
  words = xstrdup(conf_str(s, "hook"));
  n = split_words(words, argv);
  if (n == 0) {
    conf_fail(s, "hook", "is empty");
    ok = false;
  } else if (argv[0][0] != '/') {
    conf_fail(s, "hook", "'%s' is not an absolute path (no shell runs the hook)", argv[0]);
    ok = false;
  } else if (stat(argv[0], &st) != 0 || !S_ISREG(st.st_mode) || access(argv[0], X_OK) != 0) {
    conf_fail(s, "hook", "'%s' is not an executable file", argv[0]);
    ok = false;
  } else if (strtok(NULL, " \t")) {
    conf_fail(s, "hook", "more than %d arguments", HOOK_ARGS_MAX - 1);
    ok = false;
  }
  free(words);
  return ok;
}

static void *hook_create(const struct conf_section *s, const char *fallback)
{
  struct hook *h;

  if (!conf_is_set(s, "hook"))
    return NULL;
  h = xnew(struct hook);
  h->command = xstrdup(conf_str(s, "hook"));
  h->words = xstrdup(h->command);
  split_words(h->words, h->argv);
  h->timeout_ns = round_to_ns(conf_double(s, "hook_timeout"));
  h->fallback = xstrdup(fallback);
  h->pid = -1;
  return h;
}

static void finish(struct hook *h, bool ok, const char *err)
{
  fallback_done_fn done = h->done;

  sched_timer_stop(h->timer);
  h->child = sd_event_source_unref(h->child);
  h->pid = -1;
  h->done = NULL;
  if (done)
    done(h->ctx, ok, err);
}

static int hook_exited(sd_event_source *s, const siginfo_t *si, void *arg)
{
  struct hook *h = arg;
  char err[256];

  (void)s;
  if (h->timed_out)
    snprintf(err, sizeof(err), "hook %s killed after %.3g s", h->argv[0],
             (double)h->timeout_ns / 1e9);
  else if (si->si_code == CLD_EXITED && si->si_status == 0)
    return finish(h, true, NULL), 0;
  else if (si->si_code == CLD_EXITED)
    snprintf(err, sizeof(err), "hook %s exited with status %d", h->argv[0], si->si_status);
  else
    snprintf(err, sizeof(err), "hook %s killed by %s", h->argv[0], strsignal(si->si_status));
  finish(h, false, err);
  return 0;
}

static void on_timeout(void *arg)
{
  struct hook *h = arg;

  if (h->pid > 0) {
    h->timed_out = true;
    kill(-h->pid, SIGKILL);
  }
}

static char **hook_environment(const struct hook *h, const struct fallback_change *ch)
{
  size_t n = 0, i = 0;
  char **env;

  while (environ[n])
    n++;
  env = xnew_array(char *, n + 5);
  for (size_t k = 0; k < n; k++)
    if (strncmp(environ[k], "REFCLOCK_BRIDGE_FALLBACK_", 25) != 0)
      env[i++] = xstrdup(environ[k]);
  env[i++] = xasprintf("REFCLOCK_BRIDGE_FALLBACK_NAME=%s", h->fallback);
  env[i++] = xasprintf("REFCLOCK_BRIDGE_FALLBACK_OLD=%s", fallback_mode_name(ch->from));
  env[i++] = xasprintf("REFCLOCK_BRIDGE_FALLBACK_NEW=%s", fallback_mode_name(ch->to));
  env[i++] = xasprintf("REFCLOCK_BRIDGE_FALLBACK_REASON=%s", ch->reason);
  env[i] = NULL;
  return env;
}

static void hook_apply(void *priv, const struct fallback_change *ch, fallback_done_fn done,
                       void *ctx)
{
  struct hook *h = priv;
  posix_spawnattr_t attr;
  sigset_t none, all;
  char **env, err[256];
  int r;

  if (!h->timer)
    h->timer = sched_timer_new(on_timeout, h);
  h->done = done;
  h->ctx = ctx;
  h->timed_out = false;
  /* The daemon blocks the signals it takes through the event loop: the hook gets none of that. */
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  /* Its own process group, so that a timeout ends whatever it started too. */
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
  env = hook_environment(h, ch);
  r = posix_spawn(&h->pid, h->argv[0], NULL, &attr, h->argv, env);
  posix_spawnattr_destroy(&attr);
  for (char **e = env; *e; e++)
    free(*e);
  free(env);
  if (r != 0) {
    h->pid = -1;
    snprintf(err, sizeof(err), "cannot run hook %s: %s", h->argv[0], strerror(r));
    finish(h, false, err);
    return;
  }
  r = sd_event_add_child(sched_event(), &h->child, h->pid, WEXITED, hook_exited, h);
  if (r < 0) {
    kill(h->pid, SIGKILL);
    waitpid(h->pid, NULL, 0);
    snprintf(err, sizeof(err), "cannot watch hook %s: %s", h->argv[0], strerror(-r));
    finish(h, false, err);
    return;
  }
  sched_timer_after(h->timer, h->timeout_ns);
}

static void hook_target(void *priv, char *buf, size_t len)
{
  snprintf(buf, len, "%s", ((struct hook *)priv)->command);
}

static void hook_destroy(void *priv)
{
  struct hook *h = priv;

  /* A hook still running is not waited for by anyone else: end it here. */
  if (h->pid > 0) {
    kill(-h->pid, SIGKILL);
    waitpid(h->pid, NULL, 0);
  }
  sd_event_source_unref(h->child);
  if (h->timer)
    sched_timer_free(h->timer);
  free(h->fallback);
  free(h->words);
  free(h->command);
  free(h);
}

const struct fallback_action_ops fallback_hook_ops = {
  .kind = "hook",
  .create = hook_create,
  .check = hook_check,
  .apply = hook_apply,
  .target = hook_target,
  .destroy = hook_destroy,
  .retried = false,
};
