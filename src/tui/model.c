/*
 * model.c - the tui's profile, its ring of snapshots, and the window shown
 * (differences between snapshots; see tui.h for why this is exact).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_int.h"

static const char *const sort_names[TUI_NSORTS] = {
	[TUI_SORT_OWN] = "own",
	[TUI_SORT_TOTAL] = "total",
	[TUI_SORT_HELD] = "held",
	[TUI_SORT_WAITING] = "waiting",
	[TUI_SORT_NAME] = "name",
};

const char *tui_sort_name(enum tui_sort s)
{
	return (unsigned)s < TUI_NSORTS ? sort_names[s] : "?";
}

int tui_sort_parse(const char *name, enum tui_sort *s)
{
	int i;

	for (i = 0; i < TUI_NSORTS; i++)
		if (!strcmp(name, sort_names[i])) {
			*s = (enum tui_sort)i;
			return 0;
		}
	if (!strcmp(name, "wait")) {
		*s = TUI_SORT_WAITING;
		return 0;
	}
	return -1;
}

void tui_options_init(struct tui_options *o)
{
	memset(o, 0, sizeof(*o));
	o->window_s = 5;
	o->lineno = 1;
	o->sort = TUI_SORT_OWN;
}

/* --- snapshots ----------------------------------------------------------- */

static void snap_release(struct tui_snap *s)
{
	free(s->tstate);
	free(s->counts);
	free(s->blame);
	memset(s, 0, sizeof(*s));
}

static struct tui_snap *snap_at(struct tui *u, size_t i)
{
	return &u->ring[(u->head + i) % TUI_HISTORY];
}

const struct tui_snap *tui_newest(const struct tui *u)
{
	return u->nsnaps ? &u->ring[(u->head + u->nsnaps - 1) % TUI_HISTORY] :
			   NULL;
}

static void snap_take(struct tui *u, uint64_t now_ns)
{
	struct tui_snap *s;
	size_t i, k;

	if (u->nsnaps == TUI_HISTORY) {
		snap_release(snap_at(u, 0));
		u->head = (u->head + 1) % TUI_HISTORY;
		u->nsnaps--;
	}
	s = snap_at(u, u->nsnaps++);
	s->time_ns = now_ns;
	s->st = *profile_stats(u->prof);
	s->nthreads = profile_nthreads(u->prof);
	s->tstate = xcalloc(s->nthreads * GIL_NSTATES + 1, sizeof(*s->tstate));
	for (i = 0; i < s->nthreads; i++) {
		const struct profile_thread *t = profile_thread(u->prof, i);

		for (k = 0; k < GIL_NSTATES; k++)
			s->tstate[i * GIL_NSTATES + k] = t->state[k];
	}
	s->counts = profile_counts(u->prof, &s->ncounts);
	s->blame = analysis_blame_stacks(profile_analysis(u->prof), &s->nblame);
}

/* The snapshot a sliding window ending at the newest one starts from: the
 * newest at least window_s older (half an interval of slack, refreshes are
 * not exactly periodic), else the oldest kept. */
static size_t sliding_base(const struct tui *u)
{
	const struct tui_snap *cur = tui_newest(u);
	uint64_t w = (uint64_t)(u->o.window_s * 1e9);
	size_t i, base = 0;

	for (i = 0; i + 1 < u->nsnaps; i++) {
		const struct tui_snap *s =
			&u->ring[(u->head + i) % TUI_HISTORY];

		if (s->time_ns + w <= cur->time_ns + w / 10)
			base = i;
	}
	return base;
}

/* --- the window ---------------------------------------------------------- */

static void window_release(struct tui_window *w)
{
	free(w->tstate);
	free(w->counts);
	free(w->blame);
	memset(w, 0, sizeof(*w));
}

static int cmp_key(const struct profile_count *a, const struct profile_count *b)
{
	if (a->thread != b->thread)
		return a->thread < b->thread ? -1 : 1;
	if (a->state != b->state)
		return a->state < b->state ? -1 : 1;
	if (a->stack != b->stack)
		return a->stack < b->stack ? -1 : 1;
	return 0;
}

