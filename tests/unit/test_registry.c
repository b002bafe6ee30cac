/* Unit tests: a registry prunes in order and destroys only once the list is whole again. */
#include <stdbool.h>

#include "bridge/core/registry.h"
#include "test.h"

struct item {
  const char *name;
  bool keep, destroyed;
};

static struct registry reg;
static int seen_during_destroy; /* items found by name while one was being destroyed */

static const char *name_of(const void *item)
{
  return ((const struct item *)item)->name;
}

static void destroy(void *item)
{
  static const char *const all[] = {"a", "b", "c", "d"};
  ((struct item *)item)->destroyed = true;
  /* whatever a destroy looks up is live: destroyed items are no longer listed */
  for (int i = 0; i < 4; i++) {
    struct item *x = registry_find(&reg, all[i]);
    if (x && x->destroyed)
      seen_during_destroy++;
  }
}

static bool keep(const void *item, const void *ctx)
{
  (void)ctx;
  return ((const struct item *)item)->keep;
}

int main(void)
{
  struct item a = {"a", false, false}, b = {"b", true, false}, c = {"c", false, false},
              d = {"d", true, false};

  reg.name_of = name_of;
  reg.destroy = destroy;
  registry_add(&reg, &a);
  registry_add(&reg, &b);
  registry_add(&reg, &c);
  registry_add(&reg, &d);
  CHECK(registry_find(&reg, "c") == &c);
  CHECK(registry_find(&reg, "e") == NULL);

  registry_prune(&reg, keep, NULL);
  CHECK(a.destroyed && c.destroyed && !b.destroyed && !d.destroyed);
  CHECK_EQ_INT(reg.n, 2);
  CHECK(reg.items[0] == &b && reg.items[1] == &d); /* order kept */
  CHECK_EQ_INT(seen_during_destroy, 0);

  registry_clear(&reg);
  CHECK(b.destroyed && d.destroyed);
  CHECK_EQ_INT(reg.n, 0);
  CHECK_EQ_INT(seen_during_destroy, 0);
  return test_report("registry");
}
