/* Unit tests: statime observation documents, from the fixtures in tests/data/statime/ (read
   from a real statime 0.4.0, see its README.md) and from edits of synced.json for the edge
   cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ptpstate/statime_json.h"
#include "test.h"

/* No libm in the test link. */
static double absd(double x)
{
  return x < 0 ? -x : x;
}

/* Tests run from the repo root; from tests/unit/ the fixtures are two levels up. */
static char *load(const char *name, size_t *len)
{
  static const char *const prefixes[] = {"", "../../"};
  char path[256];
  FILE *f = NULL;
  char *buf;
  long n;
  size_t i;

  for (i = 0; i < 2 && !f; i++) {
    snprintf(path, sizeof(path), "%stests/data/statime/%s", prefixes[i], name);
    f = fopen(path, "rb");
  }
  if (!f) {
    fprintf(stderr, "cannot open fixture %s\n", name);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  n = ftell(f);
  rewind(f);
  buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "cannot read fixture %s\n", name);
    exit(2);
  }
  fclose(f);
  buf[n] = '\0';
  *len = (size_t)n;
  return buf;
}

static enum statime_error parse_file(const char *name, struct statime_obs *o,
                                     const char **detail)
{
  size_t len;
  char *doc = load(name, &len);
  enum statime_error r = statime_parse(doc, len, o, detail);

  if (r != STATIME_OK && detail)
    printf("  %-26s -> %s: %s\n", name, statime_error_name(r), *detail);
  free(doc);
  return r;
}

/* base with its one occurrence of from replaced by to; NULL (a failed check) otherwise. */
static char *edit(const char *base, const char *from, const char *to)
{
  const char *at = strstr(base, from);
  size_t pre, n;
  char *s;

  if (!at || strstr(at + 1, from)) {
    fprintf(stderr, "edit: '%s' not found exactly once\n", from);
    return NULL;
  }
  pre = (size_t)(at - base);
  n = strlen(base) - strlen(from) + strlen(to);
  s = malloc(n + 1);
  memcpy(s, base, pre);
  strcpy(s + pre, to);
  strcat(s, at + strlen(from));
  return s;
}

/* Parses an edit of base; returns the result, ERR_JSON + a failed check if the edit failed. */
static enum statime_error parse_edit(const char *base, const char *from, const char *to,
                                     struct statime_obs *o, const char **detail)
{
  char *s = edit(base, from, to);
  enum statime_error r;

  CHECK(s != NULL);
  if (!s)
    return STATIME_ERR_JSON;
  r = statime_parse(s, strlen(s), o, detail);
  free(s);
  return r;
}

static const uint8_t own_id[8] = {156, 107, 0, 5, 23, 33, 0, 0};
static const uint8_t gm_id[8] = {102, 3, 136, 255, 254, 105, 246, 148};

static void test_synced(void)
{
  struct statime_obs o;
  const char *detail = NULL;

  CHECK_EQ_INT(parse_file("synced.json", &o, &detail), STATIME_OK);
  CHECK(detail && detail[0] == '\0');
  CHECK(strcmp(o.version, "0.4.0") == 0);
  CHECK_EQ_INT(o.schema, 4);
  CHECK(o.any_slave);
  CHECK_EQ_INT(o.n_ports, 1);
  CHECK_EQ_INT(o.port_state[0], STATIME_PS_SLAVE);
  CHECK_EQ_INT(o.port_state[1], STATIME_PS_UNKNOWN);
  CHECK_EQ_INT(o.steps_removed, 1);
  CHECK(o.have_offset);
  CHECK(absd(o.offset_ns - 4.42378222942352) < 1e-9);
  CHECK(o.offset_ns == 19000000000.0 / 4294967296.0); /* the scaling is exact */
  CHECK(o.have_mean_delay);
  CHECK(absd(o.mean_delay_ns - 2601.18) < 0.005);
  CHECK(o.mean_delay_ns == 11172000000000.0 / 4294967296.0);
  CHECK(memcmp(o.own_identity, own_id, 8) == 0);
  CHECK(memcmp(o.gm_identity, gm_id, 8) == 0);
  CHECK(!o.gm_is_self);
  CHECK_EQ_INT(o.gm_clock_class, 6);
  CHECK(o.time_traceable);
  CHECK(o.ptp_timescale);
  CHECK(o.utc_offset_valid);
  CHECK_EQ_INT(o.utc_offset, 37);
  CHECK(!o.leap61 && !o.leap59);
  CHECK_EQ_INT(o.domain, 0);
}

