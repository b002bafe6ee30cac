/* Unit tests: the chrony SOCK sample keeps nanoseconds through the truncated timeval. */
#include <math.h>
#include <string.h>

#include "sock/sock_sample.h"
#include "test.h"

/* chronyd's reading of a sample, as its refclock code does it: the reference time is
   tv + offset, the offset's whole seconds added to the seconds and 1e9 times its fraction added
   to the nanoseconds in double, the result truncated to a long; then reference minus tv. */
static long long chrony_reads(const struct sock_sample *s)
{
  long start_sec = (long)s->tv.tv_sec, start_nsec = (long)s->tv.tv_usec * 1000;
  long whole = (long)s->offset; /* a time_t cast truncates toward zero */
  long sec = start_sec + whole;
  long nsec = (long)(start_nsec + 1e9 * (s->offset - whole));
  while (nsec >= 1000000000L) {
    nsec -= 1000000000L;
    sec++;
  }
  while (nsec < 0) {
    nsec += 1000000000L;
    sec--;
  }
  return (long long)(sec - start_sec) * 1000000000LL + (nsec - start_nsec);
}

/* Random offsets up to +/-40 s (a PHC left on TAI is 37 s off) and random system times:
   chronyd reads every one to the nanosecond, and the double stays next to the true value. */
static void check_chrony_exact(void)
{
  unsigned long long seed = 99;
  int wrong = 0, far = 0;
  for (int i = 0; i < 300000; i++) {
    struct sock_sample s;
    long long sys, d;
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    sys = 1795305358000000000LL + (long long)((seed >> 20) % 1000000000ULL);
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    d = (long long)((seed >> 10) % 80000000000ULL) - 40000000000LL;
    if (i % 3 == 0)
      d %= 1000000; /* and many small ones */
    sock_sample_fill(&s, sys, sys + d, 0);
    if (chrony_reads(&s) != d)
      wrong++;
    if (fabs(s.offset - (double)d / 1e9) > fabs((double)d / 1e9) * 1e-15)
      far++;
  }
  CHECK_EQ_INT(wrong, 0);
  CHECK_EQ_INT(far, 0);
}

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
  check_chrony_exact();
  return test_report("sock");
}
