/* Combining PHC readings. Arithmetic is in integer half-nanoseconds relative to the first
   reading used, so nothing measured is lost to rounding or overflow, even for a PHC that is
   decades away from the system clock. */
#include <stdlib.h>

#include "phc_readings.h"

static int64_t div_round(int64_t num, int64_t den)
{
  return num >= 0 ? (num + den / 2) / den : -((-num + den / 2) / den);
}

bool phc_combine(const struct phc_reading *r, int n, enum phc_combine how, double quantile,
                 struct phc_result *out)
{
  int order[PHC_MAX_READINGS], k;
  int64_t mid2_0, off2_0, sum_mid = 0, sum_off = 0, widest = 0;

  if (n < 1 || n > PHC_MAX_READINGS)
    return false;
  for (int i = 0; i < n; i++) {
    if (r[i].after_ns < r[i].before_ns)
      return false;
    order[i] = i;
  }
  /* Insertion sort by window width: n is at most 25. */
  for (int i = 1; i < n; i++) {
    int x = order[i], j = i;
    int64_t dx = r[x].after_ns - r[x].before_ns;
    while (j > 0 && r[order[j - 1]].after_ns - r[order[j - 1]].before_ns > dx) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = x;
  }
  if (how == PHC_COMBINE_MIN_DELAY) {
    k = 1;
  } else {
    k = (int)(quantile * n + 0.999999);
    k = k < 1 ? 1 : k > n ? n : k;
  }

  /* In half-ns relative to the narrowest reading's start: mid2 = before + after,
     off2 = 2 * phc - (before + after). */
  mid2_0 = r[order[0]].after_ns - r[order[0]].before_ns;
  off2_0 = 2 * (r[order[0]].phc_ns - r[order[0]].before_ns) - mid2_0;
  for (int j = 0; j < k; j++) {
    const struct phc_reading *x = &r[order[j]];
    int64_t width = x->after_ns - x->before_ns;
    int64_t mid2 = 2 * (x->before_ns - r[order[0]].before_ns) + width;
    int64_t off2 = 2 * (x->phc_ns - x->before_ns) - width;
    sum_mid += mid2 - mid2_0;
    sum_off += off2 - off2_0;
    if (width > widest)
      widest = width;
  }
  {
    /* Mean centre and mean offset, each in half-ns, then to ns. The centre may move by half
       a nanosecond in rounding; the offset, which is what is published, is rounded once. */
    int64_t mid2 = mid2_0 + div_round(sum_mid, k);
    int64_t off2 = off2_0 + div_round(sum_off, k);
    int64_t sys = r[order[0]].before_ns + div_round(mid2, 2);
    out->sys_ns = sys;
    out->phc_ns = sys + div_round(off2, 2);
  }
  out->delay_ns = widest;
  out->used = k;
  return true;
}
