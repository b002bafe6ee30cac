/* The status document, rendered from a snapshot. Every field of every report appears; what is
   unknown or never happened is null, never a made-up 0. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/control/status_json.h"
#include "bridge/core/memory.h"
#include "bridge/core/util.h"

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (eras of 400 years, with
   March as the first month so that the leap day ends a year). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

void status_time_format(int64_t ns, char buf[STATUS_TIME_LEN])
{
  struct timespec ts = ns_to_ts(ns);
  int64_t sec = ts.tv_sec, days = sec / 86400, rem = sec % 86400, y;
  int m, d;

  if (rem < 0) {
    rem += 86400;
    days--;
  }
  civil_from_days(days, &y, &m, &d);
  snprintf(buf, STATUS_TIME_LEN, "%04lld-%02d-%02dT%02d:%02d:%02d.%09ldZ", (long long)y, m, d,
           (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), ts.tv_nsec);
}

/* Exactly n decimal digits at *p, advancing it. */
static bool digits(const char **p, int n, int *out)
{
  *out = 0;
  for (int i = 0; i < n; i++, (*p)++) {
    if (**p < '0' || **p > '9')
      return false;
    *out = *out * 10 + (**p - '0');
  }
  return true;
}

bool status_time_parse(const char *s, int64_t *ns)
{
  static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const char *p = s;
  int y, mo, d, h, mi, sec, frac = 0, n_frac = 0;
  int64_t days, secs;

  if (!s || !digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
      !digits(&p, 2, &d) || *p++ != 'T' || !digits(&p, 2, &h) || *p++ != ':' ||
      !digits(&p, 2, &mi) || *p++ != ':' || !digits(&p, 2, &sec))
    return false;
  if (*p == '.') {
    for (p++; *p >= '0' && *p <= '9' && n_frac < 9; p++, n_frac++)
      frac = frac * 10 + (*p - '0');
    if (n_frac == 0)
      return false;
    for (int k = n_frac; k < 9; k++)
      frac *= 10;
  }
  if (*p++ != 'Z' || *p != '\0')
    return false;
  if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] || h > 23 || mi > 59 || sec > 59)
    return false;
  if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
    return false;
  days = days_from_civil(y, mo, d);
  secs = days * 86400 + h * 3600 + mi * 60 + sec;
  /* int64 ns reach from 1677-09-21T00:12:43.145224192Z to 2262-04-11T23:47:16.854775807Z */
  if (secs > INT64_MAX / NS_PER_SEC || (secs == INT64_MAX / NS_PER_SEC && frac > 854775807) ||
      secs < INT64_MIN / NS_PER_SEC - 1 ||
      (secs == INT64_MIN / NS_PER_SEC - 1 && frac < 145224192))
    return false;
  /* sec * 1e9 + frac without overflowing on the way near INT64_MIN */
  *ns = secs < 0 ? (secs + 1) * NS_PER_SEC + (frac - NS_PER_SEC) : secs * NS_PER_SEC + frac;
  return true;
}

/* A time, or null for never (0 in the model). */
static json_t *time_or_null(int64_t ns)
{
  char buf[STATUS_TIME_LEN];

  if (ns == 0)
    return json_null();
  status_time_format(ns, buf);
  return json_string(buf);
}

/* Text, or null for the empty text that means unknown or none. jansson takes only UTF-8, and
   a driver's text (a device's error, gpsd's version) need not be: other bytes become '?'. */
static json_t *text(const char *s)
{
  char *clean;
  json_t *j;

  if (!s || !*s)
    return json_null();
  j = json_string(s);
  if (j)
    return j;
  clean = xstrdup(s);
  for (char *p = clean; *p; p++)
    if ((unsigned char)*p >= 0x80)
      *p = '?';
  j = json_string(clean);
  free(clean);
  return j ? j : json_null();
}

