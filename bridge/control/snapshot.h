/* One consistent copy of the status model: the daemon, every source, output, tracker and NTP
   fallback, as the status socket, the metrics file and systemd's STATUS= line render it. */
#ifndef RB_SNAPSHOT_H
#define RB_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>

#include "bridge/control/fallback.h"
#include "bridge/core/report.h"
#include "ptpstate/tracker.h"

struct snapshot {
  int64_t taken_ns; /* CLOCK_REALTIME */
  struct daemon_report daemon;
  size_t n_sources, n_outputs, n_trackers, n_fallbacks;
  struct source_report *sources;
  struct output_report *outputs;
  struct tracker_report *trackers;
  struct fallback_report *fallbacks;
  char *fallback_names; /* snapshot_take's copies of their names: a reload may free the
                           fallbacks while a document of the snapshot is still being sent */
};

void snapshot_take(struct snapshot *s);
void snapshot_free(struct snapshot *s);

/* Healthy: every source ok, every output connected and not in an outage, every tracker
   LOCKED, every fallback in PTP mode with no action whose last application failed (START has
   not decided yet, NTP means PTP is lost). What is not is degraded (the status command exits
   1). */
bool snapshot_source_healthy(const struct source_report *r);
bool snapshot_output_healthy(const struct output_report *r);
bool snapshot_tracker_healthy(const struct tracker_report *r);
bool snapshot_fallback_healthy(const struct fallback_report *r);
bool snapshot_healthy(const struct snapshot *s);
/* One line for systemd's STATUS=, e.g. "3 sources ok, 1 gated; 2/2 outputs up; tracker ptp
   LOCKED; fallback ntp: PTP", or "...; fallback ntp: NTP (loss: tracker ptp FREERUN)". */
void snapshot_summary(const struct snapshot *s, char *buf, size_t len);

#endif
