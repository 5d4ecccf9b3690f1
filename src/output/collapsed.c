/*
 * collapsed.c - folded stacks: `root;...;leaf count`, one line per distinct
 * text, sorted, counts summed when filters make two stacks print the same
 * (e.g. --nolineno).
 *
 * With o->blame the lines are blame stacks instead (analysis.h): only the
 * waiting samples, each stack extended above its `[waiting for GIL]` frame
 * by the thread that held the GIL at the same instant, `[held by NAME]`
 * (`[GIL in hand-off]` when none did), and that holder's function.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/analysis.h"
#include "gilspy/output.h"

struct line {
	size_t off;		/* into the text buffer */
	uint64_t count;
};

struct lines {
	struct strbuf text;	/* NUL-separated stack texts */
	struct line *v;
	size_t n, alloc;
	struct strbuf frame;	/* scratch */
	uint32_t *path;
	size_t apath;
};

static const char *text_base;

static int cmp_line(const void *a, const void *b)
{
	const struct line *x = a, *y = b;

	return strcmp(text_base + x->off, text_base + y->off);
}

/* A thread name made safe for a frame: no ';', no control characters. */
static void add_thread_name(struct strbuf *sb, const char *name)
{
	for (const char *s = name; *s; s++)
		sb_addc(sb, *s == ';' ? ':' : (unsigned char)*s < 0x20 ? ' ' : *s);
}

static void add_sep(struct strbuf *sb, int *first)
{
	if (!*first)
		sb_addc(sb, ';');
	*first = 0;
}

/* Append the roots (o->root, then the thread with o->threads) and the
 * frames of stack node, root first; *first says whether nothing was
 * written yet. */
static void add_stack(struct lines *L, const struct profile *p,
		      const struct output_options *o, uint32_t thread,
		      uint32_t node, int *first)
{
	const struct profile_thread *t = profile_thread(p, thread);
	uint32_t depth = node == PROFILE_NO_STACK ? 0 :
			 profile_stack_depth(p, node);
	size_t k;

	if (depth > L->apath) {
		L->apath = depth * 2;
		L->path = xrealloc(L->path, L->apath * sizeof(*L->path));
	}
	for (k = depth; k > 0; k--) {
		L->path[k - 1] = profile_stack_frame(p, node);
		node = profile_stack_parent(p, node);
	}
	if (o->root) {
		add_sep(&L->text, first);
		sb_adds(&L->text, o->root);
	}
	if (o->threads && t) {
		add_sep(&L->text, first);
		sb_adds(&L->text, "thread ");
		add_thread_name(&L->text, t->name);
		sb_addf(&L->text, " (%d)", (int)t->tid);
	}
	for (k = 0; k < depth; k++) {
		add_sep(&L->text, first);
		sb_reset(&L->frame);
		output_frame(&L->frame, profile_frame(p, L->path[k]), o);
		sb_add(&L->text, L->frame.buf, L->frame.len);
	}
}

/* End the line begun at text offset start. */
static void end_line(struct lines *L, size_t start, uint64_t count)
{
	sb_addc(&L->text, '\0');
	if (L->n == L->alloc) {
		L->alloc = L->alloc ? L->alloc * 2 : 256;
		L->v = xrealloc(L->v, L->alloc * sizeof(*L->v));
	}
	L->v[L->n].off = start;
	L->v[L->n].count = count;
	L->n++;
}

static void plain_lines(struct lines *L, const struct profile *p,
			const struct output_options *o)
{
	struct profile_count *c;
	size_t n, i;

	c = profile_counts(p, &n);
	for (i = 0; i < n; i++) {
		size_t start = L->text.len;
		int first = 1;

		if (!(o->states & (1u << c[i].state)))
			continue;
		add_stack(L, p, o, c[i].thread, c[i].stack, &first);
		if (o->state_frames) {
			add_sep(&L->text, &first);
			sb_adds(&L->text, output_state_frame(c[i].state));
		}
		if (first)	/* nothing to print for an empty stack */
			continue;
		end_line(L, start, c[i].count);
	}
	free(c);
}

static void blame_lines(struct lines *L, const struct profile *p,
			const struct output_options *o)
{
	struct blame_stack_row *r;
	size_t n, i;

	r = analysis_blame_stacks(profile_analysis(p), &n);
	for (i = 0; i < n; i++) {
		const struct profile_thread *h = NULL;
		size_t start = L->text.len;
		int first = 1;

		if (r[i].holder_thread < profile_nthreads(p))
			h = profile_thread(p, r[i].holder_thread);
		add_stack(L, p, o, r[i].waiter_thread, r[i].waiter_stack,
			  &first);
		/* The waiting frame is the anchor of the view: always there. */
		add_sep(&L->text, &first);
		sb_adds(&L->text, STATE_FRAME_WAITING ";");
		if (!h) {
			sb_adds(&L->text, OUTPUT_BLAME_HANDOFF);
		} else {
			sb_adds(&L->text, OUTPUT_BLAME_HELD_BY);
			add_thread_name(&L->text, h->name);
			if (o->threads)
				sb_addf(&L->text, " (%d)", (int)h->tid);
			sb_addc(&L->text, ']');
			const struct profile_func *f =
				r[i].holder_func == ANALYSIS_NONE ? NULL :
				profile_func(p, r[i].holder_func);

			if (f) {
				struct profile_frame pf = { 0 };

				pf.name = f->name;
				pf.file = f->file;
				pf.line = pf.firstlineno = f->firstlineno;
				pf.func = r[i].holder_func;
				sb_reset(&L->frame);
				output_frame(&L->frame, &pf, o);
				sb_addc(&L->text, ';');
				sb_add(&L->text, L->frame.buf, L->frame.len);
			}
		}
		end_line(L, start, r[i].samples);
	}
	free(r);
}

void output_collapsed(struct strbuf *sb, const struct profile *p,
		      const struct output_options *o)
{
	struct lines L = { .text = STRBUF_INIT, .frame = STRBUF_INIT };
	size_t i;

	sb_grow(&L.text, 1);
	if (o->blame)
		blame_lines(&L, p, o);
	else
		plain_lines(&L, p, o);
	text_base = L.text.buf;
	if (L.n)
		qsort(L.v, L.n, sizeof(*L.v), cmp_line);
	for (i = 0; i < L.n; i++) {
		uint64_t sum = L.v[i].count;

		while (i + 1 < L.n && !strcmp(L.text.buf + L.v[i].off,
					      L.text.buf + L.v[i + 1].off))
			sum += L.v[++i].count;
		sb_adds(sb, L.text.buf + L.v[i].off);
		sb_addf(sb, " %llu\n", (unsigned long long)sum);
	}
	text_base = NULL;
	free(L.path);
	free(L.v);
	sb_release(&L.text);
	sb_release(&L.frame);
}
