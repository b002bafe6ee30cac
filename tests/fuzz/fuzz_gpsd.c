/* libFuzzer target: lines from gpsd, through the check and rebuild (gpsd_report.c), libgps's
   parser and the gpsd source's message handling (classification, gating, sample checks). Must
   never crash or hang, whatever gpsd sends; the rebuilt line must keep the shape that
   gpsd_report.c's argument relies on. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define gpsd_source_ops fuzz_gpsd_source_ops
#include "bridge/sources/gpsd_source.c"
#undef gpsd_source_ops

#include "bridge/config.h"
#include "bridge/core/conf.h"
#include "bridge/core/output.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct gpsd_src *fuzz_source(void)
{
  static struct gpsd_src *g;
  static struct conf *c; /* kept for the whole run */
  static const struct conf_kind kinds[] = {
    {.name = "source", .named = true, .keys = source_common_keys, .drivers = source_drivers},
    {.name = "output", .named = true, .drivers = output_drivers},
  };
  char path[] = "/tmp/rb-fuzz-gpsd-XXXXXX", err[512];
  FILE *f;
  int fd;

  if (g)
    return g;
  log_init(true, LOG_ERR);
  sched_init();
  fd = mkstemp(path);
  f = fdopen(fd, "w");
  /* Nothing listens on port 1 and no socket exists: the source and output only retry. */
  fputs("[source nmea]\ntype = gpsd\nhost = 127.0.0.1\nport = 1\nmin_good_fixes = 1\n"
        "outputs = o\n[output o]\ntype = sock\npath = /nonexistent/rb-fuzz.sock\n", f);
  fclose(f);
  c = conf_load(path, kinds, 2, err, sizeof(err));
  unlink(path);
  if (!c)
    abort();
  output_reconfigure(c);
  source_add_new(c);
  g = gpsd_create(source_find("nmea"), conf_find(c, "source", "nmea"));
  g->api = gps_api_get(err, sizeof(err));
  if (!g->api)
    abort();
  return g;
}

/* What gpsd_report.c promises of a rebuilt line: one JSON object, "class": only at offset 1,
   no backslash, no real number. */
static bool has_real(json_t *v)
{
  const char *key;
  json_t *x;
  size_t i;

  if (json_is_real(v))
    return true;
  json_object_foreach(v, key, x) {
    if (has_real(x))
      return true;
  }
  json_array_foreach(v, i, x) {
    if (has_real(x))
      return true;
  }
  return false;
}

static void check_rebuilt(const struct gpsd_report *r)
{
  const char *l = r->line;
  json_t *obj;

  if (!l[0])
    return;
  obj = json_loads(l, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_object(obj) || strncmp(l, "{\"class\":\"", 10) != 0 ||
      strstr(l + 2, "\"class\":") || strchr(l, '\\') || has_real(obj) ||
      l[strlen(l) - 1] != '}')
    __builtin_trap();
  json_decref(obj);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct gpsd_src *g = fuzz_source();
  const uint8_t *start = data, *end = data + size, *nl;

  /* Lines exactly as on_readable splits them, through the same validation and libgps. */
  while (start < end) {
    nl = memchr(start, '\n', (size_t)(end - start));
    handle_line(g, (const char *)start, (size_t)((nl ? nl : end) - start));
    check_rebuilt(&g->report);
    start = nl ? nl + 1 : end;
  }
  return 0;
}
