/* Parsing statime's observation document (v0.3 and v0.4 shapes) with jansson.
   Every number is read as a double: statime writes offsets as ns x 2^32 in an i128, so a
   few seconds of offset already overflow jansson's json_int_t and would reject the whole
   document. Doubles keep 53 bits, plenty for a filtered offset, and the 2^32 scaling is
   exact. Members the bridge uses are checked strictly. Of the rest only the time_source and
   clock_accuracy enums are looked at (for serde's two enum forms); everything else is left
   alone, so that additions in later statime versions do not break the reader. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ptpstate/statime_json.h"

/* Static, so the caller may keep the pointer until the next call; room for jansson's text. */
static char detail[JSON_ERROR_TEXT_LENGTH + 32];

static enum statime_error fail(enum statime_error e, const char *where, const char *key,
                               const char *what)
{
  snprintf(detail, sizeof(detail), "%s%s%s %s", where, *where ? "." : "", key, what);
  return e;
}

enum kind { K_ANY, K_OBJECT, K_ARRAY, K_STRING, K_BOOL, K_NUMBER };

static bool has_kind(const json_t *j, enum kind k)
{
  switch (k) {
  case K_ANY: return true;
  case K_OBJECT: return json_is_object(j);
  case K_ARRAY: return json_is_array(j);
  case K_STRING: return json_is_string(j);
  case K_BOOL: return json_is_boolean(j);
  case K_NUMBER: return json_is_number(j);
  }
  return false;
}

static const char *kind_name(enum kind k)
{
  switch (k) {
  case K_ANY: return "anything";
  case K_OBJECT: return "not an object";
  case K_ARRAY: return "not an array";
  case K_STRING: return "not a string";
  case K_BOOL: return "not a boolean";
  case K_NUMBER: return "not a number";
  }
  return "?";
}

/* *out is NULL if an optional member is absent. */
static enum statime_error member(const json_t *obj, const char *where, const char *key,
                                 enum kind k, bool required, json_t **out)
{
  json_t *j = json_object_get(obj, key);

  *out = NULL;
  if (!j)
    return required ? fail(STATIME_ERR_SHAPE, where, key, "missing") : STATIME_OK;
  if (!has_kind(j, k))
    return fail(STATIME_ERR_SHAPE, where, key, kind_name(k));
  *out = j;
  return STATIME_OK;
}

static bool integral(double v)
{
  if (v != v)
    return false;
  /* Every double this large is a whole number, and the cast below would overflow. */
  if (v >= 0x1p53 || v <= -0x1p53)
    return true;
  return v == (double)(int64_t)v;
}

/* An integer member in [min, max]; *present false (and OK) if optional and absent. */
static enum statime_error get_integer(const json_t *obj, const char *where, const char *key,
                                      bool required, double min, double max, double *val,
                                      bool *present)
{
  json_t *j;
  enum statime_error r = member(obj, where, key, K_NUMBER, required, &j);
  double v;

  if (present)
    *present = j != NULL;
  if (r != STATIME_OK || !j)
    return r;
  v = json_number_value(j);
  if (!(v >= min && v <= max))
    return fail(STATIME_ERR_RANGE, where, key, "out of range");
  if (!integral(v))
    return fail(STATIME_ERR_RANGE, where, key, "not an integer");
  *val = v;
  return STATIME_OK;
}

static enum statime_error get_bool(const json_t *obj, const char *where, const char *key,
                                   bool *val)
{
  json_t *j;
  enum statime_error r = member(obj, where, key, K_BOOL, true, &j);

  if (r == STATIME_OK)
    *val = json_is_true(j);
  return r;
}

