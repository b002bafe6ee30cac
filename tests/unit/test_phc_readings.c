/* Unit tests: combining PHC readings keeps every nanosecond. */
#include "bridge/sources/phc_readings.h"
#include "test.h"

/* Readings in nanoseconds, as the tests write them; put in the kernel's shape to combine. */
struct phc_reading {
  long long before_ns, phc_ns, after_ns;
};

static struct ptp_clock_time clock_time(long long ns)
{
  struct ptp_clock_time t = {.sec = ns / 1000000000LL, .nsec = (unsigned)(ns % 1000000000LL)};
  if (ns % 1000000000LL < 0) { /* floor: nsec is never negative */
    t.sec--;
    t.nsec = (unsigned)(ns % 1000000000LL + 1000000000LL);
  }
  return t;
}

static bool combine(const struct phc_reading *r, int n, enum phc_combine how, double quantile,
                    struct phc_result *out)
{
  phc_reading k[PHC_MAX_READINGS];
  for (int i = 0; i < n && i < PHC_MAX_READINGS; i++) {
    k[i][0] = clock_time(r[i].before_ns);
    k[i][1] = clock_time(r[i].phc_ns);
    k[i][2] = clock_time(r[i].after_ns);
  }
  return phc_combine(k, n, how, quantile, out);
}

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

/* The plain definition, exactly: a stable sort by window width, the k first; the published
   centre and offset are their means to within half a nanosecond (one rounding). */
static bool matches_definition(const struct phc_reading *r, int n, int k,
                               const struct phc_result *got)
{
  int order[PHC_MAX_READINGS];
  __int128 mid2 = 0, off2 = 0; /* sums in half-ns */
  int64_t base;
  for (int i = 0; i < n; i++) {
    int j = i;
    for (; j > 0 && r[order[j - 1]].after_ns - r[order[j - 1]].before_ns >
                        r[i].after_ns - r[i].before_ns; j--)
      order[j] = order[j - 1];
    order[j] = i;
  }
  base = r[order[0]].before_ns;
  for (int j = 0; j < k; j++) {
    const struct phc_reading *x = &r[order[j]];
    mid2 += (__int128)x->before_ns + x->after_ns - 2 * (__int128)base;
    off2 += 2 * (__int128)x->phc_ns - x->before_ns - x->after_ns;
  }
  /* |2k * published - sum| <= k  <=>  |published - mean| <= 1/2 ns */
  __int128 e_mid = 2 * (__int128)k * (got->sys_ns - base) - mid2;
  __int128 e_off = 2 * (__int128)k * (got->phc_ns - got->sys_ns) - off2;
  return e_mid <= k && e_mid >= -k && e_off <= k && e_off >= -k && got->used == k &&
         got->delay_ns == r[order[k - 1]].after_ns - r[order[k - 1]].before_ns;
}

/* Random readings, ties included, against the plain definition. */
static void check_random(void)
{
  unsigned long long seed = 12345;
  int mismatches = 0;
  for (int round = 0; round < 20000; round++) {
    struct phc_reading r[PHC_MAX_READINGS];
    struct phc_result got;
    int n, k;
    long long t = T0;
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    n = 1 + (int)((seed >> 33) % PHC_MAX_READINGS);
    for (int i = 0; i < n; i++) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      long long w = 100 + (long long)((seed >> 40) % 9); /* few distinct widths: many ties */
      long long off = -37000000000LL + (long long)((seed >> 20) % 2001) - 1000;
      r[i].before_ns = t;
      r[i].after_ns = t + w;
      r[i].phc_ns = t + (long long)((seed >> 50) % (unsigned long long)(w + 1)) - off;
      t += w + (long long)((seed >> 30) % 500);
    }
    for (int q = 0; q < 2; q++) {
      double quantile = q ? 0.3 : 1.0;
      k = (int)(quantile * n + 0.999999);
      k = k < 1 ? 1 : k;
      if (!combine(r, n, PHC_COMBINE_QUANTILE, quantile, &got) ||
          !matches_definition(r, n, k, &got))
        mismatches++;
    }
    if (!combine(r, n, PHC_COMBINE_MIN_DELAY, 0.3, &got) || !matches_definition(r, n, 1, &got))
      mismatches++;
  }
  CHECK_EQ_INT(mismatches, 0);
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
  CHECK(combine(r, 25, PHC_COMBINE_QUANTILE, 0.3, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, 37000123456LL);
  CHECK_EQ_INT(res.used, 8);
  CHECK_EQ_INT(res.delay_ns, 400);
  CHECK(combine(r, 25, PHC_COMBINE_MIN_DELAY, 0.3, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, 37000123456LL);
  CHECK_EQ_INT(res.used, 1);

  /* One slow, asymmetric reading is never chosen. */
  widths[3] = 50;
  fill(r, 10, -5000, widths);
  r[7].after_ns += 20000; /* interrupted read: centre moves */
  CHECK(combine(r, 10, PHC_COMBINE_MIN_DELAY, 0.3, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, -5000);
  CHECK_EQ_INT(res.delay_ns, 50);
  CHECK(combine(r, 10, PHC_COMBINE_QUANTILE, 0.3, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, -5000);
  CHECK_EQ_INT(res.used, 3);

  /* Averaging reduces read noise: +/-8 ns alternating gives the mean. */
  for (int i = 0; i < 10; i++)
    widths[i] = 300;
  fill(r, 10, 1000, widths);
  for (int i = 0; i < 10; i++)
    r[i].phc_ns += (i & 1) ? 8 : -8;
  CHECK(combine(r, 10, PHC_COMBINE_QUANTILE, 1.0, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, 1000);

  /* A PHC decades away (never set: 1970) does not overflow. */
  fill(r, 25, -T0 + 12345, (long long[25]){[0 ... 24] = 600});
  CHECK(combine(r, 25, PHC_COMBINE_QUANTILE, 1.0, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, -T0 + 12345);

  /* PRECISE: zero-width window. */
  r[0].before_ns = r[0].after_ns = T0;
  r[0].phc_ns = T0 + 37000000001LL;
  CHECK(combine(r, 1, PHC_COMBINE_QUANTILE, 0.3, &res));
  CHECK_EQ_INT(res.phc_ns - res.sys_ns, 37000000001LL);
  CHECK_EQ_INT(res.sys_ns, T0);
  CHECK_EQ_INT(res.delay_ns, 0);

  /* A window running backwards (clock step) rejects the whole poll. */
  fill(r, 5, 0, widths);
  r[2].after_ns = r[2].before_ns - 1;
  CHECK(!combine(r, 5, PHC_COMBINE_QUANTILE, 0.3, &res));
  CHECK(!combine(r, 0, PHC_COMBINE_QUANTILE, 0.3, &res));
  CHECK(!combine(r, 26, PHC_COMBINE_QUANTILE, 0.3, &res));

  check_random();
  return test_report("phc_readings");
}
