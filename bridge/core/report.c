/* The daemon's part of the status model, and the drivers' extra fields. */
#include <stdio.h>
#include <string.h>

#include "bridge/core/log.h"
#include "bridge/core/report.h"
#include "bridge/core/util.h"

static struct daemon_report daemon_state;
static uint64_t generation = 1;

void report_changed(void)
{
  generation++;
}

uint64_t report_generation(void)
{
  return generation;
}

const char *source_state_name(enum source_state s)
{
  static const char *const names[] = {"no_data", "ok", "gated", "lost"};
  return (unsigned)s < 4 ? names[s] : "?";
}

static struct report_extra *add(struct report_extras *x, const char *key, enum report_type type)
{
  static struct report_extra overflow; /* a driver adding too many: our bug, never shown */
  struct report_extra *e = x->n < REPORT_EXTRAS_MAX ? &x->e[x->n++] : &overflow;
  memset(e, 0, sizeof(*e));
  e->key = key;
  e->type = type;
  return e;
}

size_t report_copy(char *dst, size_t len, const char *src)
{
  size_t n;

  if (len == 0)
    return 0;
  n = src ? strnlen(src, len - 1) : 0;
  memcpy(dst, src ? src : "", n);
  dst[n] = '\0';
  return n;
}

void report_int(struct report_extras *x, const char *key, int64_t v)
{
  add(x, key, REPORT_INT)->v.i = v;
}

void report_count(struct report_extras *x, const char *key, uint64_t v)
{
  add(x, key, REPORT_COUNT)->v.count = v;
}

void report_double(struct report_extras *x, const char *key, double v)
{
  add(x, key, REPORT_DOUBLE)->v.d = v;
}

void report_bool(struct report_extras *x, const char *key, bool v)
{
  add(x, key, REPORT_BOOL)->v.b = v;
}

void report_string(struct report_extras *x, const char *key, const char *v)
{
  report_copy(add(x, key, REPORT_STRING)->s, sizeof(x->e[0].s), v);
}

void report_daemon_started(const char *version, const char *config_path, const char *digest)
{
  daemon_state.version = version;
  daemon_state.config_path = config_path;
  snprintf(daemon_state.config_digest, sizeof(daemon_state.config_digest), "%s", digest);
  daemon_state.start_ns = realtime_ns();
}

void report_daemon_reloaded(bool applied, const char *digest)
{
  if (applied) {
    daemon_state.reloads++;
    snprintf(daemon_state.config_digest, sizeof(daemon_state.config_digest), "%s", digest);
  } else {
    daemon_state.reloads_rejected++;
  }
}

void report_daemon(struct daemon_report *r)
{
  *r = daemon_state;
  r->log_suppressed = log_suppressed_total();
}
