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
