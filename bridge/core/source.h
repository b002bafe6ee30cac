/* Sources, as the daemon and consumers see them: the instances of the configuration, found by
   name, and their reports. Drivers include source_driver.h. */
#ifndef RB_SOURCE_H
#define RB_SOURCE_H

#include <stddef.h>

#include "bridge/core/conf.h"
#include "bridge/core/report.h"
#include "bridge/core/sample.h"

struct source;

/* Keys every [source NAME] has besides its driver's. */
extern const struct conf_key source_common_keys[];

/* Reconfiguration, in this order: source_drop_changed(c), output_reconfigure(c),
   source_add_new(c). Sources whose section and outputs are unchanged keep running. */
void source_drop_changed(const struct conf *c);
void source_add_new(const struct conf *c);
void source_fini(void);

struct source *source_find(const char *name);
const char *source_name(const struct source *src);
/* The latest sample the source published (valid or not), or NULL before the first. */
const struct rb_sample *source_last(const struct source *src);
enum source_state source_state(const struct source *src);

size_t source_count(void);
void source_report(size_t i, struct source_report *r);

#endif
