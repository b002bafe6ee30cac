/* Unit tests: the status document from a synthetic snapshot with every field set (every key
   and value, nulls for never and unknown, escaping), fallbacks in NTP with a failed action and
   in PTP, and RFC 3339 times both ways. */
#include <string.h>

#include "bridge/control/status_json.h"
#include "test.h"

/* 2026-12-07T15:32:00.123456789Z */
#define T0 1796657520123456789LL
#define SEC 1000000000LL

static void check_str(const json_t *o, const char *key, const char *want, int line)
{
  const char *got = json_string_value(json_object_get(o, key));
  test_checks++;
  if (!got || strcmp(got, want) != 0) {
    test_failures++;
    fprintf(stderr, "%s:%d: \"%s\" is \"%s\", expected \"%s\"\n", __FILE__, line, key,
            got ? got : "(not a string)", want);
  }
}

static void check_int(const json_t *o, const char *key, long long want, int line)
{
  const json_t *j = json_object_get(o, key);
  test_checks++;
  if (!json_is_integer(j) || json_integer_value(j) != want) {
    test_failures++;
    fprintf(stderr, "%s:%d: \"%s\" is %lld (%s), expected %lld\n", __FILE__, line, key,
            json_is_integer(j) ? (long long)json_integer_value(j) : 0LL,
            json_is_integer(j) ? "integer" : "not an integer", want);
  }
}

static void check_type(const json_t *o, const char *key, json_type want, int line)
{
  const json_t *j = json_object_get(o, key);
  test_checks++;
  if (!j || json_typeof(j) != want) {
    test_failures++;
    fprintf(stderr, "%s:%d: \"%s\" has type %d, expected %d\n", __FILE__, line, key,
            j ? (int)json_typeof(j) : -1, (int)want);
  }
}

#define STR(o, k, v) check_str(o, k, v, __LINE__)
#define INT(o, k, v) check_int(o, k, v, __LINE__)
#define NUL(o, k) check_type(o, k, JSON_NULL, __LINE__)
#define TRUE(o, k) check_type(o, k, JSON_TRUE, __LINE__)
#define FALSE(o, k) check_type(o, k, JSON_FALSE, __LINE__)
#define KEYS(o, n) CHECK_EQ_INT(json_object_size(o), n)

static void check_time(int64_t ns, const char *want)
{
  char buf[STATUS_TIME_LEN];
  int64_t back = 0;

  status_time_format(ns, buf);
  test_checks++;
  if (strcmp(buf, want) != 0) {
    test_failures++;
    fprintf(stderr, "%s:%d: %lld formats as %s, expected %s\n", __FILE__, __LINE__,
            (long long)ns, buf, want);
  }
  CHECK(status_time_parse(want, &back));
  CHECK_EQ_INT(back, ns);
}

static void times(void)
{
  int64_t ns = 0;

  check_time(T0, "2026-12-07T15:32:00.123456789Z");
  check_time(0, "1970-01-01T00:00:00.000000000Z");
  check_time(-1, "1969-12-31T23:59:59.999999999Z");
  check_time(-SEC, "1969-12-31T23:59:59.000000000Z");
  check_time(951868799LL * SEC + 5, "2000-02-29T23:59:59.000000005Z");
  check_time(INT64_MAX, "2262-04-11T23:47:16.854775807Z");
  check_time(INT64_MIN, "1677-09-21T00:12:43.145224192Z");
  /* fewer fraction digits, none */
  CHECK(status_time_parse("2026-12-07T15:32:00.5Z", &ns));
  CHECK_EQ_INT(ns, 1796657520LL * SEC + 500000000);
  CHECK(status_time_parse("2026-12-07T15:32:00Z", &ns));
  CHECK_EQ_INT(ns, 1796657520LL * SEC);
  /* not the form, or out of range */
  static const char *const bad[] = {
    "", "2026-12-07 15:32:00Z", "2026-12-07T15:32:00", "2026-12-07T15:32:00.Z",
    "2026-12-07T15:32:00.1234567890Z", "2026-13-07T15:32:00Z", "2026-02-29T00:00:00Z",
    "2026-12-07T24:00:00Z", "2026-12-07T15:32:60Z", "2262-04-11T23:47:16.854775808Z",
    "1677-09-21T00:12:43.145224191Z", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z",
    "2026-12-07T15:32:00Zx", "2026-12-07T15:32:00+01:00", "+026-12-07T15:32:00Z",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    test_checks++;
    if (status_time_parse(bad[i], &ns)) {
      test_failures++;
      fprintf(stderr, "%s:%d: \"%s\" parsed\n", __FILE__, __LINE__, bad[i]);
    }
  }
  CHECK(!status_time_parse(NULL, &ns));
}

