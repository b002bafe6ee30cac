/* Placeholder until the status socket lands. */
#include "bridge/control/status_server.h"

void status_server_apply(const char *path, const char *group)
{
  (void)path;
  (void)group;
}

void status_server_fini(void)
{
}
