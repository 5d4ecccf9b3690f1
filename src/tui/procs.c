/*
 * procs.c - `top -s`: the view over a tree of processes.  Each Python
 * process has a tui of its own (its profile, snapshots and window, as
 * model.c keeps them for one process); the tree's tui puts their windows
 * and rows together, every row keeping whose it is (src), and draws the
 * threads pane with a PID column or, grouped (key s), under one line per
 * process with that process's GIL figures.  Nothing is mixed across
 * processes: each GIL's figures come from its own process's samples.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui_int.h"

/* Grouped, each process's first function rows only, so that every
 * process is on the screen (its root row tells its whole; s again lists
 * them all). */
#define GROUP_FUNCS 10

/* --- the processes ------------------------------------------------------- */

struct tui *tui_new_tree(const struct tui_options *o,
			 const struct tui_target *tg, uint64_t now_ns)
{
	struct tui *u = xcalloc(1, sizeof(*u));

	u->o = *o;
	if (!(u->o.window_s > 0))
		u->o.window_s = 5;
	if (!u->o.lineno)
		u->o.lines = 0;
	u->tree = 1;
	u->group = o->group;
	u->filter_tid = o->thread;
	u->view = o->blame ? TUI_VIEW_BLAME : TUI_VIEW_FUNCTIONS;
	u->pid = tg->pid;
	u->command = xstrdup(tg->command ? tg->command : "");
	u->python = xstrdup(tg->python ? tg->python : "?");
	u->requested_hz = tg->requested_hz;
	u->blocking = tg->blocking;
	u->start_ns = now_ns;
	u->win.t0_ns = u->win.t1_ns = now_ns;
	u->dirty = 1;
	return u;
}

/* What the processes' views take from the tree's: the view state the
 * keys change (each keeps its own scroll, unused). */
static void sync_view(struct tui *u, struct tui *p)
{
	p->o = u->o;
	p->filter_tid = u->filter_tid;
	p->paused = u->paused;
	p->dirty = 1;
}

struct tui *tui_add_process(struct tui *u, const struct profile_resolver *r,
			    const struct tui_target *tg, pid_t ppid,
			    uint64_t now_ns)
{
	struct tui *p = tui_new(r, &u->o, tg, now_ns);

	p->parent = u;
	p->ppid = ppid;
	p->status[0] = '\0';
	sync_view(u, p);
	u->procs = xrealloc(u->procs, (u->nprocs + 1) * sizeof(*u->procs));
	u->procs[u->nprocs++] = p;
	if (!u->free_threaded && tg->free_threaded && u->nprocs == 1)
		u->free_threaded = 1;
	u->dirty = 1;
	return p;
}

void tui_process_exited(struct tui *p, uint64_t now_ns)
{
	if (!p || p->exited)
		return;
	/* the samples since the last refresh count too */
	tui_refresh(p, now_ns);
	profile_detach(p->prof);
	p->exited = 1;
	p->nlast = 0;
	p->dirty = 1;
	if (p->parent)
		p->parent->dirty = 1;
}

/* --- the window ---------------------------------------------------------- */

#define ADD(f) (w->d.f += pd->f)

/* The tree's window: the sums of the running processes' (of all of them
 * once none runs), so the header's GIL figures are their mean; the
 * sparklines are the mean of each refresh's figures. */
