/* Time arithmetic and small helpers. */
#include "util.h"

int64_t realtime_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts_to_ns(&ts);
}

int64_t monotonic_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts_to_ns(&ts);
}

void backoff_init(struct backoff *b, int64_t min_ns, int64_t max_ns)
{
  b->min_ns = min_ns;
  b->max_ns = max_ns;
  b->cur_ns = 0;
}

int64_t backoff_next(struct backoff *b)
{
  if (b->cur_ns == 0)
    b->cur_ns = b->min_ns;
  else if (b->cur_ns < b->max_ns / 2)
    b->cur_ns *= 2;
  else
    b->cur_ns = b->max_ns;
  return b->cur_ns;
}

void backoff_reset(struct backoff *b)
{
  b->cur_ns = 0;
}

int precision_from_ns(int64_t ns)
{
  int p = -30;
  /* 2^-30 s is about 0.93 ns: the finest step a nanosecond timestamp can express. */
  while (p < 0 && (double)ns > 1e9 * __builtin_ldexp(1.0, p))
    p++;
  return p;
}
