/* Placeholder until the status command lands. */
#include <stdio.h>

#include "bridge/control/status_command.h"

int status_command(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fprintf(stderr, "refclock-bridge status: not available yet\n");
  return 2;
}