static void combine(struct tui *u)
{
	struct tui_window *w = &u->win;
	double held[TUI_HISTORY] = { 0 }, wait[TUI_HISTORY] = { 0 };
	int nh[TUI_HISTORY] = { 0 }, live = 0, i, k, n;
	size_t j;

	for (j = 0; j < u->nprocs; j++)
		live += !u->procs[j]->exited;
	memset(&w->d, 0, sizeof(w->d));
	w->nhist = 0;
	u->ticks_max = 0;
	u->nlast = 0;
	u->last_full = 0;
	for (j = 0; j < u->nprocs; j++) {
		const struct tui *p = u->procs[j];
		const struct tui_window *pw = &p->win;
		const struct profile_stats *pd = &pw->d;

		if (live && p->exited)
			continue;
		if (!w->d.ticks && !w->d.samples) {
			w->t0_ns = pw->t0_ns;
			w->t1_ns = pw->t1_ns;
		}
		if (pw->t0_ns < w->t0_ns)
			w->t0_ns = pw->t0_ns;
		if (pw->t1_ns > w->t1_ns)
			w->t1_ns = pw->t1_ns;
		ADD(ticks);
		ADD(samples);
		ADD(failed);
		ADD(torn_ticks);
		ADD(torn_stacks);
		ADD(held_ticks);
		ADD(contended_ticks);
		ADD(waiter_sum);
		ADD(switches);
		w->d.no_gil |= pd->no_gil;
		if (pd->ticks > u->ticks_max)
			u->ticks_max = pd->ticks;
		/* the newest refreshes line up on the right */
		for (i = 0; i < pw->nhist; i++) {
			k = TUI_HISTORY - pw->nhist + i;
			if (pw->held_hist[i] < 0)
				continue;
			held[k] += pw->held_hist[i];
			wait[k] += pw->wait_hist[i];
			nh[k]++;
		}
		for (i = 0; i < p->nlast && u->nlast < PY_MAX_THREADS; i++)
			u->last[u->nlast++] = p->last[i];
		u->last_full |= p->last_full;
	}
	for (n = 0, k = 0; k < TUI_HISTORY; k++)
		if (nh[k] || n) {
			w->held_hist[n] = nh[k] ? held[k] / nh[k] : -1;
			w->wait_hist[n] = nh[k] ? wait[k] / nh[k] : -1;
			n++;
		}
	w->nhist = n;
	u->dirty = 1;
}

void tui_tree_refresh(struct tui *u, uint64_t now_ns)
{
	size_t i;

	for (i = 0; i < u->nprocs; i++) {
		struct tui *p = u->procs[i];

		if (p->exited)
			continue;
		sync_view(u, p);
		tui_refresh(p, now_ns);
	}
	if (!u->paused)
		combine(u);
	else
		u->dirty = 1;
}

void tui_tree_window_update(struct tui *u)
{
	size_t i;

	/* an exited process's snapshots are still there: its window
	 * follows the view too (w), without its resolver */
	for (i = 0; i < u->nprocs; i++) {
		sync_view(u, u->procs[i]);
		tui_window_update(u->procs[i]);
	}
	combine(u);
}

void tui_tree_reset(struct tui *u, uint64_t now_ns)
{
	size_t i, n = 0;

	/* forget everything: the processes gone too */
	for (i = 0; i < u->nprocs; i++) {
		struct tui *p = u->procs[i];

		if (p->exited) {
			tui_free(p);
			continue;
		}
		tui_reset(p, now_ns);
		p->status[0] = '\0';
		u->procs[n++] = p;
	}
	u->nprocs = n;
	u->start_ns = now_ns;
	u->paused = 0;
	u->scroll = u->tscroll = 0;
	combine(u);
	tui_set_status(u, 0, "counters reset");
}

/* --- rows ---------------------------------------------------------------- */

/* Where a process's view is in u->procs (the order processes joined). */
static size_t order_of(const struct tui *u, const struct tui *p)
{
	size_t i;

	for (i = 0; i < u->nprocs; i++)
		if (u->procs[i] == p)
			return i;
	return u->nprocs;
}

static unsigned busy_pct(const struct tui_thread_row *r)
{
	return r->n ? (unsigned)((r->busy * 100 + r->n / 2) / r->n) : 0;
}

/* As rows.c's: shown first, busiest first, by tid; grouped: by process
 * first. */
