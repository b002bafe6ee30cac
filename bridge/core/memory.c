/* Allocators that abort on out-of-memory. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/core/memory.h"

static void __attribute__((noreturn)) out_of_memory(void)
{
  /* Logging may itself allocate; write directly. */
  static const char msg[] = "refclock-bridge: out of memory\n";
  fwrite(msg, 1, sizeof(msg) - 1, stderr);
  abort();
}

void *xmalloc(size_t size)
{
  void *p = malloc(size ? size : 1);
  if (!p)
    out_of_memory();
  return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
  void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
  if (!p)
    out_of_memory();
  return p;
}

void *xrealloc(void *ptr, size_t size)
{
  void *p = realloc(ptr, size ? size : 1);
  if (!p)
    out_of_memory();
  return p;
}

void *xreallocarray(void *ptr, size_t nmemb, size_t size)
{
  size_t total;
  if (__builtin_mul_overflow(nmemb, size, &total))
    out_of_memory();
  return xrealloc(ptr, total);
}

char *xstrdup(const char *s)
{
  char *p = strdup(s);
  if (!p)
    out_of_memory();
  return p;
}

char *xasprintf(const char *fmt, ...)
{
  va_list ap;
  char *p;
  int r;

  va_start(ap, fmt);
  r = vasprintf(&p, fmt, ap);
  va_end(ap);
  if (r < 0)
    out_of_memory();
  return p;
}
