/* Micro-benchmark of metrics_prom_render(): a realistic snapshot (16 PHC sources, 8 SOCK and 8
   SHM outputs, 2 ptp4l trackers, with the fields their drivers add) rendered N times. Run it
   under callgrind twice (N=1, N=21) for the instructions per render; bench/metrics_render.sh
   does. The text of the last render goes to OUT; with REF, it must equal REF byte for byte.

   usage: metrics_render N OUT [REF]   (exit 1 if the text differs from REF) */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/control/metrics_prom.h"

#define S 1000000000LL
#define N_PHC 16
#define N_OUT 16
#define N_TRK 2

static struct source_report sources[N_PHC];
static struct output_report outputs[N_OUT];
static struct tracker_report trackers[N_TRK];
static char source_names[N_PHC][16], output_names[N_OUT][16];

static void make_sources(void)
{
  for (int i = 0; i < N_PHC; i++) {
    struct source_report *r = &sources[i];
    snprintf(source_names[i], sizeof(source_names[i]), "phc%d", i);
    r->name = source_names[i];
    r->kind = "phc";
    snprintf(r->endpoint, sizeof(r->endpoint), "/dev/ptp%d", i);
    snprintf(r->outputs, sizeof(r->outputs), "sock%d", i % 8);
    r->state = i == 5 ? SOURCE_GATED : i == 9 ? SOURCE_LOST : i == 12 ? SOURCE_NO_DATA : SOURCE_OK;
    r->state_since_ns = 1795000000 * S + i * 1000003;
    r->published = 123456 + 977 * (uint64_t)i;
    r->invalid = (uint64_t)i * 3;
    r->lost = i % 4 == 0 ? 1 : 0;
    r->have_sample = r->state != SOURCE_NO_DATA;
    /* 37 s ahead (TAI), a few hundred ns either way; one exact second, one negative */
    r->last_offset_ns = i == 7 ? -1500 : i == 3 ? 37 * S : 37000000000 + (i * 7919) % 900 - 450;
    r->last_sample_ns = 1795000123 * S + 62500000LL * i + 17 * i;
    r->last_precision = -20;
    r->health.down = r->state == SOURCE_LOST;
    r->health.outages = (uint64_t)(i % 3);
    r->health.outage_ns = i % 3 ? 1250000000LL * i + 1 : 0;
    if (i % 3)
      snprintf(r->health.last_error, sizeof(r->health.last_error),
               "PTP_SYS_OFFSET_EXTENDED on /dev/ptp%d: No such device", i);
    report_string(&r->extras, "method", "extended");
    report_int(&r->extras, "readings", 10);
    if (r->have_sample)
      report_int(&r->extras, "delay_window_ns", 1200 + 37 * i);
    report_double(&r->extras, "interval_seconds", 0.0625);
    if (i < 8) {
      report_string(&r->extras, "tracker", i < 4 ? "ptp0" : "ptp1");
      report_bool(&r->extras, "gate_open", i != 5);
    }
  }
}

static void make_outputs(void)
{
  for (int i = 0; i < N_OUT; i++) {
    struct output_report *r = &outputs[i];
    r->name = output_names[i];
    r->connected = i != 2 && i != 11;
    r->sent = 120000 + 1000 * (uint64_t)i;
    r->dropped = i == 2 ? 57 : 0;
    r->invalidated = (uint64_t)(i % 2);
    r->health.down = !r->connected;
    r->health.outages = r->connected ? 0 : 2;
    r->health.outage_ns = r->connected ? 0 : 3 * S + 250000000LL * i;
    if (!r->connected)
      snprintf(r->health.last_error, sizeof(r->health.last_error),
               "connect: Connection refused");
    if (i < 8) {
      snprintf(output_names[i], sizeof(output_names[i]), "sock%d", i);
      r->kind = "sock";
      snprintf(r->target, sizeof(r->target), "/run/chrony/phc%d.sock", i);
    } else {
      int unit = i - 8 + 116;
      snprintf(output_names[i], sizeof(output_names[i]), "shm%d", i - 8);
      r->kind = "shm";
      snprintf(r->target, sizeof(r->target), "NTP SHM unit %d (key 0x%08x)", unit,
               0x4e545030u + (unsigned)unit);
      report_int(&r->extras, "unit", unit);
      report_string(&r->extras, "mode", "0644");
      if (r->connected)
        report_bool(&r->extras, "created", i % 2 == 0);
    }
  }
}