static void set_health(struct health_report *h, bool down, int64_t since, const char *error)
{
  h->down = down;
  h->since_ns = since;
  h->outages = 3;
  h->outage_ns = 1500000000;
  snprintf(h->last_error, sizeof(h->last_error), "%s", error);
  h->last_error_ns = since ? since - SEC : 0;
}

static void set_action(struct fallback_action_report *a, const char *kind, const char *target,
                       bool ok, uint64_t applied, uint64_t failures, const char *error,
                       int64_t error_ns)
{
  memset(a, 0, sizeof(*a));
  a->kind = kind;
  snprintf(a->target, sizeof(a->target), "%s", target);
  a->ok = ok;
  a->applied = applied;
  a->failures = failures;
  snprintf(a->last_error, sizeof(a->last_error), "%s", error);
  a->last_error_ns = error_ns;
}

/* In NTP since PTP was lost, its unit failing to start; and in PTP, healthy. */
static void fill_fallbacks(struct fallback_report *fb)
{
  memset(fb, 0, 2 * sizeof(*fb));
  fb[0].name = "ntp";
  fb[0].mode = FALLBACK_NTP;
  fb[0].since_ns = T0 - 45 * SEC;
  fb[0].ptp_good = false;
  snprintf(fb[0].loss, sizeof(fb[0].loss), "tracker ptp FREERUN");
  fb[0].wait = FALLBACK_WAIT_NONE;
  snprintf(fb[0].last_reason, sizeof(fb[0].last_reason), "tracker ptp FREERUN for 2 s");
  fb[0].transitions_total[FALLBACK_PTP][FALLBACK_REASON_LOCKED] = 1;
  fb[0].transitions_total[FALLBACK_NTP][FALLBACK_REASON_LOSS] = 2;
  fb[0].transitions_total[FALLBACK_PTP][FALLBACK_REASON_RECOVERED] = 1;
  fb[0].refused = 3;
  fb[0].n_actions = 2;
  set_action(&fb[0].actions[0], "unit", "chronyd.service", false, 3, 1,
             "start chronyd.service: Unit chronyd.service not found.", T0 - 44 * SEC);
  set_action(&fb[0].actions[1], "marker", "/var/run/ptp/insync", true, 3, 0, "", 0);
  fb[1].name = "lab";
  fb[1].mode = FALLBACK_PTP;
  fb[1].since_ns = T0 - 3600 * SEC;
  fb[1].ptp_good = true;
  fb[1].transitions_total[FALLBACK_PTP][FALLBACK_REASON_LOCKED] = 1;
  fb[1].n_actions = 1;
  set_action(&fb[1].actions[0], "hook", "/usr/local/bin/notify", true, 1, 0, "", 0);
}

/* Every field set; one instance of each kind also with every optional field unknown. */
static void fill(struct snapshot *s, struct source_report *src, struct output_report *out,
                 struct tracker_report *trk, struct fallback_report *fb)
{
  memset(s, 0, sizeof(*s));
  s->taken_ns = T0;
  s->daemon.version = "1.2.3";
  s->daemon.config_path = "/etc/refclock-bridge.conf";
  snprintf(s->daemon.config_digest, sizeof(s->daemon.config_digest), "0123456789abcdef");
  s->daemon.start_ns = T0 - 3600 * SEC;
  s->daemon.reloads = 2;
  s->daemon.reloads_rejected = 1;
  s->daemon.log_suppressed = 17;

