/*
 * render.c - the one layout of `gilspy top`, written through a tiny backend
 * (text for --batch, ncurses for the screen) so both show the same thing:
 *
 *   title: time, pid, Python version, command line
 *   window, sampling rate achieved, sample errors
 *   GIL utilisation, contention, switches/s, switch interval
 *   sparklines of held % and contention % per refresh
 *   threads per state in the last sample
 *   status (paused, process exited, ...)
 *   threads pane: busy ones first, state now, % per state over the window,
 *     blocked by, held|waiting bar; idle ones folded into one row
 *   lower pane, one of:
 *     functions: %Own %Total %Held %Wait, sorted, filtered
 *     blame: waiting thread: function <- holding thread: function
 *   key bar (screen only)
 *
 * The drawing primitives (tui_put ...) are draw.c's, shared with panes.c,
 * which draws the threads pane and the blame view.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tui_int.h"

static const char *const spark_utf8[] = {
	"\u2581", "\u2582", "\u2583", "\u2584",
	"\u2585", "\u2586", "\u2587", "\u2588",
};
static const char spark_ascii[] = "_.,:-=+*#@";

static const char *const sort_titles[TUI_NSORTS] = {
	"%Own", "%Total", "%Held", "%Wait", "Function",
};

static void duration(char *buf, size_t size, double s)
{
	long t = (long)(s + 0.5);

	if (t < 60)
		snprintf(buf, size, "%lds", t);
	else if (t < 3600)
		snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, size, "%ldh%02ldm", t / 3600, t / 60 % 60);
}

static void sparkline(struct tui_ctx *c, const double *v, int n, int width)
{
	char buf[TUI_HISTORY * 4 + 1];
	size_t o = 0;
	int i;

	if (n > width)
		v += n - width, n = width;
	for (i = 0; i < n; i++) {
		double x = v[i];

		if (x < 0) {
			buf[o++] = ' ';
		} else if (c->out->utf8) {
			int k = (int)(x / 100.0 * 8);

			k = k < 0 ? 0 : k > 7 ? 7 : k;
			memcpy(buf + o, spark_utf8[k], 3);
			o += 3;
		} else {
			int k = (int)(x / 100.0 * 10);

			k = k < 0 ? 0 : k > 9 ? 9 : k;
			buf[o++] = spark_ascii[k];
		}
	}
	buf[o] = '\0';
	tui_emit(c, buf, TA_NORMAL);
	for (; n < width; n++)
		tui_emit(c, " ", TA_NORMAL);
}

/* "threads 502 now: 1 held, 1 waiting, 0 native, 500 idle", from the
 * last sample. */
static void thread_counts(struct tui_ctx *c, int no_gil)
{
	static const int order[] = { GIL_HELD, GIL_WAITING, GIL_NATIVE,
				     GIL_IDLE };
	struct tui *u = c->u;
	int n[GIL_NSTATES] = { 0 }, i, first = 1;

	for (i = 0; i < u->nlast; i++)
		if ((unsigned)u->last[i].state < GIL_NSTATES)
			n[u->last[i].state]++;
	n[GIL_NATIVE] += n[GIL_RUNNING];
	tui_put(c, TA_NORMAL, "threads %d%s now:", u->nlast,
	    u->last_full ? "+" : "");
	for (i = 0; i < (int)ARRAY_SIZE(order); i++) {
		int s = order[i];

		if (no_gil && (s == GIL_HELD || s == GIL_WAITING))
			continue;
		tui_put(c, TA_NORMAL, first ? " " : ", ");
		first = 0;
		tui_put(c, n[s] ? tui_state_attr(s) : TA_NORMAL, "%d", n[s]);
		tui_put(c, TA_NORMAL, " %s", no_gil && s == GIL_NATIVE ? "running" :
		    gil_state_name((enum gil_state)s));
	}
	if (u->last_full)
		tui_put(c, TA_DIM, "  (gilspy reads at most %d per sample)",
		    PY_MAX_THREADS);
	tui_eol(c);
}

