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

void health_set_retry(struct health *h, int64_t retry_min_ns, int64_t retry_max_ns)
{
  backoff_init(&h->backoff, retry_min_ns, retry_max_ns);
}

/* Logs get the whole text; the report keeps what fits. */
#define MESSAGE_MAX 600

static void record(struct health *h, const char *msg)
{
  size_t n = strnlen(msg, sizeof(h->last_error) - 1);
  memcpy(h->last_error, msg, n);
  h->last_error[n] = '\0';
  h->last_error_ns = realtime_ns();
}

int64_t health_down(struct health *h, const char *fmt, ...)
{
  char msg[MESSAGE_MAX];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  record(h, msg);
  if (!h->down) {
    report_changed();
    h->down = true;
    h->outages++;
    h->since_ns = h->last_error_ns;
    h->down_mono_ns = monotonic_ns();
    log_warn("%s: %s; retrying%s", h->who, msg,
             h->backoff.max_ns > h->backoff.min_ns ? " with backoff" : "");
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
  report_changed();
  h->down = false;
  h->outage_ns += took;
  h->since_ns = realtime_ns();
  log_notice("%s: %s after %.1f s", h->who, what, (double)took / 1e9);
  return true;
}

void health_error(struct health *h, const char *fmt, ...)
{
  char msg[MESSAGE_MAX];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  record(h, msg);
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
