/* Numbering PPS edges: which whole second an edge marks, from a lock source's latest sample
   or from a trusted system clock. Pure functions, unit-tested. */
#ifndef RB_PPS_NUMBER_H
#define RB_PPS_NUMBER_H

#include <stdbool.h>
#include <stdint.h>

#include "bridge/core/sample.h"

/* A lock sample numbers an edge if it was taken at most this far from the edge... */
#define PPS_LOCK_MAX_AGE_NS (1100 * 1000000LL)
/* ...and its time puts the edge within this distance of a whole second. */
#define PPS_LOCK_WINDOW_NS (400 * 1000000LL)

enum pps_number {
  PPS_NUMBERED_BY_LOCK,
  PPS_NUMBERED_BY_SYSTEM,
  PPS_NO_LOCK,        /* no lock source, or it has published nothing */
  PPS_LOCK_INVALID,   /* the lock source is not valid (no fix) */
  PPS_LOCK_STALE,     /* its latest sample is too far from the edge in time */
  PPS_OUTSIDE_WINDOW, /* the edge is not near a whole second of the time used */
};

/* lock may be NULL. On success sets *second_ns (the whole second the edge marks) and *leap. */
enum pps_number pps_number_edge(int64_t edge_ns, const struct rb_sample *lock, bool trust_system,
                                int64_t *second_ns, enum rb_leap *leap);
const char *pps_number_reason(enum pps_number r);

#endif
