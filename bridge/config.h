/* The daemon's configuration schema: the [bridge] section and the source, output and tracker
   kinds with their drivers. One table serves the daemon and its config fuzzer. */
#ifndef RB_CONFIG_H
#define RB_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "bridge/core/conf.h"

/* The one driver table of each kind, NULL-terminated. */
extern const struct conf_driver *const source_drivers[];
extern const struct conf_driver *const output_drivers[];
extern const struct conf_driver *const tracker_drivers[];

/* conf_load() with the daemon's schema. */
struct conf *config_load(const char *path, char *err, size_t err_len);
#define CONFIG_STATUS_SOCKET "/run/refclock-bridge/status.sock"
/* Debian's node_exporter textfile directory. */
#define CONFIG_METRICS_DIR "/var/lib/prometheus/node-exporter"

/* The [bridge] section, with defaults when it is absent. Strings live as long as c. */
struct bridge_settings {
  int log_level; /* syslog priority */
  const char *status_socket;
  const char *status_group;  /* NULL: the daemon's own group */
  const char *metrics_dir;   /* NULL: metrics = no */
  int64_t metrics_interval_ns;
};
void config_bridge(const struct conf *c, struct bridge_settings *b);

#endif
