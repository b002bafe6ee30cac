/* Prometheus exposition text, built fast: an appender with memcpy for everything, escaping
   that copies runs without specials whole, and hand-written number formats. The metrics file
   is rewritten every few seconds; printf per fragment cost more than all the sampling. */
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

#endif
