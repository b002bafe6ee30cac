/* libFuzzer target: the configuration loader with the daemon's own schema (config.c). Any
   input must give a valid configuration or one error message, never a crash or a leak. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bridge/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
  c = config_load(path, err, sizeof(err));
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
