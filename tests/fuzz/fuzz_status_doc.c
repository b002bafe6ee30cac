/* libFuzzer target: what `refclock-bridge status` reads from the status socket, whoever owns
   it. Parsing, the table at several widths and the --json rendering must never crash or
   leak, whatever the bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/control/status_json.h"
#include "bridge/control/status_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const int widths[] = {0, 1, 80, 200};
  char err[256] = "";
  json_t *doc = status_doc_parse((const char *)data, size, err, sizeof(err));
  char *text;

  if (!doc) {
    if (!err[0])
      __builtin_trap();
    return 0;
  }
  if (!json_is_boolean(json_object_get(doc, "healthy")))
    __builtin_trap();
  for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++) {
    text = status_table(doc, widths[i]);
    if (!text || strncmp(text, "refclock-bridge ", 16) != 0)
      __builtin_trap();
    free(text);
  }
  text = json_dumps(doc, JSON_INDENT(2) | STATUS_JSON_REAL);
  free(text);
  json_decref(doc);
  return 0;
}
