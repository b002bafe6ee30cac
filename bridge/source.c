/* Source registry and instances, and fan-out of samples. Adding a driver: one file and one
   row in source_table. */
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "memory.h"
#include "output.h"
#include "registry.h"
#include "source.h"
#include "util.h"

extern const struct source_ops phc_source_ops;
extern const struct source_ops gpsd_source_ops;
extern const struct source_ops pps_source_ops;

static const struct source_ops *const source_table[] = {
  &phc_source_ops,
  &gpsd_source_ops,
  &pps_source_ops,
  NULL,
};

const struct conf_driver *const source_conf_drivers[] = {
  &phc_source_ops.conf,
  &gpsd_source_ops.conf,
  &pps_source_ops.conf,
  NULL,
};

const struct conf_key source_common_keys[] = {
  {.name = "outputs", .type = CONF_REFS, .required = true, .ref_kind = "output", .exclusive = true},
  {0},
};

struct source {
  char *name;
  char *digest;
  const struct source_ops *ops;
  void *priv;
  struct output **outs;
  size_t n_outs;
  bool valid;
  bool lost;
  struct rb_sample last;
  struct source_stats stats;
};

static const struct source_ops *find_ops(const char *type)
{
  for (size_t i = 0; source_table[i]; i++)
    if (strcmp(source_table[i]->conf.type, type) == 0)
      return source_table[i];
  return NULL;
}

static void destroy(void *item)
{
  struct source *src = item;

  /* Stopping is a loss of validity too: SHM readers see leap 3 at once. */
  source_lost(src);
  src->ops->destroy(src->priv);
  free(src->outs);
  free(src->digest);
  free(src->name);
  free(src);
}

static const char *name_of(const void *item)
{
  return ((const struct source *)item)->name;
}

static struct registry sources = {.name_of = name_of, .destroy = destroy};

/* Kept only if its section and every output it feeds are unchanged. */
static bool unchanged(const void *item, const void *ctx)
{
  const struct source *src = item;
  const struct conf *c = ctx;
  const struct conf_section *s = conf_find(c, "source", src->name);
  if (!s || strcmp(conf_digest(s), src->digest) != 0)
    return false;
  for (size_t i = 0; i < src->n_outs; i++)
    if (!output_unchanged(c, output_name(src->outs[i])))
      return false;
  return true;
}

void source_drop_changed(const struct conf *c)
{
  registry_prune(&sources, unchanged, c);
}

struct source *source_find(const char *name)
{
  return registry_find(&sources, name);
}

void source_add_new(const struct conf *c)
{
  for (size_t i = 0; i < conf_count(c); i++) {
    const struct conf_section *s = conf_at(c, i);
    const char *const *names;
    struct source *src;

    if (strcmp(conf_kind_name(s), "source") != 0 || source_find(conf_name(s)))
      continue;
    src = xnew(struct source);
    src->name = xstrdup(conf_name(s));
    src->digest = xstrdup(conf_digest(s));
    src->ops = find_ops(conf_type(s));
    src->n_outs = conf_refs(s, "outputs", &names);
    src->outs = xnew_array(struct output *, src->n_outs);
    for (size_t j = 0; j < src->n_outs; j++)
      src->outs[j] = output_find(names[j]); /* references were checked by conf */
    src->priv = src->ops->create(src, s);
    registry_add(&sources, src);
    src->ops->start(src->priv);
  }
}

void source_fini(void)
{
  registry_clear(&sources);
}

const char *source_name(const struct source *src)
{
  return src->name;
}

void source_publish(struct source *src, const struct rb_sample *sample)
{
  src->stats.samples++;
  src->stats.last_offset_ns = sample->ref_ns - sample->sys_ns;
  log_debug("source %s: sample at %lld.%09lld offset %+lld ns leap %d precision %d%s", src->name,
            (long long)(sample->sys_ns / NS_PER_SEC), (long long)(sample->sys_ns % NS_PER_SEC),
            (long long)src->stats.last_offset_ns, (int)sample->leap, sample->precision,
            sample->valid ? "" : " (not valid)");
  if (sample->valid) {
    if (!src->valid)
      log_info("source %s: publishing, offset %+.9f s", src->name,
               (double)src->stats.last_offset_ns * 1e-9);
    for (size_t i = 0; i < src->n_outs; i++)
      output_send(src->outs[i], sample);
  } else {
    src->stats.invalid++;
    for (size_t i = 0; i < src->n_outs; i++)
      output_invalidate(src->outs[i], sample);
  }
  src->valid = sample->valid;
  src->lost = false;
  src->last = *sample;
}

void source_lost(struct source *src)
{
  if (src->lost)
    return;
  src->lost = true;
  src->stats.lost++;
  src->valid = false;
  src->last.valid = false;
  for (size_t i = 0; i < src->n_outs; i++)
    output_invalidate(src->outs[i], src->stats.samples ? &src->last : NULL);
}

const struct rb_sample *source_last(const struct source *src)
{
  return src->stats.samples ? &src->last : NULL;
}

const struct source_stats *source_stats(const struct source *src)
{
  return &src->stats;
}
