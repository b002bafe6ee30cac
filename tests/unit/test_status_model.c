/* Unit tests: the status model as consumers see it: source states and counters through
   publish, gate and loss; outputs; a tracker's transitions (the last 16, oldest first, and
   counts by from and to), its grandmaster and reason; the daemon part; the verdict and the
   STATUS= summary that every rendering shares. */
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include "bridge/config.h"
#include "bridge/control/snapshot.h"
#include "bridge/core/log.h"
#include "bridge/core/output.h"
#include "bridge/core/sched.h"
#include "bridge/core/source_driver.h"
#include "ptpstate/tracker_driver.h"
#include "shm/shm_time.h"
#include "test.h"

#define UNIT 203

static const struct conf_kind kinds[] = {
  {.name = "source", .named = true, .keys = source_common_keys, .drivers = source_drivers},
  {.name = "output", .named = true, .drivers = output_drivers},
  {.name = "tracker", .named = true, .keys = tracker_common_keys, .drivers = tracker_drivers},
};

static struct conf *load(const char *text)
{
  char path[] = "/tmp/rb-test-model-XXXXXX", err[512];
  int fd = mkstemp(path);
  FILE *f = fdopen(fd, "w");
  struct conf *c;
  fputs(text, f);
  fclose(f);
  c = conf_load(path, kinds, 3, err, sizeof(err));
  if (!c)
    fprintf(stderr, "%s\n", err);
  unlink(path);
  return c;
}

static void remove_segment(void)
{
  int id = shmget(shm_time_key(UNIT), 0, 0);
  if (id >= 0)
    shmctl(id, IPC_RMID, NULL);
}

static struct tracker_observation locked(int64_t offset)
{
  struct tracker_observation o;
  memset(&o, 0, sizeof(o));
  o.slave = true;
  o.port_state = "SLAVE";
  o.have_offset = true;
  o.offset_ns = offset;
  o.fresh = true;
  o.new_measurement = true;
  o.gm_clock_class = 6;
  o.have_gm_identity = true;
  memcpy(o.gm_identity, "\x00\x1b\x21\xff\xfe\x12\x34\x56", 8);
  o.have_time_properties = true;
  o.time_traceable = true;
  o.utc_offset_valid = true;
  o.utc_offset = 37;
  return o;
}

static void test_sources_outputs(void)
{
  struct rb_sample s = {.sys_ns = 1795305358123456789LL, .ref_ns = 1795305358123580245LL,
                        .precision = -25, .valid = true};
  struct source_report sr;
  struct output_report orep;
  struct snapshot snap;
  char line[256];
  struct source *x;

  CHECK_EQ_INT(source_count(), 1);
  /* gpsd's connection is non-blocking: let the loop see it refused. */
  for (int i = 0; i < 100; i++) {
    source_report(0, &sr);
    if (sr.health.down)
      break;
    sd_event_run(sched_event(), 10000);
  }
  source_report(0, &sr);
  CHECK(strcmp(sr.name, "x") == 0 && strcmp(sr.kind, "gpsd") == 0);
  CHECK(strcmp(sr.outputs, "a") == 0);
  CHECK(strcmp(sr.endpoint, "127.0.0.1:1") == 0);
  CHECK(!sr.have_sample);
  /* gpsd at port 1 refuses: the source is in an outage */
  CHECK(sr.state == SOURCE_LOST && sr.health.down && sr.health.outages == 1);
  CHECK(strstr(sr.health.last_error, "gpsd at 127.0.0.1:1") != NULL);

  x = source_find("x");
  source_publish(x, &s);
  source_report(0, &sr);
  CHECK(sr.state == SOURCE_OK && sr.published == 1 && sr.invalid == 0);
  CHECK(sr.have_sample && sr.last_offset_ns == 123456 && sr.last_sample_ns == s.sys_ns);
  CHECK_EQ_INT(sr.last_precision, -25);

  s.valid = false;
  source_publish(x, &s);
  source_report(0, &sr);
  CHECK(sr.state == SOURCE_GATED && sr.published == 1 && sr.invalid == 1);
  source_gated(x); /* already gated: no second count, no change */
  source_lost(x);
  source_lost(x);
  source_report(0, &sr);
  CHECK(sr.state == SOURCE_LOST && sr.lost == 2); /* the outage at start and this one */

  CHECK_EQ_INT(output_count(), 1);
  output_report(0, &orep);
  CHECK(strcmp(orep.name, "a") == 0 && strcmp(orep.kind, "shm") == 0);
  CHECK(orep.connected && !orep.health.down);
  CHECK(strstr(orep.target, "unit 203") != NULL);
  CHECK(orep.sent == 1 && orep.invalidated >= 2);

  /* Degraded while the source is lost; the summary says what. No fallback is configured: none
     in the snapshot, none in the summary (test_status_json renders them). */
  snapshot_take(&snap);
  CHECK(snap.n_fallbacks == 0 && snap.fallbacks != NULL && snap.fallback_names != NULL);
  CHECK(!snapshot_healthy(&snap));
  snapshot_summary(&snap, line, sizeof(line));
  CHECK(strcmp(line, "1 source lost; 1/1 outputs up; tracker ptp LOCKED") == 0);
  if (strcmp(line, "1 source lost; 1/1 outputs up; tracker ptp LOCKED") != 0)
    fprintf(stderr, "summary: %s\n", line);
  snapshot_free(&snap);

  s.valid = true;
  source_publish(x, &s);
  snapshot_take(&snap);
  CHECK(snapshot_healthy(&snap));
  snapshot_summary(&snap, line, sizeof(line));
  CHECK(strcmp(line, "1 source ok; 1/1 outputs up; tracker ptp LOCKED") == 0);
  snapshot_free(&snap);
}

