/* What `refclock-bridge status` makes of the document it received: the parser, and the
   readable table. Pure: whatever the bytes, it never crashes and prints what it can. */
#ifndef RB_STATUS_TABLE_H
#define RB_STATUS_TABLE_H

#include <stddef.h>

#include <jansson.h>

/* A status document: a JSON object whose "healthy" is a boolean. Anything else is NULL, with
   the reason in err. The caller owns the document (json_decref). */
json_t *status_doc_parse(const char *buf, size_t len, char *err, size_t err_len);

/* The table: a header (version, uptime, config, verdict), then a section for the sources, the
   outputs and the trackers with a line each. width: the terminal's columns, which the last
   column (an error, a reason) is cut to fit; 0 when not a terminal: cut at 60 characters.
   Ages are counted from the document's own "time". Returns malloc'd text. */
char *status_table(const json_t *doc, int width);

/* "-123ns", "+12.345us", "-1.234ms", "+37.000123s": signed, in the unit that keeps the value
   readable; to the nanosecond below a millisecond, rounded to the microsecond above. */
void status_format_offset(long long ns, char *buf, size_t len);
/* "0.4s", "45s", "12m", "5h", "3d"; "-" when negative. */
void status_format_age(long long ns, char *buf, size_t len);

#endif
