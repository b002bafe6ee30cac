/* Time arithmetic and small helpers. */
#include "bridge/core/util.h"

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

/* 2^p seconds in ns, p = -30 .. -1, rounded down: integer compares, no libm on the path. */
static const int64_t limit[30] = {
  0, 1, 3, 7, 14, 29, 59, 119, 238, 476, 953, 1907, 3814, 7629, 15258, 30517, 61035,
  122070, 244140, 488281, 976562, 1953125, 3906250, 7812500, 15625000, 31250000, 62500000,
  125000000, 250000000, 500000000,
};

int precision_bracket(int64_t ns, int64_t *lo, int64_t *hi)
{
  int p = precision_from_ns(ns), i = p + 30;

  *lo = i == 0 ? INT64_MIN : limit[i - 1];
  *hi = i == 30 ? INT64_MAX : limit[i];
  return p;
}

int precision_from_ns(int64_t ns)
{
  int p;

  if (ns <= 0)
    return -30;
  if (ns > limit[29])
    return 0;
  /* limit[p] is about 2^(p - 1): start from the bit length and settle with a compare or two. */
  p = 64 - __builtin_clzll((unsigned long long)ns);
  if (p > 29)
    p = 29;
  while (p > 0 && ns <= limit[p - 1])
    p--;
  while (ns > limit[p])
    p++;
  return p - 30;
}

int64_t round_to_ns(double seconds)
{
  double ns = seconds * 1e9;
  return (int64_t)(ns < 0 ? ns - 0.5 : ns + 0.5);
}
