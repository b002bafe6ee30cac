/* Unit tests: the Prometheus text of synthetic snapshots, line by line (golden text below), label
   escaping, series left out while values are unknown, driver fields, numbers exact. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/control/metrics_prom.h"
#include "test.h"

#define S 1000000000LL

static struct source_report sources[2];
static struct output_report outputs[2];
static struct tracker_report trackers[2];
static struct fallback_report fallbacks[2];

/* Every field set: a PHC that works, a gpsd source with an awkward name and no sample yet, a
   connected SOCK output and an SHM one in an outage, a LOCKED ptp4l tracker with everything
   known and a statime one that knows nothing, a fallback in PTP that is healthy and one in NTP
   whose unit failed to start. */
static void full_snapshot(struct snapshot *s)
{
  memset(s, 0, sizeof(*s));
  memset(sources, 0, sizeof(sources));
  memset(outputs, 0, sizeof(outputs));
  memset(trackers, 0, sizeof(trackers));
  memset(fallbacks, 0, sizeof(fallbacks));
  s->taken_ns = 1795000010 * S;
  s->daemon.version = "1.2-3-gabcdef";
  s->daemon.config_path = "/etc/refclock-bridge.conf";
  s->daemon.start_ns = 1795000000 * S + 123456789;
  s->daemon.reloads = 2;
  s->daemon.reloads_rejected = 1;
  s->daemon.log_suppressed = 7;

  struct source_report *p = &sources[0];
  p->name = "phc0";
  p->kind = "phc";
  snprintf(p->endpoint, sizeof(p->endpoint), "/dev/ptp0");
  p->state = SOURCE_OK;
  p->published = 100;
  p->invalid = 3;
  p->lost = 1;
  p->have_sample = true;
  p->last_offset_ns = 37000123456;
  p->last_sample_ns = 1795000009 * S + 500000000;
  p->health.outages = 2;
  p->health.outage_ns = 1500000000;
  report_string(&p->extras, "method", "precise");
  report_count(&p->extras, "readings", 500);
  report_int(&p->extras, "delay_window_ns", 1234);
  report_double(&p->extras, "ratio", 0.1);
  report_bool(&p->extras, "cross_timestamp", true);
  report_int(&p->extras, "up", 5);         /* clashes with a fixed family: left out */
  report_string(&p->extras, "kind", "x");  /* clashes with a label: left out */
  report_count(&p->extras, "readings", 9); /* a key twice: the first only */

  struct source_report *g = &sources[1];
  g->name = "gps \"a\\b\"\nc";
  g->kind = "gpsd";
  snprintf(g->endpoint, sizeof(g->endpoint), "localhost:2947");
  g->state = SOURCE_NO_DATA;
  report_count(&g->extras, "readings", 7);
  report_string(&g->extras, "gpsd_version", "3.22");
  s->n_sources = 2;
  s->sources = sources;

  struct output_report *c = &outputs[0];
  c->name = "chrony";
  c->kind = "sock";
  snprintf(c->target, sizeof(c->target), "/run/chrony/phc0.sock");
  c->connected = true;
  c->sent = 90;
  c->dropped = 10;
  c->invalidated = 1;
  c->health.outages = 1;
  c->health.outage_ns = 250000000;
  report_count(&c->extras, "reconnects", 3);
  struct output_report *n = &outputs[1];
  n->name = "ntpd";
  n->kind = "shm";
  snprintf(n->target, sizeof(n->target), "0x4e545032");
  n->health.down = true;
  n->health.outages = 1;
  n->health.outage_ns = 3 * S;
  s->n_outputs = 2;
  s->outputs = outputs;

  struct tracker_report *t = &trackers[0];
  t->name = "ptp";
  t->kind = "ptp4l";
  snprintf(t->endpoint, sizeof(t->endpoint), "/var/run/ptp4l");
  t->state = TRACKER_LOCKED;
  t->have_offset = true;
  t->offset_ns = -7;
  snprintf(t->gm_identity, sizeof(t->gm_identity), "001122.fffe.334455");
  t->gm_clock_class = 6;
  t->have_time_properties = true;
  t->time_traceable = true;
  t->utc_offset_valid = true;
  t->utc_offset = 37;
  t->updates = 1000;
  t->malformed = 2;
  t->rejected = 3;
  t->transitions_total[TRACKER_UNKNOWN][TRACKER_FREERUN] = 1;
  t->transitions_total[TRACKER_FREERUN][TRACKER_LOCKED] = 2;
  t->transitions_total[TRACKER_LOCKED][TRACKER_HOLDOVER] = 1;
  t->transitions_total[TRACKER_HOLDOVER][TRACKER_LOCKED] = 1;
  struct tracker_report *u = &trackers[1];
  u->name = "st";
  u->kind = "statime";
  snprintf(u->endpoint, sizeof(u->endpoint), "/var/run/statime/observe");
  u->state = TRACKER_UNKNOWN;
  u->gm_clock_class = -1;
  u->utc_offset = 37; /* not valid: left out */
  u->health.down = true;
  u->health.outages = 1;
  u->health.outage_ns = 12 * S + 5;
  s->n_trackers = 2;
  s->trackers = trackers;

  struct fallback_report *f = &fallbacks[0];
  f->name = "lab";
  f->mode = FALLBACK_PTP;
  f->since_ns = 1795000005 * S;
  f->ptp_good = true;
  f->transitions_total[FALLBACK_PTP][FALLBACK_REASON_LOCKED] = 1;
  f->n_actions = 1;
  f->actions[0].kind = "hook";
  snprintf(f->actions[0].target, sizeof(f->actions[0].target), "/usr/local/bin/notify");
  f->actions[0].ok = true;
  f->actions[0].applied = 1;
  struct fallback_report *h = &fallbacks[1];
  h->name = "ntp";
  h->mode = FALLBACK_NTP;
  h->since_ns = 1795000008 * S + 500000000;
  h->ptp_good = true; /* back, for less than exit_after */
  snprintf(h->loss, sizeof(h->loss), "tracker ptp FREERUN");
  h->wait = FALLBACK_WAIT_EXIT_AFTER;
  h->wait_until_ns = 1795000068 * S;
  h->transitions_total[FALLBACK_PTP][FALLBACK_REASON_LOCKED] = 1;
  h->transitions_total[FALLBACK_NTP][FALLBACK_REASON_LOSS] = 2;
  h->transitions_total[FALLBACK_PTP][FALLBACK_REASON_RECOVERED] = 1;
  h->transitions_total[FALLBACK_START][FALLBACK_REASON_LOSS] = 1; /* not a toggle it makes */
  h->refused = 4;
  h->n_actions = 2;
  h->actions[0].kind = "unit";
  snprintf(h->actions[0].target, sizeof(h->actions[0].target), "chronyd.service");
  h->actions[0].applied = 3;
  h->actions[0].failures = 2;
  snprintf(h->actions[0].last_error, sizeof(h->actions[0].last_error), "not found");
  h->actions[1].kind = "marker";
  snprintf(h->actions[1].target, sizeof(h->actions[1].target), "/var/run/ptp/insync");
  h->actions[1].ok = true;
  h->actions[1].applied = 3;
  s->n_fallbacks = 2;
  s->fallbacks = fallbacks;
}

