/* refclock-bridge: command line, module start-up and shutdown order, signals, reload. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "bridge/control/fallback.h"
#include "bridge/control/grant_sockets.h"
#include "bridge/control/metrics_file.h"
#include "bridge/control/snapshot.h"
#include "bridge/control/status_command.h"
#include "bridge/control/status_server.h"
#include "bridge/core/conf.h"
#include "bridge/config.h"
#include "bridge/core/log.h"
#include "bridge/core/output.h"
#include "bridge/core/report.h"
#include "bridge/core/sched.h"
#include "bridge/core/source.h"
#include "bridge/core/util.h"
#include "ptpstate/tracker.h"

#ifndef RB_VERSION
#define RB_VERSION "unknown"
#endif
#define DEFAULT_CONFIG "/etc/refclock-bridge.conf"

/* How often systemd's STATUS= line is brought up to date. */
#define STATUS_LINE_NS (2 * NS_PER_SEC)

static const char *config_path = DEFAULT_CONFIG;
static struct conf *config;
static struct sched_periodic *status_line_timer;
static char status_line[256];
static uint64_t status_line_generation;

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: refclock-bridge [OPTIONS]\n"
          "       refclock-bridge status [--json] [-c FILE | -s SOCKET]\n"
          "       refclock-bridge safe-state [-c FILE]\n"
          "       refclock-bridge grant-sockets [-c FILE] [--group NAME] [--wait SECONDS]\n"
          "Feeds PHC, GNSS and PPS time to chronyd, ntpd and ntpd-rs.\n\n"
          "  -c, --config FILE   configuration file (default " DEFAULT_CONFIG ")\n"
          "  -f, --foreground    log to stderr instead of the journal\n"
          "      --check-config  validate the configuration and exit (78 if invalid)\n"
          "  -v, --version       print the version and exit\n"
          "  -h, --help          print this help and exit\n");
}

static struct conf *load(char *err, size_t len)
{
  return config_load(config_path, err, len);
}

/* The configuration at start-up: NULL after printing its one error message. */
static struct conf *load_at_start(void)
{
  char err[1024];
  struct conf *c = load(err, sizeof(err));

  if (!c)
    fprintf(stderr, "refclock-bridge: %s\n", err);
  return c;
}

static int start_loop(void)
{
  int r = sched_init();

  if (r < 0)
    fprintf(stderr, "refclock-bridge: cannot create the event loop: %s\n", strerror(-r));
  return r;
}

