/* Combining PHC readings. Arithmetic is in integer half-nanoseconds relative to the first
   reading used, so nothing measured is lost to rounding or overflow, even for a PHC that is
   decades away from the system clock. */
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
  int64_t width[PHC_MAX_READINGS], sum_mid = 0, sum_off = 0, widest = 0, base, mid2_0, off2_0;
  uint32_t taken = 0;
  int k, first = 0;

  if (n < 1 || n > PHC_MAX_READINGS)
    return false;
  for (int i = 0; i < n; i++) {
    width[i] = r[i].after_ns - r[i].before_ns;
    if (width[i] < 0)
      return false;
    if (width[i] < width[first])
      first = i;
  }
  k = how == PHC_COMBINE_MIN_DELAY ? 1 : (int)(quantile * n + 0.999999);
  k = k < 1 ? 1 : k > n ? n : k;

  /* Sums over the k narrowest windows, found by selection (k is small), in half-ns relative
     to the narrowest: mid2 = before + after, off2 = 2 * phc - (before + after). */
  base = r[first].before_ns;
  mid2_0 = width[first];
  off2_0 = 2 * (r[first].phc_ns - base) - width[first];
  widest = width[first];
  taken = 1u << first;
  for (int j = 1; j < k; j++) {
    int best = -1;
    for (int i = 0; i < n; i++)
      if (!(taken & (1u << i)) && (best < 0 || width[i] < width[best]))
        best = i;
    taken |= 1u << best;
    sum_mid += 2 * (r[best].before_ns - base) + width[best] - mid2_0;
    sum_off += 2 * (r[best].phc_ns - r[best].before_ns) - width[best] - off2_0;
    widest = width[best];
  }
  {
    /* Mean centre and mean offset, each in half-ns, then to ns. The centre may move by half
       a nanosecond in rounding; the offset, which is what is published, is rounded once. */
    int64_t mid2 = mid2_0 + (k > 1 ? div_round(sum_mid, k) : 0);
    int64_t off2 = off2_0 + (k > 1 ? div_round(sum_off, k) : 0);
    out->sys_ns = base + div_round(mid2, 2);
    out->phc_ns = out->sys_ns + div_round(off2, 2);
  }
  out->delay_ns = widest;
  out->used = k;
  return true;
}
