/* refclock-bridge: command line, module start-up and shutdown order, signals, reload. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "conf.h"
#include "config.h"
#include "log.h"
#include "output.h"
#include "sched.h"
#include "source.h"
#include "tracker.h"

#ifndef RB_VERSION
#define RB_VERSION "unknown"
#endif
#define DEFAULT_CONFIG "/etc/refclock-bridge.conf"

static const char *config_path = DEFAULT_CONFIG;
static struct conf *config;

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: refclock-bridge [OPTIONS]\n"
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

static void apply_bridge_section(const struct conf *c)
{
  log_set_level(config_log_level(c));
}

/* Applies a configuration: unchanged sources and outputs keep running. */
static void apply(const struct conf *c)
{
  apply_bridge_section(c);
  source_drop_changed(c);
  tracker_drop_changed(c);
  output_reconfigure(c);
  tracker_add_new(c);
  source_add_new(c);
}

static void stop_modules(void)
{
  source_fini();
  output_fini();
  tracker_fini();
}

/* A bad new configuration is rejected and the running one kept. */
static void reload(void)
{
  char err[1024];
  struct conf *c;

  sd_notify(0, "RELOADING=1");
  c = load(err, sizeof(err));
  if (!c) {
    log_err("reload rejected: %s; keeping the running configuration", err);
  } else {
    log_notice("reloading %s", config_path);
    apply(c);
    conf_free(config);
    config = c;
  }
  sd_notify(0, "READY=1");
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
  char err[1024];
  sigset_t mask;
  int opt, r;

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
  config = load(err, sizeof(err));
  if (!config) {
    fprintf(stderr, "refclock-bridge: %s\n", err);
    return EXIT_CONFIG;
  }
  if (check_only) {
    printf("%s: configuration OK\n", config_path);
    conf_free(config);
    return 0;
  }

  log_init(foreground, LOG_INFO);
  r = sched_init();
  if (r < 0) {
    fprintf(stderr, "refclock-bridge: cannot create the event loop: %s\n", strerror(-r));
    return 1;
  }
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  sd_event_add_signal(sched_event(), NULL, SIGTERM, on_signal, NULL);
  sd_event_add_signal(sched_event(), NULL, SIGINT, on_signal, NULL);
  sd_event_add_signal(sched_event(), NULL, SIGHUP, on_signal, NULL);
  /* A peer that goes away mid-write is an outage to retry, never a reason to die. */
  signal(SIGPIPE, SIG_IGN);

  log_notice("refclock-bridge %s starting with %s", RB_VERSION, config_path);
  apply(config);
  sd_notify(0, "READY=1");
  r = sched_run();
  sd_notify(0, "STOPPING=1");
  stop_modules();
  conf_free(config);
  sched_fini();
  log_notice("stopped");
  return r < 0 ? 1 : r;
}