  memset(src, 0, 2 * sizeof(*src));
  src[0].name = "phc \"0\"\\\n";
  src[0].kind = "phc";
  snprintf(src[0].endpoint, sizeof(src[0].endpoint), "/dev/ptp0");
  snprintf(src[0].outputs, sizeof(src[0].outputs), "chrony,ntpd");
  src[0].state = SOURCE_OK;
  src[0].state_since_ns = T0 - 60 * SEC;
  src[0].published = 100;
  src[0].invalid = 2;
  src[0].lost = 1;
  src[0].have_sample = true;
  src[0].last_offset_ns = -123456789012LL;
  src[0].last_sample_ns = T0 - 250000000;
  src[0].last_precision = -20;
  set_health(&src[0].health, false, T0 - 30 * SEC, "lost /dev/ptp0: No such device\t\x01");
  report_int(&src[0].extras, "window_ns", -40);
  report_count(&src[0].extras, "readings", UINT64_MAX);
  report_double(&src[0].extras, "delay", 0.5);
  report_double(&src[0].extras, "bad_double", 1.0 / 0.0);
  report_bool(&src[0].extras, "precise", true);
  report_string(&src[0].extras, "method", "PRECISE");
  report_string(&src[0].extras, "latin1", "caf\xe9");
  src[1].name = "gps";
  src[1].kind = "gpsd";
  src[1].state = SOURCE_NO_DATA;

  memset(out, 0, 2 * sizeof(*out));
  out[0].name = "chrony";
  out[0].kind = "sock";
  snprintf(out[0].target, sizeof(out[0].target), "/run/chrony/phc0.sock");
  out[0].connected = true;
  out[0].sent = 99;
  out[0].dropped = 4;
  out[0].invalidated = 5;
  set_health(&out[0].health, false, T0 - 10 * SEC, "permission denied \"x\"");
  report_string(&out[0].extras, "owner", "root:root");
  out[1].name = "ntpd";
  out[1].kind = "shm";
  out[1].connected = true;
  set_health(&out[1].health, true, T0 - 5 * SEC, "shmget: EACCES");

  memset(trk, 0, 2 * sizeof(*trk));
  trk[0].name = "ptp";
  trk[0].kind = "ptp4l";
  snprintf(trk[0].endpoint, sizeof(trk[0].endpoint), "/var/run/ptp4l");
  trk[0].state = TRACKER_LOCKED;
  trk[0].since_ns = T0 - 20 * SEC;
  snprintf(trk[0].reason, sizeof(trk[0].reason), "port SLAVE, offset within 100 ns");
  snprintf(trk[0].port_state, sizeof(trk[0].port_state), "SLAVE");
  trk[0].have_offset = true;
  trk[0].offset_ns = -12;
  snprintf(trk[0].gm_identity, sizeof(trk[0].gm_identity), "001122.fffe.334455");
  trk[0].gm_clock_class = 6;
  trk[0].have_time_properties = true;
  trk[0].time_traceable = true;
  trk[0].utc_offset_valid = true;
  trk[0].utc_offset = 37;
  trk[0].leap61 = true;
  trk[0].leap59 = false;
  trk[0].updates = 345;
  trk[0].malformed = 6;
  trk[0].rejected = 7;
  trk[0].transitions_total[TRACKER_UNKNOWN][TRACKER_FREERUN] = 1;
  trk[0].transitions_total[TRACKER_FREERUN][TRACKER_LOCKED] = 2;
  trk[0].n_transitions = 2;
  trk[0].transitions[0] = (struct tracker_transition){T0 - 40 * SEC, TRACKER_UNKNOWN,
                                                      TRACKER_FREERUN, "ptp4l answers"};
  trk[0].transitions[1] = (struct tracker_transition){T0 - 20 * SEC, TRACKER_FREERUN,
                                                      TRACKER_LOCKED, "port SLAVE"};
  set_health(&trk[0].health, false, 0, "");
  report_int(&trk[0].extras, "domain", 24);
  trk[1].name = "other";
  trk[1].kind = "statime";
  trk[1].state = TRACKER_UNKNOWN;
  trk[1].gm_clock_class = -1;
  trk[1].utc_offset = 37; /* not valid: never shown */

  fill_fallbacks(fb);
  s->n_sources = s->n_outputs = s->n_trackers = s->n_fallbacks = 2;
  s->sources = src;
  s->outputs = out;
  s->trackers = trk;
  s->fallbacks = fb;
}

static void check_health(const json_t *h, bool down, const char *since, const char *error,
                         const char *error_time)
{
  KEYS(h, 6);
  check_type(h, "down", down ? JSON_TRUE : JSON_FALSE, __LINE__);
  if (since)
    STR(h, "since", since);
  else
    NUL(h, "since");
  INT(h, "outages", 3);
  CHECK(json_is_real(json_object_get(h, "outage_seconds")));
  CHECK(json_real_value(json_object_get(h, "outage_seconds")) == 1.5);
  if (error) {
    STR(h, "last_error", error);
    STR(h, "last_error_time", error_time);
  } else {
    NUL(h, "last_error");
    NUL(h, "last_error_time");
  }
}

