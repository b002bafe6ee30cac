/* Outage bookkeeping shared by every driver. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bridge/core/health.h"
#include "bridge/core/log.h"

void health_init(struct health *h, const char *kind, const char *name, int64_t retry_min_ns,
                 int64_t retry_max_ns)
{
  memset(h, 0, sizeof(*h));
  snprintf(h->who, sizeof(h->who), "%s %s", kind, name);
  backoff_init(&h->backoff, retry_min_ns, retry_max_ns);
}

static void record(struct health *h, const char *fmt, va_list ap)
{
  vsnprintf(h->last_error, sizeof(h->last_error), fmt, ap);
  h->last_error_ns = realtime_ns();
}

int64_t health_down(struct health *h, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  record(h, fmt, ap);
  va_end(ap);
  if (!h->down) {
    h->down = true;
    h->outages++;
    h->since_ns = h->last_error_ns;
    h->down_mono_ns = monotonic_ns();
    log_warn("%s: %s; retrying with backoff", h->who, h->last_error);
  }
  return backoff_next(&h->backoff);
}

bool health_up(struct health *h, const char *fmt, ...)
{
  char what[REPORT_TEXT_MAX];
  int64_t took;
  va_list ap;

  backoff_reset(&h->backoff);
  if (!h->down)
    return false;
  va_start(ap, fmt);
  vsnprintf(what, sizeof(what), fmt, ap);
  va_end(ap);
  took = monotonic_ns() - h->down_mono_ns;
  h->down = false;
  h->outage_ns += took;
  h->since_ns = realtime_ns();
  log_notice("%s: %s after %.1f s", h->who, what, (double)took / 1e9);
  return true;
}

void health_error(struct health *h, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  record(h, fmt, ap);
  va_end(ap);
}

bool health_is_down(const struct health *h)
{
  return h->down;
}

void health_report(const struct health *h, struct health_report *r)
{
  r->down = h->down;
  r->since_ns = h->since_ns;
  r->outages = h->outages;
  r->outage_ns = h->outage_ns + (h->down ? monotonic_ns() - h->down_mono_ns : 0);
  memcpy(r->last_error, h->last_error, sizeof(r->last_error));
  r->last_error_ns = h->last_error_ns;
}