/* ClockIdentity([u8; 8]) is serialized as an array of 8 numbers. */
static enum statime_error get_identity(const json_t *obj, const char *where, const char *key,
                                       uint8_t id[8])
{
  json_t *j, *e;
  enum statime_error r = member(obj, where, key, K_ARRAY, true, &j);
  size_t i;
  double v;

  if (r != STATIME_OK)
    return r;
  if (json_array_size(j) != 8)
    return fail(STATIME_ERR_SHAPE, where, key, "not 8 octets");
  json_array_foreach(j, i, e) {
    if (!json_is_number(e))
      return fail(STATIME_ERR_SHAPE, where, key, "has a non-number octet");
    v = json_number_value(e);
    if (!(v >= 0 && v <= 255) || !integral(v))
      return fail(STATIME_ERR_RANGE, where, key, "has an octet out of 0..255");
    id[i] = (uint8_t)v;
  }
  return STATIME_OK;
}

/* serde writes a unit variant as "Name" and a data-carrying one as {"Name": data}.
   *name is the variant's name (NULL if optional and absent), *is_object its form. */
static enum statime_error get_enum(const json_t *obj, const char *where, const char *key,
                                   bool required, const char **name, bool *is_object)
{
  json_t *j;
  enum statime_error r = member(obj, where, key, K_ANY, required, &j);

  *name = NULL;
  *is_object = false;
  if (r != STATIME_OK || !j)
    return r;
  if (json_is_string(j)) {
    *name = json_string_value(j);
  } else if (json_is_object(j) && json_object_size(j) == 1) {
    *name = json_object_iter_key(json_object_iter(j));
    *is_object = true;
  } else {
    return fail(STATIME_ERR_SHAPE, where, key, "not a string or one-key object");
  }
  return STATIME_OK;
}

static enum statime_port_state port_state_from(const char *name, bool is_object)
{
  static const char *const names[] = {
    [STATIME_PS_FAULTY] = "Faulty", [STATIME_PS_LISTENING] = "Listening",
    [STATIME_PS_MASTER] = "Master", [STATIME_PS_PASSIVE] = "Passive",
    [STATIME_PS_SLAVE] = "Slave",
  };
  size_t i;

  if (is_object)
    return STATIME_PS_OTHER;
  for (i = STATIME_PS_FAULTY; i <= STATIME_PS_SLAVE; i++)
    if (strcmp(name, names[i]) == 0)
      return (enum statime_port_state)i;
  return STATIME_PS_OTHER;
}

/* Truncated, and made printable: the version ends up in log lines. */
static void copy_version(char *dst, size_t size, const char *src)
{
  size_t i, n = strlen(src);

  if (n >= size)
    n = size - 1;
  for (i = 0; i < n; i++)
    dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
  dst[n] = '\0';
}

/* Unused by the bridge: only the enum's form is checked. */
static enum statime_error check_accuracy(const json_t *quality, const char *where)
{
  const char *name;
  bool is_obj;

