/*
 * panes.c - the threads pane (busy threads first, idle ones folded, who
 * blocked each) and the blame view, drawn with render.c's primitives.
 */
#include <stdio.h>
#include <string.h>

#include "tui_int.h"

/* --- threads ------------------------------------------------------------- */

static void bar(struct tui_ctx *c, const struct tui_thread_row *r, int width)
{
	const char *h = c->out->utf8 ? "\u2588" : "#";
	const char *wt = c->out->utf8 ? "\u2592" : "~";
	const char *rest = c->out->utf8 ? "\u00b7" : ".";
	int nh = (int)(profile_pct(r->state[GIL_HELD], r->n) * width / 100 + 0.5);
	int nw = (int)(profile_pct(r->state[GIL_WAITING], r->n) * width / 100 + 0.5);
	int i;

	if (nh + nw > width)
		nw = width - nh;
	for (i = 0; i < nh; i++)
		tui_emit(c, h, TA_HELD);
	for (i = 0; i < nw; i++)
		tui_emit(c, wt, TA_WAITING);
	for (i = nh + nw; i < width; i++)
		tui_emit(c, rest, TA_DIM);
}

static const char *state_text(const struct tui_thread_row *r)
{
	if (r->now >= 0)
		return gil_state_name((enum gil_state)r->now);
	return r->src && r->src->exited ? "exited" : "gone";
}

/* "hog  97%": the thread that kept r waiting most and its share of r's
 * waiting (its tid when its name is not its own); "-" when r did not wait
 * in the window. */
static void blocker(struct tui_ctx *c, const struct tui_thread_row *r, int width)
{
	const char *who = tui_thread_name(r->src, r->blocker);
	char name[128], tid[16];

	if (!r->blamed) {
		tui_put(c, TA_DIM, "%-*s", width, "-");
		return;
	}
	if (who && tui_thread_name_shared(r->src, r->blocker)) {
		snprintf(tid, sizeof(tid), "%d",
			 (int)profile_thread(r->src->prof, r->blocker)->tid);
		who = tid;
	}
	tui_fit(name, sizeof(name), who ? who : "(hand-off)", width - 5, 0);
	/* the holder, coloured as the blame view colours holders */
	tui_put(c, who ? TA_HELD : TA_DIM, "%s", name);
	tui_put(c, TA_NORMAL, " %3.0f%%", who ? profile_pct(r->blocker_n, r->blamed) :
	    100.0);
}

void tui_thread_row(struct tui_ctx *c, const struct tui_thread_row *r,
		    const struct tui_tcols *k)
{
	struct tui *u = c->u;
	int sel = u->filter_tid && r->tid == u->filter_tid;
	struct profile_shares sh;
	char name[128];

	profile_shares_count(&sh, r->state);
	tui_fit(name, sizeof(name), r->name, k->namew, 0);
	if (k->pidw)	/* -s: the mark of the thread picked leads the line */
		tui_put(c, sel ? TA_SELECTED : r->src->exited ? TA_DIM :
		    TA_NORMAL, "%s%*d %6d  %s", sel ? ">" : " ", k->pidw - 1,
		    (int)r->src->pid, (int)r->tid, name);
	else
		tui_put(c, sel ? TA_SELECTED : TA_NORMAL, "%s%6d  %s",
		    sel ? ">" : " ", (int)r->tid, name);
	tui_put(c, TA_NORMAL, " ");
	tui_put(c, tui_state_attr(r->now), "%-8s", state_text(r));
	tui_put(c, TA_NORMAL, "%8.1f%8.1f%8.1f%8.1f  ",
	    profile_pct(sh.held, r->n), profile_pct(sh.waiting, r->n),
	    profile_pct(sh.native, r->n), profile_pct(sh.idle, r->n));
	blocker(c, r, k->bw);
	tui_put(c, TA_NORMAL, "  ");
	if (k->barw > 0)
		bar(c, r, k->barw);
	tui_eol(c);
}

/* The threads with no busy sample in the window, as one row. */
static void folded_row(struct tui_ctx *c, const struct tui_tcols *k)
{
	struct tui *u = c->u;
	size_t n = u->ntrows - u->nshown;
	char text[64], name[128];

	if (k->pidw)
		tui_put(c, TA_NORMAL, "%*s", k->pidw, "");

	snprintf(text, sizeof(text), "%zu idle threads", n);
	if ((int)strlen(text) > k->namew)
		snprintf(text, sizeof(text), "%zu idle", n);
	tui_fit(name, sizeof(name), text, k->namew, 0);
	tui_put(c, TA_NORMAL, "%7s  %s ", "+", name);
	tui_put(c, TA_IDLE, "%-8s", "idle");
	tui_put(c, TA_DIM, "    no busy sample in the window (%s lists them)",
	    c->out->screen ? "a" : "--all-threads");
	tui_eol(c);
}

/* The columns' widths for the screen's width, and their heading. */
void tui_thread_cols(struct tui_ctx *c, struct tui_tcols *k)
{
	int fixed;

	k->pidw = c->u->tree ? 8 : 0;
	k->namew = 16;
	k->bw = 17;
	k->barw = 20;
	/* pid, tid 7, name, state 8, four 8-wide columns, blocked by, gaps */
	fixed = k->pidw + 7 + 2 + k->namew + 1 + 8 + 4 * 8 + 2 + k->bw + 2;
	if (c->out->width && c->out->width < fixed) {
		k->namew = 12;
		k->bw = 14;
		fixed -= 4 + 3;
	}
	if (c->out->width)
		k->barw = c->out->width - fixed - 1;
	if (k->barw > 40)
		k->barw = 40;
	if (k->barw < 8)
		k->barw = 0;
	if (k->pidw)
		tui_put(c, TA_HEAD, "%*s", k->pidw, "PID");
	tui_put(c, TA_HEAD, "%7s  %-*s %-8s%8s%8s%8s%8s  %-*s  %-*s", "TID",
	    k->namew, "THREAD", "STATE", "HELD%", "WAIT%", "NATIVE%", "IDLE%",
	    k->bw, "BLOCKED BY", k->barw, k->barw >= 12 ? "HELD|WAITING" : "");
	tui_fill(c, TA_HEAD);
	tui_eol(c);
}