static json_t *count(uint64_t v)
{
  return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static json_t *real(double v)
{
  return isfinite(v) ? json_real(v) : json_null();
}

static json_t *health_json(const struct health_report *h)
{
  json_t *o = json_object();

  json_object_set_new(o, "down", json_boolean(h->down));
  json_object_set_new(o, "since", time_or_null(h->since_ns));
  json_object_set_new(o, "outages", count(h->outages));
  json_object_set_new(o, "outage_seconds", real((double)h->outage_ns / 1e9));
  json_object_set_new(o, "last_error", text(h->last_error));
  json_object_set_new(o, "last_error_time", time_or_null(h->last_error_ns));
  return o;
}

static json_t *details_json(const struct report_extras *x)
{
  json_t *o = json_object();

  for (size_t i = 0; i < x->n && i < REPORT_EXTRAS_MAX; i++) {
    const struct report_extra *e = &x->e[i];
    json_t *v;
    switch (e->type) {
    case REPORT_INT: v = json_integer(e->v.i); break;
    case REPORT_COUNT: v = count(e->v.count); break;
    case REPORT_DOUBLE: v = real(e->v.d); break;
    case REPORT_BOOL: v = json_boolean(e->v.b); break;
    case REPORT_STRING: v = text(e->s); break;
    default: v = json_null(); break;
    }
    if (e->key)
      json_object_set_new(o, e->key, v);
    else
      json_decref(v);
  }
  return o;
}

/* "a,b,c" -> ["a","b","c"] */
static json_t *name_list(const char *csv)
{
  json_t *a = json_array();
  const char *p = csv;

  while (p && *p) {
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    json_t *name = n ? json_stringn(p, n) : NULL;
    if (name)
      json_array_append_new(a, name);
    p = end ? end + 1 : NULL;
  }
  return a;
}

json_t *status_json_source(const struct source_report *r)
{
  json_t *o = json_object(), *last = json_null();

  if (r->have_sample) {
    last = json_object();
    json_object_set_new(last, "offset_ns", json_integer(r->last_offset_ns));
    json_object_set_new(last, "time", time_or_null(r->last_sample_ns));
    json_object_set_new(last, "precision", json_integer(r->last_precision));
  }
  json_object_set_new(o, "name", text(r->name));
  json_object_set_new(o, "kind", text(r->kind));
  json_object_set_new(o, "endpoint", text(r->endpoint));
  json_object_set_new(o, "outputs", name_list(r->outputs));
  json_object_set_new(o, "state", json_string(source_state_name(r->state)));
  json_object_set_new(o, "since", time_or_null(r->state_since_ns));
  json_object_set_new(o, "healthy", json_boolean(snapshot_source_healthy(r)));
  json_object_set_new(o, "published", count(r->published));
  json_object_set_new(o, "invalid", count(r->invalid));
  json_object_set_new(o, "lost", count(r->lost));
  json_object_set_new(o, "last_sample", last);
  json_object_set_new(o, "health", health_json(&r->health));
  json_object_set_new(o, "details", details_json(&r->extras));
  return o;
}

json_t *status_json_output(const struct output_report *r)
{
  json_t *o = json_object();

  json_object_set_new(o, "name", text(r->name));
  json_object_set_new(o, "kind", text(r->kind));
  json_object_set_new(o, "target", text(r->target));
  json_object_set_new(o, "connected", json_boolean(r->connected));
  json_object_set_new(o, "healthy", json_boolean(snapshot_output_healthy(r)));
  json_object_set_new(o, "sent", count(r->sent));
  json_object_set_new(o, "dropped", count(r->dropped));
  json_object_set_new(o, "invalidated", count(r->invalidated));
  json_object_set_new(o, "health", health_json(&r->health));
  json_object_set_new(o, "details", details_json(&r->extras));
  return o;
}

/* OpenShift's ptp-operator knows FREERUN 0, LOCKED 1, HOLDOVER 2; unreachable is free-running
   as far as it is concerned. */
static int openshift_state(enum tracker_state s)
{
  return s == TRACKER_LOCKED || s == TRACKER_HOLDOVER ? (int)s : TRACKER_FREERUN;
}

static json_t *flag(bool known, bool v)
{
  return known ? json_boolean(v) : json_null();
}

static json_t *state(enum tracker_state s)
{
  return json_string(tracker_state_name(s));
}

static json_t *transitions_json(const struct tracker_report *r)
{
  json_t *a = json_array();

  for (size_t i = 0; i < r->n_transitions && i < TRACKER_TRANSITIONS_MAX; i++) {
    const struct tracker_transition *t = &r->transitions[i];
    json_t *o = json_object();
    json_object_set_new(o, "time", time_or_null(t->time_ns));
    json_object_set_new(o, "from", state(t->from));
    json_object_set_new(o, "to", state(t->to));
    json_object_set_new(o, "reason", text(t->reason));
    json_array_append_new(a, o);
  }
  return a;
}

/* Every transition since start, by from and to; pairs that never happened are left out. */
static json_t *transition_counts_json(const struct tracker_report *r)
{
  json_t *a = json_array();

  for (int from = 0; from < 4; from++)
    for (int to = 0; to < 4; to++) {
      json_t *o;
      if (!r->transitions_total[from][to])
        continue;
      o = json_object();
      json_object_set_new(o, "from", state((enum tracker_state)from));
      json_object_set_new(o, "to", state((enum tracker_state)to));
      json_object_set_new(o, "count", count(r->transitions_total[from][to]));
      json_array_append_new(a, o);
    }
  return a;
}

json_t *status_json_tracker(const struct tracker_report *r)
{
  json_t *o = json_object(), *gm = json_object();
  bool tp = r->have_time_properties;

  json_object_set_new(gm, "identity", text(r->gm_identity));
  json_object_set_new(gm, "clock_class",
                      r->gm_clock_class >= 0 ? json_integer(r->gm_clock_class) : json_null());
  json_object_set_new(gm, "time_traceable", flag(tp, r->time_traceable));
  json_object_set_new(o, "name", text(r->name));
  json_object_set_new(o, "kind", text(r->kind));
  json_object_set_new(o, "endpoint", text(r->endpoint));
  json_object_set_new(o, "state", state(r->state));
  json_object_set_new(o, "openshift_state", json_integer(openshift_state(r->state)));
  json_object_set_new(o, "since", time_or_null(r->since_ns));
  json_object_set_new(o, "reason", text(r->reason));
  json_object_set_new(o, "port_state", text(r->port_state));
  json_object_set_new(o, "offset_ns", r->have_offset ? json_integer(r->offset_ns) : json_null());
  json_object_set_new(o, "grandmaster", gm);
  json_object_set_new(o, "utc_offset",
                      tp && r->utc_offset_valid ? json_integer(r->utc_offset) : json_null());
  json_object_set_new(o, "leap61", flag(tp, r->leap61));
  json_object_set_new(o, "leap59", flag(tp, r->leap59));
  json_object_set_new(o, "updates", count(r->updates));
  json_object_set_new(o, "malformed", count(r->malformed));
  json_object_set_new(o, "rejected", count(r->rejected));
  json_object_set_new(o, "transitions", transitions_json(r));
  json_object_set_new(o, "transition_counts", transition_counts_json(r));
  json_object_set_new(o, "healthy", json_boolean(snapshot_tracker_healthy(r)));
  json_object_set_new(o, "health", health_json(&r->health));
  json_object_set_new(o, "details", details_json(&r->extras));
  return o;
}

static json_t *fallback_transitions_json(const struct fallback_report *r)
{
  json_t *a = json_array();

  for (int to = 0; to < 3; to++)
    for (int why = 0; why < FALLBACK_REASONS; why++) {
      json_t *o;
      if (!r->transitions_total[to][why])
        continue;
      o = json_object();
      json_object_set_new(o, "to", json_string(fallback_mode_name((enum fallback_mode)to)));
      json_object_set_new(o, "reason",
                          json_string(fallback_reason_name((enum fallback_reason)why)));
      json_object_set_new(o, "count", count(r->transitions_total[to][why]));
      json_array_append_new(a, o);
    }
  return a;
}

static json_t *fallback_actions_json(const struct fallback_report *r)
{
  json_t *a = json_array();

  for (size_t i = 0; i < r->n_actions && i < FALLBACK_ACTIONS_MAX; i++) {
    const struct fallback_action_report *x = &r->actions[i];
    json_t *o = json_object();
    json_object_set_new(o, "kind", text(x->kind));
    json_object_set_new(o, "target", text(x->target));
    json_object_set_new(o, "busy", json_boolean(x->busy));
    json_object_set_new(o, "ok", json_boolean(x->ok));
    json_object_set_new(o, "applied", count(x->applied));
    json_object_set_new(o, "failures", count(x->failures));
    json_object_set_new(o, "last_error", text(x->last_error));
    json_object_set_new(o, "last_error_time", time_or_null(x->last_error_ns));
    json_array_append_new(a, o);
  }
  return a;
}

json_t *status_json_fallback(const struct fallback_report *r)
{
  json_t *o = json_object();

  json_object_set_new(o, "name", text(r->name));
  json_object_set_new(o, "mode", json_string(fallback_mode_name(r->mode)));
  json_object_set_new(o, "since", time_or_null(r->since_ns));
  json_object_set_new(o, "ptp_good", json_boolean(r->ptp_good));
  json_object_set_new(o, "loss", text(r->loss));
  json_object_set_new(o, "wait", json_string(fallback_wait_name(r->wait)));
  /* no wait, or one without an end (phc2sys_wait unlimited): null */
  json_object_set_new(o, "wait_until",
                      r->wait == FALLBACK_WAIT_NONE || r->wait_until_ns == FALLBACK_NEVER
                        ? json_null()
                        : time_or_null(r->wait_until_ns));
  json_object_set_new(o, "last_reason", text(r->last_reason));
  json_object_set_new(o, "transitions", fallback_transitions_json(r));
  json_object_set_new(o, "refused", count(r->refused));
  json_object_set_new(o, "actions", fallback_actions_json(r));
  json_object_set_new(o, "healthy", json_boolean(snapshot_fallback_healthy(r)));
  return o;
}

json_t *status_json_head(const struct snapshot *s, long pid)
{
  json_t *doc = json_object(), *daemon = json_object();
  const struct daemon_report *d = &s->daemon;
  char summary[512], now[STATUS_TIME_LEN];

  json_object_set_new(daemon, "version", text(d->version));
  json_object_set_new(daemon, "config", text(d->config_path));
  json_object_set_new(daemon, "config_digest", text(d->config_digest));
  json_object_set_new(daemon, "started", time_or_null(d->start_ns));
  json_object_set_new(daemon, "reloads", count(d->reloads));
  json_object_set_new(daemon, "reloads_rejected", count(d->reloads_rejected));
  json_object_set_new(daemon, "log_lines_suppressed", count(d->log_suppressed));
  json_object_set_new(daemon, "pid", json_integer(pid));
  snapshot_summary(s, summary, sizeof(summary));
  status_time_format(s->taken_ns, now);
  json_object_set_new(doc, "schema", json_integer(REPORT_SCHEMA_VERSION));
  json_object_set_new(doc, "healthy", json_boolean(snapshot_healthy(s)));
  json_object_set_new(doc, "summary", text(summary));
  /* the time of the snapshot: never "never", even at 0 */
  json_object_set_new(doc, "time", json_string(now));
  json_object_set_new(doc, "daemon", daemon);
  return doc;
}

json_t *status_json(const struct snapshot *s, long pid)
{
  json_t *doc = status_json_head(s, pid), *sources = json_array(), *outputs = json_array(),
         *trackers = json_array(), *fallbacks = json_array();

  for (size_t i = 0; i < s->n_sources; i++)
    json_array_append_new(sources, status_json_source(&s->sources[i]));
  for (size_t i = 0; i < s->n_outputs; i++)
    json_array_append_new(outputs, status_json_output(&s->outputs[i]));
  for (size_t i = 0; i < s->n_trackers; i++)
    json_array_append_new(trackers, status_json_tracker(&s->trackers[i]));
  for (size_t i = 0; i < s->n_fallbacks; i++)
    json_array_append_new(fallbacks, status_json_fallback(&s->fallbacks[i]));
  json_object_set_new(doc, "sources", sources);
  json_object_set_new(doc, "outputs", outputs);
  json_object_set_new(doc, "trackers", trackers);
  json_object_set_new(doc, "fallbacks", fallbacks);
  return doc;
}

/* ==== the text, a piece at a time */

static void append(struct status_text *t, const char *s, size_t n)
{
  if (!t->text)
    return;
  if (t->len + n + 1 > t->cap) {
    t->cap = (t->len + n + 1) * 2;
    t->text = xrealloc(t->text, t->cap);
  }
  memcpy(t->text + t->len, s, n);
  t->len += n;
  t->text[t->len] = '\0';
}

/* Appends j as compact text, dropping its last drop_tail bytes; consumes j. */
static void append_json(struct status_text *t, json_t *j, size_t drop_tail)
{
  char *s = j ? json_dumps(j, STATUS_JSON_WIRE) : NULL;
  size_t n = s ? strlen(s) : 0;

  json_decref(j);
  if (!s || n < drop_tail) {
    free(t->text);
    t->text = NULL;
  } else {
    append(t, s, n - drop_tail);
  }
  free(s);
}

static size_t section_size(const struct status_text *t, int section)
{
  const size_t n[] = {t->s->n_sources, t->s->n_outputs, t->s->n_trackers, t->s->n_fallbacks};
  return n[section];
}

/* Closes the arrays that are complete; the document once the last one is. */
static void close_sections(struct status_text *t)
{
  static const char *const after[] = {"],\"outputs\":[", "],\"trackers\":[",
                                      "],\"fallbacks\":[", "]}\n"};

  while (t->section < 4 && t->index == section_size(t, t->section)) {
    append(t, after[t->section], strlen(after[t->section]));
    t->section++;
    t->index = 0;
  }
}

void status_text_start(struct status_text *t, const struct snapshot *s, long pid)
{
  memset(t, 0, sizeof(*t));
  t->s = s;
  t->cap = 4096;
  t->text = xmalloc(t->cap);
  t->text[0] = '\0';
  /* "{...,"daemon":{...}}" without its closing brace, then the arrays */
  append_json(t, status_json_head(s, pid), 1);
  append(t, ",\"sources\":[", strlen(",\"sources\":["));
  close_sections(t);
}

bool status_text_step(struct status_text *t)
{
  if (t->text && t->section < 4) {
    size_t i = t->index++;
    if (i)
      append(t, ",", 1);
    if (t->section == 0)
      append_json(t, status_json_source(&t->s->sources[i]), 0);
    else if (t->section == 1)
      append_json(t, status_json_output(&t->s->outputs[i]), 0);
    else if (t->section == 2)
      append_json(t, status_json_tracker(&t->s->trackers[i]), 0);
    else
      append_json(t, status_json_fallback(&t->s->fallbacks[i]), 0);
    close_sections(t);
  }
  return !t->text || t->section == 4;
}
