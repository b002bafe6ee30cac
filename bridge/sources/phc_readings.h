/* Combining PHC readings (system before, PHC, system after) into one offset measurement. */
#ifndef RB_PHC_READINGS_H
#define RB_PHC_READINGS_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/ptp_clock.h>

#define PHC_MAX_READINGS PTP_MAX_SAMPLES

/* One reading exactly as PTP_SYS_OFFSET_EXTENDED returns it: system time before, PHC time,
   system time after. The kernel's array is combined in place; other methods are put in this
   shape. Times become nanoseconds only where they are used. */
typedef struct ptp_clock_time phc_reading[3];

enum phc_combine {
  PHC_COMBINE_QUANTILE,  /* average of the lowest-delay fraction of readings */
  PHC_COMBINE_MIN_DELAY, /* the single reading with the shortest window */
};

struct phc_result {
  int64_t sys_ns;   /* system time at the centre of the used windows */
  int64_t phc_ns;   /* PHC time at that instant */
  int64_t delay_ns; /* widest window among the readings used: the error bound is half of it */
  int used;
};

/* How many of n readings a combine keeps: 1 for min-delay, else ceil(quantile * n), 1..n. */
int phc_kept(int n, enum phc_combine how, double quantile);
/* Combines the keep narrowest windows (from phc_kept(), which a poller computes once). Returns
   false when the readings cannot be trusted (a window ran backwards: a clock step). */
bool phc_combine_kept(const phc_reading *r, int n, int keep, struct phc_result *out);
/* The same, working out keep itself. */
bool phc_combine(const phc_reading *r, int n, enum phc_combine how, double quantile,
                 struct phc_result *out);

#endif
