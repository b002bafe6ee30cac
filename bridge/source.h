/* Sources: the registry of source drivers, the source instances, and fan-out to outputs. */
#ifndef RB_SOURCE_H
#define RB_SOURCE_H

#include <stdint.h>

#include "conf.h"
#include "sample.h"

struct source;

struct source_ops {
  struct conf_driver conf;
  /* Allocates driver state from a validated section; opens nothing. */
  void *(*create)(struct source *src, const struct conf_section *s);
  /* Opens devices and starts timers; failures are retried by the driver, never fatal. */
  void (*start)(void *priv);
  void (*destroy)(void *priv);
};

extern const struct conf_driver *const source_conf_drivers[];
/* Keys every [source NAME] has besides its driver's. */
extern const struct conf_key source_common_keys[];

/* Reconfiguration, in this order: source_drop_changed(c), output_reconfigure(c),
   source_add_new(c). Sources whose section and outputs are unchanged keep running. */
void source_drop_changed(const struct conf *c);
void source_add_new(const struct conf *c);
void source_fini(void);

const char *source_name(const struct source *src);
struct source *source_find(const char *name);
/* The latest sample the source published (valid or not), or NULL before the first. */
const struct rb_sample *source_last(const struct source *src);

/* A new measurement, valid or not, goes to every output of the source. */
void source_publish(struct source *src, const struct rb_sample *sample);
/* The source can no longer measure (device gone, daemon lost). */
void source_lost(struct source *src);

struct source_stats {
  uint64_t samples, invalid, lost;
  int64_t last_offset_ns;
};
const struct source_stats *source_stats(const struct source *src);

#endif
