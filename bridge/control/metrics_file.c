/* Placeholder until the metrics file lands. */
#include "bridge/control/metrics_file.h"

void metrics_file_apply(const char *dir, int64_t interval_ns)
{
  (void)dir;
  (void)interval_ns;
}

void metrics_file_fini(void)
{
}