static void document(void)
{
  struct snapshot s;
  struct source_report src[2];
  struct output_report out[2];
  struct tracker_report trk[2];
  struct fallback_report fb[2];
  json_t *doc, *d, *o, *a, *x;
  char *text;

  fill(&s, src, out, trk, fb);
  doc = status_json(&s, 4242);
  CHECK(doc != NULL);
  if (!doc)
    return;
  KEYS(doc, 9);
  INT(doc, "schema", 1);
  FALSE(doc, "healthy"); /* a source with no data, an output down, a tracker UNKNOWN */
  STR(doc, "summary", "1 source ok, 1 no data; 1/2 outputs up; tracker ptp LOCKED, tracker "
                      "other UNKNOWN; fallback ntp: NTP (loss: tracker ptp FREERUN; unit "
                      "failed), fallback lab: PTP");
  STR(doc, "time", "2026-12-07T15:32:00.123456789Z");

  d = json_object_get(doc, "daemon");
  KEYS(d, 8);
  STR(d, "version", "1.2.3");
  STR(d, "config", "/etc/refclock-bridge.conf");
  STR(d, "config_digest", "0123456789abcdef");
  STR(d, "started", "2026-12-07T14:32:00.123456789Z");
  INT(d, "reloads", 2);
  INT(d, "reloads_rejected", 1);
  INT(d, "log_lines_suppressed", 17);
  INT(d, "pid", 4242);

  a = json_object_get(doc, "sources");
  CHECK_EQ_INT(json_array_size(a), 2);
  o = json_array_get(a, 0);
  KEYS(o, 13);
  STR(o, "name", "phc \"0\"\\\n");
  STR(o, "kind", "phc");
  STR(o, "endpoint", "/dev/ptp0");
  x = json_object_get(o, "outputs");
  CHECK_EQ_INT(json_array_size(x), 2);
  CHECK(strcmp(json_string_value(json_array_get(x, 0)), "chrony") == 0);
  CHECK(strcmp(json_string_value(json_array_get(x, 1)), "ntpd") == 0);
  STR(o, "state", "ok");
  STR(o, "since", "2026-12-07T15:31:00.123456789Z");
  TRUE(o, "healthy");
  INT(o, "published", 100);
  INT(o, "invalid", 2);
  INT(o, "lost", 1);
  x = json_object_get(o, "last_sample");
  KEYS(x, 3);
  INT(x, "offset_ns", -123456789012LL);
  STR(x, "time", "2026-12-07T15:31:59.873456789Z");
  INT(x, "precision", -20);
  check_health(json_object_get(o, "health"), false, "2026-12-07T15:31:30.123456789Z",
               "lost /dev/ptp0: No such device\t\x01", "2026-12-07T15:31:29.123456789Z");
  x = json_object_get(o, "details");
  KEYS(x, 7);
  INT(x, "window_ns", -40);
  INT(x, "readings", INT64_MAX); /* a count beyond JSON's int64 is clamped */
  CHECK(json_real_value(json_object_get(x, "delay")) == 0.5);
  NUL(x, "bad_double");
  TRUE(x, "precise");
  STR(x, "method", "PRECISE");
  STR(x, "latin1", "caf?"); /* not UTF-8: replaced, not dropped */

  o = json_array_get(a, 1);
  KEYS(o, 13);
  STR(o, "state", "no_data");
  FALSE(o, "healthy");
  NUL(o, "endpoint");
  NUL(o, "since");
  NUL(o, "last_sample");
  CHECK_EQ_INT(json_array_size(json_object_get(o, "outputs")), 0);
  KEYS(json_object_get(o, "details"), 0);
  x = json_object_get(o, "health");
  FALSE(x, "down");
  NUL(x, "since");
  NUL(x, "last_error");
  NUL(x, "last_error_time");
  INT(x, "outages", 0);

  a = json_object_get(doc, "outputs");
  CHECK_EQ_INT(json_array_size(a), 2);
  o = json_array_get(a, 0);
  KEYS(o, 10);
  STR(o, "name", "chrony");
  STR(o, "kind", "sock");
  STR(o, "target", "/run/chrony/phc0.sock");
  TRUE(o, "connected");
  TRUE(o, "healthy");
  INT(o, "sent", 99);
  INT(o, "dropped", 4);
  INT(o, "invalidated", 5);
  check_health(json_object_get(o, "health"), false, "2026-12-07T15:31:50.123456789Z",
               "permission denied \"x\"", "2026-12-07T15:31:49.123456789Z");
  STR(json_object_get(o, "details"), "owner", "root:root");
  o = json_array_get(a, 1);
  NUL(o, "target");
  TRUE(o, "connected");
  FALSE(o, "healthy"); /* connected but in an outage */
  TRUE(json_object_get(o, "health"), "down");

  a = json_object_get(doc, "trackers");
  CHECK_EQ_INT(json_array_size(a), 2);
  o = json_array_get(a, 0);
  KEYS(o, 21);
  STR(o, "name", "ptp");
  STR(o, "kind", "ptp4l");
  STR(o, "endpoint", "/var/run/ptp4l");
  STR(o, "state", "LOCKED");
  INT(o, "openshift_state", 1);
  STR(o, "since", "2026-12-07T15:31:40.123456789Z");
  STR(o, "reason", "port SLAVE, offset within 100 ns");
  STR(o, "port_state", "SLAVE");
  INT(o, "offset_ns", -12);
  x = json_object_get(o, "grandmaster");
  KEYS(x, 3);
  STR(x, "identity", "001122.fffe.334455");
  INT(x, "clock_class", 6);
  TRUE(x, "time_traceable");
  INT(o, "utc_offset", 37);
  TRUE(o, "leap61");
  FALSE(o, "leap59");
  INT(o, "updates", 345);
  INT(o, "malformed", 6);
  INT(o, "rejected", 7);
  x = json_object_get(o, "transitions");
  CHECK_EQ_INT(json_array_size(x), 2);
  STR(json_array_get(x, 0), "time", "2026-12-07T15:31:20.123456789Z");
  STR(json_array_get(x, 0), "from", "UNKNOWN");
  STR(json_array_get(x, 0), "to", "FREERUN");
  STR(json_array_get(x, 0), "reason", "ptp4l answers");
  KEYS(json_array_get(x, 1), 4);
  STR(json_array_get(x, 1), "from", "FREERUN");
  STR(json_array_get(x, 1), "to", "LOCKED");
  x = json_object_get(o, "transition_counts");
  CHECK_EQ_INT(json_array_size(x), 2);
  STR(json_array_get(x, 0), "from", "FREERUN");
  STR(json_array_get(x, 0), "to", "LOCKED");
  INT(json_array_get(x, 0), "count", 2);
  STR(json_array_get(x, 1), "from", "UNKNOWN");
  STR(json_array_get(x, 1), "to", "FREERUN");
  INT(json_array_get(x, 1), "count", 1);
  TRUE(o, "healthy");
  x = json_object_get(o, "health");
  NUL(x, "since");
  NUL(x, "last_error");
  INT(json_object_get(o, "details"), "domain", 24);

  o = json_array_get(a, 1);
  KEYS(o, 21);
  STR(o, "state", "UNKNOWN");
  INT(o, "openshift_state", 0); /* OpenShift has no UNKNOWN: FREERUN */
  NUL(o, "since");
  NUL(o, "reason");
  NUL(o, "port_state");
  NUL(o, "offset_ns");
  x = json_object_get(o, "grandmaster");
  NUL(x, "identity");
  NUL(x, "clock_class");
  NUL(x, "time_traceable");
  NUL(o, "utc_offset");
  NUL(o, "leap61");
  NUL(o, "leap59");
  CHECK_EQ_INT(json_array_size(json_object_get(o, "transitions")), 0);
  CHECK_EQ_INT(json_array_size(json_object_get(o, "transition_counts")), 0);
  FALSE(o, "healthy");

  a = json_object_get(doc, "fallbacks");
  CHECK_EQ_INT(json_array_size(a), 2);
  o = json_array_get(a, 0);
  KEYS(o, 12);
  STR(o, "name", "ntp");
  STR(o, "mode", "ntp");
  STR(o, "since", "2026-12-07T15:31:15.123456789Z");
  FALSE(o, "ptp_good");
  STR(o, "loss", "tracker ptp FREERUN");
  STR(o, "wait", "none");
  NUL(o, "wait_until");
  STR(o, "last_reason", "tracker ptp FREERUN for 2 s");
  x = json_object_get(o, "transitions"); /* by mode, then reason; those that happened */
  CHECK_EQ_INT(json_array_size(x), 3);
  KEYS(json_array_get(x, 0), 3);
  STR(json_array_get(x, 0), "to", "ptp");
  STR(json_array_get(x, 0), "reason", "recovered");
  INT(json_array_get(x, 0), "count", 1);
  STR(json_array_get(x, 1), "to", "ptp");
  STR(json_array_get(x, 1), "reason", "locked");
  INT(json_array_get(x, 1), "count", 1);
  STR(json_array_get(x, 2), "to", "ntp");
  STR(json_array_get(x, 2), "reason", "loss");
  INT(json_array_get(x, 2), "count", 2);
  INT(o, "refused", 3);
  FALSE(o, "healthy"); /* NTP: PTP is lost */
  x = json_object_get(o, "actions");
  CHECK_EQ_INT(json_array_size(x), 2);
  x = json_array_get(json_object_get(o, "actions"), 0);
  KEYS(x, 8);
  STR(x, "kind", "unit");
  STR(x, "target", "chronyd.service");
  FALSE(x, "busy");
  FALSE(x, "ok");
  INT(x, "applied", 3);
  INT(x, "failures", 1);
  STR(x, "last_error", "start chronyd.service: Unit chronyd.service not found.");
  STR(x, "last_error_time", "2026-12-07T15:31:16.123456789Z");
  x = json_array_get(json_object_get(o, "actions"), 1);
  STR(x, "kind", "marker");
  STR(x, "target", "/var/run/ptp/insync");
  TRUE(x, "ok");
  INT(x, "failures", 0);
  NUL(x, "last_error");
  NUL(x, "last_error_time");

  o = json_array_get(a, 1);
  KEYS(o, 12);
  STR(o, "name", "lab");
  STR(o, "mode", "ptp");
  TRUE(o, "ptp_good");
  NUL(o, "loss");
  NUL(o, "last_reason");
  CHECK_EQ_INT(json_array_size(json_object_get(o, "transitions")), 1);
  INT(o, "refused", 0);
  TRUE(o, "healthy");
  CHECK_EQ_INT(json_array_size(json_object_get(o, "actions")), 1);
  STR(json_array_get(json_object_get(o, "actions"), 0), "kind", "hook");

  /* The bytes on the wire: escaped as JSON, one line, and reals as written. */
  text = json_dumps(doc, JSON_COMPACT | STATUS_JSON_REAL);
  CHECK(text && strstr(text, "\"name\":\"phc \\\"0\\\"\\\\\\n\""));
  CHECK(text && strstr(text, "No such device\\t\\u0001\""));
  CHECK(text && strstr(text, "\"outage_seconds\":1.5,"));
  CHECK(text && strstr(text, "\"delay\":0.5,"));
  CHECK(text && !strchr(text, '\n'));
  free(text);
  json_decref(doc);

  /* A healthy snapshot, and one with nothing in it. */
  src[1].state = SOURCE_OK;
  out[1].health.down = false;
  trk[1].state = TRACKER_HOLDOVER;
  doc = status_json(&s, 1);
  FALSE(doc, "healthy"); /* HOLDOVER is not LOCKED */
  INT(json_array_get(json_object_get(doc, "trackers"), 1), "openshift_state", 2);
  json_decref(doc);
  s.n_trackers = 1;
  doc = status_json(&s, 1);
  FALSE(doc, "healthy"); /* the fallback in NTP */
  json_decref(doc);
  s.fallbacks = &fb[1];
  s.n_fallbacks = 1;
  doc = status_json(&s, 1);
  TRUE(doc, "healthy");
  json_decref(doc);
  memset(&s, 0, sizeof(s));
  doc = status_json(&s, 1);
  TRUE(doc, "healthy");
  NUL(json_object_get(doc, "daemon"), "version");
  NUL(json_object_get(doc, "daemon"), "started");
  STR(doc, "time", "1970-01-01T00:00:00.000000000Z"); /* the snapshot's time is never "never" */
  CHECK_EQ_INT(json_array_size(json_object_get(doc, "sources")), 0);
  json_decref(doc);
}

