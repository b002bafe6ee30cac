/* Logging: stderr in the foreground, the journal otherwise. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <systemd/sd-journal.h>

#include "bridge/core/log.h"

static uint64_t suppressed_total;

uint64_t log_suppressed_total(void)
{
  return suppressed_total;
}

static bool use_stderr = true;
int log_max_level = LOG_INFO;

static const char *const level_names[] = {
  [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",   [LOG_ERR] = "error",
  [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_init(bool to_stderr, int max_level)
{
  use_stderr = to_stderr;
  log_max_level = max_level;
}

void log_set_level(int max_level)
{
  log_max_level = max_level;
}

int log_level_from_name(const char *name)
{
  for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
    if (strcasecmp(name, level_names[i]) == 0)
      return i;
  return -1;
}

static void emit(int prio, const char *fmt, va_list ap)
{
  char buf[1024];

  vsnprintf(buf, sizeof(buf), fmt, ap);
  if (use_stderr) {
    struct timespec ts;
    struct tm tm;
    char when[32];

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %s: %s\n", when, ts.tv_nsec / 1000000, level_names[prio], buf);
  } else {
    sd_journal_print(prio, "%s", buf);
  }
}

void log_msg(int prio, const char *fmt, ...)
{
  va_list ap;

  if (!log_enabled(prio))
    return;
  va_start(ap, fmt);
  emit(prio, fmt, ap);
  va_end(ap);
}

void log_rl(struct log_ratelimit *rl, int prio, const char *fmt, ...)
{
  struct timespec ts;
  uint64_t now;
  va_list ap;

  if (!log_enabled(prio))
    return;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  now = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
  if (rl->window_start_ns == 0 || now - rl->window_start_ns >= LOG_RL_WINDOW_NS) {
    if (rl->suppressed)
      log_msg(prio, "(%u similar messages suppressed)", rl->suppressed);
    rl->window_start_ns = now;
    rl->emitted = 0;
    rl->suppressed = 0;
  }
  if (rl->emitted >= LOG_RL_BURST) {
    rl->suppressed++;
    suppressed_total++;
    return;
  }
  rl->emitted++;
  va_start(ap, fmt);
  emit(prio, fmt, ap);
  va_end(ap);
}

void log_rl_restart(struct log_ratelimit *rl, int prio)
{
  if (rl->suppressed)
    log_msg(prio, "(%u similar messages suppressed)", rl->suppressed);
  rl->window_start_ns = 0;
  rl->emitted = 0;
  rl->suppressed = 0;
}
