/* The status document: a snapshot as JSON (jansson), schema REPORT_SCHEMA_VERSION, field by
   field as refclock-bridge(8) STATUS documents it. Pure: no I/O, no clock. */
#ifndef RB_STATUS_JSON_H
#define RB_STATUS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bridge/control/snapshot.h"

/* How reals are written: 15 significant digits survive a decimal round trip, so 0.1 stays
   "0.1" and outage_seconds keep their nanoseconds for 11 days. */
#define STATUS_JSON_REAL JSON_REAL_PRECISION(15)
/* The document as the socket sends it: one line. */
#define STATUS_JSON_WIRE (JSON_COMPACT | STATUS_JSON_REAL)

/* The whole document for the daemon with process ID pid. The caller owns it (json_decref). */
json_t *status_json(const struct snapshot *s, long pid);
/* Its parts, for rendering it a piece at a time: the document without "sources", "outputs",
   "trackers" and "fallbacks", and one element of each of those arrays. */
json_t *status_json_head(const struct snapshot *s, long pid);
json_t *status_json_source(const struct source_report *r);
json_t *status_json_output(const struct output_report *r);
json_t *status_json_tracker(const struct tracker_report *r);
json_t *status_json_fallback(const struct fallback_report *r);

/* The document as text, rendered a piece at a time: the head first, then one source, output,
   tracker or fallback per step, so that a caller on the event loop never spends long in one
   go (with jansson under a sanitizer, a document of 20 instances takes milliseconds). The
   finished text is json_dumps(status_json(s, pid), STATUS_JSON_WIRE) and a newline. s must stay
   as it is until the text is finished. */
struct status_text {
  const struct snapshot *s;
  int section; /* 0 sources, 1 outputs, 2 trackers, 3 fallbacks, 4 done */
  size_t index;
  char *text;  /* malloc'd, NUL-terminated; NULL if jansson failed (out of memory) */
  size_t len, cap;
};
void status_text_start(struct status_text *t, const struct snapshot *s, long pid);
/* Renders the next piece; true once the text is finished (or has failed). */
bool status_text_step(struct status_text *t);

/* "2026-12-07T15:32:00.123456789Z": CLOCK_REALTIME ns as RFC 3339 UTC with nanoseconds.
   Any int64 fits (1677 to 2262). */
#define STATUS_TIME_LEN 48
void status_time_format(int64_t ns, char buf[STATUS_TIME_LEN]);
/* The inverse, for exactly that form (0 to 9 fraction digits); false if s is not one. */
bool status_time_parse(const char *s, int64_t *ns);

#endif
