/* Combining PHC readings. Arithmetic is in integer half-nanoseconds relative to the narrowest
   reading, so nothing overflows even for a PHC decades away from the system clock, and the
   published centre and offset are each the exact mean rounded once to the nanosecond. */
#include <stdint.h>
#include <stdlib.h>

#include "phc_readings.h"

static int64_t div_round(int64_t num, int64_t den)
{
  return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
}

bool phc_combine(const struct phc_reading *r, int n, enum phc_combine how, double quantile,
                 struct phc_result *out)
{
  /* width[j] is the window of reading pick[j], the k narrowest kept in order */
  int64_t width[PHC_MAX_READINGS], worst = INT64_MAX, sum_mid = 0, sum_off = 0, base, mid2_0, off2_0;
  int pick[PHC_MAX_READINGS], k, picked = 0;

  if (n < 1 || n > PHC_MAX_READINGS)
    return false;
  k = how == PHC_COMBINE_MIN_DELAY ? 1 : (int)(quantile * n + 0.999999);
  k = k < 1 ? 1 : k > n ? n : k;

  /* One pass keeps the k narrowest windows (k is small: most readings cost one compare against
     the widest kept). */
  for (int i = 0; i < n; i++) {
    int64_t w = r[i].after_ns - r[i].before_ns;
    int j;
    if (w < 0)
      return false;
    if (w >= worst)
      continue;
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
  base = r[pick[0]].before_ns;
  mid2_0 = width[0];
  off2_0 = 2 * (r[pick[0]].phc_ns - base) - width[0];
  for (int j = 1; j < k; j++) {
    const struct phc_reading *x = &r[pick[j]];
    sum_mid += 2 * (x->before_ns - base) + width[j] - mid2_0;
    sum_off += 2 * (x->phc_ns - x->before_ns) - width[j] - off2_0;
  }
  /* Mean centre and mean offset in ns, each rounded once: the mean of k half-ns values is
     (k * x0 + sum) / 2k, so with x0 = 2q + r it is q + (r * k + sum) / 2k (>> floors: gnu11). */
  out->sys_ns = base + (mid2_0 >> 1) + div_round((mid2_0 & 1) * k + sum_mid, 2 * (int64_t)k);
  out->phc_ns = out->sys_ns + (off2_0 >> 1) + div_round((off2_0 & 1) * k + sum_off, 2 * (int64_t)k);
  out->delay_ns = width[k - 1];
  out->used = k;
  return true;
}
