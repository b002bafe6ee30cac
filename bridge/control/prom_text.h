/* Prometheus exposition text, built fast: an appender with memcpy for everything, escaping
   that copies runs without specials whole, and hand-written number formats; families and
   series on top. The metrics file is rewritten every few seconds; printf per fragment cost more
   than all the sampling. */
#ifndef RB_PROM_TEXT_H
#define RB_PROM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct prom_text {
  char *buf;
  size_t len, cap;
  /* the last non-integral double and its text: drivers report the same one per instance */
  bool have_double;
  uint64_t double_bits;
  char double_text[40];
};

/* Makes room for more bytes and a NUL (allocators abort on out-of-memory). */
void prom_grow(struct prom_text *o, size_t more);

/* Room for more bytes and a NUL after them. */
static inline char *prom_room(struct prom_text *o, size_t more)
{
  if (o->len + more >= o->cap)
    prom_grow(o, more);
  return o->buf + o->len;
}

static inline void prom_put_mem(struct prom_text *o, const char *s, size_t n)
{
  memcpy(prom_room(o, n), s, n);
  o->len += n;
}

#define PROM_PUT_LIT(o, lit) prom_put_mem((o), lit, sizeof(lit) - 1)

static inline void prom_put_str(struct prom_text *o, const char *s)
{
  prom_put_mem(o, s, strlen(s));
}

/* A label value (escapes backslash, double quote and newline) or HELP text (backslash and
   newline). */
void prom_put_escaped(struct prom_text *o, const char *s, bool label_value);
/* A series' value and the newline that ends it. */
void prom_value_u64(struct prom_text *o, uint64_t v);
void prom_value_i64(struct prom_text *o, int64_t v);
/* Nanoseconds as exact decimal seconds ("0.000123456", "-1.5"). */
void prom_value_ns(struct prom_text *o, int64_t ns);
/* The shortest of %.15g, %.16g and %.17g that reads back as the same double; NaN, +Inf, -Inf. */
void prom_value_double(struct prom_text *o, double d);

/* ==== Families and their series */

/* The text so far, and the family whose HELP and TYPE lines go out before its first series. */
struct prom_out {
  struct prom_text t;
  const char *fam_name, *fam_help, *fam_type;
  size_t fam_len;
  bool fam_started;
};

/* The instance a series belongs to: its label ("source") with its name, and its driver (NULL
   for a kind without drivers); prefix is their label set as text, {source="name",kind="kind"
   (escaped, without the closing }). */
struct prom_who {
  const char *label, *name, *kind;
  const char *prefix;
  size_t prefix_len;
};

struct prom_label {
  const char *name, *value;
  bool plain; /* one of our own constants: nothing to escape */
};

/* Starts a family; name and help must outlive its series. */
void prom_family(struct prom_out *o, const char *name, const char *type, const char *help);
/* Starts a series of the current family, the family's HELP and TYPE lines before the first:
   its name, the instance's labels (w NULL: none) and l; a prom_value_* call on &o->t ends it.
   Inline: it runs for every series, and a call costs 2% of a render. */
static inline void prom_series(struct prom_out *o, const struct prom_who *w,
                               const struct prom_label *l, size_t nl)
{
  struct prom_text *t = &o->t;
  bool any = w != NULL;

  if (!o->fam_started) {
    PROM_PUT_LIT(t, "# HELP ");
    prom_put_mem(t, o->fam_name, o->fam_len);
    PROM_PUT_LIT(t, " ");
    prom_put_escaped(t, o->fam_help, false);
    PROM_PUT_LIT(t, "\n# TYPE ");
    prom_put_mem(t, o->fam_name, o->fam_len);
    PROM_PUT_LIT(t, " ");
    prom_put_str(t, o->fam_type);
    PROM_PUT_LIT(t, "\n");
    o->fam_started = true;
  }
  prom_put_mem(t, o->fam_name, o->fam_len);
  if (w)
    prom_put_mem(t, w->prefix, w->prefix_len);
  for (size_t i = 0; i < nl; i++) {
    prom_put_mem(t, any ? "," : "{", 1);
    prom_put_str(t, l[i].name);
    PROM_PUT_LIT(t, "=\"");
    if (l[i].plain)
      prom_put_str(t, l[i].value);
    else
      prom_put_escaped(t, l[i].value ? l[i].value : "", true);
    PROM_PUT_LIT(t, "\"");
    any = true;
  }
  if (any)
    PROM_PUT_LIT(t, "} ");
  else
    PROM_PUT_LIT(t, " ");
}

/* A whole series with at most one label k="v" (one of our constants) besides the instance's. */
static inline void prom_series_u64(struct prom_out *o, const struct prom_who *w, const char *k,
                                   const char *v, uint64_t x)
{
  struct prom_label l = {k, v, true};
  prom_series(o, w, &l, k ? 1 : 0);
  prom_value_u64(&o->t, x);
}

static inline void prom_series_ns(struct prom_out *o, const struct prom_who *w, int64_t ns)
{
  prom_series(o, w, NULL, 0);
  prom_value_ns(&o->t, ns);
}

#endif
