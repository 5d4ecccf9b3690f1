/*
 * blame.c - who kept whom waiting, over the window: the rows of the blame
 * view (waiting thread: function <- holding thread: function) and each
 * thread row's "blocked by".
 *
 * Both come from the window's blame deltas (model.c), which are by the
 * waiter's whole stack; the view keys them by the stack's innermost
 * function, as the summary's "waiting caused by" does.
 */
#include <stdlib.h>
#include <string.h>

#include "tui_int.h"

/* The innermost function of a stack, ANALYSIS_NONE for a torn or empty
 * one. */
static uint32_t leaf_func(const struct tui *u, uint32_t stack)
{
	const struct profile_frame *f;

	if (stack == PROFILE_NO_STACK || !stack)
		return ANALYSIS_NONE;
	f = profile_frame(u->prof, profile_stack_frame(u->prof, stack));
	return f ? f->func : ANALYSIS_NONE;
}

static int cmp_ids(const struct tui_blame_row *a,
		   const struct tui_blame_row *b)
{
	if (a->waiter_thread != b->waiter_thread)
		return a->waiter_thread < b->waiter_thread ? -1 : 1;
	if (a->waiter_func != b->waiter_func)
		return a->waiter_func < b->waiter_func ? -1 : 1;
	if (a->holder_thread != b->holder_thread)
		return a->holder_thread < b->holder_thread ? -1 : 1;
	if (a->holder_func != b->holder_func)
		return a->holder_func < b->holder_func ? -1 : 1;
	return 0;
}

static int cmp_by_ids(const void *a, const void *b)
{
	return cmp_ids(a, b);
}

/* Most samples first; ties in id order, so frames are deterministic. */
static int cmp_by_samples(const void *a, const void *b)
{
	const struct tui_blame_row *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	return cmp_ids(x, y);
}

/* Waiter and holder threads only: the blocked-by pairs. */
static int cmp_threads(const void *a, const void *b)
{
	const struct tui_blame_row *x = a, *y = b;

	if (x->waiter_thread != y->waiter_thread)
		return x->waiter_thread < y->waiter_thread ? -1 : 1;
	if (x->holder_thread != y->holder_thread)
		return x->holder_thread < y->holder_thread ? -1 : 1;
	return 0;
}

/* For every thread row: the holder thread charged with most of its
 * waiting (real threads only: a hand-off blocks nobody in particular). */
static void blocked_by(struct tui *u, struct tui_blame_row *pairs, size_t n)
{
	size_t i, j, nt = u->win.nthreads;
	/* thread index -> its row */
	struct tui_thread_row **row = xcalloc(nt + 1, sizeof(*row));

	for (i = 0; i < u->ntrows; i++)
		if (u->trows[i].index < nt)
			row[u->trows[i].index] = &u->trows[i];
	qsort(pairs, n, sizeof(*pairs), cmp_threads);
	for (i = 0; i < n; i = j) {
		struct tui_thread_row *r = pairs[i].waiter_thread < nt ?
			row[pairs[i].waiter_thread] : NULL;
		uint64_t all = 0, best = 0;
		uint32_t who = ANALYSIS_NONE;

		for (j = i; j < n &&
		     pairs[j].waiter_thread == pairs[i].waiter_thread;) {
			uint32_t h = pairs[j].holder_thread;
			uint64_t sum = 0;

			for (; j < n && pairs[j].waiter_thread ==
			     pairs[i].waiter_thread &&
			     pairs[j].holder_thread == h; j++)
				sum += pairs[j].samples;
			all += sum;
			if (h != ANALYSIS_NONE && sum > best) {
				best = sum;
				who = h;
			}
		}
		if (!r)
			continue;
		r->blocker = who;
		r->blocker_n = best;
		r->blamed = all;
	}
	free(row);
}

static int wanted(const struct tui *u, const struct tui_blame_row *r)
{
	const struct profile_thread *w, *h;

	if (!u->filter_tid)
		return 1;
	w = profile_thread(u->prof, r->waiter_thread);
	h = r->holder_thread == ANALYSIS_NONE ? NULL :
		profile_thread(u->prof, r->holder_thread);
	return (w && w->tid == u->filter_tid) || (h && h->tid == u->filter_tid);
}

void tui_blame_rows(struct tui *u)
{
	const struct tui_window *w = &u->win;
	struct tui_blame_row *rows;
	size_t i, k = 0, n = 0;

	u->bsamples = 0;
	rows = xcalloc(w->nblame + 1, sizeof(*rows));
	for (i = 0; i < w->nblame; i++) {
		const struct blame_stack_row *b = &w->blame[i];

		rows[i].src = u;
		rows[i].waiter_thread = b->waiter_thread;
		rows[i].waiter_func = leaf_func(u, b->waiter_stack);
		rows[i].holder_thread = b->holder_thread;
		rows[i].holder_func = b->holder_func;
		rows[i].samples = b->samples;
		u->bsamples += b->samples;
	}
	/* stacks with the same innermost function are one row */
	qsort(rows, w->nblame, sizeof(*rows), cmp_by_ids);
	for (i = 0; i < w->nblame; i++) {
		if (k && !cmp_ids(&rows[k - 1], &rows[i]))
			rows[k - 1].samples += rows[i].samples;
		else
			rows[k++] = rows[i];
	}
	/* the view: the rows about the filtered thread, most first */
	u->brows = xcalloc(k + 1, sizeof(*u->brows));
	for (i = 0; i < k; i++)
		if (wanted(u, &rows[i]))
			u->brows[n++] = rows[i];
	u->nbrows = n;
	qsort(u->brows, n, sizeof(*u->brows), cmp_by_samples);
	blocked_by(u, rows, k);
	free(rows);
}
