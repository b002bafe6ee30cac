/* Output instances. */
#include <string.h>

#include "bridge/core/instance.h"
#include "bridge/core/memory.h"
#include "bridge/core/output_driver.h"

struct output {
  struct instance inst;
  bool connected;
  uint64_t sent, dropped, invalidated;
};

static const struct output_ops *ops_of(const struct output *out)
{
  return container_of(out->inst.driver, struct output_ops, conf);
}

static struct output *output_of(const struct instance *i)
{
  return container_of(i, struct output, inst);
}

static struct instance *alloc_output(void)
{
  return &xnew(struct output)->inst;
}

static void create_output(struct instance *i, const struct conf_section *s)
{
  i->priv = ops_of(output_of(i))->create(output_of(i), s);
}

static void start_output(struct instance *i)
{
  ops_of(output_of(i))->start(i->priv);
}

static void destroy_output(struct instance *i)
{
  ops_of(output_of(i))->destroy(i->priv);
}

static const struct instance_kind output_kind = {
  .section = "output",
  .alloc = alloc_output,
  .create = create_output,
  .start = start_output,
  .destroy = destroy_output,
};
static struct instances outputs = INSTANCES_INIT(&output_kind);

bool output_unchanged(const struct conf *c, const char *name)
{
  return instances_unchanged(&outputs, c, name);
}

void output_reconfigure(const struct conf *c)
{
  /* Outputs whose section is gone or changed are closed; the rest keep their connections. */
  instances_drop_changed(&outputs, c);
  instances_add_new(&outputs, c);
}

void output_fini(void)
{
  instances_clear(&outputs);
}

struct output *output_find(const char *name)
{
  struct instance *i = instances_find(&outputs, name);
  return i ? output_of(i) : NULL;
}

const char *output_name(const struct output *out)
{
  return out->inst.name;
}

void output_send(struct output *out, const struct rb_sample *sample)
{
  ops_of(out)->send(out->inst.priv, sample);
}

void output_invalidate(struct output *out, const struct rb_sample *last)
{
  out->invalidated++;
  ops_of(out)->invalidate(out->inst.priv, last);
}

void output_count_sent(struct output *out)
{
  out->sent++;
}

void output_count_dropped(struct output *out)
{
  out->dropped++;
}

void output_set_connected(struct output *out, bool connected)
{
  if (out->connected != connected)
    report_changed();
  out->connected = connected;
}

struct health *output_health(struct output *out)
{
  return &out->inst.health;
}

size_t output_count(void)
{
  return instances_count(&outputs);
}

void output_report(size_t n, struct output_report *r)
{
  struct output *out = output_of(instances_at(&outputs, n));

  memset(r, 0, sizeof(*r));
  r->name = out->inst.name;
  r->kind = out->inst.driver->type;
  r->connected = out->connected;
  r->sent = out->sent;
  r->dropped = out->dropped;
  r->invalidated = out->invalidated;
  health_report(&out->inst.health, &r->health);
  if (ops_of(out)->report)
    ops_of(out)->report(out->inst.priv, r);
}
