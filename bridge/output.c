/* Output registry and instances. Adding a driver: one file and one row in output_table. */
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "output.h"
#include "registry.h"

extern const struct output_ops sock_output_ops;
extern const struct output_ops shm_output_ops;

static const struct output_ops *const output_table[] = {
  &sock_output_ops,
  &shm_output_ops,
  NULL,
};

const struct conf_driver *const output_conf_drivers[] = {
  &sock_output_ops.conf,
  &shm_output_ops.conf,
  NULL,
};

struct output {
  char *name;
  char *digest; /* the section's effective values: unchanged on reload means kept */
  const struct output_ops *ops;
  void *priv;
  struct output_stats stats;
};

static const struct output_ops *find_ops(const char *type)
{
  for (size_t i = 0; output_table[i]; i++)
    if (strcmp(output_table[i]->conf.type, type) == 0)
      return output_table[i];
  return NULL;
}

static void destroy(void *item)
{
  struct output *out = item;

  out->ops->destroy(out->priv);
  free(out->digest);
  free(out->name);
  free(out);
}

static const char *name_of(const void *item)
{
  return ((const struct output *)item)->name;
}

static struct registry outputs = {.name_of = name_of, .destroy = destroy};

static bool unchanged(const void *item, const void *ctx)
{
  const struct output *out = item;
  const struct conf_section *s = conf_find(ctx, "output", out->name);
  return s && strcmp(conf_digest(s), out->digest) == 0;
}

bool output_unchanged(const struct conf *c, const char *name)
{
  const struct output *out = output_find(name);
  return out && unchanged(out, c);
}

void output_reconfigure(const struct conf *c)
{
  /* Outputs whose section is gone or changed are closed; the rest keep their connections. */
  registry_prune(&outputs, unchanged, c);
  for (size_t i = 0; i < conf_count(c); i++) {
    const struct conf_section *s = conf_at(c, i);
    struct output *out;
    if (strcmp(conf_kind_name(s), "output") != 0 || output_find(conf_name(s)))
      continue;
    out = xnew(struct output);
    out->name = xstrdup(conf_name(s));
    out->digest = xstrdup(conf_digest(s));
    out->ops = find_ops(conf_type(s));
    out->priv = out->ops->create(out, s);
    registry_add(&outputs, out);
    out->ops->start(out->priv);
  }
}

void output_fini(void)
{
  registry_clear(&outputs);
}

struct output *output_find(const char *name)
{
  return registry_find(&outputs, name);
}

const char *output_name(const struct output *out)
{
  return out->name;
}

void output_send(struct output *out, const struct rb_sample *sample)
{
  out->ops->send(out->priv, sample);
}

void output_invalidate(struct output *out, const struct rb_sample *last)
{
  out->stats.invalidated++;
  out->ops->invalidate(out->priv, last);
}

void output_count_sent(struct output *out)
{
  out->stats.sent++;
}

void output_count_dropped(struct output *out)
{
  out->stats.dropped++;
}

const struct output_stats *output_stats(const struct output *out)
{
  return &out->stats;
}