/* The order of analysis_blame_stacks(). */
static int cmp_blame(const struct blame_stack_row *a,
		     const struct blame_stack_row *b)
{
	if (a->waiter_thread != b->waiter_thread)
		return a->waiter_thread < b->waiter_thread ? -1 : 1;
	if (a->waiter_stack != b->waiter_stack)
		return a->waiter_stack < b->waiter_stack ? -1 : 1;
	if (a->holder_thread != b->holder_thread)
		return a->holder_thread < b->holder_thread ? -1 : 1;
	if (a->holder_func != b->holder_func)
		return a->holder_func < b->holder_func ? -1 : 1;
	return 0;
}

/* The blame rows of cur less those of base: the same merge as counts. */
static void blame_diff(struct tui_window *w, const struct tui_snap *cur,
		       const struct tui_snap *base)
{
	size_t i, j, n;

	w->blame = xcalloc(cur->nblame + 1, sizeof(*w->blame));
	for (i = j = n = 0; i < cur->nblame; i++) {
		struct blame_stack_row r = cur->blame[i];

		if (base && base->blame) {
			while (j < base->nblame &&
			       cmp_blame(&base->blame[j], &r) < 0)
				j++;
			if (j < base->nblame && !cmp_blame(&base->blame[j], &r))
				r.samples -= base->blame[j].samples;
		}
		if (r.samples)
			w->blame[n++] = r;
	}
	w->nblame = n;
}

#define DIFF(f) (w->d.f = cur->st.f - (base ? base->st.f : 0))

static void window_compute(struct tui *u, const struct tui_snap *base)
{
	const struct tui_snap *cur = tui_newest(u);
	struct tui_window *w = &u->win;
	size_t i, j, n;

	window_release(w);
	w->t0_ns = base ? base->time_ns : u->start_ns;
	w->t1_ns = cur->time_ns;
	w->d = cur->st;
	DIFF(ticks);
	DIFF(samples);
	DIFF(failed);
	DIFF(torn_ticks);
	DIFF(torn_stacks);
	DIFF(held_ticks);
	DIFF(contended_ticks);
	DIFF(waiter_sum);
	DIFF(switches);

	w->nthreads = cur->nthreads;
	w->tstate = xcalloc(cur->nthreads * GIL_NSTATES + 1,
			    sizeof(*w->tstate));
	for (i = 0; i < cur->nthreads * GIL_NSTATES; i++)
		w->tstate[i] = cur->tstate[i] -
			(base && i < base->nthreads * GIL_NSTATES ?
			 base->tstate[i] : 0);

	/* Both count arrays are sorted by the same key, and every key of
	 * the older one is in the newer one: a merge. */
	w->counts = xcalloc(cur->ncounts + 1, sizeof(*w->counts));
	for (i = j = n = 0; i < cur->ncounts; i++) {
		struct profile_count c = cur->counts[i];

		if (base && base->counts) {
			while (j < base->ncounts &&
			       cmp_key(&base->counts[j], &c) < 0)
				j++;
			if (j < base->ncounts &&
			    !cmp_key(&base->counts[j], &c))
				c.count -= base->counts[j].count;
		}
		if (c.count)
			w->counts[n++] = c;
	}
	w->ncounts = n;
	blame_diff(w, cur, base);

	for (i = 1; i < u->nsnaps; i++) {
		const struct tui_snap *a = &u->ring[(u->head + i - 1) %
						    TUI_HISTORY];
		const struct tui_snap *b = &u->ring[(u->head + i) %
						    TUI_HISTORY];
		uint64_t s = b->st.samples - a->st.samples;

		w->held_hist[w->nhist] = s ? 100.0 *
			(double)(b->st.held_ticks - a->st.held_ticks) /
			(double)s : -1;
		w->wait_hist[w->nhist] = s ? 100.0 *
			(double)(b->st.contended_ticks - a->st.contended_ticks) /
			(double)s : -1;
		w->nhist++;
	}
	u->dirty = 1;
}

/* --- public -------------------------------------------------------------- */

