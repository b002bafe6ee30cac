/* Strict, table-driven INI configuration (iniparser underneath). */
#ifndef RB_CONF_H
#define RB_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit code for configuration errors (sysexits EX_CONFIG). */
#define EXIT_CONFIG 78

/* Section names: short enough for log lines, and for the default ptp4l client address. */
#define CONF_NAME_MAX 32

/* The longest path a Unix socket address holds (sizeof sun_path - 1). */
#define CONF_SOCKET_PATH_MAX 107

enum conf_type {
  CONF_STRING,
  CONF_PATH,   /* absolute path */
  CONF_INT,    /* 64-bit integer within [min, max] */
  CONF_DOUBLE, /* finite number within [min, max] */
  CONF_BOOL,   /* yes/no, true/false, on/off, 1/0 */
  CONF_ENUM,   /* one of choices */
  CONF_MODE,   /* octal file mode within [min, max] */
  CONF_REFS,   /* comma-separated names of sections of kind ref_kind */
};

struct conf_key {
  const char *name;
  enum conf_type type;
  const char *def; /* default as text; NULL means unset unless required */
  bool required;
  double min, max; /* numbers: the range; CONF_STRING/CONF_PATH: max > 0 is a length limit */
  const char *const *choices; /* CONF_ENUM, NULL-terminated */
  const char *ref_kind;       /* CONF_REFS */
  bool exclusive;             /* CONF_REFS: a section may be named by one such key only */
  bool unique;                /* no two sections of the same driver may share the value */
};

struct conf_section;
struct conf;

/* A driver of a typed section kind: its extra keys and its cross-key checks. */
struct conf_driver {
  const char *type;
  const struct conf_key *keys; /* terminated by a row with name NULL */
  /* Returns false after conf_fail() when a combination of keys is invalid. */
  bool (*check)(const struct conf_section *s);
};

/* "bridge" (one unnamed section), "source"/"output"/"tracker" ("[source NAME]", typed by a
   driver) or "fallback" (named, untyped). */
struct conf_kind {
  const char *name;
  bool named;
  const struct conf_key *keys;
  const struct conf_driver *const *drivers; /* NULL-terminated; NULL if untyped */
  /* NULL, or cross-key checks of an untyped kind, like a driver's. */
  bool (*check)(const struct conf_section *s);
};

/* Loads and validates the whole file; on error prints nothing, fills err and returns NULL. */
struct conf *conf_load(const char *path, const struct conf_kind *kinds, size_t n_kinds, char *err,
                       size_t err_len);
void conf_free(struct conf *c);

const char *conf_path(const struct conf *c);
size_t conf_count(const struct conf *c);
const struct conf_section *conf_at(const struct conf *c, size_t i);
const struct conf_section *conf_find(const struct conf *c, const char *kind, const char *name);

const char *conf_kind_name(const struct conf_section *s);
const char *conf_name(const struct conf_section *s); /* "" for unnamed sections */
const char *conf_type(const struct conf_section *s); /* driver type or NULL */
/* The driver the section names (NULL if untyped): the kind's one driver table holds it. */
const struct conf_driver *conf_driver_of(const struct conf_section *s);
/* Canonical text of the section's effective values, for comparing across reloads. */
const char *conf_digest(const struct conf_section *s);

bool conf_is_set(const struct conf_section *s, const char *key);
const char *conf_str(const struct conf_section *s, const char *key);
int64_t conf_int(const struct conf_section *s, const char *key);
double conf_double(const struct conf_section *s, const char *key);
bool conf_bool(const struct conf_section *s, const char *key);
/* Index into the key's choices. */
int conf_enum(const struct conf_section *s, const char *key);
size_t conf_refs(const struct conf_section *s, const char *key, const char *const **names);

/* Records a validation error for a driver check: "FILE: [SECTION] KEY: message". */
void conf_fail(const struct conf_section *s, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