static void make_trackers(void)
{
  for (int i = 0; i < N_TRK; i++) {
    struct tracker_report *t = &trackers[i];
    t->name = i ? "ptp1" : "ptp0";
    t->kind = "ptp4l";
    snprintf(t->endpoint, sizeof(t->endpoint), "/var/run/ptp4l%s", i ? "-1" : "");
    t->state = i ? TRACKER_HOLDOVER : TRACKER_LOCKED;
    t->since_ns = 1795000050 * S + 987654321;
    snprintf(t->reason, sizeof(t->reason), "%s", i ? "no Sync for 3 intervals" : "port SLAVE");
    snprintf(t->port_state, sizeof(t->port_state), "SLAVE");
    t->have_offset = true;
    t->offset_ns = i ? -23 : 8;
    snprintf(t->gm_identity, sizeof(t->gm_identity), "001122.fffe.33445%d", i);
    t->gm_clock_class = 6;
    t->have_time_properties = true;
    t->time_traceable = true;
    t->utc_offset_valid = true;
    t->utc_offset = 37;
    t->updates = 4567 + (uint64_t)i;
    t->malformed = (uint64_t)i;
    t->rejected = 2;
    t->transitions_total[TRACKER_UNKNOWN][TRACKER_FREERUN] = 1;
    t->transitions_total[TRACKER_FREERUN][TRACKER_LOCKED] = 2;
    t->transitions_total[TRACKER_LOCKED][TRACKER_HOLDOVER] = 1 + (uint64_t)i;
    t->transitions_total[TRACKER_HOLDOVER][TRACKER_LOCKED] = 1;
    t->transitions_total[TRACKER_LOCKED][TRACKER_UNKNOWN] = (uint64_t)i;
    t->health.outages = (uint64_t)i;
    t->health.outage_ns = i ? 4 * S + 500 : 0;
    report_int(&t->extras, "domain", 24 + i);
    report_int(&t->extras, "transport_specific", 0);
    report_string(&t->extras, "client_address", i ? "/var/run/rb-pmc.1" : "/var/run/rb-pmc.0");
    report_bool(&t->extras, "reachable", true);
    report_bool(&t->extras, "sync_pushed", i == 0);
    report_int(&t->extras, "log_sync_interval", -4);
  }
}

static void make_snapshot(struct snapshot *s)
{
  memset(s, 0, sizeof(*s));
  s->taken_ns = 1795000124 * S;
  s->daemon.version = "0.1-42-g06b96b1";
  s->daemon.config_path = "/etc/refclock-bridge.conf";
  snprintf(s->daemon.config_digest, sizeof(s->daemon.config_digest), "0123456789abcdef");
  s->daemon.start_ns = 1795000000 * S + 123456789;
  s->daemon.reloads = 3;
  s->daemon.reloads_rejected = 1;
  s->daemon.log_suppressed = 12;
  make_sources();
  make_outputs();
  make_trackers();
  s->n_sources = N_PHC;
  s->sources = sources;
  s->n_outputs = N_OUT;
  s->outputs = outputs;
  s->n_trackers = N_TRK;
  s->trackers = trackers;
}

static char *read_all(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;

  if (!f || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    perror(path);
    exit(2);
  }
  buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    perror(path);
    exit(2);
  }
  fclose(f);
  *len = (size_t)n;
  return buf;
}

int main(int argc, char **argv)
{
  struct snapshot s;
  char *text = NULL;
  size_t len = 0;
  long n;
  FILE *f;

  if (argc < 3 || (n = strtol(argv[1], NULL, 10)) < 1) {
    fprintf(stderr, "usage: %s N OUT [REF]\n", argv[0]);
    return 2;
  }
  make_snapshot(&s);
  for (long i = 0; i < n; i++) {
    free(text);
    text = metrics_prom_render(&s, &len);
  }
  f = fopen(argv[2], "wb");
  if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
    perror(argv[2]);
    return 2;
  }
  printf("%zu bytes per render\n", len);
  if (argc > 3) {
    size_t ref_len, at = 0;
    char *ref = read_all(argv[3], &ref_len);
    while (at < len && at < ref_len && text[at] == ref[at])
      at++;
    if (at != len || at != ref_len) {
      fprintf(stderr, "differs from %s at byte %zu\n", argv[3], at);
      return 1;
    }
    printf("identical to %s\n", argv[3]);
    free(ref);
  }
  free(text);
  return 0;
}
