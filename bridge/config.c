/* The daemon's configuration schema. */
#include <syslog.h>

#include "config.h"
#include "log.h"
#include "output.h"
#include "source.h"
#include "tracker.h"

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug", NULL};

static const struct conf_key bridge_keys[] = {
  {.name = "log_level", .type = CONF_ENUM, .def = "info", .choices = level_names},
  {0},
};

static const struct conf_kind kinds[] = {
  {.name = "bridge", .named = false, .keys = bridge_keys},
  {.name = "source", .named = true, .keys = source_common_keys, .drivers = source_conf_drivers},
  {.name = "output", .named = true, .drivers = output_conf_drivers},
  {.name = "tracker", .named = true, .keys = tracker_common_keys, .drivers = tracker_conf_drivers},
};

struct conf *config_load(const char *path, char *err, size_t err_len)
{
  return conf_load(path, kinds, sizeof(kinds) / sizeof(kinds[0]), err, err_len);
}

int config_log_level(const struct conf *c)
{
  const struct conf_section *b = conf_find(c, "bridge", "");
  return b ? log_level_from_name(level_names[conf_enum(b, "log_level")]) : LOG_INFO;
}
