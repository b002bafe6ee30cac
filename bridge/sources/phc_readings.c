/* Combining PHC readings. Arithmetic is in integer half-nanoseconds relative to the narrowest
   reading, so nothing overflows even for a PHC decades away from the system clock, and the
   published centre and offset are each the exact mean rounded once to the nanosecond. */
#include <stdint.h>
#include <stdlib.h>

#include "bridge/sources/phc_readings.h"
#include "bridge/core/util.h"

static int64_t div_round(int64_t num, int64_t den)
{
  return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
}

static inline int64_t ns_of(const struct ptp_clock_time *t)
{
  return t->sec * NS_PER_SEC + t->nsec;
}

int phc_kept(int n, enum phc_combine how, double quantile)
{
  int k = how == PHC_COMBINE_MIN_DELAY ? 1 : (int)(quantile * n + 0.999999);
  return k < 1 ? 1 : k > n ? n : k;
}

bool phc_combine(const phc_reading *r, int n, enum phc_combine how, double quantile,
                 struct phc_result *out)
{
  return n >= 1 && n <= PHC_MAX_READINGS && phc_combine_kept(r, n, phc_kept(n, how, quantile), out);
}

bool phc_combine_kept(const phc_reading *r, int n, int k, struct phc_result *out)
{
  /* width[j] is the window of reading pick[j], the k narrowest kept in order */
  int64_t width[PHC_MAX_READINGS], worst = INT64_MAX;
  int64_t sum_mid = 0, sum_off = 0, base, mid2_0, off2_0;
  int pick[PHC_MAX_READINGS], picked = 0;

  if (n < 1 || n > PHC_MAX_READINGS || k < 1 || k > n)
    return false;

  /* One pass keeps the k narrowest windows (k is small: most readings cost one compare against
     the widest kept). */
  for (int i = 0; i < n; i++) {
    int64_t w = (r[i][2].sec - r[i][0].sec) * NS_PER_SEC + ((int64_t)r[i][2].nsec - r[i][0].nsec);
    int j;
    if (w >= worst) /* worst >= 0: a window that ran backwards is never skipped here */
      continue;
    if (w < 0)
      return false;
    j = picked < k ? picked++ : k - 1;
    for (; j > 0 && width[j - 1] > w; j--) {
      width[j] = width[j - 1];
      pick[j] = pick[j - 1];
    }
    width[j] = w;
    pick[j] = i;
    if (picked == k)
      worst = width[k - 1];
  }

  /* Sums in half-ns relative to the narrowest reading: mid2 = before + after,
     off2 = 2 * phc - (before + after). */
  base = ns_of(&r[pick[0]][0]);
  mid2_0 = width[0];
  off2_0 = 2 * (ns_of(&r[pick[0]][1]) - base) - width[0];
  for (int j = 1; j < k; j++) {
    int64_t before = ns_of(&r[pick[j]][0]);
    sum_mid += 2 * (before - base) + width[j] - mid2_0;
    sum_off += 2 * (ns_of(&r[pick[j]][1]) - before) - width[j] - off2_0;
  }
  /* Mean centre and mean offset in ns, each rounded once: the mean of k half-ns values is
     (k * x0 + sum) / 2k, so with x0 = 2q + r it is q + (r * k + sum) / 2k (>> floors: gnu11). */
  out->sys_ns = base + (mid2_0 >> 1) + div_round((mid2_0 & 1) * k + sum_mid, 2 * (int64_t)k);
  out->phc_ns = out->sys_ns + (off2_0 >> 1) + div_round((off2_0 & 1) * k + sum_off, 2 * (int64_t)k);
  out->delay_ns = width[k - 1];
  out->used = k;
  return true;
}
