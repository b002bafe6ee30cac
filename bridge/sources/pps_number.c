/* Numbering PPS edges. Better no sample than a wrongly numbered one: every doubt drops. */
#include "bridge/sources/pps_number.h"
#include "bridge/core/util.h"

static bool nearest_second(int64_t t_ns, int64_t *second_ns)
{
  int64_t sec = ns_to_ts(t_ns + NS_PER_SEC / 2).tv_sec;
  int64_t frac = t_ns - sec * NS_PER_SEC;
  if (frac > PPS_LOCK_WINDOW_NS || frac < -PPS_LOCK_WINDOW_NS)
    return false;
  *second_ns = sec * NS_PER_SEC;
  return true;
}

enum pps_number pps_number_edge(int64_t edge_ns, const struct rb_sample *lock, bool trust_system,
                                int64_t *second_ns, enum rb_leap *leap)
{
  enum pps_number why = PPS_NO_LOCK;

  *leap = RB_LEAP_NONE;
  if (lock && !lock->valid) {
    why = PPS_LOCK_INVALID;
  } else if (lock) {
    int64_t age = edge_ns - lock->sys_ns;
    if (age > PPS_LOCK_MAX_AGE_NS || age < -PPS_LOCK_MAX_AGE_NS) {
      why = PPS_LOCK_STALE;
    } else {
      /* The lock's true time carried to the edge along the system clock. */
      if (!nearest_second(lock->ref_ns + age, second_ns))
        return PPS_OUTSIDE_WINDOW;
      *leap = lock->leap;
      return PPS_NUMBERED_BY_LOCK;
    }
  }
  if (!trust_system)
    return why;
  if (!nearest_second(edge_ns, second_ns))
    return PPS_OUTSIDE_WINDOW;
  return PPS_NUMBERED_BY_SYSTEM;
}

const char *pps_number_reason(enum pps_number r)
{
  switch (r) {
  case PPS_NUMBERED_BY_LOCK: return "numbered by the lock source";
  case PPS_NUMBERED_BY_SYSTEM: return "numbered by the system clock";
  case PPS_NO_LOCK: return "no time from the lock source";
  case PPS_LOCK_INVALID: return "the lock source is not valid";
  case PPS_LOCK_STALE: return "the lock source's latest time is more than 1.1 s from the edge";
  case PPS_OUTSIDE_WINDOW: return "the edge is more than 0.4 s from a whole second";
  }
  return "?";
}
