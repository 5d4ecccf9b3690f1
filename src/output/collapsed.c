/*
 * collapsed.c - folded stacks: `root;...;leaf count`, one line per distinct
 * text, sorted, counts summed when filters make two stacks print the same
 * (e.g. --nolineno).
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/output.h"

struct line {
	size_t off;		/* into the text buffer */
	uint64_t count;
};

static const char *text_base;

static int cmp_line(const void *a, const void *b)
{
	const struct line *x = a, *y = b;

	return strcmp(text_base + x->off, text_base + y->off);
}

void output_collapsed(struct strbuf *sb, const struct profile *p,
		      const struct output_options *o)
{
	struct strbuf text = STRBUF_INIT, frame = STRBUF_INIT;
	struct profile_count *c;
	struct line *lines;
	uint32_t *path = NULL;
	size_t n, i, nlines = 0, apath = 0;

	c = profile_counts(p, &n);
	lines = xcalloc(n + 1, sizeof(*lines));
	sb_grow(&text, 1);
	for (i = 0; i < n; i++) {
		uint32_t node = c[i].stack, depth = profile_stack_depth(p, node);
		const struct profile_thread *t = profile_thread(p, c[i].thread);
		size_t start = text.len, k;
		int first = 1;

		if (!(o->states & (1u << c[i].state)))
			continue;
		if (depth > apath) {
			apath = depth * 2;
			path = xrealloc(path, apath * sizeof(*path));
		}
		for (k = depth; k > 0; k--) {
			path[k - 1] = profile_stack_frame(p, node);
			node = profile_stack_parent(p, node);
		}
		if (o->threads && t) {
			sb_adds(&text, "thread ");
			for (const char *s = t->name; *s; s++)
				sb_addc(&text, *s == ';' ? ':' :
					(unsigned char)*s < 0x20 ? ' ' : *s);
			sb_addf(&text, " (%d)", (int)t->tid);
			first = 0;
		}
		for (k = 0; k < depth; k++) {
			if (!first)
				sb_addc(&text, ';');
			first = 0;
			sb_reset(&frame);
			output_frame(&frame, profile_frame(p, path[k]), o);
			sb_add(&text, frame.buf, frame.len);
		}
		if (o->state_frames) {
			if (!first)
				sb_addc(&text, ';');
			first = 0;
			sb_adds(&text, output_state_frame(c[i].state));
		}
		if (first)	/* nothing to print for an empty stack */
			continue;
		sb_addc(&text, '\0');
		lines[nlines].off = start;
		lines[nlines].count = c[i].count;
		nlines++;
	}
	text_base = text.buf;
	qsort(lines, nlines, sizeof(*lines), cmp_line);
	for (i = 0; i < nlines; i++) {
		uint64_t sum = lines[i].count;

		while (i + 1 < nlines && !strcmp(text.buf + lines[i].off,
						 text.buf + lines[i + 1].off))
			sum += lines[++i].count;
		sb_adds(sb, text.buf + lines[i].off);
		sb_addf(sb, " %llu\n", (unsigned long long)sum);
	}
	text_base = NULL;
	free(path);
	free(lines);
	free(c);
	sb_release(&text);
	sb_release(&frame);
}
