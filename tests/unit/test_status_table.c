/* Unit tests: the status command's table (golden text of a synthetic document, cut to a
   terminal's width), its units, and documents with fields missing or of odd types, which must
   print something and never crash. */
#include <stdbool.h>
#include <string.h>

#include "bridge/control/status_table.h"
#include "test.h"

static const char doc_text[] =
  "{\"schema\": 1, \"healthy\": false,"
  " \"summary\": \"1 source ok, 1 lost; 1/2 outputs up; tracker ptp LOCKED; fallback ntp: NTP"
  " (loss: tracker ptp FREERUN; unit failed), fallback lab: PTP (loss: source gps lost)\","
  " \"time\": \"2026-12-07T15:32:00.123456789Z\","
  " \"daemon\": {\"version\": \"1.2.3\", \"config\": \"/etc/refclock-bridge.conf\","
  "   \"config_digest\": \"0123456789abcdef\", \"started\": \"2026-12-04T12:00:00Z\","
  "   \"reloads\": 2, \"reloads_rejected\": 1, \"log_lines_suppressed\": 0, \"pid\": 4242},"
  " \"sources\": ["
  "  {\"name\": \"phc0\", \"kind\": \"phc\", \"state\": \"ok\", \"healthy\": true,"
  "   \"published\": 123456, \"invalid\": 2, \"lost\": 0,"
  "   \"last_sample\": {\"offset_ns\": 42, \"time\": \"2026-12-07T15:31:59.873456789Z\","
  "     \"precision\": -20},"
  "   \"health\": {\"down\": false, \"since\": null, \"outages\": 0, \"outage_seconds\": 0.0,"
  "     \"last_error\": null, \"last_error_time\": null}, \"details\": {}},"
  "  {\"name\": \"gps\", \"kind\": \"gpsd\", \"state\": \"lost\", \"healthy\": false,"
  "   \"published\": 87, \"invalid\": 3, \"lost\": 1,"
  "   \"last_sample\": {\"offset_ns\": -130215072, \"time\": \"2026-12-07T15:17:00Z\","
  "     \"precision\": -10},"
  "   \"health\": {\"down\": true, \"since\": \"2026-12-07T15:17:00Z\", \"outages\": 1,"
  "     \"outage_seconds\": 900.1, \"last_error\":"
  "     \"gpsd at localhost:2947: Connection refused\\nand a second line of far too much text\","
  "     \"last_error_time\": \"2026-12-07T15:27:00.1Z\"}, \"details\": {}}],"
  " \"outputs\": ["
  "  {\"name\": \"chrony\", \"kind\": \"sock\", \"connected\": true, \"healthy\": true,"
  "   \"sent\": 123456, \"dropped\": 0, \"invalidated\": 1,"
  "   \"health\": {\"down\": false, \"outages\": 0, \"last_error\": null}},"
  "  {\"name\": \"ntpd\", \"kind\": \"shm\", \"connected\": false, \"healthy\": false,"
  "   \"sent\": 0, \"dropped\": 5, \"invalidated\": 0,"
  "   \"health\": {\"down\": true, \"outages\": 2, \"last_error\": \"shmget: Permission denied\","
  "     \"last_error_time\": \"2026-12-07T13:00:00Z\"}}],"
  " \"trackers\": ["
  "  {\"name\": \"ptp\", \"kind\": \"ptp4l\", \"state\": \"LOCKED\", \"openshift_state\": 1,"
  "   \"since\": \"2026-12-07T15:31:00Z\", \"reason\": \"port SLAVE, offset within 100 ns\","
  "   \"port_state\": \"SLAVE\", \"offset_ns\": -12,"
  "   \"grandmaster\": {\"identity\": \"001122.fffe.334455\", \"clock_class\": 6,"
  "     \"time_traceable\": true}, \"updates\": 345}],"
  " \"fallbacks\": ["
  "  {\"name\": \"ntp\", \"mode\": \"ntp\", \"since\": \"2026-12-07T15:31:15Z\","
  "   \"ptp_good\": false, \"loss\": \"tracker ptp FREERUN\", \"wait\": \"none\","
  "   \"wait_until\": null, \"last_reason\": \"tracker ptp FREERUN for 2 s\","
  "   \"transitions\": [{\"to\": \"ntp\", \"reason\": \"loss\", \"count\": 1}], \"refused\": 1,"
  "   \"actions\": ["
  "    {\"kind\": \"unit\", \"target\": \"chronyd.service\", \"busy\": false, \"ok\": false,"
  "     \"applied\": 2, \"failures\": 1,"
  "     \"last_error\": \"start chronyd.service: Unit chronyd.service not found.\","
  "     \"last_error_time\": \"2026-12-07T15:31:30Z\"},"
  "    {\"kind\": \"marker\", \"target\": \"/var/run/ptp/insync\", \"busy\": false,"
  "     \"ok\": true, \"applied\": 2, \"failures\": 0, \"last_error\": null,"
  "     \"last_error_time\": null}],"
  "   \"healthy\": false},"
  "  {\"name\": \"lab\", \"mode\": \"ptp\", \"since\": \"2026-12-07T12:32:00Z\","
  "   \"ptp_good\": false, \"loss\": \"source gps lost\", \"wait\": \"enter_after\","
  "   \"wait_until\": \"2026-12-07T15:32:01.623456789Z\", \"last_reason\": null,"
  "   \"transitions\": [], \"refused\": 0,"
  "   \"actions\": [{\"kind\": \"hook\", \"target\": \"/usr/local/bin/notify\", \"busy\": true,"
  "     \"ok\": true, \"applied\": 4, \"failures\": 0}],"
  "   \"healthy\": true}]}";

