/* libFuzzer target: the configuration loader with the real section and driver tables. Any
   input must give a valid configuration or one error message, never a crash or a leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "output.h"
#include "source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const levels[] = {"error", "warning", "notice", "info", "debug", NULL};
static const struct conf_key bridge_keys[] = {
  {.name = "log_level", .type = CONF_ENUM, .def = "info", .choices = levels},
  {0},
};
static const struct conf_kind kinds[] = {
  {.name = "bridge", .keys = bridge_keys},
  {.name = "source", .named = true, .keys = source_common_keys, .drivers = source_conf_drivers},
  {.name = "output", .named = true, .drivers = output_conf_drivers},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static char path[64];
  char err[1024];
  struct conf *c;
  FILE *f;

  if (!path[0])
    snprintf(path, sizeof(path), "/dev/shm/rb-fuzz-conf.%d", (int)getpid());
  f = fopen(path, "w");
  if (!f)
    return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  c = conf_load(path, kinds, 3, err, sizeof(err));
  if (c) {
    /* Walk every section's digest: touches every stored value. */
    for (size_t i = 0; i < conf_count(c); i++)
      if (strlen(conf_digest(conf_at(c, i))) == 0)
        abort();
    conf_free(c);
  } else if (!err[0]) {
    abort(); /* a rejection always carries a message */
  }
  unlink(path);
  return 0;
}
