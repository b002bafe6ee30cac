/* Outputs: the registry of output drivers and the output instances of the configuration. */
#ifndef RB_OUTPUT_H
#define RB_OUTPUT_H

#include <stdint.h>

#include "conf.h"
#include "sample.h"

struct output;

struct output_ops {
  struct conf_driver conf;
  /* Allocates driver state from a validated section; opens nothing. */
  void *(*create)(struct output *out, const struct conf_section *s);
  /* Opens sockets or segments; failures are retried by the driver, never fatal. */
  void (*start)(void *priv);
  /* Delivers a valid sample. */
  void (*send)(void *priv, const struct rb_sample *sample);
  /* The source is no longer valid (lost, gated, or measured but untrusted). */
  void (*invalidate)(void *priv, const struct rb_sample *last);
  void (*destroy)(void *priv);
};

/* Driver tables for the configuration, NULL-terminated. */
extern const struct conf_driver *const output_conf_drivers[];

/* Creates every [output NAME] of the configuration. */
void output_init(const struct conf *c);
void output_start_all(void);
void output_fini(void);

struct output *output_find(const char *name);
const char *output_name(const struct output *out);

void output_send(struct output *out, const struct rb_sample *sample);
void output_invalidate(struct output *out, const struct rb_sample *last);

/* Counters kept by drivers. */
void output_count_sent(struct output *out);
void output_count_dropped(struct output *out);

struct output_stats {
  uint64_t sent, dropped, invalidated;
};
const struct output_stats *output_stats(const struct output *out);

#endif
