/* A snapshot as Prometheus text: the refclock_bridge_ prefix, base units (seconds), _total
   counters, state sets, one table of families per kind of instance (those of trackers and
   fallbacks in metrics_prom_ptp.c). */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/control/metrics_prom.h"
#include "bridge/control/prom_text.h"
#include "bridge/core/memory.h"

#define PREFIX METRICS_PREFIX
#define NAME_MAX_LEN 128

/* ======================================================================================== */

/* The text, through prom_text.h. */
static inline char *room(struct prom_out *o, size_t more) { return prom_room(&o->t, more); }
static inline void put_mem(struct prom_out *o, const char *s, size_t n)
{
  prom_put_mem(&o->t, s, n);
}
#define PUT_LIT(o, lit) put_mem((o), lit, sizeof(lit) - 1)
static inline void put_str(struct prom_out *o, const char *s) { prom_put_str(&o->t, s); }
static inline void put_escaped(struct prom_out *o, const char *s, bool label_value)
{
  prom_put_escaped(&o->t, s, label_value);
}
static inline void value_u64(struct prom_out *o, uint64_t v) { prom_value_u64(&o->t, v); }
static inline void value_i64(struct prom_out *o, int64_t v) { prom_value_i64(&o->t, v); }
static inline void value_ns(struct prom_out *o, int64_t ns) { prom_value_ns(&o->t, ns); }
static inline void value_double(struct prom_out *o, double d) { prom_value_double(&o->t, d); }

/* ======================================================================================== */
/* Driver fields (report extras). Numbers are series of their own family, PREFIX kind_key; a key
   ending in a time unit (_ns, _us, _ms) is given in seconds; counters end in _total. Strings
   are labels of the kind's _info series. */

/* Appends s to buf as snprintf would: cut to fit, NUL-terminated; *n counts the whole text. */
static void cat(char *buf, size_t size, size_t *n, const char *s)
{
  size_t m = strlen(s);

  if (*n + 1 < size)
    memcpy(buf + *n, s, *n + m < size ? m : size - 1 - *n);
  *n += m;
  buf[*n < size ? *n : size - 1] = '\0';
}

