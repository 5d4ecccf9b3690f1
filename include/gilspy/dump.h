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

/* dump -s: every process of a tree, in the order given.  t NULL: the
 * process was not sampled, and why says why (not Python, exited, no
 * permission); the strings are the caller's.  ppid 0: the root. */
struct dump_process {
	int pid, ppid;
	const char *cmdline;
	struct py_target *t;		/* NULL: not sampled */
	const struct py_sample *s;	/* with t */
	const char *why;		/* without t */
};

/* Text: each sampled process as dump_render_text() writes it ("Process
 * PID (child of PPID): ..." but for the root), a blank line between them,
 * then "Not sampled (N):" and one line per process not sampled. */
void dump_render_tree_text(struct strbuf *sb, const struct dump_process *p,
			   int n);
/* One JSON document: {"version":1,"processes":[one object per sampled
 * process, as dump_render_json() writes it, with "ppid"],
 * "processes_skipped":[{"pid","ppid","command","why"}]}. */
void dump_render_tree_json(struct strbuf *sb, const struct dump_process *p,
			   int n);

#endif
