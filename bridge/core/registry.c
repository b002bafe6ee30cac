/* Registries of named instances, pruned on reload. */
#include <stdlib.h>
#include <string.h>

#include "bridge/core/memory.h"
#include "bridge/core/registry.h"

void registry_add(struct registry *r, void *item)
{
  r->items = xreallocarray(r->items, r->n + 1, sizeof(*r->items));
  r->items[r->n++] = item;
}

void *registry_find(const struct registry *r, const char *name)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp(r->name_of(r->items[i]), name) == 0)
      return r->items[i];
  return NULL;
}

void registry_prune(struct registry *r, bool (*keep)(const void *item, const void *ctx),
                    const void *ctx)
{
  size_t kept = 0, n_gone = 0;
  void **gone = xnew_array(void *, r->n + 1);

  for (size_t i = 0; i < r->n; i++) {
    if (keep(r->items[i], ctx))
      r->items[kept++] = r->items[i];
    else
      gone[n_gone++] = r->items[i];
  }
  r->n = kept;
  for (size_t i = 0; i < n_gone; i++)
    r->destroy(gone[i]);
  free(gone);
}

void registry_clear(struct registry *r)
{
  void **all = r->items;
  size_t n = r->n;

  r->items = NULL;
  r->n = 0;
  for (size_t i = n; i-- > 0;)
    r->destroy(all[i]);
  free(all);
}
