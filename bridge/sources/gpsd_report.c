/* One line from gpsd, checked with jansson and rebuilt for libgps.

   Why libgps never sees gpsd's own text: libgps's gps_unpack() parses a line object after
   object, "while (*next && **next) libgps_json_unpack(*next, ..., next)", and stops only when
   no "class": tag is found from *next on. Its JSON reader (json.c, gpsd 3.22 to 3.27) leaves
   *next at the start of an attribute when that attribute's value is wrong (a quoted number, a
   string too long for its field, a bad enum, a bad array element...). If a "class" tag comes
   later in the line (class not first, or a nested object with a "class" key), the next pass
   starts at that attribute, fails at once with *next unchanged, and gps_unpack() spins for
   ever: {"mode":"3","class":"TPV"} stalls the whole daemon.

   So libgps gets only lines written here, from a whitelist, each of these shapes:
     {"class":"TPV","mode":M[,"time":"YYYY-MM-DDTHH:MM:SS[.F]Z"]}
     {"class":"SKY","nSat":N,"satellites":[{"used":B},...]}
     {"class":"TOFF"|"PPS","real_sec":S,"real_nsec":S,"clock_sec":S,"clock_nsec":S}
   M is 0 to 3, N is 0 to GPSD_MAX_SATELLITES (libgps's MAXCHANNELS) and the array has exactly
   N entries, B is true or false, S are decimal integers that fit an int, F is 1 to 9 digits,
   and the time's fields are in range. Every key is one libgps's template for that class
   declares with the value's type (nSat is an integer there since 3.25 and skipped as unknown
   by 3.22), no value needs more than 30 bytes, and no string holds a quote, a backslash or
   a byte outside [0-9:.TZ-]. Hence json_read_object() takes the whole line without an error,
   leaves *next at the terminating NUL, and gps_unpack() returns after one pass. And were a
   pass ever to fail, "class": occurs only at offset 1, so any later restart point finds no
   class tag and gps_unpack() stops. Nor does libgps's safe_atof() run, whose exponent loop
   (exp >>= 1 until 0) runs off its table for an exponent of INT_MIN: no real is handed over. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "bridge/sources/gpsd_report.h"

/* Checked appends: the shapes above fit GPSD_REPORT_LINE_MAX, so running out is our bug. */
static void append(struct gpsd_report *r, size_t *at, const char *s)
{
  size_t n = strlen(s);

  if (n >= sizeof(r->line) - *at)
    abort();
  memcpy(r->line + *at, s, n + 1);
  *at += n;
}

static void append_int(struct gpsd_report *r, size_t *at, long long v)
{
  char buf[24];

  snprintf(buf, sizeof(buf), "%lld", v);
  append(r, at, buf);
}

