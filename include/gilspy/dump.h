/*
 * dump.h - render one snapshot of a live process (`gilspy dump`): every
 * thread's id, name, GIL state and Python stack, as text for people or as
 * one JSON document (its schema is in gilspy-dump(1)).
 *
 * Like the other renderers (output.h) these append to a strbuf and never
 * print or exit.  Names and frames are looked up in the target the sample
 * was taken from, which must still be attached.
 */
#ifndef GILSPY_DUMP_H
#define GILSPY_DUMP_H

#include "gilspy/python.h"
#include "gilspy/util.h"

/* Put the sample's threads in a stable order (by tid, then thread id), so
 * two dumps of the same process list them alike. */
void dump_sort_threads(struct py_sample *s);

/* Text: a header (process, Python, GIL) and one block per thread with its
 * frames innermost first, as "function (file:line)". */
void dump_render_text(struct strbuf *sb, struct py_target *t,
		      const struct py_sample *s);
/* One JSON document and a newline. */
void dump_render_json(struct strbuf *sb, struct py_target *t,
		      const struct py_sample *s);

#endif