static const char golden[] =
  "# HELP refclock_bridge_build_info The bridge's version, as a label; always 1.\n"
  "# TYPE refclock_bridge_build_info gauge\n"
  "refclock_bridge_build_info{version=\"1.2-3-gabcdef\"} 1\n"
  "# HELP refclock_bridge_start_time_seconds When the bridge started (Unix seconds).\n"
  "# TYPE refclock_bridge_start_time_seconds gauge\n"
  "refclock_bridge_start_time_seconds 1795000000.123456789\n"
  "# HELP refclock_bridge_config_reloads_total Reloads of the configuration (SIGHUP): applied, or "
    "rejected as invalid.\n"
  "# TYPE refclock_bridge_config_reloads_total counter\n"
  "refclock_bridge_config_reloads_total{result=\"applied\"} 2\n"
  "refclock_bridge_config_reloads_total{result=\"rejected\"} 1\n"
  "# HELP refclock_bridge_log_lines_suppressed_total Log lines left out by rate limits.\n"
  "# TYPE refclock_bridge_log_lines_suppressed_total counter\n"
  "refclock_bridge_log_lines_suppressed_total 7\n"
  "# HELP refclock_bridge_healthy 1 if every source is ok, every output connected, every tracker "
    "LOCKED and every fallback in PTP mode with its actions working, else 0.\n"
  "# TYPE refclock_bridge_healthy gauge\n"
  "refclock_bridge_healthy 0\n"
  "# HELP refclock_bridge_source_info A source: its device or endpoint, and its driver's text "
    "fields.\n"
  "# TYPE refclock_bridge_source_info gauge\n"
  "refclock_bridge_source_info{source=\"phc0\",kind=\"phc\",endpoint=\"/dev/ptp0\","
    "method=\"precise\"} 1\n"
  "refclock_bridge_source_info{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\","
    "endpoint=\"localhost:2947\",gpsd_version=\"3.22\"} 1\n"
  "# HELP refclock_bridge_source_up 1 if the source is ok (valid samples flow), else 0.\n"
  "# TYPE refclock_bridge_source_up gauge\n"
  "refclock_bridge_source_up{source=\"phc0\",kind=\"phc\"} 1\n"
  "refclock_bridge_source_up{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\"} 0\n"
  "# HELP refclock_bridge_source_state The source's state as a state set: 1 for the current state, "
    "0 for the others.\n"
  "# TYPE refclock_bridge_source_state gauge\n"
  "refclock_bridge_source_state{source=\"phc0\",kind=\"phc\",state=\"no_data\"} 0\n"
  "refclock_bridge_source_state{source=\"phc0\",kind=\"phc\",state=\"ok\"} 1\n"
  "refclock_bridge_source_state{source=\"phc0\",kind=\"phc\",state=\"gated\"} 0\n"
  "refclock_bridge_source_state{source=\"phc0\",kind=\"phc\",state=\"lost\"} 0\n"
  "refclock_bridge_source_state{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\",state=\"no_data\"} "
    "1\n"
  "refclock_bridge_source_state{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\",state=\"ok\"} 0\n"
  "refclock_bridge_source_state{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\",state=\"gated\"} "
    "0\n"
  "refclock_bridge_source_state{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\",state=\"lost\"} 0\n"
  "# HELP refclock_bridge_source_offset_seconds Reference minus system time of the latest sample, "
    "valid or not.\n"
  "# TYPE refclock_bridge_source_offset_seconds gauge\n"
  "refclock_bridge_source_offset_seconds{source=\"phc0\",kind=\"phc\"} 37.000123456\n"
  "# HELP refclock_bridge_source_last_sample_timestamp_seconds System time (Unix seconds) at which "
    "the latest sample was taken.\n"
  "# TYPE refclock_bridge_source_last_sample_timestamp_seconds gauge\n"
  "refclock_bridge_source_last_sample_timestamp_seconds{source=\"phc0\",kind=\"phc\"} "
    "1795000009.5\n"
  "# HELP refclock_bridge_source_samples_total Samples measured: published (valid, sent to the "
    "outputs) or invalid.\n"
  "# TYPE refclock_bridge_source_samples_total counter\n"
  "refclock_bridge_source_samples_total{source=\"phc0\",kind=\"phc\",result=\"published\"} 100\n"
  "refclock_bridge_source_samples_total{source=\"phc0\",kind=\"phc\",result=\"invalid\"} 3\n"
  "refclock_bridge_source_samples_total{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\","
    "result=\"published\"} 0\n"
  "refclock_bridge_source_samples_total{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\","
    "result=\"invalid\"} 0\n"
  "# HELP refclock_bridge_source_losses_total Times the source could no longer measure.\n"
  "# TYPE refclock_bridge_source_losses_total counter\n"
  "refclock_bridge_source_losses_total{source=\"phc0\",kind=\"phc\"} 1\n"
  "refclock_bridge_source_losses_total{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\"} 0\n"
  "# HELP refclock_bridge_source_outages_total Outages of the source (device or daemon gone).\n"
  "# TYPE refclock_bridge_source_outages_total counter\n"
  "refclock_bridge_source_outages_total{source=\"phc0\",kind=\"phc\"} 2\n"
  "refclock_bridge_source_outages_total{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\"} 0\n"
  "# HELP refclock_bridge_source_outage_seconds_total Time spent in outages, the current one "
    "included.\n"
  "# TYPE refclock_bridge_source_outage_seconds_total counter\n"
  "refclock_bridge_source_outage_seconds_total{source=\"phc0\",kind=\"phc\"} 1.5\n"
  "refclock_bridge_source_outage_seconds_total{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\"} 0\n"
  "# HELP refclock_bridge_source_readings_total Field readings reported by the source's driver.\n"
  "# TYPE refclock_bridge_source_readings_total counter\n"
  "refclock_bridge_source_readings_total{source=\"phc0\",kind=\"phc\"} 500\n"
  "refclock_bridge_source_readings_total{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\"} 7\n"
  "# HELP refclock_bridge_source_delay_window_seconds Field delay_window_ns reported by the "
    "source's driver, in seconds.\n"
  "# TYPE refclock_bridge_source_delay_window_seconds gauge\n"
  "refclock_bridge_source_delay_window_seconds{source=\"phc0\",kind=\"phc\"} 0.000001234\n"
  "# HELP refclock_bridge_source_ratio Field ratio reported by the source's driver.\n"
  "# TYPE refclock_bridge_source_ratio gauge\n"
  "refclock_bridge_source_ratio{source=\"phc0\",kind=\"phc\"} 0.1\n"
  "# HELP refclock_bridge_source_cross_timestamp Field cross_timestamp reported by the source's "
    "driver.\n"
  "# TYPE refclock_bridge_source_cross_timestamp gauge\n"
  "refclock_bridge_source_cross_timestamp{source=\"phc0\",kind=\"phc\"} 1\n"
  "# HELP refclock_bridge_output_info An output: its socket or SHM key, and its driver's text "
    "fields.\n"
  "# TYPE refclock_bridge_output_info gauge\n"
  "refclock_bridge_output_info{output=\"chrony\",kind=\"sock\",target=\"/run/chrony/phc0.sock\"} "
    "1\n"
  "refclock_bridge_output_info{output=\"ntpd\",kind=\"shm\",target=\"0x4e545032\"} 1\n"
  "# HELP refclock_bridge_output_connected 1 if the output is connected or attached, else 0.\n"
  "# TYPE refclock_bridge_output_connected gauge\n"
  "refclock_bridge_output_connected{output=\"chrony\",kind=\"sock\"} 1\n"
  "refclock_bridge_output_connected{output=\"ntpd\",kind=\"shm\"} 0\n"
  "# HELP refclock_bridge_output_samples_total Samples for the output: sent to the time daemon, or "
    "dropped.\n"
  "# TYPE refclock_bridge_output_samples_total counter\n"
  "refclock_bridge_output_samples_total{output=\"chrony\",kind=\"sock\",result=\"sent\"} 90\n"
  "refclock_bridge_output_samples_total{output=\"chrony\",kind=\"sock\",result=\"dropped\"} 10\n"
  "refclock_bridge_output_samples_total{output=\"ntpd\",kind=\"shm\",result=\"sent\"} 0\n"
  "refclock_bridge_output_samples_total{output=\"ntpd\",kind=\"shm\",result=\"dropped\"} 0\n"
  "# HELP refclock_bridge_output_invalidations_total Times the output told its reader to stop "
    "trusting the last sample.\n"
  "# TYPE refclock_bridge_output_invalidations_total counter\n"
  "refclock_bridge_output_invalidations_total{output=\"chrony\",kind=\"sock\"} 1\n"
  "refclock_bridge_output_invalidations_total{output=\"ntpd\",kind=\"shm\"} 0\n"
  "# HELP refclock_bridge_output_outages_total Outages of the output (time daemon gone).\n"
  "# TYPE refclock_bridge_output_outages_total counter\n"
  "refclock_bridge_output_outages_total{output=\"chrony\",kind=\"sock\"} 1\n"
  "refclock_bridge_output_outages_total{output=\"ntpd\",kind=\"shm\"} 1\n"
  "# HELP refclock_bridge_output_outage_seconds_total Time spent in outages, the current one "
    "included.\n"
  "# TYPE refclock_bridge_output_outage_seconds_total counter\n"
  "refclock_bridge_output_outage_seconds_total{output=\"chrony\",kind=\"sock\"} 0.25\n"
  "refclock_bridge_output_outage_seconds_total{output=\"ntpd\",kind=\"shm\"} 3\n"
  "# HELP refclock_bridge_output_reconnects_total Field reconnects reported by the output's "
    "driver.\n"
  "# TYPE refclock_bridge_output_reconnects_total counter\n"
  "refclock_bridge_output_reconnects_total{output=\"chrony\",kind=\"sock\"} 3\n"
  "# HELP refclock_bridge_tracker_info A tracker: the PTP daemon's socket and the grandmaster.\n"
  "# TYPE refclock_bridge_tracker_info gauge\n"
  "refclock_bridge_tracker_info{tracker=\"ptp\",kind=\"ptp4l\",endpoint=\"/var/run/ptp4l\","
    "gm_identity=\"001122.fffe.334455\"} 1\n"
  "refclock_bridge_tracker_info{tracker=\"st\",kind=\"statime\","
    "endpoint=\"/var/run/statime/observe\"} 1\n"
  "# HELP refclock_bridge_tracker_state The tracker's PTP sync state as a state set: 1 for the "
    "current state, 0 for the others.\n"
  "# TYPE refclock_bridge_tracker_state gauge\n"
  "refclock_bridge_tracker_state{tracker=\"ptp\",kind=\"ptp4l\",state=\"FREERUN\"} 0\n"
  "refclock_bridge_tracker_state{tracker=\"ptp\",kind=\"ptp4l\",state=\"LOCKED\"} 1\n"
  "refclock_bridge_tracker_state{tracker=\"ptp\",kind=\"ptp4l\",state=\"HOLDOVER\"} 0\n"
  "refclock_bridge_tracker_state{tracker=\"ptp\",kind=\"ptp4l\",state=\"UNKNOWN\"} 0\n"
  "refclock_bridge_tracker_state{tracker=\"st\",kind=\"statime\",state=\"FREERUN\"} 0\n"
  "refclock_bridge_tracker_state{tracker=\"st\",kind=\"statime\",state=\"LOCKED\"} 0\n"
  "refclock_bridge_tracker_state{tracker=\"st\",kind=\"statime\",state=\"HOLDOVER\"} 0\n"
  "refclock_bridge_tracker_state{tracker=\"st\",kind=\"statime\",state=\"UNKNOWN\"} 1\n"
  "# HELP refclock_bridge_tracker_openshift_state The sync state numbered as OpenShift's "
    "openshift_ptp_clock_state: 0 FREERUN (also when the PTP daemon is unreachable), 1 LOCKED, 2 "
    "HOLDOVER.\n"
  "# TYPE refclock_bridge_tracker_openshift_state gauge\n"
  "refclock_bridge_tracker_openshift_state{tracker=\"ptp\",kind=\"ptp4l\"} 1\n"
  "refclock_bridge_tracker_openshift_state{tracker=\"st\",kind=\"statime\"} 0\n"
  "# HELP refclock_bridge_tracker_offset_from_master_seconds The PTP daemon's latest offset from "
    "its master.\n"
  "# TYPE refclock_bridge_tracker_offset_from_master_seconds gauge\n"
  "refclock_bridge_tracker_offset_from_master_seconds{tracker=\"ptp\",kind=\"ptp4l\"} "
    "-0.000000007\n"
  "# HELP refclock_bridge_tracker_clock_class The grandmaster's clockClass.\n"
  "# TYPE refclock_bridge_tracker_clock_class gauge\n"
  "refclock_bridge_tracker_clock_class{tracker=\"ptp\",kind=\"ptp4l\"} 6\n"
  "# HELP refclock_bridge_tracker_time_traceable 1 if the grandmaster's time is traceable, else "
    "0.\n"
  "# TYPE refclock_bridge_tracker_time_traceable gauge\n"
  "refclock_bridge_tracker_time_traceable{tracker=\"ptp\",kind=\"ptp4l\"} 1\n"
  "# HELP refclock_bridge_tracker_utc_offset_seconds TAI - UTC as the grandmaster announces it, "
    "while valid.\n"
  "# TYPE refclock_bridge_tracker_utc_offset_seconds gauge\n"
  "refclock_bridge_tracker_utc_offset_seconds{tracker=\"ptp\",kind=\"ptp4l\"} 37\n"
  "# HELP refclock_bridge_tracker_updates_total Updates received from the PTP daemon.\n"
  "# TYPE refclock_bridge_tracker_updates_total counter\n"
  "refclock_bridge_tracker_updates_total{tracker=\"ptp\",kind=\"ptp4l\"} 1000\n"
  "refclock_bridge_tracker_updates_total{tracker=\"st\",kind=\"statime\"} 0\n"
  "# HELP refclock_bridge_tracker_messages_dropped_total Messages from the PTP daemon's socket "
    "dropped: malformed, or rejected (not an answer to the tracker).\n"
  "# TYPE refclock_bridge_tracker_messages_dropped_total counter\n"
  "refclock_bridge_tracker_messages_dropped_total{tracker=\"ptp\",kind=\"ptp4l\","
    "reason=\"malformed\"} 2\n"
  "refclock_bridge_tracker_messages_dropped_total{tracker=\"ptp\",kind=\"ptp4l\","
    "reason=\"rejected\"} 3\n"
  "refclock_bridge_tracker_messages_dropped_total{tracker=\"st\",kind=\"statime\","
    "reason=\"malformed\"} 0\n"
  "refclock_bridge_tracker_messages_dropped_total{tracker=\"st\",kind=\"statime\","
    "reason=\"rejected\"} 0\n"
  "# HELP refclock_bridge_tracker_transitions_total Changes of the sync state, by from and to.\n"
  "# TYPE refclock_bridge_tracker_transitions_total counter\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"FREERUN\","
    "to=\"LOCKED\"} 2\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"FREERUN\","
    "to=\"HOLDOVER\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"FREERUN\","
    "to=\"UNKNOWN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"LOCKED\","
    "to=\"FREERUN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"LOCKED\","
    "to=\"HOLDOVER\"} 1\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"LOCKED\","
    "to=\"UNKNOWN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"HOLDOVER\","
    "to=\"FREERUN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"HOLDOVER\","
    "to=\"LOCKED\"} 1\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"HOLDOVER\","
    "to=\"UNKNOWN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"UNKNOWN\","
    "to=\"FREERUN\"} 1\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"UNKNOWN\","
    "to=\"LOCKED\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"ptp\",kind=\"ptp4l\",from=\"UNKNOWN\","
    "to=\"HOLDOVER\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"FREERUN\","
    "to=\"LOCKED\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"FREERUN\","
    "to=\"HOLDOVER\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"FREERUN\","
    "to=\"UNKNOWN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"LOCKED\","
    "to=\"FREERUN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"LOCKED\","
    "to=\"HOLDOVER\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"LOCKED\","
    "to=\"UNKNOWN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"HOLDOVER\","
    "to=\"FREERUN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"HOLDOVER\","
    "to=\"LOCKED\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"HOLDOVER\","
    "to=\"UNKNOWN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"UNKNOWN\","
    "to=\"FREERUN\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"UNKNOWN\","
    "to=\"LOCKED\"} 0\n"
  "refclock_bridge_tracker_transitions_total{tracker=\"st\",kind=\"statime\",from=\"UNKNOWN\","
    "to=\"HOLDOVER\"} 0\n"
  "# HELP refclock_bridge_tracker_outages_total Outages of the tracker (PTP daemon unreachable).\n"
  "# TYPE refclock_bridge_tracker_outages_total counter\n"
  "refclock_bridge_tracker_outages_total{tracker=\"ptp\",kind=\"ptp4l\"} 0\n"
  "refclock_bridge_tracker_outages_total{tracker=\"st\",kind=\"statime\"} 1\n"
  "# HELP refclock_bridge_tracker_outage_seconds_total Time spent in outages, the current one "
    "included.\n"
  "# TYPE refclock_bridge_tracker_outage_seconds_total counter\n"
  "refclock_bridge_tracker_outage_seconds_total{tracker=\"ptp\",kind=\"ptp4l\"} 0\n"
  "refclock_bridge_tracker_outage_seconds_total{tracker=\"st\",kind=\"statime\"} 12.000000005\n"
  "# HELP refclock_bridge_fallback_mode The fallback's mode as a state set: start (undecided), ptp "
    "or ntp.\n"
  "# TYPE refclock_bridge_fallback_mode gauge\n"
  "refclock_bridge_fallback_mode{fallback=\"lab\",mode=\"start\"} 0\n"
  "refclock_bridge_fallback_mode{fallback=\"lab\",mode=\"ptp\"} 1\n"
  "refclock_bridge_fallback_mode{fallback=\"lab\",mode=\"ntp\"} 0\n"
  "refclock_bridge_fallback_mode{fallback=\"ntp\",mode=\"start\"} 0\n"
  "refclock_bridge_fallback_mode{fallback=\"ntp\",mode=\"ptp\"} 0\n"
  "refclock_bridge_fallback_mode{fallback=\"ntp\",mode=\"ntp\"} 1\n"
  "# HELP refclock_bridge_fallback_active 1 while NTP has the system clock (mode ntp), else 0.\n"
  "# TYPE refclock_bridge_fallback_active gauge\n"
  "refclock_bridge_fallback_active{fallback=\"lab\"} 0\n"
  "refclock_bridge_fallback_active{fallback=\"ntp\"} 1\n"
  "# HELP refclock_bridge_fallback_since_seconds When the current mode began (Unix seconds).\n"
  "# TYPE refclock_bridge_fallback_since_seconds gauge\n"
  "refclock_bridge_fallback_since_seconds{fallback=\"lab\"} 1795000005\n"
  "refclock_bridge_fallback_since_seconds{fallback=\"ntp\"} 1795000008.5\n"
  "# HELP refclock_bridge_fallback_ptp_good 1 if every tracker and source the fallback watches is "
    "good now, else 0.\n"
  "# TYPE refclock_bridge_fallback_ptp_good gauge\n"
  "refclock_bridge_fallback_ptp_good{fallback=\"lab\"} 1\n"
  "refclock_bridge_fallback_ptp_good{fallback=\"ntp\"} 1\n"
  "# HELP refclock_bridge_fallback_waiting What holds a toggle back, as a state set (none if "
    "nothing).\n"
  "# TYPE refclock_bridge_fallback_waiting gauge\n"
  "refclock_bridge_fallback_waiting{fallback=\"lab\",wait=\"none\"} 1\n"
  "refclock_bridge_fallback_waiting{fallback=\"lab\",wait=\"enter_after\"} 0\n"
  "refclock_bridge_fallback_waiting{fallback=\"lab\",wait=\"exit_after\"} 0\n"
  "refclock_bridge_fallback_waiting{fallback=\"lab\",wait=\"min_interval\"} 0\n"
  "refclock_bridge_fallback_waiting{fallback=\"lab\",wait=\"phc2sys\"} 0\n"
  "refclock_bridge_fallback_waiting{fallback=\"ntp\",wait=\"none\"} 0\n"
  "refclock_bridge_fallback_waiting{fallback=\"ntp\",wait=\"enter_after\"} 0\n"
  "refclock_bridge_fallback_waiting{fallback=\"ntp\",wait=\"exit_after\"} 1\n"
  "refclock_bridge_fallback_waiting{fallback=\"ntp\",wait=\"min_interval\"} 0\n"
  "refclock_bridge_fallback_waiting{fallback=\"ntp\",wait=\"phc2sys\"} 0\n"
  "# HELP refclock_bridge_fallback_transitions_total Changes of mode, by the new mode and reason.\n"
  "# TYPE refclock_bridge_fallback_transitions_total counter\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"lab\",to=\"ptp\",reason=\"recovered\"} 0\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"lab\",to=\"ptp\",reason=\"phc2sys\"} 0\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"lab\",to=\"ptp\",reason=\"locked\"} 1\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"lab\",to=\"ntp\",reason=\"loss\"} 0\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"lab\",to=\"ntp\",reason=\"day0\"} 0\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"ntp\",to=\"start\",reason=\"loss\"} 1\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"ntp\",to=\"ptp\",reason=\"recovered\"} 1\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"ntp\",to=\"ptp\",reason=\"phc2sys\"} 0\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"ntp\",to=\"ptp\",reason=\"locked\"} 1\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"ntp\",to=\"ntp\",reason=\"loss\"} 2\n"
  "refclock_bridge_fallback_transitions_total{fallback=\"ntp\",to=\"ntp\",reason=\"day0\"} 0\n"
  "# HELP refclock_bridge_fallback_refused_total Toggles held back by min_interval.\n"
  "# TYPE refclock_bridge_fallback_refused_total counter\n"
  "refclock_bridge_fallback_refused_total{fallback=\"lab\"} 0\n"
  "refclock_bridge_fallback_refused_total{fallback=\"ntp\"} 4\n"
  "# HELP refclock_bridge_fallback_action_failures_total Failed applications of an action (unit, "
    "marker, hook).\n"
  "# TYPE refclock_bridge_fallback_action_failures_total counter\n"
  "refclock_bridge_fallback_action_failures_total{fallback=\"lab\",action=\"hook\"} 0\n"
  "refclock_bridge_fallback_action_failures_total{fallback=\"ntp\",action=\"unit\"} 2\n"
  "refclock_bridge_fallback_action_failures_total{fallback=\"ntp\",action=\"marker\"} 0\n"
  "# HELP refclock_bridge_fallback_action_ok 1 if the action's last application worked, else 0.\n"
  "# TYPE refclock_bridge_fallback_action_ok gauge\n"
  "refclock_bridge_fallback_action_ok{fallback=\"lab\",action=\"hook\"} 1\n"
  "refclock_bridge_fallback_action_ok{fallback=\"ntp\",action=\"unit\"} 0\n"
  "refclock_bridge_fallback_action_ok{fallback=\"ntp\",action=\"marker\"} 1\n";

