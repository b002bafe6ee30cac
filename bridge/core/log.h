/* Logging: stderr in the foreground, the journal otherwise; rate limits for per-sample paths. */
#ifndef RB_LOG_H
#define RB_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* Levels are syslog priorities (LOG_ERR .. LOG_DEBUG). */
void log_init(bool to_stderr, int max_level);
void log_set_level(int max_level);
/* Returns the priority for "error", "warning", "notice", "info", "debug", or -1. */
int log_level_from_name(const char *name);
/* Inline: per-sample paths ask before formatting a debug line. */
extern int log_max_level;
static inline bool log_enabled(int prio)
{
  return prio <= log_max_level;
}

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                              \
  do {                                                                                              \
    if (log_enabled(LOG_DEBUG))                                                                     \
      log_msg(LOG_DEBUG, __VA_ARGS__);                                                              \
  } while (0)

/* Per call-site limiter: a burst of messages per window, then one summary of what was dropped. */
struct log_ratelimit {
  uint64_t window_start_ns;
  unsigned emitted;
  unsigned suppressed;
};

#define LOG_RL_BURST 5
#define LOG_RL_WINDOW_NS (60ULL * 1000000000ULL)

void log_rl(struct log_ratelimit *rl, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Lines dropped by every limiter since start. */
uint64_t log_suppressed_total(void);
/* Starts a new window now (reporting what was suppressed): for when the news changes. */
void log_rl_restart(struct log_ratelimit *rl, int prio);

#endif
