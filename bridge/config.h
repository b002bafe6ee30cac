/* The daemon's configuration schema: the [bridge] section and the source, output and tracker
   kinds with their drivers. One table serves the daemon and its config fuzzer. */
#ifndef RB_CONFIG_H
#define RB_CONFIG_H

#include <stddef.h>

#include "conf.h"

/* conf_load() with the daemon's schema. */
struct conf *config_load(const char *path, char *err, size_t err_len);
/* The syslog level that [bridge] log_level asks for; LOG_INFO without a [bridge] section. */
int config_log_level(const struct conf *c);

#endif
