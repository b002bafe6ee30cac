/* Unit tests: time arithmetic, backoff, precision. */
#include "test.h"
#include "bridge/core/util.h"

int main(void)
{
  struct timespec ts = ns_to_ts(-1);
  CHECK_EQ_INT(ts.tv_sec, -1);
  CHECK_EQ_INT(ts.tv_nsec, 999999999);
  ts = ns_to_ts(1795305358123456789LL);
  CHECK_EQ_INT(ts.tv_sec, 1795305358);
  CHECK_EQ_INT(ts.tv_nsec, 123456789);
  CHECK_EQ_INT(ts_to_ns(&ts), 1795305358123456789LL);

  CHECK_EQ_INT(precision_from_ns(0), -30);
  CHECK_EQ_INT(precision_from_ns(1), -29); /* 1 ns > 2^-30 s */
  CHECK_EQ_INT(precision_from_ns(1000), -19); /* 2^-20 s = 954 ns < 1 us <= 2^-19 s */
  CHECK_EQ_INT(precision_from_ns(2000000000), 0);
  /* Every duration of a bracket has its precision, and the next one out does not. */
  for (int64_t ns = -5; ns < 3000000; ns = ns < 100 ? ns + 1 : ns * 3 / 2) {
    int64_t lo, hi;
    int p = precision_bracket(ns, &lo, &hi);
    CHECK(p == precision_from_ns(ns) && lo < ns && ns <= hi);
    if (hi < INT64_MAX)
      CHECK(precision_from_ns(hi) == p && precision_from_ns(hi + 1) != p);
    if (lo > INT64_MIN)
      CHECK(precision_from_ns(lo) != p && precision_from_ns(lo + 1) == p);
  }

  struct backoff b;
  backoff_init(&b, 1000, 5000);
  CHECK_EQ_INT(backoff_next(&b), 1000);
  CHECK_EQ_INT(backoff_next(&b), 2000);
  CHECK_EQ_INT(backoff_next(&b), 4000);
  CHECK_EQ_INT(backoff_next(&b), 5000);
  CHECK_EQ_INT(backoff_next(&b), 5000);
  backoff_reset(&b);
  CHECK_EQ_INT(backoff_next(&b), 1000);
  return test_report("util");
}
