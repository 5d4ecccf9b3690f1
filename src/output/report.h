/* report.h - helpers shared by the summary and JSON renderers (internal to
 * src/output/). */
#ifndef GILSPY_OUTPUT_REPORT_H
#define GILSPY_OUTPUT_REPORT_H

#include "gilspy/output.h"

/* Thread indices sorted by tid; caller frees. */
size_t *report_thread_order(const struct profile *p);
/* Sort fs by self[state] (descending, ties by name) and return how many of
 * the first max have a non-zero count. */
size_t report_top(const struct profile *p, struct profile_func_stats *fs,
		  size_t n, enum gil_state state, size_t max);
/* `name (file:firstlineno)` of a function. */
void report_func_label(struct strbuf *sb, const struct profile *p,
		       uint32_t func);

#endif
