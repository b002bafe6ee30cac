/* A list of named instances (sources, outputs, trackers) that a reload prunes: the ones whose
   section is unchanged keep running, the others are destroyed. */
#ifndef RB_REGISTRY_H
#define RB_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

struct registry {
  void **items;
  size_t n;
  const char *(*name_of)(const void *item);
  void (*destroy)(void *item);
};

void registry_add(struct registry *r, void *item);
void *registry_find(const struct registry *r, const char *name);
/* Keeps, in order, the items that keep() accepts; decides for all and makes the list whole
   again before destroying the others, so that whatever runs during a destroy (watchers, a
   lookup by name) meets live items only. */
void registry_prune(struct registry *r, bool (*keep)(const void *item, const void *ctx),
                    const void *ctx);
/* Destroys every item, the last added first, with the list already empty. */
void registry_clear(struct registry *r);

#endif