static const char golden[] =
  "refclock-bridge 1.2.3, pid 4242, up 3d 03:32:00, config /etc/refclock-bridge.conf (2 "
  "reloads, 1 rejected)\n"
  "DEGRADED: 1 source ok, 1 lost; 1/2 outputs up; tracker ptp LOCKED; fallback ntp: NTP (loss: "
  "tracker ptp FREERUN; unit failed), fallback lab: PTP (loss: source gps lost)\n"
  "\n"
  "Source  Kind  State  Last offset   Age  Published  Invalid  Lost  Outages  Last error\n"
  "phc0    phc   ok           +42ns  0.2s     123456        2     0        0  -\n"
  "gps     gpsd  lost    -130.215ms   15m         87        3     1        1  5m ago: gpsd at "
  "localhost:2947: Connection refused and a ...\n"
  "\n"
  "Output  Kind  State    Sent  Dropped  Invalidated  Outages  Last error\n"
  "chrony  sock  up     123456        0            1        0  -\n"
  "ntpd    shm   down        0        5            0        2  2h ago: shmget: Permission "
  "denied\n"
  "\n"
  "Tracker  Kind   State   Port   From master  Class  Updates  Since  Reason\n"
  "ptp      ptp4l  LOCKED  SLAVE        -12ns      6      345    60s  port SLAVE, offset "
  "within 100 ns\n"
  "\n"
  "Fallback  Mode  Since  PTP   Waiting for  Until    Refused  Loss\n"
  "ntp       ntp     45s  lost  -            -              1  tracker ptp FREERUN\n"
  "  unit chronyd.service: FAILED, applied 2, failures 1, last error 30s ago: start "
  "chronyd.service: Unit chronyd.service not ...\n"
  "  marker /var/run/ptp/insync: ok, applied 2, failures 0\n"
  "lab       ptp      3h  lost  enter_after  in 1.5s        0  source gps lost\n"
  "  hook /usr/local/bin/notify: busy, applied 4, failures 0\n";

static void check_text(const char *got, const char *want, int line)
{
  test_checks++;
  if (strcmp(got, want) != 0) {
    test_failures++;
    fprintf(stderr, "%s:%d: got\n%s\nexpected\n%s\n", __FILE__, line, got, want);
  }
}

static void golden_table(void)
{
  char err[200];
  json_t *doc = status_doc_parse(doc_text, strlen(doc_text), err, sizeof(err));
  char *t;

  CHECK(doc != NULL);
  if (!doc) {
    fprintf(stderr, "%s\n", err);
    return;
  }
  t = status_table(doc, 0);
  check_text(t, golden, __LINE__);
  free(t);

  /* A 100-column terminal: the last column is cut to fit, the others are as wide as they
     need; the summary line is cut too, the first line is not. */
  t = status_table(doc, 100);
  CHECK(strstr(t, "  5m ago: gpsd at localh...\n"));
  CHECK(strstr(t, "  port SLAVE, offset within 100 ns\n"));
  /* an action's line too, after its head */
  CHECK(strstr(t, "\n  unit chronyd.service: FAILED, applied 2, failures 1, last error 30s ago: "
                  "start chronyd.service:...\n"));
  for (char *line = t, *nl; (nl = strchr(line, '\n')); line = nl + 1)
    CHECK(nl - line <= 100 || strncmp(line, "refclock-bridge ", 16) == 0);
  free(t);
  /* Too narrow for that: the last column keeps 20 characters. */
  t = status_table(doc, 60);
  CHECK(strstr(t, "  5m ago: gpsd at l...\n"));
  CHECK(strstr(t, "  port SLAVE, offse...\n"));
  CHECK(strstr(t, "\n  unit chronyd.service: FAILED, applied 2, failures 1, last error 30s ago: "
                  "start ch...\n"));
  CHECK(strstr(t, "\nDEGRADED: 1 source ok, 1 lost; 1/2 outputs up; tracker pt...\n"));
  free(t);
  json_decref(doc);
}