static void header(struct tui_ctx *c)
{
	struct tui *u = c->u;
	const struct tui_window *w = &u->win;
	const struct profile_stats *d = &w->d;
	double span = (double)(w->t1_ns - w->t0_ns) / 1e9;
	char tbuf[16], dbuf[32];
	time_t now = time(NULL);
	struct tm tm;
	uint64_t errors = d->failed + d->torn_ticks;
	int sw;

	localtime_r(&now, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	if (u->tree) {
		size_t i, gone = 0;

		for (i = 0; i < u->nprocs; i++)
			gone += u->procs[i]->exited;
		tui_put(c, TA_TITLE, "gilspy top - %s - pid %d and subprocesses: "
		    "%zu Python processes", tbuf, (int)u->pid, u->nprocs);
		if (gone)
			tui_put(c, TA_TITLE, " (%zu exited)", gone);
	} else {
		tui_put(c, TA_TITLE, "gilspy top - %s - pid %d - Python %s",
		    tbuf, (int)u->pid, u->python);
	}
	tui_put(c, TA_NORMAL, " - %s", u->command);
	tui_eol(c);

	duration(dbuf, sizeof(dbuf), span);
	if (u->o.cumulative)
		tui_put(c, TA_NORMAL, "window: cumulative, %s", dbuf);
	else
		tui_put(c, TA_NORMAL, "window: last %s (sliding, %gs)", dbuf,
		    u->o.window_s);
	tui_put(c, TA_NORMAL, "   sampling %.1f Hz (requested %g%s)",
	    span > 0 ? (double)(u->tree ? u->ticks_max : d->ticks) / span :
		       0.0, u->requested_hz,
	    u->blocking ? ", blocking" : "");
	tui_put(c, errors ? TA_ALERT : TA_NORMAL, "   errors %llu (%.1f%%)",
	    (unsigned long long)errors, profile_pct(errors, d->ticks));
	tui_eol(c);

	if (u->free_threaded || d->no_gil) {
		tui_put(c, TA_NORMAL, "GIL: none (free-threaded build): threads "
		    "are running or idle");
		tui_eol(c);
	} else {
		tui_put(c, TA_NORMAL, "GIL held ");
		tui_put(c, TA_HELD, "%5.1f%%", profile_pct(d->held_ticks, d->samples));
		tui_put(c, TA_NORMAL, "  contention ");
		tui_put(c, d->contended_ticks ? TA_WAITING : TA_NORMAL, "%5.1f%%",
		    profile_pct(d->contended_ticks, d->samples));
		tui_put(c, TA_NORMAL, " of ticks (mean %.2f waiting)",
		    d->samples ? (double)d->waiter_sum / (double)d->samples :
				 0.0);
		if (u->tree) {
			/* each process has its own GIL: the figures are
			 * the mean of those running (of all once none
			 * runs), the group view (s) has each */
			tui_put(c, TA_NORMAL, "  mean of the processes%s",
			    c->out->screen && !u->group ? " (s: each)" : "");
		} else {
			tui_put(c, TA_NORMAL, "  switches %.1f/s  interval "
			    "%.1f ms", span > 0 ? (double)d->switches / span :
			    0.0, (double)d->interval_us / 1000.0);
		}
		tui_eol(c);
	}

	/* sparklines, one column per refresh, newest on the right */
	sw = c->out->width ? (c->out->width - 30) / 2 : 40;
	if (sw > TUI_HISTORY - 1)
		sw = TUI_HISTORY - 1;
	if (sw >= 4 && tui_room(c) && !(u->free_threaded || d->no_gil)) {
		tui_put(c, TA_NORMAL, "held     ");
		sparkline(c, w->held_hist, w->nhist, sw);
		tui_put(c, TA_NORMAL, "   contention ");
		sparkline(c, w->wait_hist, w->nhist, sw);
		tui_eol(c);
	}

	thread_counts(c, u->free_threaded || d->no_gil);

	if (u->paused)
		tui_put(c, TA_ALERT, "[paused: p resumes]  ");
	if (u->status[0])
		tui_put(c, u->status_alert ? TA_ALERT : TA_DIM, "%s", u->status);
	tui_eol(c);
}

/* --- functions ----------------------------------------------------------- */

static void functions(struct tui_ctx *c, int max_rows)
{
	struct tui *u = c->u;
	struct strbuf sb = STRBUF_INIT;
	char who[96];
	int i, first;

	tui_filter_name(c, who, sizeof(who));
	tui_put(c, TA_TITLE, "FUNCTIONS");
	tui_put(c, TA_NORMAL, "  by %s, sorted by %s, %s, idle %s, %llu samples",
	    u->o.lines ? "line" : "function", sort_titles[u->o.sort], who,
	    u->o.idle ? "included" : "excluded",
	    (unsigned long long)u->fsamples);
	tui_eol(c);
	if (u->tree)
		tui_put(c, TA_HEAD, "%8s", "PID");
	for (i = 0; i < TUI_NSORTS; i++) {
		enum tui_attr a = (int)u->o.sort == i ? TA_SORTKEY : TA_HEAD;

		if (i < TUI_SORT_NAME)
			tui_put(c, a, "%7s", sort_titles[i]);
		else
			tui_put(c, a, "  %s (%s)", u->o.lines ? "LINE" :
			    "FUNCTION", u->o.lineno ? "file:line" : "file");
	}
	tui_fill(c, TA_HEAD);
	tui_eol(c);
	if (!u->nfrows) {
		tui_put(c, TA_DIM, "      (no samples%s)", u->o.idle ? "" :
		    "; idle ones are left out, i counts them");
		tui_eol(c);
	}
	first = u->scroll;
	if (max_rows > 0 && first > (int)u->nfrows - max_rows)
		first = (int)u->nfrows - max_rows;
	if (first < 0)
		first = 0;
	u->scroll = first;
	for (i = first; i < (int)u->nfrows; i++) {
		const struct tui_func_row *r = &u->frows[i];

		if (max_rows > 0 && i - first >= max_rows)
			break;
		if (u->tree)
			tui_put(c, r->src->exited ? TA_DIM : TA_NORMAL, "%8d",
			    (int)r->src->pid);
		tui_put(c, TA_NORMAL, "%7.1f%7.1f", profile_pct(r->own, u->fsamples),
		    profile_pct(r->total, u->fsamples));
		tui_put(c, r->held ? TA_HELD : TA_NORMAL, "%7.1f",
		    profile_pct(r->held, u->fsamples));
		tui_put(c, r->waiting ? TA_WAITING : TA_NORMAL, "%7.1f",
		    profile_pct(r->waiting, u->fsamples));
		sb_reset(&sb);
		tui_row_label(&sb, u, r);
		tui_put(c, r->root ? TA_TITLE : TA_NORMAL, "  %s", sb.buf);
		tui_eol(c);
	}
	sb_release(&sb);
}

/* --- help ---------------------------------------------------------------- */

static const char *const help_lines[] = {
	"gilspy top: who holds the GIL, who waits for it, and the code behind it",
	"",
	"  q          quit (the terminal is restored)",
	"  ?  h       this help; any key returns",
	"  1 2 3 4 5  sort functions by %Own, %Total, %Held, %Wait, name",
	"  <  >       sort by the column left / right of the current one",
	"  L          line-level rows / function-level rows",
	"  t  T       functions / blame of the next / previous thread (then all)",
	"  i          count idle samples in the functions pane or not",
	"  b          blame view: waiting thread: function <- holding thread:",
	"             function, most first (again: the functions pane)",
	"  a          list idle threads too / fold them into one row",
	"  w          sliding window / cumulative since the start",
	"  p  space   pause the display (sampling goes on)",
	"  r          reset every counter",
	"  up down pgup pgdn home   scroll the lower pane",
	"  Tab        the scroll keys move the threads pane / the lower pane",
	"  s          -s: group the rows by process, under a line with its",
	"             GIL held and contention / one list with a PID column",
	"",
	"States:  held     holds the GIL",
	"         waiting  blocked taking the GIL (contention)",
	"         native   on CPU with the GIL released (C code)",
	"         idle     off CPU with the GIL released (sleep, I/O, locks)",
	"",
	"%Own: the function is innermost; %Total: anywhere on the stack;",
	"%Held / %Wait: on the stack of a thread holding / waiting for the GIL.",
	"All are shares of the thread-samples counted in the functions pane.",
	"BLOCKED BY: the thread that held the GIL in most of a thread's waiting",
	"samples, and that share.  Blame covers the window, as the rest does.",
};

static void help(struct tui_ctx *c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(help_lines); i++) {
		const char *l = help_lines[i];

		if (!strncmp(l, "States:", 7) || !strncmp(l, "       ", 7)) {
			char word[16];
			int n = (int)strcspn(l + 9, " ");

			snprintf(word, sizeof(word), "%.*s", n, l + 9);
			tui_put(c, TA_NORMAL, "%.9s", l);
			tui_put(c, !strcmp(word, "held") ? TA_HELD :
			    !strcmp(word, "waiting") ? TA_WAITING :
			    !strcmp(word, "native") ? TA_NATIVE : TA_IDLE,
			    "%s", word);
			tui_put(c, TA_NORMAL, "%s", l + 9 + n);
		} else {
			tui_put(c, i ? TA_NORMAL : TA_TITLE, "%s", l);
		}
		tui_eol(c);
	}
}