static void test_startup(void)
{
  struct statime_obs o;

  /* statime before its first BMCA: number_ports 0 and no port_ds entries. */
  CHECK_EQ_INT(parse_file("startup.json", &o, NULL), STATIME_OK);
  CHECK_EQ_INT(o.schema, 4); /* port_ds is [] and mean_delay there: v0.4 */
  CHECK_EQ_INT(o.n_ports, 0);
  CHECK(!o.any_slave);
  CHECK_EQ_INT(o.steps_removed, 0);
  CHECK(!o.have_offset && o.offset_ns == 0); /* 0 and 0: no estimate */
  CHECK(o.have_mean_delay && o.mean_delay_ns == 0);
  CHECK(o.gm_is_self);
  CHECK(memcmp(o.gm_identity, own_id, 8) == 0);
  CHECK_EQ_INT(o.gm_clock_class, 248);
  CHECK(!o.utc_offset_valid);
  CHECK(!o.time_traceable && !o.ptp_timescale);
  CHECK(!o.leap61 && !o.leap59);
}

static void test_master_lost(void)
{
  struct statime_obs o;

  /* Slave -> Listening about 3 announce intervals after the master went silent. */
  CHECK_EQ_INT(parse_file("master-lost.json", &o, NULL), STATIME_OK);
  CHECK_EQ_INT(o.schema, 4);
  CHECK(!o.any_slave);
  CHECK_EQ_INT(o.n_ports, 1);
  CHECK_EQ_INT(o.port_state[0], STATIME_PS_LISTENING);
  CHECK(o.gm_is_self);
  CHECK_EQ_INT(o.steps_removed, 0);
  CHECK(!o.utc_offset_valid);
  CHECK(o.ptp_timescale); /* stays true */
  CHECK(!o.have_offset);

  /* In the P2P run statime kept the lost master as its parent, steps_removed 1. */
  CHECK_EQ_INT(parse_file("p2p-master-lost.json", &o, NULL), STATIME_OK);
  CHECK(!o.any_slave);
  CHECK_EQ_INT(o.port_state[0], STATIME_PS_LISTENING);
  CHECK_EQ_INT(o.steps_removed, 1);
  CHECK(!o.gm_is_self);
  CHECK(o.utc_offset_valid && o.utc_offset == 37);
  CHECK(!o.have_offset);
}

/* Back in Slave, before statime's filter has an estimate: both exactly 0 is no offset. */
static void test_no_estimate(void)
{
  struct statime_obs o;
  const char *d = NULL;
  size_t len;
  char *a;

  CHECK_EQ_INT(parse_file("resynced-no-estimate.json", &o, NULL), STATIME_OK);
  CHECK(o.any_slave);
  CHECK_EQ_INT(o.steps_removed, 1);
  CHECK(!o.gm_is_self);
  CHECK(!o.have_offset);
  CHECK(o.offset_ns == 0 && o.have_mean_delay && o.mean_delay_ns == 0);

  /* Either one not 0 is an estimate: an offset of exactly 0 happens with hardware time
     stamping, a path delay of 0 does not. */
  a = load("resynced-no-estimate.json", &len);
  CHECK_EQ_INT(parse_edit(a, "\"offset_from_master\":0", "\"offset_from_master\":-1000000000",
                          &o, &d),
               STATIME_OK);
  CHECK(o.have_offset && o.offset_ns == -1e9 / 0x1p32);
  CHECK_EQ_INT(parse_edit(a, "\"mean_delay\":0", "\"mean_delay\":1000000000", &o, &d),
               STATIME_OK);
  CHECK(o.have_offset && o.offset_ns == 0);
  CHECK_EQ_INT(parse_edit(a, "\"mean_delay\":0", "\"mean_delay\":-0", &o, &d), STATIME_OK);
  CHECK(!o.have_offset);
  /* Without mean_delay the zeros cannot be told from an estimate. */
  CHECK_EQ_INT(parse_edit(a, ",\"mean_delay\":0", "", &o, &d), STATIME_OK);
  CHECK(o.have_offset && o.offset_ns == 0);
  free(a);
}

