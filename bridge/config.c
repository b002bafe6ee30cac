/* The daemon's configuration schema, with the one driver table of each kind. Adding a driver:
   one file and one row here. */
#include <syslog.h>

#include "bridge/config.h"
#include "bridge/control/fallback.h"
#include "bridge/core/log.h"
#include "bridge/core/output_driver.h"
#include "bridge/core/source_driver.h"
#include "bridge/core/util.h"
#include "ptpstate/tracker_driver.h"

extern const struct source_ops phc_source_ops, gpsd_source_ops, pps_source_ops;
extern const struct output_ops sock_output_ops, shm_output_ops;
extern const struct tracker_ops ptp4l_tracker_ops, statime_tracker_ops;

const struct conf_driver *const source_drivers[] = {
  &phc_source_ops.conf,
  &gpsd_source_ops.conf,
  &pps_source_ops.conf,
  NULL,
};

const struct conf_driver *const output_drivers[] = {
  &sock_output_ops.conf,
  &shm_output_ops.conf,
  NULL,
};

const struct conf_driver *const tracker_drivers[] = {
  &ptp4l_tracker_ops.conf,
  &statime_tracker_ops.conf,
  NULL,
};

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug", NULL};

static const struct conf_key bridge_keys[] = {
  {.name = "log_level", .type = CONF_ENUM, .def = "info", .choices = level_names},
  {.name = "status_socket", .type = CONF_PATH, .def = CONFIG_STATUS_SOCKET,
   .max = CONF_SOCKET_PATH_MAX},
  {.name = "status_group", .type = CONF_STRING, .max = 32},
  {.name = "metrics", .type = CONF_BOOL, .def = "yes"},
  {.name = "metrics_dir", .type = CONF_PATH, .def = CONFIG_METRICS_DIR, .max = 200},
  {.name = "metrics_interval", .type = CONF_DOUBLE, .def = "5", .min = 1, .max = 3600},
  {0},
};

static const struct conf_kind kinds[] = {
  {.name = "bridge", .named = false, .keys = bridge_keys},
  {.name = "source", .named = true, .keys = source_common_keys, .drivers = source_drivers},
  {.name = "output", .named = true, .drivers = output_drivers},
  {.name = "tracker", .named = true, .keys = tracker_common_keys, .drivers = tracker_drivers},
  {.name = "fallback", .named = true, .keys = fallback_keys, .check = fallback_check},
};

struct conf *config_load(const char *path, char *err, size_t err_len)
{
  return conf_load(path, kinds, sizeof(kinds) / sizeof(kinds[0]), err, err_len);
}

void config_bridge(const struct conf *c, struct bridge_settings *b)
{
  const struct conf_section *s = conf_find(c, "bridge", "");

  b->log_level = LOG_INFO;
  b->status_socket = CONFIG_STATUS_SOCKET;
  b->status_group = NULL;
  b->metrics_dir = CONFIG_METRICS_DIR;
  b->metrics_interval_ns = 5 * NS_PER_SEC;
  if (!s)
    return;
  b->log_level = log_level_from_name(level_names[conf_enum(s, "log_level")]);
  b->status_socket = conf_str(s, "status_socket");
  b->status_group = conf_is_set(s, "status_group") ? conf_str(s, "status_group") : NULL;
  b->metrics_dir = conf_bool(s, "metrics") ? conf_str(s, "metrics_dir") : NULL;
  b->metrics_interval_ns = round_to_ns(conf_double(s, "metrics_interval"));
}
