/* The instance lifecycle, written once for every kind. */
#include <stdlib.h>
#include <string.h>

#include "bridge/core/instance.h"
#include "bridge/core/memory.h"
#include "bridge/core/report.h"

/* Retries of an instance whose driver sets no range of its own. */
#define RETRY_MIN_NS (NS_PER_SEC / 2)
#define RETRY_MAX_NS (8 * NS_PER_SEC)

const char *instance_name_of(const void *item)
{
  return ((const struct instance *)item)->name;
}

void instance_destroy_item(void *item)
{
  struct instance *i = item;

  i->kind->destroy(i);
  report_changed();
  free(i->digest);
  free(i->name);
  free(i);
}

static bool unchanged(const void *item, const void *ctx)
{
  const struct instance *i = item;
  const struct conf *c = ctx;
  const struct conf_section *s = conf_find(c, i->kind->section, i->name);

  if (!s || strcmp(conf_digest(s), i->digest) != 0 || conf_driver_of(s) != i->driver)
    return false;
  return !i->kind->keep || i->kind->keep(i, c);
}

void instances_drop_changed(struct instances *set, const struct conf *c)
{
  /* Whatever runs during a destroy (watchers, lookups by name) meets live instances only. */
  registry_prune(&set->reg, unchanged, c);
}

void instances_add_new(struct instances *set, const struct conf *c)
{
  for (size_t n = 0; n < conf_count(c); n++) {
    const struct conf_section *s = conf_at(c, n);
    struct instance *i;

    if (strcmp(conf_kind_name(s), set->kind->section) != 0 || instances_find(set, conf_name(s)))
      continue;
    i = set->kind->alloc();
    i->kind = set->kind;
    i->name = xstrdup(conf_name(s));
    i->digest = xstrdup(conf_digest(s));
    i->driver = conf_driver_of(s);
    health_init(&i->health, set->kind->section, i->name, RETRY_MIN_NS, RETRY_MAX_NS);
    set->kind->create(i, s);
    registry_add(&set->reg, i);
    report_changed();
    set->kind->start(i);
  }
}

void instances_clear(struct instances *set)
{
  registry_clear(&set->reg);
}

struct instance *instances_find(const struct instances *set, const char *name)
{
  return registry_find(&set->reg, name);
}

bool instances_unchanged(const struct instances *set, const struct conf *c, const char *name)
{
  const struct instance *i = instances_find(set, name);
  return i && unchanged(i, c);
}

size_t instances_count(const struct instances *set)
{
  return set->reg.n;
}

struct instance *instances_at(const struct instances *set, size_t i)
{
  return set->reg.items[i];
}
