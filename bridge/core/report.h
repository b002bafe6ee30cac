/* The status model: what every source, output and tracker reports, and the daemon itself. One
   consumer per rendering reads it (the status socket's JSON, the metrics file, systemd's
   STATUS= line); drivers add their own fields through their report operation. */
#ifndef RB_REPORT_H
#define RB_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped when a field changes meaning or goes away; new fields do not bump it. */
#define REPORT_SCHEMA_VERSION 1
#define REPORT_TEXT_MAX 256
#define REPORT_EXTRAS_MAX 12

/* A driver's own field. Keys are snake_case literals, fixed per driver. */
enum report_type {
  REPORT_INT,    /* a gauge that is an integer */
  REPORT_COUNT,  /* a counter that only grows while the instance lives */
  REPORT_DOUBLE, /* a gauge */
  REPORT_BOOL,
  REPORT_STRING,
};

struct report_extra {
  const char *key;
  enum report_type type;
  union {
    int64_t i;
    uint64_t count;
    double d;
    bool b;
  } v;
  char s[64];
};

struct report_extras {
  size_t n;
  struct report_extra e[REPORT_EXTRAS_MAX];
};

/* Copies src (NULL as "") into dst of len bytes, cut to fit: the cheap strlcpy for reports,
   which are taken every few seconds for every instance. Returns the length copied. */
size_t report_copy(char *dst, size_t len, const char *src);

void report_int(struct report_extras *x, const char *key, int64_t v);
void report_count(struct report_extras *x, const char *key, uint64_t v);
void report_double(struct report_extras *x, const char *key, double v);
void report_bool(struct report_extras *x, const char *key, bool v);
void report_string(struct report_extras *x, const char *key, const char *v);

/* Outages of an instance (health.h keeps them). Times are CLOCK_REALTIME ns, 0 for never. */
struct health_report {
  bool down;             /* in an outage now */
  int64_t since_ns;      /* when the current outage began, or when the last one ended */
  uint64_t outages;
  int64_t outage_ns;     /* time spent in outages, the current one included */
  char last_error[REPORT_TEXT_MAX]; /* "" if none yet */
  int64_t last_error_ns;
};

enum source_state { SOURCE_NO_DATA, SOURCE_OK, SOURCE_GATED, SOURCE_LOST };
/* "no_data", "ok", "gated", "lost" */
const char *source_state_name(enum source_state s);

struct source_report {
  const char *name, *kind;
  char endpoint[REPORT_TEXT_MAX]; /* device path or host:port */
  char outputs[REPORT_TEXT_MAX];  /* names, comma-separated */
  enum source_state state;
  int64_t state_since_ns;
  uint64_t published, invalid, lost; /* valid samples sent, measured but not valid, losses */
  bool have_sample;
  int64_t last_offset_ns; /* reference - system time of the latest sample, valid or not */
  int64_t last_sample_ns; /* system time the latest sample was taken */
  int last_precision;
  struct health_report health;
  struct report_extras extras;
};

struct output_report {
  const char *name, *kind;
  char target[REPORT_TEXT_MAX]; /* socket path or SHM key */
  bool connected;               /* connected or attached */
  uint64_t sent, dropped, invalidated;
  struct health_report health;
  struct report_extras extras;
};

struct daemon_report {
  const char *version;
  const char *config_path;
  char config_digest[17]; /* 64-bit FNV-1a of the effective configuration, hex */
  int64_t start_ns;
  uint64_t reloads, reloads_rejected;
  uint64_t log_suppressed; /* lines dropped by rate limits */
};

/* A count of changes to what the health verdict and summaries depend on (a source's state, an
   output's connection, an outage, a tracker's state): readers that only need those skip their
   work while it stays the same. */
void report_changed(void);
uint64_t report_generation(void);

/* The daemon's part, kept by main.c through these. */
void report_daemon_started(const char *version, const char *config_path, const char *digest);
void report_daemon_reloaded(bool applied, const char *digest);
void report_daemon(struct daemon_report *r);

#endif
