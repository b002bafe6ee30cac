/* Outputs: the registry of output drivers and the output instances of the configuration. */
#ifndef RB_OUTPUT_H
#define RB_OUTPUT_H

#include <stdbool.h>
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

/* Brings the outputs in line with a configuration: closes those whose section is gone or
   changed, keeps the unchanged ones running, creates and starts the new ones. Call after
   source_drop_changed() and before source_add_new(). */
void output_reconfigure(const struct conf *c);
/* True if output NAME exists and its section in c is unchanged, so it will be kept. */
bool output_unchanged(const struct conf *c, const char *name);
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
