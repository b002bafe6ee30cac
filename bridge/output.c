/* Output registry and instances. Adding a driver: one file and one row in output_table. */
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "output.h"

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
  const struct output_ops *ops;
  void *priv;
  struct output_stats stats;
};

static struct output **outputs;
static size_t n_outputs;

static const struct output_ops *find_ops(const char *type)
{
  for (size_t i = 0; output_table[i]; i++)
    if (strcmp(output_table[i]->conf.type, type) == 0)
      return output_table[i];
  return NULL;
}

void output_init(const struct conf *c)
{
  for (size_t i = 0; i < conf_count(c); i++) {
    const struct conf_section *s = conf_at(c, i);
    struct output *out;
    if (strcmp(conf_kind_name(s), "output") != 0)
      continue;
    out = xnew(struct output);
    out->name = xstrdup(conf_name(s));
    out->ops = find_ops(conf_type(s));
    out->priv = out->ops->create(out, s);
    outputs = xreallocarray(outputs, n_outputs + 1, sizeof(*outputs));
    outputs[n_outputs++] = out;
  }
}

void output_start_all(void)
{
  for (size_t i = 0; i < n_outputs; i++)
    outputs[i]->ops->start(outputs[i]->priv);
}

void output_fini(void)
{
  for (size_t i = n_outputs; i-- > 0;) {
    outputs[i]->ops->destroy(outputs[i]->priv);
    free(outputs[i]->name);
    free(outputs[i]);
  }
  free(outputs);
  outputs = NULL;
  n_outputs = 0;
}

struct output *output_find(const char *name)
{
  for (size_t i = 0; i < n_outputs; i++)
    if (strcmp(outputs[i]->name, name) == 0)
      return outputs[i];
  return NULL;
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
