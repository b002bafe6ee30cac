/* libFuzzer target: statime observation documents, as read to EOF from the socket. Must
   never crash or leak, whatever statime (or whoever owns the socket path) sends. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ptpstate/statime_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct statime_obs o;
  const char *detail;
  enum statime_error r = statime_parse((const char *)data, size, &o, &detail);

  /* Touch what a caller would: the detail string, and the ports actually filled. */
  if (r != STATIME_OK && strlen(detail) == 0)
    __builtin_trap();
  if (r == STATIME_OK && (o.n_ports < 0 || (o.schema != 3 && o.schema != 4)))
    __builtin_trap();
  /* No estimate is only ever an offset of exactly 0. */
  if (r == STATIME_OK && !o.have_offset && o.offset_ns != 0)
    __builtin_trap();
  for (int i = 0; r == STATIME_OK && i < o.n_ports && i < STATIME_MAX_PORTS; i++)
    if (!statime_port_state_name(o.port_state[i]))
      __builtin_trap();
  return 0;
}
