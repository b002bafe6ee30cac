/* Unit tests: PPS edges get the right second, or none. */
#include "bridge/sources/pps_number.h"
#include "test.h"

#define S(x) ((long long)(x) * 1000000000LL)

int main(void)
{
  struct rb_sample lock = {.valid = true, .leap = RB_LEAP_INSERT, .precision = -10};
  int64_t sec = 0;
  enum rb_leap leap;
  /* edge 123456 ns before true second 1000 (system clock behind by 123456 ns) */
  int64_t edge = S(1000) - 123456;

  /* Serial time received 0.45 s after the edge, saying it was 1000.45 then. */
  lock.sys_ns = edge + 450000000;
  lock.ref_ns = S(1000) + 450000000 - 123456 + 123456;
  CHECK_EQ_INT(pps_number_edge(edge, &lock, false, &sec, &leap), PPS_NUMBERED_BY_LOCK);
  CHECK_EQ_INT(sec, S(1000));
  CHECK_EQ_INT(leap, RB_LEAP_INSERT);

  /* The lock sample is from the previous second (0.6 s before the edge): still numbered. */
  lock.sys_ns = edge - 600000000;
  lock.ref_ns = S(999) + 400000000 + 123456;
  CHECK_EQ_INT(pps_number_edge(edge, &lock, false, &sec, &leap), PPS_NUMBERED_BY_LOCK);
  CHECK_EQ_INT(sec, S(1000));

  /* Serial time off by 0.45 s: the edge is not near a whole second: dropped, not misnumbered. */
  lock.ref_ns += 450000000;
  CHECK_EQ_INT(pps_number_edge(edge, &lock, false, &sec, &leap), PPS_OUTSIDE_WINDOW);
  /* Off by 0.35 s: still numbered to the right second. */
  lock.ref_ns -= 100000000;
  CHECK_EQ_INT(pps_number_edge(edge, &lock, false, &sec, &leap), PPS_NUMBERED_BY_LOCK);
  CHECK_EQ_INT(sec, S(1000));

  /* Stale: 1.2 s from the edge, either way. */
  lock.ref_ns = S(998) + 800000000;
  lock.sys_ns = edge - 1200000000;
  CHECK_EQ_INT(pps_number_edge(edge, &lock, false, &sec, &leap), PPS_LOCK_STALE);
  lock.sys_ns = edge + 1200000000;
  CHECK_EQ_INT(pps_number_edge(edge, &lock, false, &sec, &leap), PPS_LOCK_STALE);
  /* ...unless the system clock is trusted, which then numbers it. */
  CHECK_EQ_INT(pps_number_edge(edge, &lock, true, &sec, &leap), PPS_NUMBERED_BY_SYSTEM);
  CHECK_EQ_INT(sec, S(1000));
  CHECK_EQ_INT(leap, RB_LEAP_NONE);

  /* Invalid lock, no lock. */
  lock.valid = false;
  lock.sys_ns = edge;
  CHECK_EQ_INT(pps_number_edge(edge, &lock, false, &sec, &leap), PPS_LOCK_INVALID);
  CHECK_EQ_INT(pps_number_edge(edge, NULL, false, &sec, &leap), PPS_NO_LOCK);
  CHECK_EQ_INT(pps_number_edge(S(5) + 450000000, NULL, true, &sec, &leap), PPS_OUTSIDE_WINDOW);
  CHECK_EQ_INT(pps_number_edge(S(5) + 350000000, NULL, true, &sec, &leap), PPS_NUMBERED_BY_SYSTEM);
  CHECK_EQ_INT(sec, S(5));
  CHECK(pps_number_reason(PPS_LOCK_STALE)[0] != '?');
  return test_report("pps_number");
}