static int cmp_thread(const void *a, const void *b, void *arg)
{
	const struct tui *u = arg;
	const struct tui_thread_row *x = a, *y = b;
	size_t ox, oy;

	if (x->folded != y->folded)
		return x->folded < y->folded ? -1 : 1;
	if (u->group) {
		ox = order_of(u, x->src);
		oy = order_of(u, y->src);
		if (ox != oy)
			return ox < oy ? -1 : 1;
	}
	if (busy_pct(x) != busy_pct(y))
		return busy_pct(x) > busy_pct(y) ? -1 : 1;
	if (x->src->pid != y->src->pid)
		return x->src->pid < y->src->pid ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* The sort column, ties by total then name; grouped: by process first,
 * its root row at its head. */
static int cmp_func(const void *a, const void *b, void *arg)
{
	const struct tui *u = arg;
	const struct tui_func_row *x = a, *y = b;
	uint64_t vx, vy;
	int c;

	if (u->group && x->src != y->src) {
		size_t ox = order_of(u, x->src), oy = order_of(u, y->src);

		return ox < oy ? -1 : 1;
	}
	if (u->group && x->root != y->root)
		return x->root ? -1 : 1;
	if (u->o.sort != TUI_SORT_NAME) {
		vx = tui_sort_value(x, u->o.sort);
		vy = tui_sort_value(y, u->o.sort);
		if (vx != vy)
			return vx > vy ? -1 : 1;
		if (x->total != y->total)
			return x->total > y->total ? -1 : 1;
	}
	if (x->root != y->root)
		return x->root ? -1 : 1;
	c = strcmp(tui_row_name(x), tui_row_name(y));
	if (c)
		return c;
	if (x->src->pid != y->src->pid)
		return x->src->pid < y->src->pid ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

static int cmp_blame(const void *a, const void *b)
{
	const struct tui_blame_row *x = a, *y = b;

	if (x->samples != y->samples)
		return x->samples > y->samples ? -1 : 1;
	if (x->src->pid != y->src->pid)
		return x->src->pid < y->src->pid ? -1 : 1;
	if (x->waiter_thread != y->waiter_thread)
		return x->waiter_thread < y->waiter_thread ? -1 : 1;
	if (x->waiter_func != y->waiter_func)
		return x->waiter_func < y->waiter_func ? -1 : 1;
	return x->holder_thread < y->holder_thread ? -1 :
	       x->holder_thread > y->holder_thread;
}

void tui_tree_rows(struct tui *u)
{
	size_t i, j, nt = 0, nf = 0, nb = 0;

	for (i = 0; i < u->nprocs; i++)
		u->dirty |= u->procs[i]->dirty;
	if (!u->dirty)
		return;
	tui_rows_release(u);
	u->fsamples = u->bsamples = 0;
	memset(u->fstates, 0, sizeof(u->fstates));
	for (i = 0; i < u->nprocs; i++) {
		struct tui *p = u->procs[i];

		sync_view(u, p);
		tui_rows(p);
		nt += p->ntrows;
		nf += p->nfrows + 1;
		nb += p->nbrows;
	}
	u->trows = xcalloc(nt + 1, sizeof(*u->trows));
	u->frows = xcalloc(nf + 1, sizeof(*u->frows));
	u->brows = xcalloc(nb + 1, sizeof(*u->brows));
	for (i = 0; i < u->nprocs; i++) {
		struct tui *p = u->procs[i];

		for (j = 0; j < p->ntrows; j++)
			u->trows[u->ntrows++] = p->trows[j];
		if (p->fsamples) {
			/* the process as the root frame of its stacks */
			struct tui_func_row *r = &u->frows[u->nfrows++];

			memset(r, 0, sizeof(*r));
			r->src = p;
			r->root = 1;
			r->total = p->fsamples;
			r->held = p->fstates[GIL_HELD];
			r->waiting = p->fstates[GIL_WAITING];
		}
		for (j = 0; j < p->nfrows; j++)
			u->frows[u->nfrows++] = p->frows[j];
		for (j = 0; j < p->nbrows; j++)
			u->brows[u->nbrows++] = p->brows[j];
		u->fsamples += p->fsamples;
		for (j = 0; j < GIL_NSTATES; j++)
			u->fstates[j] += p->fstates[j];
		u->bsamples += p->bsamples;
	}
	qsort_r(u->trows, u->ntrows, sizeof(*u->trows), cmp_thread, u);
	for (u->nshown = 0; u->nshown < u->ntrows &&
	     !u->trows[u->nshown].folded; u->nshown++)
		;
	qsort_r(u->frows, u->nfrows, sizeof(*u->frows), cmp_func, u);
	if (u->group) {
		size_t k = 0, n = 0;

		for (i = 0; i < u->nfrows; i++) {
			if (u->frows[i].root || (k && u->frows[i].src !=
						 u->frows[k - 1].src))
				n = 0;
			if (u->frows[i].root || n++ < GROUP_FUNCS)
				u->frows[k++] = u->frows[i];
		}
		u->nfrows = k;
	}
	qsort(u->brows, u->nbrows, sizeof(*u->brows), cmp_blame);
	u->dirty = 0;
	for (i = 0; i < u->nprocs; i++)
		u->procs[i]->dirty = 0;
}

/* --- drawing ------------------------------------------------------------- */

void tui_proc_label(struct strbuf *sb, const struct tui *p)
{
	sb_addf(sb, "process %d (%s)", (int)p->pid, p->command);
}

void tui_proc_line(struct tui_ctx *c, const struct tui *p)
{
	const struct profile_stats *d = &p->win.d;
	char cmd[256];
	int w;

	tui_put(c, p->exited ? TA_DIM : TA_TITLE, "process %d", (int)p->pid);
	if (p->ppid)
		tui_put(c, TA_DIM, " (child of %d)", (int)p->ppid);
	tui_put(c, TA_NORMAL, "  Python %s", p->python);
	if (p->free_threaded || d->no_gil) {
		tui_put(c, TA_NORMAL, "  no GIL (free-threaded)");
	} else {
		tui_put(c, TA_NORMAL, "  GIL held ");
		tui_put(c, TA_HELD, "%5.1f%%", profile_pct(d->held_ticks,
							   d->samples));
		tui_put(c, TA_NORMAL, "  contention ");
		tui_put(c, d->contended_ticks ? TA_WAITING : TA_NORMAL,
		    "%5.1f%%", profile_pct(d->contended_ticks, d->samples));
	}
	if (p->exited)
		tui_put(c, TA_ALERT, "  exited");
	/* the command line in what is left of the width */
	w = c->out->width ? c->out->width - c->col - 2 : 120;
	if (w > 8) {
		tui_fit(cmd, sizeof(cmd), p->command, w, 1);
		tui_put(c, TA_DIM, "  %s", cmd);
	}
	tui_eol(c);
}

/* One line of the pane: a process's header, a thread row, or a
 * process's (or, ungrouped, every process's) idle threads folded. */
struct item {
	enum { IT_PROC, IT_ROW, IT_FOLD } kind;
	const struct tui *p;
	size_t row;
	size_t n;		/* IT_FOLD: threads folded */
};

static void fold_line(struct tui_ctx *c, const struct tui_tcols *k, size_t n)
{
	char text[64], name[128];

	snprintf(text, sizeof(text), "%zu idle threads", n);
	tui_fit(name, sizeof(name), text, k->namew, 0);
	tui_put(c, TA_NORMAL, "%*s%7s  %s ", k->pidw, "", "+", name);
	tui_put(c, TA_IDLE, "%-8s", "idle");
	tui_put(c, TA_DIM, "    no busy sample in the window (%s lists them)",
	    c->out->screen ? "a" : "--all-threads");
	tui_eol(c);
}

static size_t items(const struct tui *u, struct item *it)
{
	size_t n = 0, i, j;

	if (!u->group) {
		for (i = 0; i < u->nshown; i++)
			it[n++] = (struct item){ IT_ROW, NULL, i, 0 };
		if (u->ntrows > u->nshown)
			it[n++] = (struct item){ IT_FOLD, NULL, 0,
						 u->ntrows - u->nshown };
		return n;
	}
	for (i = 0; i < u->nprocs; i++) {
		const struct tui *p = u->procs[i];
		size_t folded = 0;

		it[n++] = (struct item){ IT_PROC, p, 0, 0 };
		for (j = 0; j < u->ntrows; j++) {
			if (u->trows[j].src != p)
				continue;
			if (u->trows[j].folded)
				folded++;
			else
				it[n++] = (struct item){ IT_ROW, p, j, 0 };
		}
		if (folded)
			it[n++] = (struct item){ IT_FOLD, p, 0, folded };
	}
	return n;
}

void tui_tree_threads_pane(struct tui_ctx *c, int max_rows)
{
	struct tui *u = c->u;
	struct tui_tcols k;
	struct item *it = xcalloc(u->ntrows + 2 * u->nprocs + 2, sizeof(*it));
	int total, room, first, i;

	tui_thread_cols(c, &k);
	total = (int)items(u, it);
	room = total;
	if (max_rows > 0 && total > max_rows)
		room = max_rows > 1 ? max_rows - 1 : 1;
	first = u->tscroll;
	if (first > total - room)
		first = total - room;
	if (first < 0)
		first = 0;
	u->tscroll = first;
	for (i = first; i < first + room; i++) {
		switch (it[i].kind) {
		case IT_PROC:
			tui_proc_line(c, it[i].p);
			break;
		case IT_ROW:
			tui_thread_row(c, &u->trows[it[i].row], &k);
			break;
		case IT_FOLD:
			fold_line(c, &k, it[i].n);
			break;
		}
	}
	if (room < total) {
		tui_put(c, TA_DIM, "        ... lines %d-%d of %d (%s)", first + 1,
		    first + room, total, u->focus == TUI_FOCUS_THREADS ?
		    "arrows scroll, Tab: the lower pane" :
		    "Tab, then arrows, scroll them; t picks one");
		tui_eol(c);
	}
	if (!total) {
		tui_put(c, TA_DIM, "        (no Python process sampled yet)");
		tui_eol(c);
	}
	free(it);
}