/* --- the whole frame ----------------------------------------------------- */

static void keybar(struct tui_ctx *c)
{
	static const char *const keys[][2] = {
		/* what does not fit a narrow screen is in the help */
		{ "q", "quit" }, { "?", "help" }, { "b", "blame" },
		{ "a", "all" }, { "t", "thread" }, { "1-5<>", "sort" },
		{ "w", "window" }, { "p", "pause" }, { "r", "reset" },
		{ "L", "lines" }, { "i", "idle" }, { "s", "by process" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!c->u->tree && !strcmp(keys[i][0], "s"))
			continue;	/* one process: nothing to group */
		tui_put(c, TA_TITLE, "%s%s", i ? " " : "", keys[i][0]);
		tui_put(c, TA_KEYS, " %s", keys[i][1]);
	}
	tui_fill(c, TA_KEYS);
	tui_eol(c);
}

void tui_render(struct tui *u, const struct tui_out *out)
{
	struct tui_ctx c = { out, u, 0, 0 };
	int h = out->height, trows, frows, rest;

	tui_rows(u);
	if (out->screen && u->help) {
		/* the help has the whole screen: it is long */
		help(&c);
		while (h && c.lines < h - 1)
			tui_eol(&c);
		keybar(&c);
		return;
	}
	header(&c);
	/* after the header: threads heading, a blank, the lower pane's title
	 * and heading, the key bar */
	rest = h ? h - c.lines - 4 - (out->screen ? 1 : 0) : 0;
	trows = 0;
	frows = out->max_funcs;
	if (u->tree && u->group)	/* already a few per process */
		frows = 0;
	if (h) {
		/* the threads pane takes half, or what the lower pane
		 * leaves when it needs less */
		int lower = 1 + (int)(u->view == TUI_VIEW_BLAME ? u->nbrows :
				      u->nfrows);
		int half = rest - lower > rest / 2 ? rest - lower : rest / 2;

		trows = (int)u->nshown + (u->ntrows > u->nshown) + !u->ntrows;
		if (u->tree && u->group)	/* a header, a folded row */
			trows += 2 * (int)u->nprocs;
		if (trows > half && trows > 2)
			trows = half > 2 ? half : 2;
		frows = rest - trows;
		if (frows < 1)
			frows = 1;
	}
	tui_threads_pane(&c, trows);
	tui_eol(&c);
	if (u->view == TUI_VIEW_BLAME)
		tui_blame_pane(&c, frows);
	else
		functions(&c, frows);
	if (out->screen) {
		while (h && c.lines < h - 1)
			tui_eol(&c);
		keybar(&c);
	}
}