/* 64-bit FNV-1a over the effective values of every section, in file order. */
static void config_digest(const struct conf *c, char out[17])
{
  uint64_t h = 0xcbf29ce484222325ULL;

  for (size_t i = 0; i < conf_count(c); i++) {
    const struct conf_section *s = conf_at(c, i);
    const char *parts[] = {conf_kind_name(s), conf_name(s), conf_digest(s)};
    for (size_t k = 0; k < 3; k++) {
      for (const char *p = parts[k]; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
      h = (h ^ 0xff) * 0x100000001b3ULL;
    }
  }
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static void apply_bridge_section(const struct conf *c)
{
  struct bridge_settings b;

  config_bridge(c, &b);
  log_set_level(b.log_level);
  status_server_apply(b.status_socket, b.status_group);
  metrics_file_apply(b.metrics_dir, b.metrics_interval_ns);
}

static void update_status_line(void *arg, uint64_t periods)
{
  struct snapshot snap;
  char line[sizeof(status_line)];

  (void)arg;
  (void)periods;
  /* Nothing the line says has changed: no snapshot (this runs every 2 s beside the samples). */
  if (report_generation() == status_line_generation)
    return;
  status_line_generation = report_generation();
  snapshot_take(&snap);
  snapshot_summary(&snap, line, sizeof(line));
  snapshot_free(&snap);
  if (strcmp(line, status_line) != 0) {
    memcpy(status_line, line, sizeof(line));
    sd_notifyf(0, "STATUS=%s", status_line);
  }
}

/* Applies a configuration: unchanged sources and outputs keep running. */
static void apply(const struct conf *c)
{
  apply_bridge_section(c);
  fallback_drop_changed(c);
  source_drop_changed(c);
  tracker_drop_changed(c);
  output_reconfigure(c);
  tracker_add_new(c);
  source_add_new(c);
  fallback_add_new(c);
}

static void stop_modules(void)
{
  sched_periodic_free(status_line_timer);
  status_server_fini();
  metrics_file_fini();
  fallback_fini();
  source_fini();
  output_fini();
  tracker_fini();
}

/* A bad new configuration is rejected and the running one kept. */
static void reload(void)
{
  char err[1024], digest[17];
  struct conf *c;

  sd_notify(0, "RELOADING=1");
  c = load(err, sizeof(err));
  if (!c) {
    log_err("reload rejected: %s; keeping the running configuration", err);
    report_daemon_reloaded(false, NULL);
  } else {
    log_notice("reloading %s", config_path);
    apply(c);
    conf_free(config);
    config = c;
    config_digest(c, digest);
    report_daemon_reloaded(true, digest);
  }
  update_status_line(NULL, 1);
  sd_notify(0, "READY=1");
}

/* `refclock-bridge safe-state`: NTP on, for ExecStopPost= whenever the daemon stops. */
static int safe_state_command(int argc, char **argv)
{
  static const struct option opts[] = {{"config", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
  sigset_t mask;
  int opt, r;

  while ((opt = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
    if (opt != 'c') {
      usage(stderr);
      return 2;
    }
    config_path = optarg;
  }
  if (optind < argc) {
    usage(stderr);
    return 2;
  }
  config = load_at_start();
  if (!config)
    return EXIT_CONFIG;
  log_init(true, LOG_INFO);
  /* Hooks are reaped through the event loop. */
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  if (start_loop() < 0) {
    conf_free(config);
    return 1;
  }
  r = fallback_safe_state(config);
  sched_fini();
  conf_free(config);
  return r;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata)
{
  (void)s;
  (void)userdata;
  if (si->ssi_signo == SIGHUP) {
    reload();
  } else {
    log_notice("received %s, stopping", strsignal((int)si->ssi_signo));
    sched_quit(0);
  }
  return 0;
}

int main(int argc, char **argv)
{
  static const struct option opts[] = {
    {"config", required_argument, NULL, 'c'}, {"foreground", no_argument, NULL, 'f'},
    {"check-config", no_argument, NULL, 'C'}, {"version", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
  };
  bool foreground = false, check_only = false;
  char digest[17];
  sigset_t mask;
  int opt, r;

  if (argc > 1 && strcmp(argv[1], "status") == 0)
    return status_command(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "safe-state") == 0)
    return safe_state_command(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "grant-sockets") == 0)
    return grant_sockets_command(argc - 1, argv + 1);
  while ((opt = getopt_long(argc, argv, "c:fvh", opts, NULL)) != -1) {
    switch (opt) {
    case 'c': config_path = optarg; break;
    case 'f': foreground = true; break;
    case 'C': check_only = true; break;
    case 'v': printf("refclock-bridge %s\n", RB_VERSION); return 0;
    case 'h': usage(stdout); return 0;
    default: usage(stderr); return 2;
    }
  }
  if (optind < argc) {
    usage(stderr);
    return 2;
  }

  /* Everything is validated before any device or socket is opened. */
  config = load_at_start();
  if (!config)
    return EXIT_CONFIG;
  if (check_only) {
    printf("%s: configuration OK\n", config_path);
    conf_free(config);
    return 0;
  }

  log_init(foreground, LOG_INFO);
  if (start_loop() < 0)
    return 1;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGCHLD); /* hooks are reaped through the event loop */
  sigprocmask(SIG_BLOCK, &mask, NULL);
  sd_event_add_signal(sched_event(), NULL, SIGTERM, on_signal, NULL);
  sd_event_add_signal(sched_event(), NULL, SIGINT, on_signal, NULL);
  sd_event_add_signal(sched_event(), NULL, SIGHUP, on_signal, NULL);
  /* A peer that goes away mid-write is an outage to retry, never a reason to die. */
  signal(SIGPIPE, SIG_IGN);

  log_notice("refclock-bridge %s starting with %s", RB_VERSION, config_path);
  config_digest(config, digest);
  report_daemon_started(RB_VERSION, config_path, digest);
  apply(config);
  update_status_line(NULL, 1);
  status_line_timer = sched_periodic_new(monotonic_ns() + STATUS_LINE_NS, STATUS_LINE_NS,
                                         update_status_line, NULL);
  sd_notify(0, "READY=1");
  r = sched_run();
  sd_notify(0, "STOPPING=1");
  stop_modules();
  conf_free(config);
  sched_fini();
  log_notice("stopped");
  return r < 0 ? 1 : r;
}
