/* Unit tests: combining PHC readings keeps every nanosecond. */
#include "phc_readings.h"
#include "test.h"

#define T0 1795305358000000000LL

static void fill(struct phc_reading *r, int n, long long offset, const long long *widths)
{
  long long t = T0;
  for (int i = 0; i < n; i++) {
    r[i].before_ns = t;
    r[i].after_ns = t + widths[i];
    /* PHC read at the exact centre; odd widths put it on a half nanosecond. */
    r[i].phc_ns = t + widths[i] / 2 + offset;
    t += widths[i] + 1000;
  }
}

int main(void)
{
  struct phc_reading r[PHC_MAX_READINGS];
  struct phc_result res;
  long long widths[PHC_MAX_READINGS];

  /* Equal even windows: exact offset, both methods. */
  for (int i = 0; i < 25; i++)
    widths[i] = 400;
  fill(r, 25, 37000123456LL, widths);
  CHECK(phc_combine(r, 25, PHC_COMBINE_QUANTILE, 0.3, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, 37000123456LL);
  CHECK_EQ_INT(res.used, 8);
  CHECK_EQ_INT(res.delay_ns, 400);
  CHECK(phc_combine(r, 25, PHC_COMBINE_MIN_DELAY, 0.3, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, 37000123456LL);
  CHECK_EQ_INT(res.used, 1);

  /* One slow, asymmetric reading is never chosen. */
  widths[3] = 50;
  fill(r, 10, -5000, widths);
  r[7].after_ns += 20000; /* interrupted read: centre moves */
  CHECK(phc_combine(r, 10, PHC_COMBINE_MIN_DELAY, 0.3, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, -5000);
  CHECK_EQ_INT(res.delay_ns, 50);
  CHECK(phc_combine(r, 10, PHC_COMBINE_QUANTILE, 0.3, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, -5000);
  CHECK_EQ_INT(res.used, 3);

  /* Averaging reduces read noise: +/-8 ns alternating gives the mean. */
  for (int i = 0; i < 10; i++)
    widths[i] = 300;
  fill(r, 10, 1000, widths);
  for (int i = 0; i < 10; i++)
    r[i].phc_ns += (i & 1) ? 8 : -8;
  CHECK(phc_combine(r, 10, PHC_COMBINE_QUANTILE, 1.0, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, 1000);

  /* A PHC decades away (never set: 1970) does not overflow. */
  fill(r, 25, -T0 + 12345, (long long[25]){[0 ... 24] = 600});
  CHECK(phc_combine(r, 25, PHC_COMBINE_QUANTILE, 1.0, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, -T0 + 12345);

  /* PRECISE: zero-width window. */
  r[0].before_ns = r[0].after_ns = T0;
  r[0].phc_ns = T0 + 37000000001LL;
  CHECK(phc_combine(r, 1, PHC_COMBINE_QUANTILE, 0.3, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, 37000000001LL);
  CHECK_EQ_INT(res.sys_ns, T0);
  CHECK_EQ_INT(res.delay_ns, 0);

  /* A window running backwards (clock step) rejects the whole poll. */
  fill(r, 5, 0, widths);
  r[2].after_ns = r[2].before_ns - 1;
  CHECK(!phc_combine(r, 5, PHC_COMBINE_QUANTILE, 0.3, &res));
  CHECK(!phc_combine(r, 0, PHC_COMBINE_QUANTILE, 0.3, &res));
  CHECK(!phc_combine(r, 26, PHC_COMBINE_QUANTILE, 0.3, &res));

  return test_report("phc_readings");
}
