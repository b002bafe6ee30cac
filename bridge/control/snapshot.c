/* Taking the status model, and the one verdict on health that every rendering shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/control/snapshot.h"
#include "bridge/core/memory.h"
#include "bridge/core/output.h"
#include "bridge/core/source.h"
#include "bridge/core/util.h"

/* The fallbacks' names, copied into one buffer that the snapshot owns. */
static void own_fallback_names(struct snapshot *s)
{
  size_t size = 1, off = 0;

  for (size_t i = 0; i < s->n_fallbacks; i++)
    size += strlen(s->fallbacks[i].name ? s->fallbacks[i].name : "") + 1;
  s->fallback_names = xmalloc(size);
  for (size_t i = 0; i < s->n_fallbacks; i++) {
    struct fallback_report *r = &s->fallbacks[i];
    size_t n = strlen(r->name ? r->name : "") + 1;
    memcpy(s->fallback_names + off, r->name ? r->name : "", n);
    r->name = s->fallback_names + off;
    off += n;
  }
}

void snapshot_take(struct snapshot *s)
{
  memset(s, 0, sizeof(*s));
  s->taken_ns = realtime_ns();
  report_daemon(&s->daemon);
  s->n_sources = source_count();
  s->sources = xnew_array(struct source_report, s->n_sources + 1);
  for (size_t i = 0; i < s->n_sources; i++)
    source_report(i, &s->sources[i]);
  s->n_outputs = output_count();
  s->outputs = xnew_array(struct output_report, s->n_outputs + 1);
  for (size_t i = 0; i < s->n_outputs; i++)
    output_report(i, &s->outputs[i]);
  s->n_trackers = tracker_count();
  s->trackers = xnew_array(struct tracker_report, s->n_trackers + 1);
  for (size_t i = 0; i < s->n_trackers; i++)
    tracker_report(i, &s->trackers[i]);
  s->n_fallbacks = fallback_count();
  s->fallbacks = xnew_array(struct fallback_report, s->n_fallbacks + 1);
  for (size_t i = 0; i < s->n_fallbacks; i++)
    fallback_report(i, &s->fallbacks[i]);
  own_fallback_names(s);
}

void snapshot_free(struct snapshot *s)
{
  free(s->sources);
  free(s->outputs);
  free(s->trackers);
  free(s->fallbacks);
  free(s->fallback_names);
  memset(s, 0, sizeof(*s));
}

bool snapshot_source_healthy(const struct source_report *r)
{
  return r->state == SOURCE_OK;
}

bool snapshot_output_healthy(const struct output_report *r)
{
  return r->connected && !r->health.down;
}

bool snapshot_tracker_healthy(const struct tracker_report *r)
{
  return r->state == TRACKER_LOCKED;
}

bool snapshot_fallback_healthy(const struct fallback_report *r)
{
  if (r->mode != FALLBACK_PTP)
    return false;
  for (size_t i = 0; i < r->n_actions && i < FALLBACK_ACTIONS_MAX; i++)
    if (!r->actions[i].ok)
      return false;
  return true;
}

bool snapshot_healthy(const struct snapshot *s)
{
  for (size_t i = 0; i < s->n_sources; i++)
    if (!snapshot_source_healthy(&s->sources[i]))
      return false;
  for (size_t i = 0; i < s->n_outputs; i++)
    if (!snapshot_output_healthy(&s->outputs[i]))
      return false;
  for (size_t i = 0; i < s->n_trackers; i++)
    if (!snapshot_tracker_healthy(&s->trackers[i]))
      return false;
  for (size_t i = 0; i < s->n_fallbacks; i++)
    if (!snapshot_fallback_healthy(&s->fallbacks[i]))
      return false;
  return true;
}

void snapshot_summary(const struct snapshot *s, char *buf, size_t len)
{
  size_t by_state[4] = {0}, up = 0, off = 0;
  static const char *const order[] = {"ok", "gated", "no data", "lost"};
  static const enum source_state states[] = {SOURCE_OK, SOURCE_GATED, SOURCE_NO_DATA, SOURCE_LOST};
  bool any = false;

#define PUT(...)                                                                                    \
  do {                                                                                              \
    if (off < len)                                                                                  \
      off += (size_t)snprintf(buf + off, len - off, __VA_ARGS__);                                   \
  } while (0)

  if (len)
    buf[0] = '\0';
  for (size_t i = 0; i < s->n_sources; i++)
    by_state[s->sources[i].state]++;
  for (size_t k = 0; k < 4; k++) {
    if (!by_state[states[k]])
      continue;
    PUT("%s%zu %s%s", any ? ", " : "", by_state[states[k]],
        any ? "" : (by_state[states[k]] == 1 ? "source " : "sources "), order[k]);
    any = true;
  }
  if (!any)
    PUT("no sources");
  for (size_t i = 0; i < s->n_outputs; i++)
    up += snapshot_output_healthy(&s->outputs[i]);
  PUT("; %zu/%zu outputs up", up, s->n_outputs);
  for (size_t i = 0; i < s->n_trackers; i++)
    PUT("%s tracker %s %s", i ? "," : ";", s->trackers[i].name,
        tracker_state_name(s->trackers[i].state));
  /* "; fallback ntp: NTP (loss: tracker ptp FREERUN; unit failed)" */
  for (size_t i = 0; i < s->n_fallbacks; i++) {
    const struct fallback_report *f = &s->fallbacks[i];
    const char *sep = " (";
    PUT("%s fallback %s: %s", i ? "," : ";", f->name ? f->name : "",
        f->mode == FALLBACK_PTP ? "PTP" : f->mode == FALLBACK_NTP ? "NTP" : "START");
    if (f->loss[0]) {
      PUT("%sloss: %s", sep, f->loss);
      sep = "; ";
    }
    for (size_t k = 0; k < f->n_actions && k < FALLBACK_ACTIONS_MAX; k++) {
      if (f->actions[k].ok)
        continue;
      PUT("%s%s failed", sep, f->actions[k].kind ? f->actions[k].kind : "action");
      sep = "; ";
    }
    if (sep[0] == ';')
      PUT(")");
  }
#undef PUT
}
