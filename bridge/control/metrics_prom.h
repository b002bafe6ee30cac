/* The Prometheus text exposition (format 0.0.4) of a status snapshot. Pure: a function of the
   snapshot, so unit tests render synthetic ones; metrics_file.c does the I/O. */
#ifndef RB_METRICS_PROM_H
#define RB_METRICS_PROM_H

#include <stddef.h>

#include "bridge/control/snapshot.h"

/* Every family has HELP and TYPE lines and at least one series (families without series are
   left out). Families come daemon first, then sources, outputs and trackers; series in the
   snapshot's instance order. Returns a NUL-terminated buffer to free(); *len its length. */
char *metrics_prom_render(const struct snapshot *s, size_t *len);

#endif
