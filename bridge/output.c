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
  char *digest; /* the section's effective values: unchanged on reload means kept */
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

static void destroy(struct output *out)
{
  out->ops->destroy(out->priv);
  free(out->digest);
  free(out->name);
  free(out);
}

bool output_unchanged(const struct conf *c, const char *name)
{
  const struct conf_section *s = conf_find(c, "output", name);
  struct output *out = output_find(name);
  return s && out && strcmp(conf_digest(s), out->digest) == 0;
}

void output_reconfigure(const struct conf *c)
{
  size_t kept = 0, n_gone = 0;
  struct output **gone = xnew_array(struct output *, n_outputs + 1);

  /* Outputs whose section is gone or changed are closed; the rest keep their connections.
     Decide for all (output_unchanged() looks through the whole list) and make the list whole
     again before destroying any. */
  for (size_t i = 0; i < n_outputs; i++) {
    if (output_unchanged(c, outputs[i]->name))
      outputs[kept++] = outputs[i];
    else
      gone[n_gone++] = outputs[i];
  }
  n_outputs = kept;
  for (size_t i = 0; i < n_gone; i++)
    destroy(gone[i]);
  free(gone);
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
    outputs = xreallocarray(outputs, n_outputs + 1, sizeof(*outputs));
    outputs[n_outputs++] = out;
    out->ops->start(out->priv);
  }
}

void output_fini(void)
{
  struct output **all = outputs;
  size_t n = n_outputs;

  outputs = NULL; /* none is found while they go */
  n_outputs = 0;
  for (size_t i = n; i-- > 0;)
    destroy(all[i]);
  free(all);
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