/* Two reads of one snapshot differ in program.uptime_seconds only: same snapshot_hash. */
static void test_snapshot_hash(void)
{
  struct statime_obs o;
  const char *d = NULL;
  size_t len;
  char *a = load("synced.json", &len);
  uint64_t h;

  CHECK_EQ_INT(statime_parse(a, len, &o, NULL), STATIME_OK);
  h = o.snapshot_hash;
  CHECK(h != 0);
  CHECK_EQ_INT(parse_edit(a, "\"uptime_seconds\":36.280536829", "\"uptime_seconds\":37.5", &o,
                          &d),
               STATIME_OK);
  CHECK(o.snapshot_hash == h);
  CHECK_EQ_INT(parse_edit(a, "\"version\":\"0.4.0\"", "\"version\":\"0.4.1\"", &o, &d),
               STATIME_OK);
  CHECK(o.snapshot_hash == h);
  /* Any change in the instance part is a new snapshot, 2^-32 ns included. */
  CHECK_EQ_INT(parse_edit(a, "\"offset_from_master\":19000000000",
                          "\"offset_from_master\":19000000001", &o, &d),
               STATIME_OK);
  CHECK(o.snapshot_hash != h);
  CHECK_EQ_INT(parse_edit(a, "\"Slave\"", "\"Listening\"", &o, &d), STATIME_OK);
  CHECK(o.snapshot_hash != h);
  CHECK_EQ_INT(parse_edit(a, "\"enable\":false", "\"enable\":true", &o, &d), STATIME_OK);
  CHECK(o.snapshot_hash != h);
  CHECK_EQ_INT(parse_edit(a, "\"list\":[]", "\"list\":[[]]", &o, &d), STATIME_OK);
  CHECK(o.snapshot_hash != h);
  CHECK_EQ_INT(parse_edit(a, "\"sdo_id\":0", "\"sdo_id\":0,\"x\":\"\"", &o, &d), STATIME_OK);
  CHECK(o.snapshot_hash != h);
  CHECK_EQ_INT(parse_file("resynced-no-estimate.json", &o, NULL), STATIME_OK);
  CHECK(o.snapshot_hash != h);
  free(a);
}

static void test_v03(void)
{
  struct statime_obs o;

  CHECK_EQ_INT(parse_file("v03-synced.json", &o, NULL), STATIME_OK);
  CHECK_EQ_INT(o.schema, 3);
  CHECK(strcmp(o.version, "0.3.0") == 0);
  CHECK(o.have_offset && o.offset_ns == -6.0); /* whole ns, not scaled */
  CHECK(!o.have_mean_delay);
  CHECK(!o.any_slave);
  CHECK_EQ_INT(o.n_ports, 0);
  CHECK_EQ_INT(o.steps_removed, 1);
  CHECK(!o.gm_is_self); /* with steps_removed >= 1: the caller's v0.3 slave signal */
  CHECK_EQ_INT(o.gm_clock_class, 6);
  CHECK(o.utc_offset_valid && o.utc_offset == 37);
}

static void test_v03_range(void)
{
  struct statime_obs o;
  size_t len;
  char *v3 = load("v03-synced.json", &len);

  /* v0.3 offsets are whole ns: 1e19 ns does not fit an int64_t, 9e18 does. */
  CHECK_EQ_INT(parse_edit(v3, "-6}", "1e19}", &o, NULL), STATIME_ERR_RANGE);
  CHECK_EQ_INT(parse_edit(v3, "-6}", "9e18}", &o, NULL), STATIME_OK);
  CHECK(o.schema == 3 && o.offset_ns == 9e18);
  free(v3);
}

