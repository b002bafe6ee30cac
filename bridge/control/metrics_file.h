/* Prometheus metrics for node_exporter's textfile collector: DIR/refclock-bridge.prom,
   rewritten atomically every interval. */
#ifndef RB_METRICS_FILE_H
#define RB_METRICS_FILE_H

#include <stdint.h>

/* Writes into dir every interval_ns, the first time at the next loop iteration (dir NULL: no
   metrics). A later call with other values replaces the earlier ones; the file in a directory
   given up is removed. A directory that cannot be written to is logged once and retried every
   interval. */
void metrics_file_apply(const char *dir, int64_t interval_ns);
/* Stops writing and removes the file, so that a stopped bridge's metrics never look current. */
void metrics_file_fini(void);

#endif
