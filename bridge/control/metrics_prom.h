/* The Prometheus text exposition (format 0.0.4) of a status snapshot. Pure: a function of the
   snapshot, so unit tests render synthetic ones; metrics_file.c does the I/O. */
#ifndef RB_METRICS_PROM_H
#define RB_METRICS_PROM_H

#include <stddef.h>

#include "bridge/control/prom_text.h"
#include "bridge/control/snapshot.h"

/* Every family has HELP and TYPE lines and at least one series (families without series are
   left out). Families come daemon first, then sources, outputs, trackers and fallbacks; series
   in the snapshot's instance order. Returns a NUL-terminated buffer to free(); *len its
   length. */
char *metrics_prom_render(const struct snapshot *s, size_t *len);

/* ==== For the files with the families of a kind of instance (metrics_prom_*.c) */

#define METRICS_PREFIX "refclock_bridge_"

/* A family of a kind: emit writes an instance's series (none while their value is unknown). */
struct metrics_family {
  const char *name, *type, *help;
  void (*emit)(struct prom_out *o, const struct prom_who *w, const void *report);
};

/* KIND_info 1, labelled with the fixed labels (endpoint or target, ...) and the string fields
   (one whose key clashes with another label is left out; an empty value is no label). */
void metrics_info_series(struct prom_out *o, const struct prom_who *w,
                         const struct prom_label *fixed, size_t nf, const struct report_extras *x);

/* metrics_prom_ptp.c: trackers and fallbacks. */
extern const struct metrics_family metrics_tracker_families[], metrics_fallback_families[];
extern const size_t metrics_n_tracker_families, metrics_n_fallback_families;
const struct report_extras *metrics_tracker_extras(const void *report);

#endif
