/* Outages of one instance: down(reason) logs once per outage and runs the backoff; up() logs
   the recovery; both are counted for the status model. */
#ifndef RB_HEALTH_H
#define RB_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

#include "bridge/core/report.h"
#include "bridge/core/util.h"

struct health {
  char who[48]; /* "source gps0": the start of every log line */
  struct backoff backoff;
  bool down;
  int64_t since_ns;       /* CLOCK_REALTIME: start of the current outage or end of the last */
  int64_t down_mono_ns;   /* CLOCK_MONOTONIC start of the current outage */
  int64_t outage_ns;      /* finished outages */
  uint64_t outages;
  char last_error[REPORT_TEXT_MAX];
  int64_t last_error_ns;
};

void health_init(struct health *h, const char *kind, const char *name, int64_t retry_min_ns,
                 int64_t retry_max_ns);
/* The driver's own retry range (instances start with 0.5 s doubling to 8 s). */
void health_set_retry(struct health *h, int64_t retry_min_ns, int64_t retry_max_ns);
/* The instance cannot work. The first call of an outage logs "WHO: REASON; retrying" (and
   "with backoff" when the delays grow) as a warning and counts the outage; every call records REASON as the last error.
   Returns the delay before the next attempt. */
int64_t health_down(struct health *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* It works again. Ends an outage with "WHO: WHAT after N s" (notice) and resets the backoff;
   returns true if there was one. */
bool health_up(struct health *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error that is not an outage (a skipped read, a dropped message): only recorded, the
   caller logs it (rate-limited). */
void health_error(struct health *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool health_is_down(const struct health *h);
void health_report(const struct health *h, struct health_report *r);

#endif
