/* The sample model shared by every source and output. */
#ifndef RB_SAMPLE_H
#define RB_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>

enum rb_leap {
  RB_LEAP_NONE = 0,
  RB_LEAP_INSERT = 1, /* 23:59:60 at the end of this UTC day */
  RB_LEAP_DELETE = 2, /* 23:59:59 skipped */
};

/* One measurement: the true time ref_ns held at system time sys_ns (both CLOCK_REALTIME
   scale, ns since the epoch). Integers keep every nanosecond that was measured. */
struct rb_sample {
  int64_t sys_ns;
  int64_t ref_ns;
  enum rb_leap leap;
  int precision; /* log2 seconds, as NTP */
  bool valid;    /* false: measured, but the source is not to be trusted (gated) */
};

#endif
