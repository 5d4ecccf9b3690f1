/* report.h - helpers the renderers of src/output/ share (report.c): the
 * summary, the markdown, the JSON report and the contention analyses'
 * text (explain.c).  Internal to src/output/. */
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

/* Markdown: s as a code span of at most max characters (cut with an
 * ellipsis), control characters and invalid UTF-8 made visible; in_table
 * escapes '|' (GFM splits cells on it even inside code). */
void md_code(struct strbuf *sb, const char *s, size_t max, int in_table);
#define MD_LABEL_CHARS 140	/* of a `function (file:line)` label */

/* JSON: "gil", "utilisation_pct", "contention_pct", "mean_waiters", then
 * sep and "switches", "switches_per_s" (the report's summary and each
 * process of a -s recording write the same figures). */
void report_json_gil(struct strbuf *sb, const struct profile_stats *st,
		     const struct output_figures *fig, const char *sep);

#endif