  return get_enum(quality, where, "clock_accuracy", false, &name, &is_obj);
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n)
{
  const unsigned char *p = data;

  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

/* Type tags, lengths and end marks keep different trees apart. Recursion is bounded by
   jansson's parser depth limit (2048). */
static uint64_t hash_json(uint64_t h, const json_t *j)
{
  unsigned char tag = (unsigned char)json_typeof(j), end = 0xff;
  const char *key;
  json_t *v;
  size_t i, n;
  double d;

  h = fnv1a(h, &tag, 1);
  switch (json_typeof(j)) {
  case JSON_OBJECT:
    json_object_foreach((json_t *)j, key, v) {
      n = strlen(key);
      h = fnv1a(fnv1a(h, &n, sizeof(n)), key, n);
      h = hash_json(h, v);
    }
    return fnv1a(h, &end, 1);
  case JSON_ARRAY:
    json_array_foreach(j, i, v)
      h = hash_json(h, v);
    return fnv1a(h, &end, 1);
  case JSON_STRING:
    n = json_string_length(j);
    return fnv1a(fnv1a(h, &n, sizeof(n)), json_string_value(j), n);
  case JSON_INTEGER:
  case JSON_REAL:
    d = json_number_value(j);
    return fnv1a(h, &d, sizeof(d));
  default: /* true, false, null: the tag says it all */
    return h;
  }
}

#define TRY(call)                                                                                  \
  do {                                                                                             \
    enum statime_error r_ = (call);                                                                \
    if (r_ != STATIME_OK)                                                                          \
      return r_;                                                                                   \
  } while (0)

static enum statime_error parse_ports(const json_t *ports, struct statime_obs *o)
{
  const char *name;
  bool is_obj;
  size_t i;
  json_t *p;
  enum statime_port_state s;

  json_array_foreach(ports, i, p) {
    if (!json_is_object(p))
      return fail(STATIME_ERR_SHAPE, "instance", "port_ds[]", "not an object");
    TRY(get_enum(p, "instance.port_ds[]", "port_state", true, &name, &is_obj));
    s = port_state_from(name, is_obj);
    if (s == STATIME_PS_SLAVE)
      o->any_slave = true;
    if (i < STATIME_MAX_PORTS)
      o->port_state[i] = s;
  }
  /* An array of more than INT_MAX entries can't be parsed from memory anyway. */
  o->n_ports = (int)json_array_size(ports);
  return STATIME_OK;
}

static enum statime_error parse_root(const json_t *root, struct statime_obs *o)
{
  json_t *program, *version, *inst, *def, *cur, *parent, *gmq, *quality, *tp, *utc, *ports;
  const char *name;
  bool is_obj, have, have_delay;
  double v, offset, delay = 0;

  if (!json_is_object(root))
    return fail(STATIME_ERR_SHAPE, "", "document", "not an object");

  TRY(member(root, "", "program", K_OBJECT, false, &program));
  if (program) {
    TRY(member(program, "program", "version", K_STRING, false, &version));
    if (version)
      copy_version(o->version, sizeof(o->version), json_string_value(version));
  }
  TRY(member(root, "", "instance", K_OBJECT, true, &inst));

  TRY(member(inst, "instance", "default_ds", K_OBJECT, true, &def));
  TRY(get_identity(def, "instance.default_ds", "clock_identity", o->own_identity));
  TRY(get_integer(def, "instance.default_ds", "domain_number", false, 0, 255, &v, &have));
  if (have)
    o->domain = (uint8_t)v;
  TRY(member(def, "instance.default_ds", "clock_quality", K_OBJECT, false, &quality));
  if (quality)
    TRY(check_accuracy(quality, "instance.default_ds.clock_quality"));

  TRY(member(inst, "instance", "current_ds", K_OBJECT, true, &cur));
  TRY(get_integer(cur, "instance.current_ds", "steps_removed", true, 0, 65535, &v, NULL));
  o->steps_removed = (uint16_t)v;
  /* i128 in both schemas: ns x 2^32 (I96F32 bits) from v0.4, whole ns before. */
  TRY(get_integer(cur, "instance.current_ds", "offset_from_master", true, -0x1p127, 0x1p127,
                  &offset, NULL));
  TRY(get_integer(cur, "instance.current_ds", "mean_delay", false, -0x1p127, 0x1p127, &delay,
                  &have_delay));

  TRY(member(inst, "instance", "parent_ds", K_OBJECT, true, &parent));
  TRY(get_identity(parent, "instance.parent_ds", "grandmaster_identity", o->gm_identity));
  TRY(member(parent, "instance.parent_ds", "grandmaster_clock_quality", K_OBJECT, false, &gmq));
  o->gm_clock_class = -1;
  if (gmq) {
    TRY(get_integer(gmq, "instance.parent_ds.grandmaster_clock_quality", "clock_class", false,
                    0, 255, &v, &have));
    if (have)
      o->gm_clock_class = (int)v;
    TRY(check_accuracy(gmq, "instance.parent_ds.grandmaster_clock_quality"));
  }

  TRY(member(inst, "instance", "time_properties_ds", K_OBJECT, true, &tp));
  /* Option<i16>: null until a master has told us. */
  TRY(member(tp, "instance.time_properties_ds", "current_utc_offset", K_ANY, true, &utc));
  if (!json_is_null(utc)) {
    TRY(get_integer(tp, "instance.time_properties_ds", "current_utc_offset", true, -32768,
                    32767, &v, NULL));
    o->utc_offset_valid = true;
    o->utc_offset = (int)v;
  }
  TRY(get_enum(tp, "instance.time_properties_ds", "leap_indicator", true, &name, &is_obj));
  o->leap61 = !is_obj && strcmp(name, "Leap61") == 0;
  o->leap59 = !is_obj && strcmp(name, "Leap59") == 0;
  TRY(get_bool(tp, "instance.time_properties_ds", "ptp_timescale", &o->ptp_timescale));
  TRY(get_bool(tp, "instance.time_properties_ds", "time_traceable", &o->time_traceable));
  TRY(get_enum(tp, "instance.time_properties_ds", "time_source", false, &name, &is_obj));

  /* Absent before v0.4 (statime PR #616); [] before the first BMCA. */
  TRY(member(inst, "instance", "port_ds", K_ARRAY, false, &ports));
  if (ports)
    TRY(parse_ports(ports, o));

  /* v0.3 has neither port_ds nor mean_delay, and its offset is in whole ns. */
  o->schema = !ports && !have_delay ? 3 : 4;
  /* Exactly 0 both: statime's filter has no estimate yet (see statime_json.h). */
  o->have_offset = o->schema == 3 || !have_delay || offset != 0 || delay != 0;
  o->offset_ns = o->schema == 3 ? offset : offset / 0x1p32;
  o->have_mean_delay = have_delay;
  o->mean_delay_ns = have_delay ? delay / 0x1p32 : 0;
  /* Callers keep ns in an int64_t; an i128 may hold far more (2^95 ns after scaling). */
  if (!(o->offset_ns > -0x1p63 && o->offset_ns < 0x1p63))
    return fail(STATIME_ERR_RANGE, "instance.current_ds", "offset_from_master", "out of range");
  if (!(o->mean_delay_ns > -0x1p63 && o->mean_delay_ns < 0x1p63))
    return fail(STATIME_ERR_RANGE, "instance.current_ds", "mean_delay", "out of range");
  o->gm_is_self = memcmp(o->gm_identity, o->own_identity, sizeof(o->gm_identity)) == 0;
  o->snapshot_hash = hash_json(1469598103934665603ULL, inst);
  return STATIME_OK;
}

enum statime_error statime_parse(const char *doc, size_t len, struct statime_obs *out,
                                 const char **err_detail)
{
  enum statime_error r;
  json_error_t e;
  json_t *root;

  memset(out, 0, sizeof(*out));
  out->gm_clock_class = -1;
  detail[0] = '\0';
  /* Duplicate keys would let two readers of one document see different values. */
  root = json_loadb(doc ? doc : "", doc ? len : 0,
                    JSON_DECODE_INT_AS_REAL | JSON_REJECT_DUPLICATES, &e);
  if (!root) {
    snprintf(detail, sizeof(detail), "JSON at byte %d: %s", e.position, e.text);
    r = STATIME_ERR_JSON;
  } else {
    r = parse_root(root, out);
    json_decref(root);
  }
  if (err_detail)
    *err_detail = r == STATIME_OK ? "" : detail;
  return r;
}

const char *statime_port_state_name(enum statime_port_state s)
{
  switch (s) {
  case STATIME_PS_UNKNOWN: return "unknown";
  case STATIME_PS_FAULTY: return "Faulty";
  case STATIME_PS_LISTENING: return "Listening";
  case STATIME_PS_MASTER: return "Master";
  case STATIME_PS_PASSIVE: return "Passive";
  case STATIME_PS_SLAVE: return "Slave";
  case STATIME_PS_OTHER: return "other";
  }
  return "?";
}

const char *statime_error_name(enum statime_error e)
{
  switch (e) {
  case STATIME_OK: return "ok";
  case STATIME_ERR_JSON: return "not valid JSON";
  case STATIME_ERR_SHAPE: return "missing or ill-typed member";
  case STATIME_ERR_RANGE: return "number out of range";
  }
  return "?";
}