static void test_offset_3s(void)
{
  struct statime_obs o;

  /* 3 s x 2^32 > INT64_MAX: only decoding as real keeps the document. */
  CHECK_EQ_INT(parse_file("offset-3s.json", &o, NULL), STATIME_OK);
  CHECK(o.offset_ns == 3e9);
  CHECK(o.any_slave);
}

static void test_p2p(void)
{
  struct statime_obs o;

  CHECK_EQ_INT(parse_file("p2p.json", &o, NULL), STATIME_OK);
  CHECK(o.any_slave);
  CHECK_EQ_INT(o.gm_clock_class, 6);
  CHECK(o.have_offset && o.offset_ns == 92000000000.0 / 0x1p32);
  CHECK(o.mean_delay_ns == 8606000000000.0 / 0x1p32); /* not the port's mean_link_delay */
}

static void test_garbage(void)
{
  struct statime_obs o;
  const char *detail = NULL;

  CHECK_EQ_INT(parse_file("garbage-truncated.json", &o, &detail), STATIME_ERR_JSON);
  CHECK_EQ_INT(parse_file("garbage-not-object.json", &o, &detail), STATIME_ERR_SHAPE);
  CHECK(strcmp(detail, "document not an object") == 0);
  CHECK_EQ_INT(parse_file("garbage-wrong-types.json", &o, &detail), STATIME_ERR_SHAPE);
  CHECK(strcmp(detail, "instance.default_ds.clock_identity not 8 octets") == 0);
  CHECK_EQ_INT(parse_file("garbage-huge-number.json", &o, &detail), STATIME_ERR_RANGE);
  CHECK(strcmp(detail, "instance.current_ds.steps_removed out of range") == 0);
  CHECK_EQ_INT(parse_file("garbage-empty.json", &o, &detail), STATIME_ERR_JSON);
  CHECK(detail[0] != '\0');
  CHECK_EQ_INT(parse_file("garbage-empty.json", &o, NULL), STATIME_ERR_JSON);
  CHECK_EQ_INT(statime_parse(NULL, 0, &o, NULL), STATIME_ERR_JSON);
}

