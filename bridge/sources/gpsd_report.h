/* One line from gpsd, checked field by field and rebuilt into the only text libgps is given. */
#ifndef RB_GPSD_REPORT_H
#define RB_GPSD_REPORT_H

#include <stdbool.h>
#include <stddef.h>

enum gpsd_class {
  GPSD_SKIP,     /* a class the bridge does not use, or another device's report */
  GPSD_VERSION,
  GPSD_ERROR,
  GPSD_TPV,
  GPSD_SKY,
  GPSD_TOFF,
  GPSD_PPS,
};

/* Longest rebuilt line: a SKY with GPSD_MAX_SATELLITES entries of {"used":false}. */
#define GPSD_REPORT_LINE_MAX 4096
/* libgps's MAXCHANNELS (140 in gpsd 3.22 to 3.27): more entries than libgps can store. */
#define GPSD_MAX_SATELLITES 140

struct gpsd_report {
  enum gpsd_class cls;
  /* For libgps (TPV, SKY with satellites, TOFF, PPS), else "". */
  char line[GPSD_REPORT_LINE_MAX];
  /* SKY: gpsd's uSat when it lists no satellites (gpsd >= 3.25 sends such DOP-only SKYs;
     libgps 3.22 ignores uSat), else -1. */
  int used_without_list;
  /* VERSION's release or ERROR's message, printable ASCII, cut to fit; "" if absent. */
  char text[128];
};

/* Checks one line (without its newline) and fills r. want_device: the configured device or
   NULL; a report naming another device is GPSD_SKIP. Returns NULL, or why the line is
   malformed (then r is not to be used). */
const char *gpsd_report_parse(const char *line, size_t len, const char *want_device,
                              struct gpsd_report *r);

#endif
