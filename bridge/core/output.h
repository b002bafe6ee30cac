/* Outputs, as the daemon, the pipeline and consumers see them. Drivers include
   output_driver.h. */
#ifndef RB_OUTPUT_H
#define RB_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "bridge/core/conf.h"
#include "bridge/core/report.h"
#include "bridge/core/sample.h"

struct output;

/* Brings the outputs in line with a configuration: closes those whose section is gone or
   changed, keeps the unchanged ones running, creates and starts the new ones. Call after
   source_drop_changed() and before source_add_new(). */
void output_reconfigure(const struct conf *c);
/* True if output NAME exists and its section in c is unchanged, so it will be kept. */
bool output_unchanged(const struct conf *c, const char *name);
void output_fini(void);

struct output *output_find(const char *name);
const char *output_name(const struct output *out);

/* For the pipeline (source.c): a valid sample, or the end of validity. */
void output_send(struct output *out, const struct rb_sample *sample);
void output_invalidate(struct output *out, const struct rb_sample *last);

size_t output_count(void);
void output_report(size_t i, struct output_report *r);

#endif