static void test_edges(void)
{
  struct statime_obs o;
  const char *d = NULL;
  size_t len;
  char *a = load("synced.json", &len), *s, *t, *buf;
  int i;

  /* Not NUL-terminated: bytes after len are not read. */
  buf = malloc(len + 8);
  memcpy(buf, a, len);
  memcpy(buf + len, "garbage!", 8);
  CHECK_EQ_INT(statime_parse(buf, len, &o, NULL), STATIME_OK);
  CHECK_EQ_INT(statime_parse(buf, len + 8, &o, NULL), STATIME_ERR_JSON);
  CHECK_EQ_INT(statime_parse(buf, len - 1, &o, NULL), STATIME_ERR_JSON);
  free(buf);

  /* Enums: the object form and unknown names are OTHER, never Slave. */
  CHECK_EQ_INT(parse_edit(a, "\"Slave\"", "{\"Slave\":null}", &o, &d), STATIME_OK);
  CHECK_EQ_INT(o.port_state[0], STATIME_PS_OTHER);
  CHECK(!o.any_slave);
  CHECK_EQ_INT(parse_edit(a, "\"Slave\"", "\"Uncalibrated\"", &o, &d), STATIME_OK);
  CHECK_EQ_INT(o.port_state[0], STATIME_PS_OTHER);
  CHECK_EQ_INT(parse_edit(a, "\"Slave\"", "\"Master\"", &o, &d), STATIME_OK);
  CHECK_EQ_INT(o.port_state[0], STATIME_PS_MASTER);
  CHECK_EQ_INT(parse_edit(a, "\"Slave\"", "{\"A\":1,\"B\":2}", &o, &d), STATIME_ERR_SHAPE);
  CHECK(strcmp(d, "instance.port_ds[].port_state not a string or one-key object") == 0);
  CHECK_EQ_INT(parse_edit(a, "\"Slave\"", "{}", &o, &d), STATIME_ERR_SHAPE);
  CHECK_EQ_INT(parse_edit(a, "\"Slave\"", "7", &o, &d), STATIME_ERR_SHAPE);
  CHECK_EQ_INT(parse_edit(a, "\"Gnss\"", "[\"Gnss\"]", &o, &d), STATIME_ERR_SHAPE);
  CHECK_EQ_INT(parse_edit(a, "\"NS100\"", "{\"ProfileSpecific\":5}", &o, &d), STATIME_OK);

  /* Leap warnings. */
  CHECK_EQ_INT(parse_edit(a, "\"NoLeap\"", "\"Leap59\"", &o, &d), STATIME_OK);
  CHECK(o.leap59 && !o.leap61);
  CHECK_EQ_INT(parse_edit(a, "\"NoLeap\"", "\"Leap61\"", &o, &d), STATIME_OK);
  CHECK(o.leap61 && !o.leap59);
  CHECK_EQ_INT(parse_edit(a, "\"NoLeap\"", "{\"Leap61\":1}", &o, &d), STATIME_OK);
  CHECK(!o.leap61 && !o.leap59);

  /* current_utc_offset: null is "not known"; otherwise an i16. */
  CHECK_EQ_INT(parse_edit(a, "\"current_utc_offset\":37", "\"current_utc_offset\":null", &o,
                          &d),
               STATIME_OK);
  CHECK(!o.utc_offset_valid);
  CHECK_EQ_INT(parse_edit(a, "\"current_utc_offset\":37", "\"current_utc_offset\":-3", &o, &d),
               STATIME_OK);
  CHECK(o.utc_offset_valid && o.utc_offset == -3);
  CHECK_EQ_INT(parse_edit(a, "\"current_utc_offset\":37", "\"current_utc_offset\":37.5", &o,
                          &d),
               STATIME_ERR_RANGE);
  CHECK(strcmp(d, "instance.time_properties_ds.current_utc_offset not an integer") == 0);
  CHECK_EQ_INT(parse_edit(a, "\"current_utc_offset\":37", "\"current_utc_offset\":32768", &o,
                          &d),
               STATIME_ERR_RANGE);
  CHECK_EQ_INT(parse_edit(a, "\"current_utc_offset\":37", "\"current_utc_offset\":\"37\"", &o,
                          &d),
               STATIME_ERR_SHAPE);
  CHECK_EQ_INT(parse_edit(a, "\"current_utc_offset\":37,", "", &o, &d), STATIME_ERR_SHAPE);
  CHECK(strcmp(d, "instance.time_properties_ds.current_utc_offset missing") == 0);

  /* Duplicate keys, at any depth, are not JSON we accept. */
  CHECK_EQ_INT(parse_edit(a, "\"steps_removed\":1", "\"steps_removed\":1,\"steps_removed\":2",
                          &o, &d),
               STATIME_ERR_JSON);
  CHECK_EQ_INT(parse_edit(a, "{\"program\"", "{\"instance\":{},\"program\"", &o, &d),
               STATIME_ERR_JSON);

  /* Required members. */
  CHECK_EQ_INT(parse_edit(a, "\"current_ds\"", "\"kurrent_ds\"", &o, &d), STATIME_ERR_SHAPE);
  CHECK(strcmp(d, "instance.current_ds missing") == 0);
  CHECK_EQ_INT(parse_edit(a, "\"instance\"", "\"Instance\"", &o, &d), STATIME_ERR_SHAPE);
  CHECK(strcmp(d, "instance missing") == 0);
  CHECK_EQ_INT(parse_edit(a, "\"ptp_timescale\":true", "\"ptp_timescale\":1", &o, &d),
               STATIME_ERR_SHAPE);
  CHECK(strcmp(d, "instance.time_properties_ds.ptp_timescale not a boolean") == 0);
  CHECK_EQ_INT(parse_edit(a, "\"grandmaster_identity\"", "\"gm_identity\"", &o, &d),
               STATIME_ERR_SHAPE);
  CHECK_EQ_INT(parse_edit(a, ",\"offset_from_master\":19000000000", "", &o, &d),
               STATIME_ERR_SHAPE);

  /* Ranges. */
  /* parent_port_identity is not used, so not checked. */
  CHECK_EQ_INT(parse_edit(a, "\"clock_identity\":[102,3,136,255",
                          "\"clock_identity\":[102,3,136,256", &o, &d),
               STATIME_OK);
  CHECK_EQ_INT(parse_edit(a, "\"grandmaster_identity\":[102,3,136,255",
                          "\"grandmaster_identity\":[102,3,136,256", &o, &d),
               STATIME_ERR_RANGE);
  CHECK_EQ_INT(parse_edit(a, "\"grandmaster_identity\":[102,3,136,255",
                          "\"grandmaster_identity\":[102,3,136,2.5", &o, &d),
               STATIME_ERR_RANGE);
  CHECK_EQ_INT(parse_edit(a, "\"grandmaster_identity\":[102,3,136,255",
                          "\"grandmaster_identity\":[102,3,136,\"x\"", &o, &d),
               STATIME_ERR_SHAPE);
  CHECK_EQ_INT(parse_edit(a, "\"domain_number\":0", "\"domain_number\":256", &o, &d),
               STATIME_ERR_RANGE);
  CHECK_EQ_INT(parse_edit(a, "\"domain_number\":0", "\"domain_number\":127", &o, &d),
               STATIME_OK);
  CHECK_EQ_INT(o.domain, 127);
  CHECK_EQ_INT(parse_edit(a, "\"clock_class\":6", "\"clock_class\":-1", &o, &d),
               STATIME_ERR_RANGE);
  CHECK_EQ_INT(parse_edit(a, "\"steps_removed\":1", "\"steps_removed\":65535", &o, &d),
               STATIME_OK);
  CHECK_EQ_INT(o.steps_removed, 65535);
  CHECK_EQ_INT(parse_edit(a, "\"steps_removed\":1", "\"steps_removed\":65536", &o, &d),
               STATIME_ERR_RANGE);
  CHECK_EQ_INT(parse_edit(a, "19000000000", "-12884901888000000000", &o, &d), STATIME_OK);
  CHECK(o.offset_ns == -3e9);
  CHECK_EQ_INT(parse_edit(a, "19000000000", "19000000000.5", &o, &d), STATIME_ERR_RANGE);
  CHECK_EQ_INT(parse_edit(a, "19000000000", "1e40", &o, &d), STATIME_ERR_RANGE);
  CHECK_EQ_INT(parse_edit(a, "19000000000", "1e400", &o, &d), STATIME_ERR_JSON);
  /* Valid i128s, but beyond int64 ns once scaled: callers could not hold them. */
  CHECK_EQ_INT(parse_edit(a, "19000000000", "-1e37", &o, &d), STATIME_ERR_RANGE);
  CHECK(strcmp(d, "instance.current_ds.offset_from_master out of range") == 0);
  CHECK_EQ_INT(parse_edit(a, "11172000000000", "1e37", &o, &d), STATIME_ERR_RANGE);
  CHECK(strcmp(d, "instance.current_ds.mean_delay out of range") == 0);
  /* (2^63 - 1024) ns, the largest double below 2^63, is kept; 2^63 ns is not. */
  CHECK_EQ_INT(parse_edit(a, "19000000000", "-39614081257132164398725464064", &o, &d),
               STATIME_OK);
  CHECK(o.offset_ns == -(0x1p63 - 1024));
  CHECK_EQ_INT(parse_edit(a, "19000000000", "-39614081257132168796771975168", &o, &d),
               STATIME_ERR_RANGE);

  /* Optional members: absent is fine, ill-typed is not. */
  CHECK_EQ_INT(parse_edit(a, "\"clock_class\":6,", "", &o, &d), STATIME_OK);
  CHECK_EQ_INT(o.gm_clock_class, -1);
  CHECK_EQ_INT(parse_edit(a, "\"version\":\"0.4.0\",", "", &o, &d), STATIME_OK);
  CHECK(o.version[0] == '\0');
  CHECK_EQ_INT(parse_edit(a, "\"version\":\"0.4.0\"", "\"version\":4", &o, &d),
               STATIME_ERR_SHAPE);
  CHECK_EQ_INT(parse_edit(a, "\"0.4.0\"", "\"0.4.0-a-very-long-version-string-indeed\\n\"", &o,
                          &d),
               STATIME_OK);
  CHECK_EQ_INT(strlen(o.version), sizeof(o.version) - 1);
  CHECK(strncmp(o.version, "0.4.0-a-very-long-version", 25) == 0);
  CHECK_EQ_INT(parse_edit(a, "\"0.4.0\"", "\"0.4\\n\"", &o, &d), STATIME_OK);
  CHECK(strcmp(o.version, "0.4?") == 0); /* control bytes never reach a log line */

  /* port_ds without mean_delay is still v0.4: the offset stays scaled. */
  CHECK_EQ_INT(parse_edit(a, ",\"mean_delay\":11172000000000", "", &o, &d), STATIME_OK);
  CHECK_EQ_INT(o.schema, 4);
  CHECK(!o.have_mean_delay);
  CHECK(o.offset_ns == 19000000000.0 / 0x1p32);
  CHECK_EQ_INT(parse_edit(a, "\"port_ds\":[{", "\"port_ds\":[1,{", &o, &d), STATIME_ERR_SHAPE);
  CHECK(strcmp(d, "instance.port_ds[] not an object") == 0);
  CHECK_EQ_INT(parse_edit(a, "\"port_state\":\"Slave\",", "", &o, &d), STATIME_ERR_SHAPE);

  /* More than 8 ports: all counted and searched, the first 8 kept. */
  s = edit(a, "\"port_ds\":[", "\"port_ds\":[{\"port_state\":\"Passive\"},");
  for (i = 0; s && i < 9; i++) {
    t = edit(s, "\"port_ds\":[", "\"port_ds\":[{\"port_state\":\"Faulty\"},");
    free(s);
    s = t;
  }
  CHECK(s != NULL);
  if (s) {
    CHECK_EQ_INT(statime_parse(s, strlen(s), &o, &d), STATIME_OK);
    CHECK_EQ_INT(o.n_ports, 11);
    CHECK(o.any_slave); /* the 11th */
    CHECK_EQ_INT(o.port_state[0], STATIME_PS_FAULTY);
    CHECK_EQ_INT(o.port_state[7], STATIME_PS_FAULTY);
    free(s);
  }

  /* NUL inside the document. */
  CHECK_EQ_INT(statime_parse("{\"a\":1}\0", 8, &o, &d), STATIME_ERR_JSON);
  CHECK_EQ_INT(statime_parse("{}", 2, &o, &d), STATIME_ERR_SHAPE);
  CHECK_EQ_INT(statime_parse("\"x\"", 3, &o, &d), STATIME_ERR_JSON); /* no bare scalars */

  free(a);
}

static void test_names(void)
{
  CHECK(strcmp(statime_port_state_name(STATIME_PS_SLAVE), "Slave") == 0);
  CHECK(strcmp(statime_port_state_name(STATIME_PS_LISTENING), "Listening") == 0);
  CHECK(strcmp(statime_port_state_name(STATIME_PS_UNKNOWN), "unknown") == 0);
  CHECK(strcmp(statime_port_state_name((enum statime_port_state)99), "?") == 0);
  CHECK(strcmp(statime_error_name(STATIME_ERR_RANGE), "number out of range") == 0);
}

int main(void)
{
  test_synced();
  test_startup();
  test_master_lost();
  test_no_estimate();
  test_snapshot_hash();
  test_v03();
  test_v03_range();
  test_offset_3s();
  test_p2p();
  test_garbage();
  test_edges();
  test_names();
  return test_report("statime_json");
}
