/* Source instances and the fan-out of their samples to outputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/core/instance.h"
#include "bridge/core/log.h"
#include "bridge/core/memory.h"
#include "bridge/core/output.h"
#include "bridge/core/source_driver.h"
#include "bridge/core/util.h"

const struct conf_key source_common_keys[] = {
  {.name = "outputs", .type = CONF_REFS, .required = true, .ref_kind = "output", .exclusive = true},
  {0},
};

struct source {
  struct instance inst;
  struct output **outs;
  size_t n_outs;
  enum source_state state;
  int64_t state_since_ns;
  bool have_sample;
  struct rb_sample last;
  uint64_t published, invalid, lost;
};

static const struct source_ops *ops_of(const struct source *src)
{
  return container_of(src->inst.driver, struct source_ops, conf);
}

static struct source *source_of(const struct instance *i)
{
  return container_of(i, struct source, inst);
}

static struct instance *alloc_source(void)
{
  return &xnew(struct source)->inst;
}

static void create_source(struct instance *i, const struct conf_section *s)
{
  struct source *src = source_of(i);
  const char *const *names;

  src->n_outs = conf_refs(s, "outputs", &names);
  src->outs = xnew_array(struct output *, src->n_outs);
  for (size_t j = 0; j < src->n_outs; j++)
    src->outs[j] = output_find(names[j]); /* references were checked by conf */
  src->state_since_ns = realtime_ns();
  i->priv = ops_of(src)->create(src, s);
}

static void start_source(struct instance *i)
{
  ops_of(source_of(i))->start(i->priv);
}

static void destroy_source(struct instance *i)
{
  struct source *src = source_of(i);

  /* Stopping is a loss of validity too: SHM readers see leap 3 at once. */
  source_lost(src);
  ops_of(src)->destroy(i->priv);
  free(src->outs);
}

/* Kept only if every output it feeds is kept too. */
static bool keep_source(const struct instance *i, const struct conf *c)
{
  const struct source *src = source_of(i);
  for (size_t j = 0; j < src->n_outs; j++)
    if (!output_unchanged(c, output_name(src->outs[j])))
      return false;
  return true;
}

static const struct instance_kind source_kind = {
  .section = "source",
  .alloc = alloc_source,
  .create = create_source,
  .start = start_source,
  .destroy = destroy_source,
  .keep = keep_source,
};
static struct instances sources = INSTANCES_INIT(&source_kind);

void source_drop_changed(const struct conf *c)
{
  instances_drop_changed(&sources, c);
}

void source_add_new(const struct conf *c)
{
  instances_add_new(&sources, c);
}

void source_fini(void)
{
  instances_clear(&sources);
}

struct source *source_find(const char *name)
{
  struct instance *i = instances_find(&sources, name);
  return i ? source_of(i) : NULL;
}

const char *source_name(const struct source *src)
{
  return src->inst.name;
}

struct health *source_health(struct source *src)
{
  return &src->inst.health;
}

static void set_state(struct source *src, enum source_state st)
{
  if (src->state != st) {
    report_changed();
    src->state = st;
    src->state_since_ns = realtime_ns();
  }
}

void source_publish(struct source *src, const struct rb_sample *sample)
{
  int64_t offset = sample->ref_ns - sample->sys_ns;

  log_debug("source %s: sample at %lld.%09lld offset %+lld ns leap %d precision %d%s",
            src->inst.name, (long long)(sample->sys_ns / NS_PER_SEC),
            (long long)(sample->sys_ns % NS_PER_SEC), (long long)offset, (int)sample->leap,
            sample->precision, sample->valid ? "" : " (not valid)");
  if (sample->valid) {
    if (src->state != SOURCE_OK)
      log_info("source %s: publishing, offset %+.9f s", src->inst.name, (double)offset * 1e-9);
    src->published++;
    for (size_t i = 0; i < src->n_outs; i++)
      output_send(src->outs[i], sample);
  } else {
    src->invalid++;
    for (size_t i = 0; i < src->n_outs; i++)
      output_invalidate(src->outs[i], sample);
  }
  set_state(src, sample->valid ? SOURCE_OK : SOURCE_GATED);
  src->have_sample = true;
  src->last = *sample;
}

static void invalidate(struct source *src, enum source_state why)
{
  if (src->state == why)
    return;
  if (why == SOURCE_LOST)
    src->lost++;
  set_state(src, why);
  src->last.valid = false;
  for (size_t i = 0; i < src->n_outs; i++)
    output_invalidate(src->outs[i], src->have_sample ? &src->last : NULL);
}

void source_lost(struct source *src)
{
  invalidate(src, SOURCE_LOST);
}

void source_gated(struct source *src)
{
  invalidate(src, SOURCE_GATED);
}

enum source_state source_state(const struct source *src)
{
  return src->state;
}

const struct rb_sample *source_last(const struct source *src)
{
  return src->have_sample ? &src->last : NULL;
}

size_t source_count(void)
{
  return instances_count(&sources);
}

void source_report(size_t n, struct source_report *r)
{
  struct source *src = source_of(instances_at(&sources, n));
  size_t off = 0;

  memset(r, 0, sizeof(*r));
  r->name = src->inst.name;
  r->kind = src->inst.driver->type;
  for (size_t i = 0; i < src->n_outs && off + 1 < sizeof(r->outputs); i++) {
    if (i)
      r->outputs[off++] = ',';
    off += report_copy(r->outputs + off, sizeof(r->outputs) - off, output_name(src->outs[i]));
  }
  r->state = src->state;
  r->state_since_ns = src->state_since_ns;
  r->published = src->published;
  r->invalid = src->invalid;
  r->lost = src->lost;
  r->have_sample = src->have_sample;
  if (src->have_sample) {
    r->last_offset_ns = src->last.ref_ns - src->last.sys_ns;
    r->last_sample_ns = src->last.sys_ns;
    r->last_precision = src->last.precision;
  }
  health_report(&src->inst.health, &r->health);
  if (ops_of(src)->report)
    ops_of(src)->report(src->inst.priv, r);
}
