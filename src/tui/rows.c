/*
 * rows.c - the rows of the threads and functions panes, from the window's
 * counts, the view state (thread filter, idle, lines, all threads) and the
 * sort column.
 */
#include <stdlib.h>
#include <string.h>

#include "tui_int.h"

void tui_rows_release(struct tui *u)
{
	free(u->trows);
	free(u->frows);
	free(u->brows);
	free(u->name_shared);
	u->trows = NULL;
	u->frows = NULL;
	u->brows = NULL;
	u->name_shared = NULL;
	u->nname_shared = 0;
	u->ntrows = u->nfrows = u->nbrows = u->nshown = 0;
}

const char *tui_thread_name(const struct tui *u, uint32_t thread)
{
	const struct profile_thread *t;

	if (thread == ANALYSIS_NONE || thread >= profile_nthreads(u->prof))
		return NULL;
	t = profile_thread(u->prof, thread);
	return t ? t->name : NULL;
}

int tui_thread_name_shared(const struct tui *u, uint32_t thread)
{
	return thread < u->nname_shared && u->name_shared[thread];
}

static int cmp_name(const void *a, const void *b, void *arg)
{
	const struct tui *u = arg;
	const char *x = tui_thread_name(u, *(const uint32_t *)a);
	const char *y = tui_thread_name(u, *(const uint32_t *)b);

	return strcmp(x ? x : "", y ? y : "");
}

/* Which names more than one thread has: sorted, equal neighbours. */
static void shared_names(struct tui *u)
{
	size_t i, n = profile_nthreads(u->prof);
	uint32_t *ids = xcalloc(n + 1, sizeof(*ids));

	u->name_shared = xcalloc(n + 1, 1);
	u->nname_shared = n;
	for (i = 0; i < n; i++)
		ids[i] = (uint32_t)i;
	qsort_r(ids, n, sizeof(*ids), cmp_name, u);
	for (i = 1; i < n; i++)
		if (!cmp_name(&ids[i - 1], &ids[i], u))
			u->name_shared[ids[i - 1]] = u->name_shared[ids[i]] = 1;
	free(ids);
}

/* --- threads ------------------------------------------------------------- */

/* Busy share in whole percent, rounded: threads that are about as busy
 * keep their order (by tid) from one refresh to the next instead of
 * swapping on every sample of difference (a spinner seen idle once in
 * 500 samples is still 100). */
static unsigned busy_pct(const struct tui_thread_row *r)
{
	return r->n ? (unsigned)((r->busy * 100 + r->n / 2) / r->n) : 0;
}

