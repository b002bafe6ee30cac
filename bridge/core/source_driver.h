/* What only source drivers call: their ops, publishing, losses and outages. */
#ifndef RB_SOURCE_DRIVER_H
#define RB_SOURCE_DRIVER_H

#include "bridge/core/health.h"
#include "bridge/core/source.h"

struct source_ops {
  struct conf_driver conf; /* first: the kind's driver table lists &ops.conf */
  /* Allocates driver state from a validated section; opens nothing. */
  void *(*create)(struct source *src, const struct conf_section *s);
  /* Opens devices and starts timers; failures are retried by the driver, never fatal. */
  void (*start)(void *priv);
  void (*destroy)(void *priv);
  /* The driver's part of the report: endpoint and extras. */
  void (*report)(void *priv, struct source_report *r);
};

/* A new measurement, valid or not, goes to every output of the source. */
void source_publish(struct source *src, const struct rb_sample *sample);
/* The source can no longer measure (device gone, daemon lost). */
void source_lost(struct source *src);
/* The source measures but must not be trusted now (its tracker left LOCKED). */
void source_gated(struct source *src);
/* Outages: down/up through this, so that they are logged once and reported. */
struct health *source_health(struct source *src);

#endif