struct tui *tui_new(const struct profile_resolver *r,
		    const struct tui_options *o, const struct tui_target *tg,
		    uint64_t now_ns)
{
	struct tui *u = xcalloc(1, sizeof(*u));

	u->o = *o;
	if (!(u->o.window_s > 0))
		u->o.window_s = 5;
	if (!u->o.lineno)
		u->o.lines = 0;
	u->filter_tid = o->thread;
	u->view = o->blame ? TUI_VIEW_BLAME : TUI_VIEW_FUNCTIONS;
	u->pid = tg->pid;
	u->command = xstrdup(tg->command ? tg->command : "");
	u->python = xstrdup(tg->python ? tg->python : "?");
	u->requested_hz = tg->requested_hz;
	u->blocking = tg->blocking;
	u->free_threaded = tg->free_threaded;
	if (r)
		u->res = *r;
	tui_reset(u, now_ns);
	u->status[0] = '\0';
	return u;
}

void tui_free(struct tui *u)
{
	size_t i;

	if (!u)
		return;
	for (i = 0; i < u->nprocs; i++)
		tui_free(u->procs[i]);
	free(u->procs);
	for (i = 0; i < TUI_HISTORY; i++)
		snap_release(&u->ring[i]);
	window_release(&u->win);
	tui_rows_release(u);
	profile_free(u->prof);
	free(u->command);
	free(u->python);
	free(u);
}

void tui_reset(struct tui *u, uint64_t now_ns)
{
	size_t i;

	if (u->tree) {
		tui_tree_reset(u, now_ns);
		return;
	}
	for (i = 0; i < TUI_HISTORY; i++)
		snap_release(&u->ring[i]);
	u->head = u->nsnaps = 0;
	profile_free(u->prof);
	u->prof = profile_new(&u->res);
	u->start_ns = now_ns;
	u->nlast = 0;
	u->paused = 0;
	u->scroll = 0;
	u->tscroll = 0;
	/* the zero snapshot: every window can start at the beginning */
	snap_take(u, now_ns);
	window_compute(u, NULL);
	tui_set_status(u, 0, "counters reset");
}

void tui_add(struct tui *u, const struct py_sample *s)
{
	int i, n = s->nthreads;

	profile_add(u->prof, s);
	if (n > PY_MAX_THREADS)
		n = PY_MAX_THREADS;
	for (i = 0; i < n; i++) {
		u->last[i].tid = s->threads[i].tid;
		u->last[i].thread_id = s->threads[i].thread_id;
		u->last[i].state = s->threads[i].state;
	}
	u->nlast = n < 0 ? 0 : n;
	u->last_full = s->nthreads >= PY_MAX_THREADS;
}

void tui_add_failed(struct tui *u, uint64_t time_ns)
{
	profile_add_failed(u->prof, time_ns);
}

void tui_refresh(struct tui *u, uint64_t now_ns)
{
	size_t base, i;

	if (u->tree) {
		tui_tree_refresh(u, now_ns);
		return;
	}
	/* Threads seen before Python named them (launch mode) get their
	 * names once it has, as record's do. */
	profile_refresh_names(u->prof, 0);
	snap_take(u, now_ns);
	base = sliding_base(u);
	/* No later sliding window can start before base. */
	for (i = 0; i < base; i++) {
		struct tui_snap *s = snap_at(u, i);

		free(s->counts);
		s->counts = NULL;
		s->ncounts = 0;
		free(s->blame);
		s->blame = NULL;
		s->nblame = 0;
	}
	if (!u->paused)
		tui_window_update(u);
}

void tui_window_update(struct tui *u)
{
	if (u->tree) {
		tui_tree_window_update(u);
		return;
	}
	window_compute(u, u->o.cumulative ? NULL : snap_at(u, sliding_base(u)));
}

void tui_set_status(struct tui *u, int alert, const char *fmt, ...)
{
	va_list ap;

	u->status[0] = '\0';
	u->status_alert = alert;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(u->status, sizeof(u->status), fmt, ap);
	va_end(ap);
}
