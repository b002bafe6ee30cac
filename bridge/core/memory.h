/* Allocators that abort on out-of-memory, so callers never check for NULL. */
#ifndef RB_MEMORY_H
#define RB_MEMORY_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* realloc to nmemb * size, aborting on multiplication overflow */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define xnew(type) ((type *)xcalloc(1, sizeof(type)))
#define xnew_array(type, n) ((type *)xcalloc((n), sizeof(type)))

#endif
