/* What only tracker drivers call: their ops, observations, losses, counters and outages. */
#ifndef RB_TRACKER_DRIVER_H
#define RB_TRACKER_DRIVER_H

#include "bridge/core/health.h"
#include "ptpstate/tracker.h"

/* What a driver saw in one update. */
struct tracker_observation {
  bool slave;               /* a port is in SLAVE */
  const char *port_state;   /* for messages: the best port's state name */
  bool have_offset;
  int64_t offset_ns;        /* offset from master */
  bool fresh;               /* sync data arrived recently enough */
  bool new_measurement;     /* a new offset: counts toward lock_updates (a repeat does not) */
  int gm_clock_class;       /* -1 if unknown */
  bool have_gm_identity;
  uint8_t gm_identity[8];
  bool time_traceable;
  bool have_time_properties;
  bool utc_offset_valid;
  int utc_offset;
  bool leap61, leap59;
};

struct tracker_ops {
  struct conf_driver conf; /* first: the kind's driver table lists &ops.conf */
  void *(*create)(struct tracker *t, const struct conf_section *s);
  void (*start)(void *priv);
  void (*destroy)(void *priv);
  /* The driver's part of the report: endpoint and extras. */
  void (*report)(void *priv, struct tracker_report *r);
};

void tracker_update(struct tracker *t, const struct tracker_observation *o);
/* How long after the latest Sync was seen sync data turns stale, for Syncs every interval_ns
   seen up to lag_ns after they arrive (0 when pushed): stale_syncs intervals plus a margin for
   the jitter of their delivery, from the earliest the Sync can have arrived; at least an
   interval plus the lag plus that margin from when it was seen. */
int64_t tracker_stale_window(int stale_syncs, int64_t interval_ns, int64_t lag_ns);
/* The PTP daemon cannot be reached or does not answer: the state is UNKNOWN. */
void tracker_unreachable(struct tracker *t, const char *why);
/* A message dropped as malformed, or well-formed but refused (wrong domain, unexpected). */
void tracker_count_malformed(struct tracker *t);
void tracker_count_rejected(struct tracker *t);
struct health *tracker_health(struct tracker *t);

#endif
