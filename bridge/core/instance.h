/* One lifecycle for the named instances of every kind (sources, outputs, trackers): create each
   from its section and the driver the section names, start it, keep it across a reload while
   its section is unchanged, destroy it otherwise. A kind embeds struct instance first in its
   own object and supplies the hooks. */
#ifndef RB_INSTANCE_H
#define RB_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "bridge/core/conf.h"
#include "bridge/core/health.h"
#include "bridge/core/registry.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

struct instance_kind;

struct instance {
  const struct instance_kind *kind;
  char *name;
  char *digest; /* the section's effective values: unchanged on reload means kept */
  const struct conf_driver *driver; /* first member of the driver's ops */
  void *priv;                       /* the driver's state */
  struct health health;
};

struct instance_kind {
  const char *section; /* "source", "output", "tracker" */
  /* A zeroed object of the kind, returning its instance member. */
  struct instance *(*alloc)(void);
  /* Kind fields from the section, then the driver's create (sets priv). */
  void (*create)(struct instance *i, const struct conf_section *s);
  void (*start)(struct instance *i);
  /* The driver's destroy and the kind's own teardown; the object is freed after. */
  void (*destroy)(struct instance *i);
  /* NULL, or what else must hold for an unchanged section to be kept. */
  bool (*keep)(const struct instance *i, const struct conf *c);
};

struct instances {
  const struct instance_kind *kind;
  struct registry reg;
};

/* The registry's callbacks, for INSTANCES_INIT only. */
const char *instance_name_of(const void *item);
void instance_destroy_item(void *item);

#define INSTANCES_INIT(k)                                                                           \
  {.kind = (k), .reg = {.name_of = instance_name_of, .destroy = instance_destroy_item}}

/* Reload order across kinds is main.c's: drop changed first, add new after. */
void instances_drop_changed(struct instances *set, const struct conf *c);
void instances_add_new(struct instances *set, const struct conf *c);
void instances_clear(struct instances *set);

struct instance *instances_find(const struct instances *set, const char *name);
/* True if NAME exists and will be kept by a reload to c. */
bool instances_unchanged(const struct instances *set, const struct conf *c, const char *name);
size_t instances_count(const struct instances *set);
struct instance *instances_at(const struct instances *set, size_t i);

#endif
