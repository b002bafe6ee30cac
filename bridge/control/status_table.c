/* The status document as the table `refclock-bridge status` prints, in the manner of `chronyc
   sources`. The document comes from outside: every field may be missing or of another type,
   and is then shown as "?". */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/control/status_json.h"
#include "bridge/control/status_table.h"
#include "bridge/core/memory.h"
#include "bridge/core/util.h"

#define MAX_COLS 10
#define ERROR_WIDTH_NO_TTY 60
#define ERROR_WIDTH_MIN 20

json_t *status_doc_parse(const char *buf, size_t len, char *err, size_t err_len)
{
  json_error_t e;
  json_t *doc = json_loadb(buf, len, 0, &e);

  if (!doc) {
    snprintf(err, err_len, "not JSON: %s at byte %d", e.text, e.position);
    return NULL;
  }
  if (!json_is_object(doc) || !json_is_boolean(json_object_get(doc, "healthy"))) {
    snprintf(err, err_len, "not a status document (no \"healthy\")");
    json_decref(doc);
    return NULL;
  }
  return doc;
}

/* ==== fields, whatever their type */

static const char *str(const json_t *o, const char *key)
{
  return json_string_value(json_object_get(o, key));
}

static bool integer(const json_t *o, const char *key, long long *v)
{
  const json_t *j = json_object_get(o, key);

  if (!json_is_integer(j))
    return false;
  *v = json_integer_value(j);
  return true;
}

/* A time field; false for null, missing or malformed. */
static bool when(const json_t *o, const char *key, int64_t *ns)
{
  return status_time_parse(str(o, key), ns);
}

static const char *text_or(const json_t *o, const char *key, const char *missing)
{
  const char *s = str(o, key);
  return s ? s : missing;
}

/* now - then, unless the times are too far apart for int64 (a made-up document). */
static bool span(int64_t now, int64_t then, int64_t *d)
{
  return !__builtin_sub_overflow(now, then, d);
}

/* ==== units */

void status_format_offset(long long ns, char *buf, size_t len)
{
  char sign = ns < 0 ? '-' : '+';
  unsigned long long mag = ns < 0 ? 0ULL - (unsigned long long)ns : (unsigned long long)ns, us;

  us = (mag + 500) / 1000;
  if (mag < 1000)
    snprintf(buf, len, "%c%lluns", sign, mag);
  else if (mag < 1000000)
    snprintf(buf, len, "%c%llu.%03lluus", sign, mag / 1000, mag % 1000);
  else if (mag < 1000000000)
    snprintf(buf, len, "%c%llu.%03llums", sign, us / 1000, us % 1000);
  else
    snprintf(buf, len, "%c%llu.%06llus", sign, us / 1000000, us % 1000000);
}

void status_format_age(long long ns, char *buf, size_t len)
{
  long long s = ns / NS_PER_SEC;

  if (ns < 0)
    snprintf(buf, len, "-");
  else if (s < 10)
    snprintf(buf, len, "%lld.%llds", s, ns / (NS_PER_SEC / 10) % 10);
  else if (s < 120)
    snprintf(buf, len, "%llds", s);
  else if (s < 120 * 60)
    snprintf(buf, len, "%lldm", s / 60);
  else if (s < 48 * 3600)
    snprintf(buf, len, "%lldh", s / 3600);
  else
    snprintf(buf, len, "%lldd", s / 86400);
}

/* ==== a section: a header and rows of cells, the last column cut to fit */

struct section {
  size_t n_cols, n_rows;
  const char *head[MAX_COLS];
  bool right[MAX_COLS]; /* numbers are right-aligned */
  char **cells;         /* n_rows * n_cols */
  bool *lines;          /* per row: a line of its own under the row before, outside the columns
                           (a fallback's action): cells[0] as it is, then cells[1] cut to fit */
};

