/* libgps, loaded on first use by soname, with every symbol checked. */
#include <dlfcn.h>
#include <stdio.h>

#include "bridge/sources/gps_dl.h"

#ifndef LIBGPS_SONAME
#define LIBGPS_SONAME "libgps.so.28"
#endif

const struct gps_api *gps_api_get(char *err, size_t err_len)
{
  static struct gps_api api;
  static void *lib;
  const char *missing = NULL;

  if (lib)
    return &api;
  lib = dlopen(LIBGPS_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    snprintf(err, err_len, "cannot load %s: %s", LIBGPS_SONAME, dlerror());
    return NULL;
  }
  /* Assigning through void * keeps the prototypes above as the single source of types. */
#define LOAD(field, name)                                                                          \
  do {                                                                                             \
    *(void **)&api.field = dlsym(lib, name);                                                       \
    if (!api.field && !missing)                                                                    \
      missing = name;                                                                              \
  } while (0)
  LOAD(unpack, "gps_unpack");
#undef LOAD
  if (missing) {
    snprintf(err, err_len, "%s lacks %s", LIBGPS_SONAME, missing);
    dlclose(lib);
    lib = NULL;
    return NULL;
  }
  return &api;
}