static bool key_to_name(const char *key, char *out, size_t len)
{
  size_t n = 0;

  if (!key || !*key)
    return false;
  for (; *key && n + 1 < len; key++) {
    char c = *key;
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    out[n++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '_';
  }
  out[n] = '\0';
  return !(out[0] >= '0' && out[0] <= '9') && strncmp(out, "__", 2) != 0;
}

static bool ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The family of a numeric field, its type, and the nanoseconds per unit of a time (else 0).
   What promtool flags is renamed: time units other than seconds, and _count (a histogram's). */
static bool extra_family(const char *kind_label, const struct report_extra *e, char *name,
                         size_t len, const char **type, int64_t *ns_per_unit)
{
  static const struct {
    const char *suffix;
    int64_t ns;
  } units[] = {
    {"_ns", 1},       {"_nanoseconds", 1},        {"_us", 1000}, {"_microseconds", 1000},
    {"_ms", 1000000}, {"_milliseconds", 1000000}, {"_count", 0},
  };
  char key[NAME_MAX_LEN];
  size_t n;

  if (e->type == REPORT_STRING || !key_to_name(e->key, key, sizeof(key)))
    return false;
  *ns_per_unit = 0;
  for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
    if (ends_with(key, units[i].suffix)) {
      key[strlen(key) - strlen(units[i].suffix)] = '\0';
      *ns_per_unit = units[i].ns;
      break;
    }
  }
  n = 0;
  cat(name, len, &n, PREFIX);
  cat(name, len, &n, kind_label);
  cat(name, len, &n, "_");
  cat(name, len, &n, key);
  cat(name, len, &n, *ns_per_unit ? "_seconds" : "");
  if (e->type == REPORT_COUNT && !ends_with(name, "_total") && n < len)
    cat(name, len, &n, "_total");
  *type = e->type == REPORT_COUNT ? "counter" : "gauge";
  return true;
}

static void extra_value(struct prom_out *o, const struct report_extra *e, int64_t ns_per_unit)
{
  switch (e->type) {
  case REPORT_INT:
    if (ns_per_unit)
      value_ns(o, e->v.i * ns_per_unit);
    else
      value_i64(o, e->v.i);
    break;
  case REPORT_COUNT:
    if (ns_per_unit)
      value_ns(o, (int64_t)e->v.count * ns_per_unit);
    else
      value_u64(o, e->v.count);
    break;
  case REPORT_DOUBLE:
    value_double(o, ns_per_unit ? e->v.d * (double)ns_per_unit / 1e9 : e->v.d);
    break;
  case REPORT_BOOL:
    value_u64(o, e->v.b);
    break;
  case REPORT_STRING:
    break;
  }
}

void metrics_info_series(struct prom_out *o, const struct prom_who *w,
                         const struct prom_label *fixed, size_t nf,
                         const struct report_extras *x)
{
  struct prom_label l[3 + REPORT_EXTRAS_MAX];
  char keys[REPORT_EXTRAS_MAX][NAME_MAX_LEN];
  size_t n = 0;

  for (size_t i = 0; i < nf && n < 3; i++)
    if (fixed[i].value[0])
      l[n++] = fixed[i];
  for (size_t i = 0; i < x->n; i++) {
    bool clash;
    if (x->e[i].type != REPORT_STRING || !x->e[i].s[0] ||
        !key_to_name(x->e[i].key, keys[i], NAME_MAX_LEN))
      continue;
    clash = strcmp(keys[i], w->label) == 0 || strcmp(keys[i], "kind") == 0;
    for (size_t k = 0; k < n && !clash; k++)
      clash = strcmp(l[k].name, keys[i]) == 0;
    if (!clash)
      l[n++] = (struct prom_label){keys[i], x->e[i].s, false};
  }
  prom_series(o, w, l, n);
  value_u64(o, 1);
}

/* ======================================================================================== */
/* Families per kind of instance: a table each, rendered family by family over the instances. */

struct kind_view {
  const char *label; /* "source" */
  const struct metrics_family *families;
  size_t n_families;
  const void *reports;
  size_t stride, n;
  bool kind;         /* the reports have a kind (a driver), after the name */
  const struct report_extras *(*extras)(const void *report); /* NULL: none */
};

static const void *report_at(const struct kind_view *v, size_t i)
{
  return (const char *)v->reports + i * v->stride;
}

/* The report structs all begin with the name, and those of instances with drivers the kind. */
#define NAME_AND_KIND_FIRST(type)                                                                  \
  _Static_assert(offsetof(type, name) == 0 && offsetof(type, kind) == sizeof(const char *),        \
                 #type " begins with name and kind")
NAME_AND_KIND_FIRST(struct source_report);
NAME_AND_KIND_FIRST(struct output_report);
NAME_AND_KIND_FIRST(struct tracker_report);
_Static_assert(offsetof(struct fallback_report, name) == 0, "fallback_report begins with name");

/* The instances' label sets, escaped once per render into one buffer (arena). */
static struct prom_who *whos_of(const struct kind_view *v, struct prom_out *arena)
{
  struct prom_who *whos = xnew_array(struct prom_who, v->n + 1);
  size_t *start = xnew_array(size_t, v->n + 1);

  for (size_t i = 0; i < v->n; i++) {
    const char *const *p = report_at(v, i);
    whos[i].label = v->label;
    whos[i].name = p[0] ? p[0] : "";
    whos[i].kind = v->kind ? (p[1] ? p[1] : "") : NULL;
    start[i] = arena->t.len;
    PUT_LIT(arena, "{");
    put_str(arena, v->label);
    PUT_LIT(arena, "=\"");
    put_escaped(arena, whos[i].name, true);
    if (whos[i].kind) {
      PUT_LIT(arena, "\",kind=\"");
      put_escaped(arena, whos[i].kind, true);
    }
    PUT_LIT(arena, "\"");
  }
  for (size_t i = 0; i < v->n; i++) { /* the arena no longer moves */
    whos[i].prefix = arena->t.buf + start[i];
    whos[i].prefix_len = (i + 1 < v->n ? start[i + 1] : arena->t.len) - start[i];
  }
  free(start);
  return whos;
}

static bool fixed_family(const struct kind_view *v, const char *name)
{
  for (size_t f = 0; f < v->n_families; f++)
    if (strcmp(v->families[f].name, name) == 0)
      return true;
  return false;
}

/* The family of a driver field, resolved once per render for each distinct key and type of a
   kind: keys are literals, so instances of one driver share them. */
struct extra_fam {
  const char *key;
  enum report_type type;
  bool numeric; /* extra_family() gave a name: a number with a valid key */
  bool fixed;   /* the name is one of the kind's fixed families: left out */
  bool done;
  char name[NAME_MAX_LEN];
  const char *fam_type;
  int64_t npu;
  size_t same; /* the first extra_fam with this name */
};

/* Resolves every field of every instance: (*slot)[first[i] + k] is field k of instance i. */
static struct extra_fam *resolve_extras(const struct kind_view *v, size_t *first, size_t **slot)
{
  size_t total = 0, n = 0;
  struct extra_fam *fams;

  for (size_t i = 0; i < v->n; i++) {
    first[i] = total;
    total += v->extras(report_at(v, i))->n;
  }
  *slot = xnew_array(size_t, total + 1);
  fams = xmalloc((total + 1) * sizeof(*fams)); /* the used ones are set in full */
  for (size_t i = 0; i < v->n; i++) {
    const struct report_extras *x = v->extras(report_at(v, i));
    for (size_t k = 0; k < x->n; k++) {
      const struct report_extra *e = &x->e[k];
      size_t f = 0;
      while (f < n && (fams[f].key != e->key || fams[f].type != e->type))
        f++;
      if (f == n) {
        struct extra_fam *a = &fams[n++];
        a->key = e->key;
        a->type = e->type;
        a->numeric = extra_family(v->label, e, a->name, sizeof(a->name), &a->fam_type, &a->npu);
        a->fixed = a->numeric && fixed_family(v, a->name);
        a->done = false;
        a->same = f;
        for (size_t b = 0; b < f; b++) {
          if (fams[b].numeric && a->numeric && strcmp(fams[b].name, a->name) == 0) {
            a->same = b;
            break;
          }
        }
      }
      (*slot)[first[i] + k] = f;
    }
  }
  return fams;
}

static void render_extras(struct prom_out *o, const struct kind_view *v,
                          const struct prom_who *whos)
{
  size_t *first = xnew_array(size_t, v->n + 1), *slot;
  struct extra_fam *fams = resolve_extras(v, first, &slot);

  for (size_t i = 0; i < v->n; i++) {
    const struct report_extras *x = v->extras(report_at(v, i));
    for (size_t k = 0; k < x->n; k++) {
      const struct extra_fam *f = &fams[slot[first[i] + k]];
      char help[REPORT_TEXT_MAX];

      if (!f->numeric || f->fixed || fams[f->same].done)
        continue;
      fams[f->same].done = true;
      size_t n = 0;
      cat(help, sizeof(help), &n, "Field ");
      cat(help, sizeof(help), &n, x->e[k].key);
      cat(help, sizeof(help), &n, " reported by the ");
      cat(help, sizeof(help), &n, v->label);
      cat(help, sizeof(help), &n, f->npu ? "'s driver, in seconds." : "'s driver.");
      prom_family(o, f->name, f->fam_type, help);
      /* this family's series: one per instance that has the field, of the same type */
      for (size_t j = i; j < v->n; j++) {
        const struct report_extras *y = v->extras(report_at(v, j));
        for (size_t m = 0; m < y->n; m++) {
          const struct extra_fam *g = &fams[slot[first[j] + m]];
          if (!g->numeric || g->same != f->same || strcmp(g->fam_type, f->fam_type) != 0)
            continue;
          prom_series(o, &whos[j], NULL, 0);
          extra_value(o, &y->e[m], g->npu);
          break; /* a key twice in one instance would be a duplicate series */
        }
      }
    }
  }
  free(fams);
  free(slot);
  free(first);
}

static void render_kind(struct prom_out *o, const struct kind_view *v)
{
  struct prom_out arena = {0};
  struct prom_who *whos;

  if (!v->n) /* no series, so no families */
    return;
  whos = whos_of(v, &arena);
  for (size_t f = 0; f < v->n_families; f++) {
    prom_family(o, v->families[f].name, v->families[f].type, v->families[f].help);
    for (size_t i = 0; i < v->n; i++)
      v->families[f].emit(o, &whos[i], report_at(v, i));
  }
  if (v->extras)
    render_extras(o, v, whos);
  free(whos);
  free(arena.t.buf);
}

/* ======================================================================================== */
/* Sources */

#define SRC(p) const struct source_report *r = (p)

static void m_source_info(struct prom_out *o, const struct prom_who *w, const void *p)
{
  SRC(p);
  struct prom_label l = {"endpoint", r->endpoint, false};
  metrics_info_series(o, w, &l, 1, &r->extras);
}

static void m_source_up(struct prom_out *o, const struct prom_who *w, const void *p)
{
  SRC(p);
  prom_series_u64(o, w, NULL, NULL, snapshot_source_healthy(r));
}

static void m_source_state(struct prom_out *o, const struct prom_who *w, const void *p)
{
  SRC(p);
  for (enum source_state s = SOURCE_NO_DATA; s <= SOURCE_LOST; s++)
    prom_series_u64(o, w, "state", source_state_name(s), r->state == s);
}

static void m_source_offset(struct prom_out *o, const struct prom_who *w, const void *p)
{
  SRC(p);
  if (r->have_sample)
    prom_series_ns(o, w, r->last_offset_ns);
}

static void m_source_last_sample(struct prom_out *o, const struct prom_who *w, const void *p)
{
  SRC(p);
  if (r->have_sample)
    prom_series_ns(o, w, r->last_sample_ns);
}

static void m_source_samples(struct prom_out *o, const struct prom_who *w, const void *p)
{
  SRC(p);
  prom_series_u64(o, w, "result", "published", r->published);
  prom_series_u64(o, w, "result", "invalid", r->invalid);
}

static void m_source_losses(struct prom_out *o, const struct prom_who *w, const void *p)
{
  SRC(p);
  prom_series_u64(o, w, NULL, NULL, r->lost);
}

static void m_source_outages(struct prom_out *o, const struct prom_who *w, const void *p)
{
  SRC(p);
  prom_series_u64(o, w, NULL, NULL, r->health.outages);
}

static void m_source_outage_time(struct prom_out *o, const struct prom_who *w, const void *p)
{
  SRC(p);
  prom_series_ns(o, w, r->health.outage_ns);
}

static const struct metrics_family source_families[] = {
  {PREFIX "source_info", "gauge", "A source: its device or endpoint, and its driver's text fields.",
   m_source_info},
  {PREFIX "source_up", "gauge", "1 if the source is ok (valid samples flow), else 0.", m_source_up},
  {PREFIX "source_state", "gauge",
   "The source's state as a state set: 1 for the current state, 0 for the others.", m_source_state},
  {PREFIX "source_offset_seconds", "gauge",
   "Reference minus system time of the latest sample, valid or not.", m_source_offset},
  {PREFIX "source_last_sample_timestamp_seconds", "gauge",
   "System time (Unix seconds) at which the latest sample was taken.", m_source_last_sample},
  {PREFIX "source_samples_total", "counter",
   "Samples measured: published (valid, sent to the outputs) or invalid.", m_source_samples},
  {PREFIX "source_losses_total", "counter", "Times the source could no longer measure.",
   m_source_losses},
  {PREFIX "source_outages_total", "counter", "Outages of the source (device or daemon gone).",
   m_source_outages},
  {PREFIX "source_outage_seconds_total", "counter",
   "Time spent in outages, the current one included.", m_source_outage_time},
};

static const struct report_extras *m_source_extras(const void *p)
{
  SRC(p);
  return &r->extras;
}

/* ======================================================================================== */
/* Outputs */

#define OUT(p) const struct output_report *r = (p)

static void m_output_info(struct prom_out *o, const struct prom_who *w, const void *p)
{
  OUT(p);
  struct prom_label l = {"target", r->target, false};
  metrics_info_series(o, w, &l, 1, &r->extras);
}

static void m_output_connected(struct prom_out *o, const struct prom_who *w, const void *p)
{
  OUT(p);
  prom_series_u64(o, w, NULL, NULL, r->connected);
}

static void m_output_samples(struct prom_out *o, const struct prom_who *w, const void *p)
{
  OUT(p);
  prom_series_u64(o, w, "result", "sent", r->sent);
  prom_series_u64(o, w, "result", "dropped", r->dropped);
}

static void m_output_invalidations(struct prom_out *o, const struct prom_who *w, const void *p)
{
  OUT(p);
  prom_series_u64(o, w, NULL, NULL, r->invalidated);
}

static void m_output_outages(struct prom_out *o, const struct prom_who *w, const void *p)
{
  OUT(p);
  prom_series_u64(o, w, NULL, NULL, r->health.outages);
}

static void m_output_outage_time(struct prom_out *o, const struct prom_who *w, const void *p)
{
  OUT(p);
  prom_series_ns(o, w, r->health.outage_ns);
}

static const struct metrics_family output_families[] = {
  {PREFIX "output_info", "gauge", "An output: its socket or SHM key, and its driver's text fields.",
   m_output_info},
  {PREFIX "output_connected", "gauge", "1 if the output is connected or attached, else 0.",
   m_output_connected},
  {PREFIX "output_samples_total", "counter",
   "Samples for the output: sent to the time daemon, or dropped.", m_output_samples},
  {PREFIX "output_invalidations_total", "counter",
   "Times the output told its reader to stop trusting the last sample.", m_output_invalidations},
  {PREFIX "output_outages_total", "counter", "Outages of the output (time daemon gone).",
   m_output_outages},
  {PREFIX "output_outage_seconds_total", "counter",
   "Time spent in outages, the current one included.", m_output_outage_time},
};

static const struct report_extras *m_output_extras(const void *p)
{
  OUT(p);
  return &r->extras;
}

/* ======================================================================================== */

static void render_daemon(struct prom_out *o, const struct snapshot *s)
{
  const struct daemon_report *d = &s->daemon;

  prom_family(o, PREFIX "build_info", "gauge", "The bridge's version, as a label; always 1.");
  {
    struct prom_label version = {"version", d->version ? d->version : "unknown", false};
    prom_series(o, NULL, &version, 1);
    value_u64(o, 1);
  }
  prom_family(o, PREFIX "start_time_seconds", "gauge", "When the bridge started (Unix seconds).");
  prom_series_ns(o, NULL, d->start_ns);
  prom_family(o, PREFIX "config_reloads_total", "counter",
              "Reloads of the configuration (SIGHUP): applied, or rejected as invalid.");
  prom_series_u64(o, NULL, "result", "applied", d->reloads);
  prom_series_u64(o, NULL, "result", "rejected", d->reloads_rejected);
  prom_family(o, PREFIX "log_lines_suppressed_total", "counter",
              "Log lines left out by rate limits.");
  prom_series_u64(o, NULL, NULL, NULL, d->log_suppressed);
  prom_family(o, PREFIX "healthy", "gauge",
              "1 if every source is ok, every output connected, every tracker LOCKED and every "
              "fallback in PTP mode with its actions working, else 0.");
  prom_series_u64(o, NULL, NULL, NULL, snapshot_healthy(s));
}

char *metrics_prom_render(const struct snapshot *s, size_t *len)
{
#define N(a) (sizeof(a) / sizeof((a)[0]))
  const struct kind_view kinds[] = {
    {"source", source_families, N(source_families), s->sources, sizeof(*s->sources),
     s->n_sources, true, m_source_extras},
    {"output", output_families, N(output_families), s->outputs, sizeof(*s->outputs),
     s->n_outputs, true, m_output_extras},
    {"tracker", metrics_tracker_families, metrics_n_tracker_families, s->trackers,
     sizeof(*s->trackers), s->n_trackers, true, metrics_tracker_extras},
    {"fallback", metrics_fallback_families, metrics_n_fallback_families, s->fallbacks,
     sizeof(*s->fallbacks), s->n_fallbacks, false, NULL},
  };
#undef N
  size_t instances = s->n_sources + s->n_outputs + s->n_trackers + s->n_fallbacks;
  struct prom_out o = {0};

  room(&o, 4096 + 1536 * instances); /* about the size of the text: one allocation */
  render_daemon(&o, s);
  for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
    render_kind(&o, &kinds[k]);
  *room(&o, 0) = '\0';
  if (len)
    *len = o.t.len;
  return o.t.buf;
}
