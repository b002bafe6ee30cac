/* Time arithmetic in integer nanoseconds, and small helpers shared by modules. */
#ifndef RB_UTIL_H
#define RB_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define NS_PER_SEC 1000000000LL

static inline int64_t ts_to_ns(const struct timespec *ts)
{
  return (int64_t)ts->tv_sec * NS_PER_SEC + ts->tv_nsec;
}

/* Floor division, so negative times still give 0 <= tv_nsec < 1e9. */
static inline struct timespec ns_to_ts(int64_t ns)
{
  struct timespec ts;
  int64_t sec = ns / NS_PER_SEC, rem = ns % NS_PER_SEC;
  if (rem < 0) {
    rem += NS_PER_SEC;
    sec--;
  }
  ts.tv_sec = (time_t)sec;
  ts.tv_nsec = (long)rem;
  return ts;
}

int64_t realtime_ns(void);
int64_t monotonic_ns(void);

/* Exponential backoff for retries after outages. */
struct backoff {
  int64_t min_ns, max_ns, cur_ns;
};
void backoff_init(struct backoff *b, int64_t min_ns, int64_t max_ns);
/* The delay before the next attempt; doubles up to the maximum. */
int64_t backoff_next(struct backoff *b);
void backoff_reset(struct backoff *b);

/* log2 of a duration in seconds, rounded up and clamped to [-30, 0], as NTP precision. */
int precision_from_ns(int64_t ns);
/* The same, and the durations that give the same precision: lo < ns <= hi. */
int precision_bracket(int64_t ns, int64_t *lo, int64_t *hi);
/* Seconds (from the configuration) to the nearest nanosecond. */
int64_t round_to_ns(double seconds);

#endif
