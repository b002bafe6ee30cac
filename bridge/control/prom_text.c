/* Prometheus exposition text: growing the buffer, escaping, number formats, families. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/control/prom_text.h"
#include "bridge/core/memory.h"

void prom_grow(struct prom_text *o, size_t more)
{
  size_t cap = o->cap ? o->cap : 16384;

  while (cap <= o->len + more)
    cap *= 2;
  o->buf = xrealloc(o->buf, cap);
  o->cap = cap;
}

/* Label values escape \, " and newline; HELP text only \ and newline. */
static inline bool special(char c, bool label_value)
{
  return c == '\\' || c == '\n' || (c == '"' && label_value);
}

/* Nonzero if a byte of w is b: the classic test for a zero byte, on w ^ b repeated. */
static inline uint64_t has_byte(uint64_t w, unsigned char b)
{
  uint64_t x = w ^ (0x0101010101010101u * b);
  return (x - 0x0101010101010101u) & ~x & 0x8080808080808080u;
}

/* The length of the run of s[0..n) without specials, eight bytes a step. */
static size_t plain_run(const char *s, size_t n, bool label_value)
{
  size_t i = 0;

  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, sizeof(w));
    if (has_byte(w, '\\') | has_byte(w, '\n') | (label_value ? has_byte(w, '"') : 0))
      break;
  }
  while (i < n && !special(s[i], label_value))
    i++;
  return i;
}

void prom_put_escaped(struct prom_text *o, const char *s, bool label_value)
{
  size_t n = strlen(s);

  for (;;) {
    size_t run = plain_run(s, n, label_value);
    prom_put_mem(o, s, run);
    if (run == n)
      return;
    prom_put_mem(o, s[run] == '\n' ? "\\n" : s[run] == '"' ? "\\\"" : "\\\\", 2);
    s += run + 1;
    n -= run + 1;
  }
}

/* The decimal digits of v, ending at end; returns where they begin. */
static char *digits_u64(char *end, uint64_t v)
{
  do {
    *--end = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  return end;
}

static char *digits_i64(char *end, int64_t v)
{
  char *p = digits_u64(end, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
  if (v < 0)
    *--p = '-';
  return p;
}

/* Nanoseconds as seconds, the exact decimal without trailing zeros: a parser's nearest double
   is that of ns / 1e9. */
static char *digits_ns(char *end, int64_t ns)
{
  uint64_t a = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
  uint32_t frac = (uint32_t)(a % 1000000000u);
  char *p = end;

  if (frac) {
    int n = 9;
    for (; frac % 10 == 0; frac /= 10)
      n--;
    for (; n > 0; n--, frac /= 10)
      *--p = (char)('0' + frac % 10);
    *--p = '.';
  }
  p = digits_u64(p, a / 1000000000u);
  if (ns < 0)
    *--p = '-';
  return p;
}

/* A series' value and the newline that ends it; digits() writes backwards from its end. */
#define PROM_PUT_VALUE(o, digits, x)                                                                  \
  do {                                                                                           \
    char b_[32], *p_ = digits(b_ + sizeof(b_) - 1, (x));                                         \
    b_[sizeof(b_) - 1] = '\n';                                                                   \
    prom_put_mem((o), p_, (size_t)(b_ + sizeof(b_) - p_));                                            \
  } while (0)

void prom_value_u64(struct prom_text *o, uint64_t v) { PROM_PUT_VALUE(o, digits_u64, v); }
void prom_value_i64(struct prom_text *o, int64_t v) { PROM_PUT_VALUE(o, digits_i64, v); }
void prom_value_ns(struct prom_text *o, int64_t ns) { PROM_PUT_VALUE(o, digits_ns, ns); }

/* The shortest of %.15g, %.16g and %.17g that reads back as the same double. An integral
   value below 1e15 is its digits in all of them, so it needs no printf. */
void prom_value_double(struct prom_text *o, double d)
{
  uint64_t bits;

  if (isnan(d)) {
    PROM_PUT_LIT(o, "NaN\n");
  } else if (isinf(d)) {
    prom_put_str(o, d > 0 ? "+Inf\n" : "-Inf\n");
  } else if (d == 0) {
    prom_put_str(o, signbit(d) ? "-0\n" : "0\n");
  } else if (fabs(d) < 1e15 && d == (double)(int64_t)d) {
    prom_value_i64(o, (int64_t)d);
  } else {
    memcpy(&bits, &d, sizeof(bits));
    if (!o->have_double || o->double_bits != bits) {
      for (int prec = 15; prec <= 17; prec++) {
        snprintf(o->double_text, sizeof(o->double_text), "%.*g", prec, d);
        if (strtod(o->double_text, NULL) == d)
          break;
      }
      o->have_double = true;
      o->double_bits = bits;
    }
    prom_put_str(o, o->double_text);
    PROM_PUT_LIT(o, "\n");
  }
}

/* ==== Families and their series */

void prom_family(struct prom_out *o, const char *name, const char *type, const char *help)
{
  o->fam_name = name;
  o->fam_len = strlen(name);
  o->fam_help = help;
  o->fam_type = type;
  o->fam_started = false;
}