/* Shown rows first, the busiest first, then by thread id. */
static int cmp_thread(const void *a, const void *b)
{
	const struct tui_thread_row *x = a, *y = b;

	if (x->folded != y->folded)
		return x->folded < y->folded ? -1 : 1;
	if (busy_pct(x) != busy_pct(y))
		return busy_pct(x) > busy_pct(y) ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int cmp_last(const void *a, const void *b)
{
	const struct tui_last *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	if (x->thread_id != y->thread_id)
		return x->thread_id < y->thread_id ? -1 : 1;
	return 0;
}

static void thread_rows(struct tui *u)
{
	const struct tui_window *w = &u->win;
	size_t i, k, nidle = 0;
	/* the last sample's states, sorted to be looked up: a thread per
	 * row, hundreds of rows */
	struct tui_last *last = xcalloc((size_t)u->nlast + 1, sizeof(*last));

	memcpy(last, u->last, (size_t)u->nlast * sizeof(*last));
	qsort(last, (size_t)u->nlast, sizeof(*last), cmp_last);
	u->trows = xcalloc(w->nthreads + 1, sizeof(*u->trows));
	for (i = 0; i < w->nthreads; i++) {
		const struct profile_thread *t = profile_thread(u->prof, i);
		struct tui_thread_row *r = &u->trows[u->ntrows];

		if (!t)
			break;
		memset(r, 0, sizeof(*r));
		for (k = 0; k < GIL_NSTATES; k++) {
			r->state[k] = w->tstate[i * GIL_NSTATES + k];
			r->n += r->state[k];
		}
		if (!r->n)	/* not seen in this window: gone */
			continue;
		r->busy = r->n - r->state[GIL_IDLE];
		r->src = u;
		r->index = (uint32_t)i;
		r->tid = t->tid;
		r->name = t->name;
		r->now = -1;
		r->blocker = ANALYSIS_NONE;
		r->folded = !u->o.all_threads && !r->busy &&
			    t->tid != u->filter_tid;
		nidle += r->folded;
		{
			struct tui_last key = { t->tid, t->thread_id, GIL_IDLE };
			const struct tui_last *l = bsearch(&key, last,
				(size_t)u->nlast, sizeof(*last), cmp_last);

			if (l)
				r->now = (int)l->state;
		}
		u->ntrows++;
	}
	/* one idle thread takes a row either way: no summary for it */
	if (nidle < 2)
		for (i = 0; i < u->ntrows; i++)
			u->trows[i].folded = 0;
	free(last);
	qsort(u->trows, u->ntrows, sizeof(*u->trows), cmp_thread);
	for (u->nshown = 0; u->nshown < u->ntrows &&
	     !u->trows[u->nshown].folded; u->nshown++)
		;
}

void tui_cycle_thread(struct tui *u, int dir)
{
	size_t i;
	long at = -1, n;

	tui_rows(u);
	n = (long)u->nshown;
	if (!n) {
		u->filter_tid = 0;
		return;
	}
	for (i = 0; i < u->nshown; i++)
		if (u->trows[i].tid == u->filter_tid)
			at = (long)i;
	/* positions: -1 is "all threads", 0..n-1 the rows */
	at += dir;
	if (at >= n)
		at = -1;
	else if (at < -1)
		at = n - 1;
	u->filter_tid = at < 0 ? 0 : u->trows[at].tid;
	u->scroll = 0;
	u->dirty = 1;
}

/* --- functions ----------------------------------------------------------- */

struct acc {
	uint64_t own, total, held, waiting;
	uint64_t stamp;
};

static uint32_t row_key(const struct tui *u, uint32_t frame)
{
	const struct profile_frame *f;

	if (u->o.lines)
		return frame;
	f = profile_frame(u->prof, frame);
	return f ? f->func : 0;
}

static const char *key_name(const struct tui *u, uint32_t key)
{
	if (u->o.lines) {
		const struct profile_frame *f = profile_frame(u->prof, key);

		return f ? f->name : "???";
	} else {
		const struct profile_func *f = profile_func(u->prof, key);

		return f ? f->name : "???";
	}
}

const char *tui_row_name(const struct tui_func_row *r)
{
	return r->root ? "" : key_name(r->src, r->key);
}

uint64_t tui_sort_value(const struct tui_func_row *r, enum tui_sort s)
{
	switch (s) {
	case TUI_SORT_OWN: return r->own;
	case TUI_SORT_TOTAL: return r->total;
	case TUI_SORT_HELD: return r->held;
	case TUI_SORT_WAITING: return r->waiting;
	default: return 0;
	}
}

static int cmp_func(const void *a, const void *b, void *arg)
{
	const struct tui *u = arg;
	const struct tui_func_row *x = a, *y = b;
	uint64_t vx, vy;
	int c;

	if (u->o.sort != TUI_SORT_NAME) {
		vx = tui_sort_value(x, u->o.sort);
		vy = tui_sort_value(y, u->o.sort);
		if (vx != vy)
			return vx > vy ? -1 : 1;
		/* ties: the bigger total first, then by name */
		if (x->total != y->total)
			return x->total > y->total ? -1 : 1;
	}
	c = strcmp(key_name(u, x->key), key_name(u, y->key));
	if (c)
		return c;
	return x->key < y->key ? -1 : x->key > y->key;
}

static void func_rows(struct tui *u)
{
	const struct tui_window *w = &u->win;
	struct acc *acc = NULL;
	unsigned char *keep;
	size_t nacc = 0, i, k;
	uint64_t mark = 0;

	u->fsamples = 0;
	memset(u->fstates, 0, sizeof(u->fstates));
	/* which threads the pane counts */
	keep = xcalloc(w->nthreads + 1, 1);
	for (i = 0; i < w->nthreads; i++) {
		const struct profile_thread *t = profile_thread(u->prof, i);

		keep[i] = t && (!u->filter_tid || t->tid == u->filter_tid);
	}
	for (i = 0; i < w->ncounts; i++) {
		const struct profile_count *c = &w->counts[i];
		uint32_t node = c->stack;
		int leaf = 1;

		if (c->thread >= w->nthreads || !keep[c->thread])
			continue;
		if (c->state == GIL_IDLE && !u->o.idle)
			continue;
		u->fsamples += c->count;
		u->fstates[c->state] += c->count;
		mark++;
		for (; node; node = profile_stack_parent(u->prof, node)) {
			uint32_t key = row_key(u, profile_stack_frame(u->prof,
								      node));
			struct acc *a;

			if (key >= nacc) {
				size_t m = nacc ? nacc : 64;

				while (m <= key)
					m *= 2;
				acc = xrealloc(acc, m * sizeof(*acc));
				memset(acc + nacc, 0, (m - nacc) * sizeof(*acc));
				nacc = m;
			}
			a = &acc[key];
			if (leaf)
				a->own += c->count;
			leaf = 0;
			if (a->stamp == mark)
				continue;	/* recursion: once per stack */
			a->stamp = mark;
			a->total += c->count;
			if (c->state == GIL_HELD)
				a->held += c->count;
			else if (c->state == GIL_WAITING)
				a->waiting += c->count;
		}
	}
	free(keep);
	for (k = 0, i = 0; i < nacc; i++)
		k += acc[i].total > 0;
	u->frows = xcalloc(k + 1, sizeof(*u->frows));
	for (i = 0; i < nacc; i++) {
		struct tui_func_row *r;

		if (!acc[i].total)
			continue;
		r = &u->frows[u->nfrows++];
		r->src = u;
		r->key = (uint32_t)i;
		r->own = acc[i].own;
		r->total = acc[i].total;
		r->held = acc[i].held;
		r->waiting = acc[i].waiting;
	}
	free(acc);
	qsort_r(u->frows, u->nfrows, sizeof(*u->frows), cmp_func, u);
}

void tui_rows(struct tui *u)
{
	if (u->tree) {
		tui_tree_rows(u);
		return;
	}
	if (!u->dirty)
		return;
	tui_rows_release(u);
	thread_rows(u);
	shared_names(u);
	func_rows(u);
	tui_blame_rows(u);
	u->dirty = 0;
}

void tui_func_label(struct strbuf *sb, const struct tui *u, uint32_t func)
{
	const struct profile_func *f = func == ANALYSIS_NONE ? NULL :
		profile_func(u->prof, func);
	struct profile_frame fr;

	if (!f) {
		sb_adds(sb, "?");
		return;
	}
	fr.name = f->name;
	fr.file = f->file;
	fr.line = fr.firstlineno = f->firstlineno;
	fr.func = func;
	profile_frame_text(sb, &fr, u->o.lineno, 1);
}

void tui_row_label(struct strbuf *sb, const struct tui *u,
		   const struct tui_func_row *r)
{
	if (r->root) {
		tui_proc_label(sb, r->src);
		return;
	}
	u = r->src;
	if (u->o.lines) {
		profile_frame_text(sb, profile_frame(u->prof, r->key),
				   u->o.lineno, 0);
	} else if (!profile_func(u->prof, r->key)) {
		sb_adds(sb, "???");
	} else {
		tui_func_label(sb, u, r->key);
	}
}
