/* Unit tests: the chrony SOCK sample keeps nanoseconds through the truncated timeval. */
#include <math.h>
#include <string.h>

#include "sock_sample.h"
#include "test.h"

int main(void)
{
  struct sock_sample s;
  long long sys = 1795305358123456789LL, ref;
  double reconstructed;

  CHECK_EQ_INT(sizeof(s), sizeof(time_t) == 8 ? 40 : 32);

  ref = sys + 123456; /* 123.456 us ahead */
  sock_sample_fill(&s, sys, ref, 1);
  CHECK_EQ_INT(s.tv.tv_sec, 1795305358);
  CHECK_EQ_INT(s.tv.tv_usec, 123456); /* truncated, not rounded */
  CHECK_EQ_INT(s.pulse, 0);
  CHECK_EQ_INT(s.leap, 1);
  CHECK_EQ_INT(s._pad, 0);
  CHECK_EQ_INT(s.magic, 0x534f434b);
  /* the offset is the measured one, whole: it holds at the truncated tv as well */
  CHECK(fabs(s.offset - 123456e-9) < 1e-15);
  /* what a reader reconstructs: the true time at tv is tv + offset, exact to the ns */
  reconstructed = (double)(s.tv.tv_usec * 1000LL) + s.offset * 1e9 - (123456789.0 - 789.0);
  CHECK(fabs(reconstructed - 123456.0) < 0.001);

  /* Negative offsets and sub-us system times */
  sock_sample_fill(&s, 999, 0, 0);
  CHECK_EQ_INT(s.tv.tv_sec, 0);
  CHECK_EQ_INT(s.tv.tv_usec, 0);
  CHECK(fabs(s.offset - -999e-9) < 1e-18);
  sock_sample_fill(&s, 1795305358000000999LL, 1795305358000000999LL - 37000000000LL, 0);
  CHECK(s.offset == -37.0);
  return test_report("sock");
}