/* A fallback's verdict and its wait: healthy only in PTP with every action working; the end of
   a wait as a time, null when there is none or it has no end. */
static void fallback_details(void)
{
  struct fallback_report fb[2];
  struct snapshot s;
  char line[512];
  json_t *o;

  fill_fallbacks(fb);
  CHECK(!snapshot_fallback_healthy(&fb[0]));
  CHECK(snapshot_fallback_healthy(&fb[1]));
  fb[1].actions[0].ok = false; /* the hook failed when PTP came back */
  CHECK(!snapshot_fallback_healthy(&fb[1]));
  fb[1].actions[0].ok = true;
  fb[1].mode = FALLBACK_START; /* nothing decided yet */
  CHECK(!snapshot_fallback_healthy(&fb[1]));
  fb[1].mode = FALLBACK_PTP;

  fb[0].wait = FALLBACK_WAIT_EXIT_AFTER;
  fb[0].wait_until_ns = T0 + 30 * SEC;
  o = status_json_fallback(&fb[0]);
  STR(o, "wait", "exit_after");
  STR(o, "wait_until", "2026-12-07T15:32:30.123456789Z");
  json_decref(o);
  fb[0].wait = FALLBACK_WAIT_PHC2SYS; /* phc2sys_wait unlimited */
  fb[0].wait_until_ns = FALLBACK_NEVER;
  o = status_json_fallback(&fb[0]);
  STR(o, "wait", "phc2sys");
  NUL(o, "wait_until");
  json_decref(o);
  fb[0].wait = FALLBACK_WAIT_NONE;
  fb[0].wait_until_ns = T0; /* no wait: whatever the time says */
  o = status_json_fallback(&fb[0]);
  NUL(o, "wait_until");
  json_decref(o);

  /* The summary: fallbacks only; START; no loss; a busy action that failed before. */
  memset(&s, 0, sizeof(s));
  s.fallbacks = fb;
  s.n_fallbacks = 2;
  fb[0].mode = FALLBACK_START;
  fb[0].loss[0] = '\0';
  fb[1].actions[0].busy = true;
  fb[1].actions[0].ok = false;
  snapshot_summary(&s, line, sizeof(line));
  test_checks++;
  if (strcmp(line, "no sources; 0/0 outputs up; fallback ntp: START (unit failed), fallback "
                   "lab: PTP (hook failed)") != 0) {
    test_failures++;
    fprintf(stderr, "%s:%d: summary \"%s\"\n", __FILE__, __LINE__, line);
  }
  fb[0].actions[0].ok = true;
  fb[1].actions[0].ok = true;
  snapshot_summary(&s, line, sizeof(line));
  CHECK(strcmp(line, "no sources; 0/0 outputs up; fallback ntp: START, fallback lab: PTP") == 0);
  CHECK(!snapshot_healthy(&s));
  s.n_fallbacks = 0;
  CHECK(snapshot_healthy(&s));
  /* cut to the buffer, never beyond */
  s.n_fallbacks = 2;
  snapshot_summary(&s, line, 40);
  CHECK(strcmp(line, "no sources; 0/0 outputs up; fallback nt") == 0);
}