/* Reports the first line that differs, if any. */
static bool same_text(const char *got, const char *want)
{
  int line = 1;
  const char *g = got, *w = want;

  while (*g && *g == *w) {
    if (*g == '\n')
      line++;
    g++, w++;
  }
  if (!*g && !*w)
    return true;
  fprintf(stderr, "text differs at line %d:\n got: %.*s\nwant: %.*s\n", line,
          (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
  return false;
}

static bool has_line(const char *text, const char *line)
{
  size_t n = strlen(line);
  for (const char *p = text; (p = strstr(p, line)); p++)
    if ((p == text || p[-1] == '\n') && p[n] == '\n')
      return true;
  return false;
}

/* Every series line's family has HELP and TYPE lines before it, and each family is one block.
   Returns the number of families. */
static size_t check_families(const char *text)
{
  char seen[64][128], current[128] = "";
  size_t n_seen = 0;

  for (const char *p = text; *p; p = strchr(p, '\n') + 1) {
    char name[128], want[160];
    size_t len = strcspn(p, "{ \n");
    if (*p == '#' || len >= sizeof(name))
      continue;
    memcpy(name, p, len);
    name[len] = '\0';
    snprintf(want, sizeof(want), "# TYPE %s ", name);
    CHECK(strstr(text, want) && strstr(text, want) < p);
    snprintf(want, sizeof(want), "# HELP %s ", name);
    CHECK(strstr(text, want) && strstr(text, want) < p);
    if (strcmp(name, current) == 0)
      continue;
    for (size_t i = 0; i < n_seen; i++)
      CHECK(strcmp(seen[i], name) != 0); /* a family split in two */
    if (n_seen < 64)
      snprintf(seen[n_seen++], sizeof(seen[0]), "%s", name);
    snprintf(current, sizeof(current), "%s", name);
  }
  return n_seen;
}

static void test_full(void)
{
  struct snapshot s;
  size_t len;
  char *text;

  full_snapshot(&s);
  text = metrics_prom_render(&s, &len);
  CHECK_EQ_INT(len, strlen(text));
  CHECK(same_text(text, golden));
  CHECK_EQ_INT(check_families(text), 46);
  /* escaping: \ " and newline in a label value */
  CHECK(has_line(text, "refclock_bridge_source_up{source=\"gps \\\"a\\\\b\\\"\\nc\","
                       "kind=\"gpsd\"} 0"));
  /* unknown values: no series */
  CHECK(!strstr(text, "refclock_bridge_source_offset_seconds{source=\"gps"));
  CHECK(!strstr(text, "refclock_bridge_source_last_sample_timestamp_seconds{source=\"gps"));
  CHECK(!strstr(text, "refclock_bridge_tracker_offset_from_master_seconds{tracker=\"st\""));
  CHECK(!strstr(text, "refclock_bridge_tracker_clock_class{tracker=\"st\""));
  CHECK(!strstr(text, "refclock_bridge_tracker_time_traceable{tracker=\"st\""));
  CHECK(!strstr(text, "refclock_bridge_tracker_utc_offset_seconds{tracker=\"st\""));
  /* OpenShift numbering: UNKNOWN counts as FREERUN */
  CHECK(has_line(text, "refclock_bridge_tracker_openshift_state{tracker=\"st\","
                       "kind=\"statime\"} 0"));
  free(text);

  /* the UTC offset not valid, the time properties known; HOLDOVER */
  trackers[0].utc_offset_valid = false;
  trackers[0].state = TRACKER_HOLDOVER;
  trackers[1].endpoint[0] = '\0'; /* an empty label value is no label */
  text = metrics_prom_render(&s, NULL);
  CHECK(has_line(text, "refclock_bridge_tracker_info{tracker=\"st\",kind=\"statime\"} 1"));
  CHECK(!strstr(text, "refclock_bridge_tracker_utc_offset_seconds{"));
  CHECK(has_line(text, "refclock_bridge_tracker_time_traceable{tracker=\"ptp\","
                       "kind=\"ptp4l\"} 1"));
  CHECK(has_line(text, "refclock_bridge_tracker_openshift_state{tracker=\"ptp\","
                       "kind=\"ptp4l\"} 2"));
  free(text);
}

/* No instances: the daemon's families only; nothing is unhealthy. */
static void test_empty(void)
{
  struct snapshot s;
  char *text;

  memset(&s, 0, sizeof(s));
  text = metrics_prom_render(&s, NULL);
  CHECK(has_line(text, "refclock_bridge_build_info{version=\"unknown\"} 1"));
  CHECK(has_line(text, "refclock_bridge_start_time_seconds 0"));
  CHECK(has_line(text, "refclock_bridge_healthy 1"));
  CHECK(!strstr(text, "_source_") && !strstr(text, "_output_") && !strstr(text, "_tracker_"));
  CHECK(!strstr(text, "_fallback_"));
  CHECK_EQ_INT(check_families(text), 5);
  free(text);
}

/* Numbers: nanoseconds exact as seconds; doubles the shortest text that reads back the same;
   time units of driver fields in seconds; healthy when all is well. */
static void test_values(void)
{
  struct snapshot s;
  char *text;

  full_snapshot(&s);
  s.n_sources = s.n_outputs = s.n_trackers = s.n_fallbacks = 1;
  outputs[0].health.down = false;
  trackers[0].state = TRACKER_LOCKED;
  sources[0].last_offset_ns = -999999999;
  sources[0].last_sample_ns = INT64_MIN + 1;
  memset(&sources[0].extras, 0, sizeof(sources[0].extras));
  report_double(&sources[0].extras, "third", 1.0 / 3);
  report_double(&sources[0].extras, "nan", NAN);
  report_double(&sources[0].extras, "pinf", INFINITY);
  report_double(&sources[0].extras, "ninf", -INFINITY);
  report_double(&sources[0].extras, "big", 1e300);
  report_double(&sources[0].extras, "jitter_us", 2.5);
  report_count(&sources[0].extras, "busy_ms", 1500);
  report_int(&sources[0].extras, "Odd-Key", -4);
  report_count(&sources[0].extras, "done_total", 1);
  report_int(&sources[0].extras, "satellites_count", 9);
  report_count(&sources[0].extras, "edges_count", 8);
  report_string(&sources[0].extras, "9lives", "x"); /* not a label name */
  text = metrics_prom_render(&s, NULL);
  CHECK(has_line(text, "refclock_bridge_healthy 1"));
  CHECK(has_line(text, "refclock_bridge_source_offset_seconds{source=\"phc0\",kind=\"phc\"} "
                       "-0.999999999"));
  CHECK(has_line(text, "refclock_bridge_source_last_sample_timestamp_seconds{source=\"phc0\","
                       "kind=\"phc\"} -9223372036.854775807"));
  CHECK(has_line(text, "refclock_bridge_source_third{source=\"phc0\",kind=\"phc\"} "
                       "0.3333333333333333"));
  CHECK(has_line(text, "refclock_bridge_source_nan{source=\"phc0\",kind=\"phc\"} NaN"));
  CHECK(has_line(text, "refclock_bridge_source_pinf{source=\"phc0\",kind=\"phc\"} +Inf"));
  CHECK(has_line(text, "refclock_bridge_source_ninf{source=\"phc0\",kind=\"phc\"} -Inf"));
  CHECK(has_line(text, "refclock_bridge_source_big{source=\"phc0\",kind=\"phc\"} 1e+300"));
  CHECK(has_line(text, "# TYPE refclock_bridge_source_jitter_seconds gauge"));
  CHECK(has_line(text, "refclock_bridge_source_jitter_seconds{source=\"phc0\",kind=\"phc\"} "
                       "2.5e-06"));
  CHECK(has_line(text, "# TYPE refclock_bridge_source_busy_seconds_total counter"));
  CHECK(has_line(text, "refclock_bridge_source_busy_seconds_total{source=\"phc0\",kind=\"phc\"} "
                       "1.5"));
  CHECK(has_line(text, "refclock_bridge_source_odd_key{source=\"phc0\",kind=\"phc\"} -4"));
  CHECK(has_line(text, "refclock_bridge_source_done_total{source=\"phc0\",kind=\"phc\"} 1"));
  CHECK(has_line(text, "refclock_bridge_source_satellites{source=\"phc0\",kind=\"phc\"} 9"));
  CHECK(has_line(text, "refclock_bridge_source_edges_total{source=\"phc0\",kind=\"phc\"} 8"));
  CHECK(has_line(text, "refclock_bridge_source_info{source=\"phc0\",kind=\"phc\","
                       "endpoint=\"/dev/ptp0\"} 1"));
  CHECK_EQ_INT(check_families(text), 53);
  free(text);
}

/* Renders s and checks that the text has line. */
static bool renders_line(const struct snapshot *s, const char *line)
{
  char *text = metrics_prom_render(s, NULL);
  bool found = has_line(text, line);

  if (!found)
    fprintf(stderr, "no line: %s\n", line);
  free(text);
  return found;
}

/* Fallbacks: only their name as a label (they have no kind), escaped; no since before a mode
   began; healthy only in PTP with every action working. */
static void test_fallbacks(void)
{
  struct snapshot s;
  char *text;

  full_snapshot(&s);
  s.n_sources = s.n_outputs = s.n_trackers = 0;
  s.n_fallbacks = 1;
  CHECK(renders_line(&s, "refclock_bridge_healthy 1"));
  fallbacks[0].actions[0].ok = false;
  CHECK(renders_line(&s, "refclock_bridge_healthy 0"));
  CHECK(renders_line(&s, "refclock_bridge_fallback_action_ok{fallback=\"lab\",action=\"hook\"} 0"));
  fallbacks[0].actions[0].ok = true;
  fallbacks[0].mode = FALLBACK_START;
  fallbacks[0].since_ns = 0;
  fallbacks[0].name = "a \"b\"\\";
  text = metrics_prom_render(&s, NULL);
  CHECK(has_line(text, "refclock_bridge_healthy 0"));
  CHECK(has_line(text, "refclock_bridge_fallback_mode{fallback=\"a \\\"b\\\"\\\\\","
                       "mode=\"start\"} 1"));
  CHECK(has_line(text, "refclock_bridge_fallback_active{fallback=\"a \\\"b\\\"\\\\\"} 0"));
  CHECK(!strstr(text, "refclock_bridge_fallback_since_seconds"));
  CHECK(!strstr(text, "kind="));
  CHECK_EQ_INT(check_families(text), 5 + 8);
  free(text);
}

/* The hand-written formatters at their edges: integers, ns as exact seconds, integral doubles
   without printf, the last double's text reused only for the same double; escaping of runs
   longer than a word. */
static void test_formatters(void)
{
  static const struct {
    int64_t ns;
    const char *text;
  } ns[] = {
    {0, "0"},
    {-1, "-0.000000001"},
    {1, "0.000000001"},
    {999999999, "0.999999999"},
    {-999999999, "-0.999999999"},
    {1000000000, "1"},
    {-1500000000, "-1.5"},
    {-37000000100, "-37.0000001"},
    {INT64_MAX, "9223372036.854775807"},
    {INT64_MIN, "-9223372036.854775808"},
  };
  struct snapshot s;
  char line[256], *text;

  full_snapshot(&s);
  s.n_sources = s.n_outputs = s.n_trackers = 1;
  for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
    sources[0].last_offset_ns = ns[i].ns;
    snprintf(line, sizeof(line),
             "refclock_bridge_source_offset_seconds{source=\"phc0\",kind=\"phc\"} %s", ns[i].text);
    CHECK(renders_line(&s, line));
  }

  memset(&sources[0].extras, 0, sizeof(sources[0].extras));
  report_int(&sources[0].extras, "imin", INT64_MIN);
  report_int(&sources[0].extras, "imax", INT64_MAX);
  report_int(&sources[0].extras, "izero", 0);
  report_count(&sources[0].extras, "cmax", UINT64_MAX);
  report_count(&sources[0].extras, "czero", 0);
  report_double(&sources[0].extras, "dneg", -3.0);
  report_double(&sources[0].extras, "dnegzero", -0.0);
  report_double(&sources[0].extras, "dzero", 0.0);
  report_double(&sources[0].extras, "dbig", 999999999999999.0);
  report_double(&sources[0].extras, "dhuge", 1e15);
  report_double(&sources[0].extras, "dfrac", 0.0625);
  report_double(&sources[0].extras, "dfrac2", 0.1);
  memset(&sources[1].extras, 0, sizeof(sources[1].extras));
  report_double(&sources[1].extras, "dfrac", 0.0625);
  report_double(&sources[1].extras, "dfrac2", 0.0625);
  report_string(&sources[1].extras, "long", "/a/long\\path with \"quotes\" and\na newline!");
  report_int(&sources[1].extras, "odd\\key\nx", 1);
  s.n_sources = 2;
  text = metrics_prom_render(&s, NULL);
#define SRC0(f) "refclock_bridge_source_" f "{source=\"phc0\",kind=\"phc\"} "
#define SRC1(f) "refclock_bridge_source_" f "{source=\"gps \\\"a\\\\b\\\"\\nc\",kind=\"gpsd\"} "
  CHECK(has_line(text, SRC0("imin") "-9223372036854775808"));
  CHECK(has_line(text, SRC0("imax") "9223372036854775807"));
  CHECK(has_line(text, SRC0("izero") "0"));
  CHECK(has_line(text, SRC0("cmax_total") "18446744073709551615"));
  CHECK(has_line(text, SRC0("czero_total") "0"));
  CHECK(has_line(text, SRC0("dneg") "-3"));
  CHECK(has_line(text, SRC0("dnegzero") "-0"));
  CHECK(has_line(text, SRC0("dzero") "0"));
  CHECK(has_line(text, SRC0("dbig") "999999999999999"));
  CHECK(has_line(text, SRC0("dhuge") "1e+15"));
  CHECK(has_line(text, SRC0("dfrac") "0.0625"));
  CHECK(has_line(text, SRC0("dfrac2") "0.1"));
  CHECK(has_line(text, SRC1("dfrac") "0.0625"));
  CHECK(has_line(text, SRC1("dfrac2") "0.0625"));
  CHECK(has_line(text, "refclock_bridge_source_info{source=\"gps \\\"a\\\\b\\\"\\nc\","
                       "kind=\"gpsd\",endpoint=\"localhost:2947\",long=\"/a/long\\\\path with "
                       "\\\"quotes\\\" and\\na newline!\"} 1"));
  CHECK(has_line(text, "# HELP refclock_bridge_source_odd_key_x Field odd\\\\key\\nx reported by "
                       "the source's driver."));
  CHECK(has_line(text, SRC1("odd_key_x") "1"));
#undef SRC0
#undef SRC1
  free(text);
}

int main(int argc, char **argv)
{
  if (argc > 1 && strcmp(argv[1], "-p") == 0) { /* prints the full text, to review a change */
    struct snapshot s;
    char *text;
    full_snapshot(&s);
    text = metrics_prom_render(&s, NULL);
    fputs(text, stdout);
    free(text);
    return 0;
  }
  test_full();
  test_empty();
  test_fallbacks();
  test_values();
  test_formatters();
  return test_report("test_metrics_prom");
}