static void units(void)
{
  static const struct {
    long long ns;
    const char *want;
  } offsets[] = {
    {0, "+0ns"},
    {999, "+999ns"},
    {-999, "-999ns"},
    {1000, "+1.000us"},
    {-123456, "-123.456us"},
    {999999, "+999.999us"},
    {1000000, "+1.000ms"},
    {-130215072, "-130.215ms"},
    {999999499, "+999.999ms"},
    {37000123456LL, "+37.000123s"},
    {-9223372036854775807LL - 1, "-9223372036.854776s"},
    {9223372036854775807LL, "+9223372036.854776s"},
  };
  static const struct {
    long long ns;
    const char *want;
  } ages[] = {
    {-1, "-"},           {0, "0.0s"},        {250000000, "0.2s"},    {9999999999LL, "9.9s"},
    {10000000000LL, "10s"}, {119999999999LL, "119s"}, {120000000000LL, "2m"},
    {7199000000000LL, "119m"}, {7200000000000LL, "2h"}, {172800000000000LL, "2d"},
  };
  char buf[40];

  for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
    status_format_offset(offsets[i].ns, buf, sizeof(buf));
    check_text(buf, offsets[i].want, __LINE__);
  }
  for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
    status_format_age(ages[i].ns, buf, sizeof(buf));
    check_text(buf, ages[i].want, __LINE__);
  }
}

static void odd_documents(void)
{
  static const char *const rejected[] = {
    "", "null", "[]", "{}", "\"healthy\"", "{\"healthy\": 1}", "{\"healthy\": \"true\"}",
    "{\"healthy\": true", "{\"healthy\": true} trailing", "\xff\xfe",
  };
  static const char *const odd[] = {
    "{\"healthy\": true}",
    "{\"healthy\": false, \"daemon\": [], \"sources\": {}, \"outputs\": 3, \"trackers\": null}",
    "{\"healthy\": true, \"time\": 5, \"daemon\": {\"version\": 1, \"pid\": \"x\","
    " \"started\": \"yesterday\", \"reloads\": true}, \"summary\": [1]}",
    "{\"healthy\": true, \"time\": \"2262-04-11T23:47:16.854775807Z\","
    " \"daemon\": {\"started\": \"1677-09-21T00:12:43.145224192Z\"},"
    " \"sources\": [{\"last_sample\": {\"time\": \"1677-09-21T00:12:43.145224192Z\","
    " \"offset_ns\": -9223372036854775808}, \"health\": {\"last_error\": \"x\","
    " \"last_error_time\": \"1677-09-21T00:12:43.145224192Z\"}}]}",
    "{\"healthy\": true, \"time\": \"1677-09-21T00:12:43.145224192Z\","
    " \"sources\": [{\"last_sample\": {\"time\": \"2262-04-11T23:47:16.854775807Z\"}}]}",
    "{\"healthy\": true, \"time\": \"1677-09-21T00:12:43.145224192Z\","
    " \"sources\": [1, null, \"x\", [], {\"name\": {}, \"last_sample\": 5,"
    " \"health\": {\"last_error\": 7, \"outages\": 1.5}}],"
    " \"outputs\": [{\"connected\": \"yes\", \"health\": {\"down\": 1}}, 2],"
    " \"trackers\": [{\"grandmaster\": 1, \"offset_ns\": \"1\", \"since\": null}, true],"
    " \"fallbacks\": [1, null, {}, {\"actions\": 5, \"wait\": 3, \"ptp_good\": \"yes\"},"
    " {\"name\": [], \"wait_until\": \"soon\", \"actions\": [1, null, {\"ok\": \"x\","
    " \"applied\": -1, \"last_error\": 7}, {\"ok\": false, \"last_error\": \"\\n\","
    " \"last_error_time\": \"1677-09-21T00:12:43.145224192Z\"}]},"
    " {\"wait_until\": \"2262-04-11T23:47:16.854775807Z\", \"since\": 1}]}",
    "{\"healthy\": true, \"sources\": [{\"name\": \"\\u0001ctl\\u001b[31m\\t\","
    " \"kind\": \"\xc3\xa9\xc3\xa9\xc3\xa9\", \"health\": {\"last_error\":"
    " \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}}]}",
  };
  char err[200];

  for (size_t i = 0; i < sizeof(rejected) / sizeof(rejected[0]); i++) {
    json_t *doc = status_doc_parse(rejected[i], strlen(rejected[i]), err, sizeof(err));
    CHECK(doc == NULL && err[0]);
    json_decref(doc);
  }
  for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
    json_t *doc = status_doc_parse(odd[i], strlen(odd[i]), err, sizeof(err));
    CHECK(doc != NULL);
    for (int width = 0; doc && width <= 40; width += 40) {
      char *t = status_table(doc, width);
      CHECK(t && strncmp(t, "refclock-bridge ", 16) == 0);
      /* one line per row: no control character of the document gets through */
      bool clean = true;
      for (const char *p = t; p && *p; p++)
        clean = clean && (*p == '\n' || (unsigned char)*p >= 0x20);
      CHECK(clean);
      if (i == 6 && width == 40)
        CHECK(strstr(t, "\xc3\xa9...\n")); /* cut between characters, not inside one */
      free(t);
    }
    json_decref(doc);
  }
}

int main(void)
{
  golden_table();
  units();
  odd_documents();
  return test_report("status_table");
}