/* Printable ASCII only, cut to fit: the text goes into the log. */
static void copy_text(char *dst, size_t size, json_t *v)
{
  const char *s = json_string_value(v);
  size_t n = s ? json_string_length(v) : 0, i;

  if (n > size - 1)
    n = size - 1;
  for (i = 0; i < n; i++)
    dst[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
  dst[n] = '\0';
}

static bool digits(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return false;
  return true;
}

static int num(const char *s, size_t n)
{
  int v = 0;
  for (size_t i = 0; i < n; i++)
    v = v * 10 + (s[i] - '0');
  return v;
}

/* gpsd's UTC time as it writes it, "2026-11-22T00:00:00.000Z", with the fields in range. */
static bool iso_time_ok(const char *s, size_t n)
{
  size_t frac;

  if (n < 20 || n > 30 || s[n - 1] != 'Z' || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
      s[13] != ':' || s[16] != ':' || !digits(s, 4) || !digits(s + 5, 2) || !digits(s + 8, 2) ||
      !digits(s + 11, 2) || !digits(s + 14, 2) || !digits(s + 17, 2))
    return false;
  if (n > 20) {
    frac = n - 21; /* between '.' and 'Z' */
    if (s[19] != '.' || frac < 1 || frac > 9 || !digits(s + 20, frac))
      return false;
  }
  return num(s, 4) >= 1970 && num(s + 5, 2) >= 1 && num(s + 5, 2) <= 12 && num(s + 8, 2) >= 1 &&
         num(s + 8, 2) <= 31 && num(s + 11, 2) <= 23 && num(s + 14, 2) <= 59 &&
         num(s + 17, 2) <= 60;
}

static const char *rebuild_tpv(json_t *obj, struct gpsd_report *r)
{
  json_t *mode = json_object_get(obj, "mode"), *t = json_object_get(obj, "time");
  size_t at = 0;

  if (!json_is_integer(mode) || json_integer_value(mode) < 0 || json_integer_value(mode) > 3)
    return "TPV without a mode from 0 to 3";
  append(r, &at, "{\"class\":\"TPV\",\"mode\":");
  append_int(r, &at, json_integer_value(mode));
  if (t) {
    if (!json_is_string(t) || !iso_time_ok(json_string_value(t), json_string_length(t)))
      return "TPV time not in gpsd's ISO 8601 form";
    append(r, &at, ",\"time\":\"");
    append(r, &at, json_string_value(t)); /* checked: at most 30 bytes of [0-9:.TZ-] */
    append(r, &at, "\"");
  }
  append(r, &at, "}");
  return NULL;
}

static const char *rebuild_sky(json_t *obj, struct gpsd_report *r)
{
  json_t *sats = json_object_get(obj, "satellites"), *used = json_object_get(obj, "uSat");
  size_t at = 0, i, n;

  r->used_without_list = -1;
  if (!sats) {
    if (used && (!json_is_integer(used) || json_integer_value(used) < 0 ||
                 json_integer_value(used) > GPSD_MAX_SATELLITES))
      return "SKY uSat not a satellite count";
    if (used)
      r->used_without_list = (int)json_integer_value(used);
    return NULL;
  }
  n = json_array_size(sats);
  if (!json_is_array(sats) || n > GPSD_MAX_SATELLITES)
    return "SKY satellites not a list of at most 140";
  append(r, &at, "{\"class\":\"SKY\",\"nSat\":");
  append_int(r, &at, (long long)n);
  append(r, &at, ",\"satellites\":[");
  for (i = 0; i < n; i++) {
    json_t *sat = json_array_get(sats, i), *u = json_object_get(sat, "used");
    if (!json_is_object(sat) || (u && !json_is_boolean(u)))
      return "SKY satellite not an object with a boolean \"used\"";
    append(r, &at, i ? ",{\"used\":" : "{\"used\":");
    append(r, &at, json_is_true(u) ? "true}" : "false}");
  }
  append(r, &at, "]}");
  return NULL;
}

/* real_sec/real_nsec/clock_sec/clock_nsec: integers, nanoseconds below 1e9, seconds that fit
   libgps's int and are after 1970; GPS time after 2024-01-01 (before is a receiver fault,
   a week-number rollover say). */
#define REAL_SEC_FLOOR 1704067200LL
static const char *rebuild_times(json_t *obj, const char *cls, struct gpsd_report *r)
{
  static const char *const fields[] = {"real_sec", "real_nsec", "clock_sec", "clock_nsec"};
  long long v[4];
  size_t at = 0;
  int i;

  for (i = 0; i < 4; i++) {
    json_t *x = json_object_get(obj, fields[i]);
    if (!json_is_integer(x))
      return "a time field missing or not an integer";
    v[i] = json_integer_value(x);
  }
  if (v[1] < 0 || v[1] >= 1000000000 || v[3] < 0 || v[3] >= 1000000000)
    return "nanoseconds out of range";
  if (v[0] < REAL_SEC_FLOOR || v[0] > 0x7fffffff || v[2] <= 0 || v[2] > 0x7fffffff)
    return "seconds out of range (GPS time before 2024?)";
  append(r, &at, strcmp(cls, "TOFF") == 0 ? "{\"class\":\"TOFF\"" : "{\"class\":\"PPS\"");
  for (i = 0; i < 4; i++) {
    append(r, &at, ",\"");
    append(r, &at, fields[i]);
    append(r, &at, "\":");
    append_int(r, &at, v[i]);
  }
  append(r, &at, "}");
  return NULL;
}

static const char *classify(json_t *obj, const char *want_device, struct gpsd_report *r)
{
  static const struct {
    const char *name;
    enum gpsd_class cls;
  } classes[] = {{"VERSION", GPSD_VERSION}, {"ERROR", GPSD_ERROR}, {"TPV", GPSD_TPV},
                 {"SKY", GPSD_SKY},         {"TOFF", GPSD_TOFF},   {"PPS", GPSD_PPS}};
  json_t *c = json_object_get(obj, "class"), *dev;
  const char *cls = json_string_value(c);
  size_t i;

  if (!json_is_object(obj))
    return "not a JSON object";
  if (!cls)
    return "no class";
  for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
    if (strlen(classes[i].name) == json_string_length(c) && strcmp(cls, classes[i].name) == 0)
      break;
  if (i == sizeof(classes) / sizeof(classes[0]))
    return NULL; /* GPSD_SKIP */
  r->cls = classes[i].cls;
  if (r->cls == GPSD_VERSION || r->cls == GPSD_ERROR) {
    copy_text(r->text, sizeof(r->text),
              json_object_get(obj, r->cls == GPSD_VERSION ? "release" : "message"));
    return NULL;
  }
  /* gpsd filters by device, but a reply to a WATCH it could not apply would not: a report of
     another receiver must never pass for this one's. */
  dev = json_object_get(obj, "device");
  if (dev && !json_is_string(dev))
    return "device not a string";
  if (want_device && dev &&
      (json_string_length(dev) != strlen(want_device) ||
       strcmp(json_string_value(dev), want_device) != 0)) {
    r->cls = GPSD_SKIP;
    return NULL;
  }
  switch (r->cls) {
  case GPSD_TPV:
    return rebuild_tpv(obj, r);
  case GPSD_SKY:
    return rebuild_sky(obj, r);
  default:
    return rebuild_times(obj, cls, r);
  }
}

const char *gpsd_report_parse(const char *line, size_t len, const char *want_device,
                              struct gpsd_report *r)
{
  json_error_t err;
  json_t *obj = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
  const char *why;

  r->cls = GPSD_SKIP;
  r->line[0] = '\0';
  r->text[0] = '\0';
  r->used_without_list = -1;
  if (!obj)
    return "not JSON";
  why = classify(obj, want_device, r);
  json_decref(obj);
  if (why) { /* nothing half-built may be used */
    r->cls = GPSD_SKIP;
    r->line[0] = '\0';
  }
  return why;
}