/* The text rendered a piece at a time is the document's, byte for byte, whatever is empty. */
static void check_pieces(const struct snapshot *s)
{
  struct status_text t;
  json_t *doc = status_json(s, 77);
  char *whole = json_dumps(doc, STATUS_JSON_WIRE);
  size_t steps = 0, n = s->n_sources + s->n_outputs + s->n_trackers + s->n_fallbacks;

  status_text_start(&t, s, 77);
  while (!status_text_step(&t))
    steps++;
  CHECK_EQ_INT(steps, n ? n - 1 : 0); /* one instance per step, the last one finishes */
  CHECK(status_text_step(&t)); /* finished stays finished */
  CHECK(t.text && whole && t.len == strlen(whole) + 1 && t.text[t.len - 1] == '\n');
  CHECK(t.text && whole && strncmp(t.text, whole, strlen(whole)) == 0);
  CHECK(t.text && strlen(t.text) == t.len);
  free(t.text);
  free(whole);
  json_decref(doc);
}

static void pieces(void)
{
  struct snapshot s;
  struct source_report src[2];
  struct output_report out[2];
  struct tracker_report trk[2];
  struct fallback_report fb[2];

  fill(&s, src, out, trk, fb);
  check_pieces(&s);
  for (int mask = 0; mask < 16; mask++) {
    fill(&s, src, out, trk, fb);
    s.n_sources = mask & 1 ? 0 : 1;
    s.n_outputs = mask & 2 ? 0 : 2;
    s.n_trackers = mask & 4 ? 0 : 1;
    s.n_fallbacks = mask & 8 ? 0 : 2;
    check_pieces(&s);
  }
}

int main(void)
{
  times();
  document();
  fallback_details();
  pieces();
  return test_report("status_json");
}