/* One line of text: control characters (a newline in an error) become spaces. */
static char *clean(const char *s)
{
  char *c = xstrdup(s ? s : "?");
  for (char *p = c; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      *p = ' ';
  return c;
}

static void add_row(struct section *t, char *const *cells)
{
  t->cells = xreallocarray(t->cells, (t->n_rows + 1) * t->n_cols, sizeof(char *));
  t->lines = xreallocarray(t->lines, t->n_rows + 1, sizeof(bool));
  for (size_t c = 0; c < t->n_cols; c++)
    t->cells[t->n_rows * t->n_cols + c] = clean(cells[c]);
  t->lines[t->n_rows] = false;
  t->n_rows++;
}

/* A line of its own: head, then tail cut to fit as a last column is. */
static void add_line(struct section *t, const char *head, const char *tail)
{
  char *cells[MAX_COLS] = {(char *)head, (char *)tail};

  for (size_t c = 2; c < t->n_cols; c++)
    cells[c] = "";
  add_row(t, cells);
  t->lines[t->n_rows - 1] = true;
}

/* Cut to at most max bytes, ending in "..." when cut, never inside a UTF-8 character. */
static void cut(FILE *out, const char *s, size_t max)
{
  size_t n = strlen(s);

  if (n <= max) {
    fputs(s, out);
    return;
  }
  n = max > 3 ? max - 3 : 0;
  while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
    n--;
  fprintf(out, "%.*s...", (int)n, s);
}

/* The room left for the last column after pos characters. */
static size_t last_width(size_t pos, int width)
{
  if (width <= 0)
    return ERROR_WIDTH_NO_TTY;
  return (size_t)width > pos + ERROR_WIDTH_MIN ? (size_t)width - pos : ERROR_WIDTH_MIN;
}

static void print_row(FILE *out, const struct section *t, const char *const *cells,
                      const size_t *w, int width)
{
  size_t pos = 0, last = t->n_cols - 1;

  for (size_t c = 0; c < last; c++) {
    fprintf(out, t->right[c] ? "%*s  " : "%-*s  ", (int)w[c], cells[c]);
    pos += w[c] + 2;
  }
  cut(out, cells[last], last_width(pos, width));
  fputc('\n', out);
}

static void print_section(FILE *out, struct section *t, int width)
{
  size_t w[MAX_COLS] = {0};

  for (size_t c = 0; c < t->n_cols; c++) {
    w[c] = strlen(t->head[c]);
    for (size_t r = 0; r < t->n_rows; r++) {
      size_t n = strlen(t->cells[r * t->n_cols + c]);
      w[c] = n > w[c] && !t->lines[r] ? n : w[c];
    }
  }
  if (t->n_rows) {
    fputc('\n', out);
    print_row(out, t, t->head, w, width);
  }
  for (size_t r = 0; r < t->n_rows; r++) {
    char *const *cells = &t->cells[r * t->n_cols];
    if (!t->lines[r]) {
      print_row(out, t, (const char *const *)cells, w, width);
      continue;
    }
    fputs(cells[0], out);
    cut(out, cells[1], last_width(strlen(cells[0]), width));
    fputc('\n', out);
  }
  for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
    free(t->cells[i]);
  free(t->cells);
  free(t->lines);
}

/* ==== the cells */

static void count_cell(char *buf, size_t len, const json_t *o, const char *key)
{
  long long v;

  if (integer(o, key, &v))
    snprintf(buf, len, "%lld", v);
  else
    snprintf(buf, len, "?");
}

/* "-", or "5m ago: text" */
static void error_cell(char **cell, const json_t *health, int64_t now, bool have_now)
{
  const char *e = str(health, "last_error");
  int64_t t;
  char age[16];

  if (!e) {
    *cell = xstrdup("-");
    return;
  }
  if (have_now && when(health, "last_error_time", &t) && span(now, t, &t)) {
    status_format_age(t, age, sizeof(age));
    *cell = xasprintf("%s ago: %s", age, e);
  } else {
    *cell = xstrdup(e);
  }
}

static void age_cell(char *buf, size_t len, const json_t *o, const char *key, int64_t now,
                     bool have_now)
{
  int64_t t;

  if (have_now && when(o, key, &t) && span(now, t, &t))
    status_format_age(t, buf, len);
  else
    snprintf(buf, len, "-");
}

static void sources(FILE *out, const json_t *doc, int64_t now, bool have_now, int width)
{
  struct section t = {.n_cols = 10,
                      .head = {"Source", "Kind", "State", "Last offset", "Age", "Published",
                               "Invalid", "Lost", "Outages", "Last error"},
                      .right = {false, false, false, true, true, true, true, true, true}};
  const json_t *list = json_object_get(doc, "sources"), *s;
  size_t i;

  json_array_foreach(list, i, s) {
    const json_t *last = json_object_get(s, "last_sample"), *h = json_object_get(s, "health");
    char offset[32] = "-", age[16] = "-", pub[24], inv[24], lost[24], outages[24], *err;
    long long off;
    if (json_is_object(last)) {
      if (integer(last, "offset_ns", &off))
        status_format_offset(off, offset, sizeof(offset));
      else
        snprintf(offset, sizeof(offset), "?");
      age_cell(age, sizeof(age), last, "time", now, have_now);
    }
    count_cell(pub, sizeof(pub), s, "published");
    count_cell(inv, sizeof(inv), s, "invalid");
    count_cell(lost, sizeof(lost), s, "lost");
    count_cell(outages, sizeof(outages), h, "outages");
    error_cell(&err, h, now, have_now);
    char *row[] = {(char *)text_or(s, "name", "?"), (char *)text_or(s, "kind", "?"),
                   (char *)text_or(s, "state", "?"), offset, age, pub, inv, lost, outages, err};
    add_row(&t, row);
    free(err);
  }
  print_section(out, &t, width);
}

static const char *output_state(const json_t *o)
{
  const json_t *down = json_object_get(json_object_get(o, "health"), "down");
  const json_t *connected = json_object_get(o, "connected");

  if (json_is_true(down))
    return "down";
  if (json_is_boolean(connected))
    return json_is_true(connected) ? "up" : "waiting";
  return "?";
}

static void outputs(FILE *out, const json_t *doc, int64_t now, bool have_now, int width)
{
  struct section t = {.n_cols = 8,
                      .head = {"Output", "Kind", "State", "Sent", "Dropped", "Invalidated",
                               "Outages", "Last error"},
                      .right = {false, false, false, true, true, true, true}};
  const json_t *list = json_object_get(doc, "outputs"), *o;
  size_t i;

  json_array_foreach(list, i, o) {
    char sent[24], dropped[24], inval[24], outages[24], *err;
    const json_t *h = json_object_get(o, "health");
    count_cell(sent, sizeof(sent), o, "sent");
    count_cell(dropped, sizeof(dropped), o, "dropped");
    count_cell(inval, sizeof(inval), o, "invalidated");
    count_cell(outages, sizeof(outages), h, "outages");
    error_cell(&err, h, now, have_now);
    char *row[] = {(char *)text_or(o, "name", "?"), (char *)text_or(o, "kind", "?"),
                   (char *)output_state(o), sent, dropped, inval, outages, err};
    add_row(&t, row);
    free(err);
  }
  print_section(out, &t, width);
}

static void trackers(FILE *out, const json_t *doc, int64_t now, bool have_now, int width)
{
  struct section t = {.n_cols = 9,
                      .head = {"Tracker", "Kind", "State", "Port", "From master", "Class",
                               "Updates", "Since", "Reason"},
                      .right = {false, false, false, false, true, true, true, true}};
  const json_t *list = json_object_get(doc, "trackers"), *o;
  size_t i;

  json_array_foreach(list, i, o) {
    const json_t *gm = json_object_get(o, "grandmaster");
    char offset[32] = "-", cls[24] = "-", updates[24], since[16];
    long long v;
    if (integer(o, "offset_ns", &v))
      status_format_offset(v, offset, sizeof(offset));
    if (integer(gm, "clock_class", &v))
      snprintf(cls, sizeof(cls), "%lld", v);
    count_cell(updates, sizeof(updates), o, "updates");
    age_cell(since, sizeof(since), o, "since", now, have_now);
    char *row[] = {(char *)text_or(o, "name", "?"), (char *)text_or(o, "kind", "?"),
                   (char *)text_or(o, "state", "?"), (char *)text_or(o, "port_state", "-"),
                   offset, cls, updates, since, (char *)text_or(o, "reason", "-")};
    add_row(&t, row);
  }
  print_section(out, &t, width);
}

/* "good", "lost" or "?" */
static const char *ptp_cell(const json_t *o)
{
  const json_t *good = json_object_get(o, "ptp_good");
  return json_is_boolean(good) ? (json_is_true(good) ? "good" : "lost") : "?";
}

/* "in 12s" until a wait ends, "-" when there is none (or it is over) */
static void until_cell(char *buf, size_t len, const json_t *o, int64_t now, bool have_now)
{
  int64_t t;

  if (have_now && when(o, "wait_until", &t) && span(t, now, &t) && t >= 0) {
    memcpy(buf, "in ", 4);
    status_format_age(t, buf + 3, len - 3);
  } else {
    snprintf(buf, len, "-");
  }
}

/* "  unit chronyd.service: FAILED, applied 2, failures 1, last error " and "5m ago: text" */
static void action_line(struct section *t, const json_t *a, int64_t now, bool have_now)
{
  const json_t *ok = json_object_get(a, "ok");
  char applied[24], failures[24], *head, *err;
  long long n_applied = -1, n_failures = -1;
  const char *state = "?";

  count_cell(applied, sizeof(applied), a, "applied");
  count_cell(failures, sizeof(failures), a, "failures");
  integer(a, "applied", &n_applied);
  integer(a, "failures", &n_failures);
  if (json_is_true(json_object_get(a, "busy")))
    state = "busy";
  else if (json_is_true(ok))
    state = "ok";
  else if (json_is_false(ok))
    state = n_applied == 0 && n_failures == 0 ? "not applied yet" : "FAILED";
  error_cell(&err, a, now, have_now);
  head = xasprintf("  %s %s: %s, applied %s, failures %s%s", text_or(a, "kind", "?"),
                   text_or(a, "target", "-"), state, applied, failures,
                   str(a, "last_error") ? ", last error " : "");
  add_line(t, head, str(a, "last_error") ? err : "");
  free(head);
  free(err);
}

static void fallbacks(FILE *out, const json_t *doc, int64_t now, bool have_now, int width)
{
  struct section t = {.n_cols = 8,
                      .head = {"Fallback", "Mode", "Since", "PTP", "Waiting for", "Until",
                               "Refused", "Loss"},
                      .right = {false, false, true, false, false, false, true}};
  const json_t *list = json_object_get(doc, "fallbacks"), *o, *a;
  size_t i, k;

  json_array_foreach(list, i, o) {
    const char *wait = text_or(o, "wait", "?");
    char since[16], until[24], refused[24];
    age_cell(since, sizeof(since), o, "since", now, have_now);
    until_cell(until, sizeof(until), o, now, have_now);
    count_cell(refused, sizeof(refused), o, "refused");
    char *row[] = {(char *)text_or(o, "name", "?"), (char *)text_or(o, "mode", "?"), since,
                   (char *)ptp_cell(o), (char *)(strcmp(wait, "none") ? wait : "-"), until,
                   refused, (char *)text_or(o, "loss", "-")};
    add_row(&t, row);
    json_array_foreach(json_object_get(o, "actions"), k, a)
      action_line(&t, a, now, have_now);
  }
  print_section(out, &t, width);
}

/* "3d 04:05:06" */
static void uptime(char *buf, size_t len, int64_t ns)
{
  long long s = ns / NS_PER_SEC;

  if (s >= 86400)
    snprintf(buf, len, "%lldd %02lld:%02lld:%02lld", s / 86400, s / 3600 % 24, s / 60 % 60,
             s % 60);
  else
    snprintf(buf, len, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

static void header(FILE *out, const json_t *doc, int64_t now, bool have_now, int width)
{
  const json_t *d = json_object_get(doc, "daemon");
  char *line, *clean_line, up[40] = "?", pid[32] = "", reloads[64] = "";
  long long n_reloads = 0, rejected = 0, v;
  int64_t started, d_ns;

  if (have_now && when(d, "started", &started) && span(now, started, &d_ns) && d_ns >= 0)
    uptime(up, sizeof(up), d_ns);
  if (integer(d, "pid", &v))
    snprintf(pid, sizeof(pid), ", pid %lld", v);
  integer(d, "reloads", &n_reloads);
  integer(d, "reloads_rejected", &rejected);
  if (n_reloads || rejected)
    snprintf(reloads, sizeof(reloads), " (%lld reloads, %lld rejected)", n_reloads, rejected);
  line = xasprintf("refclock-bridge %s%s, up %s, config %s%s", text_or(d, "version", "?"), pid,
                   up, text_or(d, "config", "?"), reloads);
  clean_line = clean(line);
  fprintf(out, "%s\n", clean_line);
  free(line);
  free(clean_line);
  line = xasprintf("%s: %s", json_is_true(json_object_get(doc, "healthy")) ? "healthy" : "DEGRADED",
                   text_or(doc, "summary", "?"));
  clean_line = clean(line);
  cut(out, clean_line, width > 0 ? (size_t)width : strlen(clean_line));
  fputc('\n', out);
  free(line);
  free(clean_line);
}

char *status_table(const json_t *doc, int width)
{
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  int64_t now = 0;
  bool have_now;

  if (!out)
    abort(); /* out of memory, as memory.h does */
  have_now = when(doc, "time", &now);
  header(out, doc, now, have_now, width);
  sources(out, doc, now, have_now, width);
  outputs(out, doc, now, have_now, width);
  trackers(out, doc, now, have_now, width);
  fallbacks(out, doc, now, have_now, width);
  fclose(out);
  return text;
}
