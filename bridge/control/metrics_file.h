/* Prometheus metrics for node_exporter's textfile collector: DIR/refclock-bridge.prom,
   rewritten atomically every interval. */
#ifndef RB_METRICS_FILE_H
#define RB_METRICS_FILE_H

#include <stdint.h>

/* Writes into dir every interval_ns (dir NULL: no metrics, and an earlier file is removed).
   A later call with other values replaces the earlier ones. */
void metrics_file_apply(const char *dir, int64_t interval_ns);
void metrics_file_fini(void);

#endif
