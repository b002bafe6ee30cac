/* What only output drivers call: their ops, counters, connection state and outages. */
#ifndef RB_OUTPUT_DRIVER_H
#define RB_OUTPUT_DRIVER_H

#include "bridge/core/health.h"
#include "bridge/core/output.h"

struct output_ops {
  struct conf_driver conf; /* first: the kind's driver table lists &ops.conf */
  /* Allocates driver state from a validated section; opens nothing. */
  void *(*create)(struct output *out, const struct conf_section *s);
  /* Opens sockets or segments; failures are retried by the driver, never fatal. */
  void (*start)(void *priv);
  /* Delivers a valid sample. */
  void (*send)(void *priv, const struct rb_sample *sample);
  /* The source is no longer valid (lost, gated, or measured but untrusted). */
  void (*invalidate)(void *priv, const struct rb_sample *last);
  void (*destroy)(void *priv);
  /* The driver's part of the report: target and extras. */
  void (*report)(void *priv, struct output_report *r);
};

void output_count_sent(struct output *out);
void output_count_dropped(struct output *out);
/* Connected to the daemon's socket, or attached to the segment. */
void output_set_connected(struct output *out, bool connected);
struct health *output_health(struct output *out);

#endif