void tui_threads_pane(struct tui_ctx *c, int max_rows)
{
	struct tui *u = c->u;
	struct tui_tcols k;
	int total, room, first, i;

	if (u->tree) {
		tui_tree_threads_pane(c, max_rows);
		return;
	}
	tui_thread_cols(c, &k);

	/* the rows shown, then the folded one; scrolled by tscroll */
	total = (int)u->nshown + (u->ntrows > u->nshown);
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
		if (i < (int)u->nshown)
			tui_thread_row(c, &u->trows[i], &k);
		else
			folded_row(c, &k);
	}
	if (room < total) {
		tui_put(c, TA_DIM, "        ... rows %d-%d of %d (%s)", first + 1,
		    first + room, total, u->focus == TUI_FOCUS_THREADS ?
		    "arrows scroll, Tab: the lower pane" :
		    "Tab, then arrows, scroll them; t picks one");
		tui_eol(c);
	}
	if (!u->ntrows) {
		tui_put(c, TA_DIM, "        (no samples yet)");
		tui_eol(c);
	}
}

/* --- blame -------------------------------------------------------------- */

/* "thread: function (file:line)"; the GIL in hand-off has no thread.
 * With -s the process's pid first: every worker has a MainThread. */
static void who(struct strbuf *sb, const struct tui *u, uint32_t thread,
		uint32_t func)
{
	const char *name = tui_thread_name(u, thread);

	if (u->parent)
		sb_addf(sb, "[%d] ", (int)u->pid);
	if (!name) {
		sb_adds(sb, "(GIL in hand-off)");
		return;
	}
	if (tui_thread_name_shared(u, thread))
		sb_addf(sb, "%s (%d): ", name,
			(int)profile_thread(u->prof, thread)->tid);
	else
		sb_addf(sb, "%s: ", name);
	tui_func_label(sb, u, func);
}

/* Columns of the waiter label: the widest shown, within what leaves the
 * holder as much room on a screen. */
static int waiter_width(struct tui_ctx *c, int first, int last)
{
	struct tui *u = c->u;
	struct strbuf sb = STRBUF_INIT;
	int i, w = 24, cap = c->out->width ? (c->out->width - 24) / 2 : 60;

	for (i = first; i < last; i++) {
		const struct tui_blame_row *r = &u->brows[i];

		sb_reset(&sb);
		who(&sb, r->src, r->waiter_thread, r->waiter_func);
		if ((int)sb.len > w)
			w = (int)sb.len;
	}
	sb_release(&sb);
	return w > cap ? (cap > 10 ? cap : 10) : w;
}

void tui_blame_pane(struct tui_ctx *c, int max_rows)
{
	struct tui *u = c->u;
	struct strbuf sb = STRBUF_INIT;
	char whom[96], label[1024];
	int i, first, last, ww;

	tui_filter_name(c, whom, sizeof(whom));
	tui_put(c, TA_TITLE, "BLAME");
	tui_put(c, TA_NORMAL, "  waiting caused by, most first, %s, %llu waiting "
	    "samples", whom, (unsigned long long)u->bsamples);
	tui_eol(c);
	first = u->scroll;
	if (max_rows > 0 && first > (int)u->nbrows - max_rows)
		first = (int)u->nbrows - max_rows;
	if (first < 0)
		first = 0;
	u->scroll = first;
	last = (int)u->nbrows;
	if (max_rows > 0 && last > first + max_rows)
		last = first + max_rows;
	ww = waiter_width(c, first, last);
	tui_put(c, TA_HEAD, "%7s%9s  %-*s  %s  %s", "%Wait", "SAMPLES", ww,
	    "WAITING THREAD: FUNCTION", c->out->utf8 ? " \u2190" : "<-",
	    "HOLDING THREAD: FUNCTION");
	tui_fill(c, TA_HEAD);
	tui_eol(c);
	if (!u->nbrows && (u->free_threaded || u->win.d.no_gil)) {
		tui_put(c, TA_DIM, "      (no GIL in a free-threaded build: "
			"nobody waits for it)");
		tui_eol(c);
	} else if (!u->nbrows) {
		tui_put(c, TA_DIM, "      (no thread waited for the GIL%s)",
		    u->filter_tid ? ", or held it while one did" : "");
		tui_eol(c);
	}
	for (i = first; i < last; i++) {
		const struct tui_blame_row *r = &u->brows[i];

		tui_put(c, TA_WAITING, "%7.1f", profile_pct(r->samples, u->bsamples));
		tui_put(c, TA_NORMAL, "%9llu  ", (unsigned long long)r->samples);
		sb_reset(&sb);
		who(&sb, r->src, r->waiter_thread, r->waiter_func);
		tui_fit(label, sizeof(label), sb.buf, ww, 0);
		tui_put(c, TA_NORMAL, "%s  %s  ", label,
		    c->out->utf8 ? " \u2190" : "<-");
		sb_reset(&sb);
		who(&sb, r->src, r->holder_thread, r->holder_func);
		tui_put(c, r->holder_thread == ANALYSIS_NONE ? TA_DIM : TA_HELD,
		    "%s", sb.buf);
		tui_eol(c);
	}
	sb_release(&sb);
}