static void test_tracker(struct tracker *t)
{
  struct tracker_report r;
  struct tracker_observation o = locked(20);

  for (int i = 0; i < 3; i++)
    tracker_update(t, &o);
  CHECK_EQ_INT(tracker_count(), 1);
  tracker_report(0, &r);
  CHECK(r.state == TRACKER_LOCKED && strcmp(r.kind, "statime") == 0);
  CHECK(strcmp(r.endpoint, "/nonexistent/observe") == 0);
  CHECK(strcmp(r.gm_identity, "001b21.fffe.123456") == 0);
  CHECK(r.gm_clock_class == 6 && r.time_traceable && r.utc_offset_valid && r.utc_offset == 37);
  CHECK(r.have_offset && r.offset_ns == 20 && strcmp(r.port_state, "SLAVE") == 0);
  CHECK_EQ_INT(r.updates, 3);
  CHECK(strstr(r.reason, "within +/-100 ns for 3 updates") != NULL);
  /* UNKNOWN (statime unreachable at start) -> FREERUN (not slave yet?) -> ... -> LOCKED */
  CHECK(r.n_transitions >= 1);
  CHECK(r.transitions[r.n_transitions - 1].to == TRACKER_LOCKED);
  CHECK_EQ_INT(r.transitions_total[TRACKER_UNKNOWN][TRACKER_LOCKED] +
                   r.transitions_total[TRACKER_FREERUN][TRACKER_LOCKED],
               1);

  /* Twenty more transitions: the report keeps the last 16, oldest first, and counts all. */
  for (int i = 0; i < 10; i++) {
    o = locked(5000); /* beyond max_offset: HOLDOVER */
    tracker_update(t, &o);
    o = locked(10);
    for (int k = 0; k < 3; k++)
      tracker_update(t, &o);
  }
  tracker_report(0, &r);
  CHECK_EQ_INT(r.n_transitions, TRACKER_TRANSITIONS_MAX);
  CHECK(r.transitions[TRACKER_TRANSITIONS_MAX - 1].to == TRACKER_LOCKED);
  CHECK(r.transitions[TRACKER_TRANSITIONS_MAX - 2].to == TRACKER_HOLDOVER);
  CHECK(strstr(r.transitions[TRACKER_TRANSITIONS_MAX - 2].reason, "offset +5000 ns") != NULL);
  for (size_t i = 1; i < r.n_transitions; i++)
    CHECK(r.transitions[i].time_ns >= r.transitions[i - 1].time_ns);
  CHECK_EQ_INT(r.transitions_total[TRACKER_LOCKED][TRACKER_HOLDOVER], 10);
  CHECK_EQ_INT(r.transitions_total[TRACKER_HOLDOVER][TRACKER_LOCKED], 10);

  tracker_count_malformed(t);
  tracker_count_rejected(t);
  tracker_count_rejected(t);
  tracker_report(0, &r);
  CHECK(r.malformed == 1 && r.rejected == 2);
}

int main(void)
{
  struct daemon_report d;
  struct conf *c;
  char text[512];

  log_init(true, LOG_CRIT);
  sched_init();
  remove_segment();
  report_daemon_started("1.2.3", "/etc/x.conf", "0123456789abcdef");
  report_daemon_reloaded(true, "fedcba9876543210");
  report_daemon_reloaded(false, NULL);
  report_daemon(&d);
  CHECK(strcmp(d.version, "1.2.3") == 0 && strcmp(d.config_path, "/etc/x.conf") == 0);
  CHECK(strcmp(d.config_digest, "fedcba9876543210") == 0);
  CHECK(d.reloads == 1 && d.reloads_rejected == 1 && d.start_ns > 0);

  snprintf(text, sizeof(text),
           "[tracker ptp]\ntype = statime\nsocket = /nonexistent/observe\npoll_interval = 60\n"
           "[source x]\ntype = gpsd\nhost = 127.0.0.1\nport = 1\noutputs = a\n"
           "[output a]\ntype = shm\nunit = %d\n",
           UNIT);
  c = load(text);
  CHECK(c != NULL);
  if (!c)
    return test_report("status_model");
  tracker_add_new(c);
  output_reconfigure(c);
  source_add_new(c);
  test_tracker(tracker_find("ptp"));
  test_sources_outputs();
  source_fini();
  output_fini();
  tracker_fini();
  conf_free(c);
  remove_segment();
  sched_fini();
  return test_report("status_model");
}
