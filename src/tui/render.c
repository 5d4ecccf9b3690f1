/*
 * render.c - the one layout of `gilspy top`, written through a tiny backend
 * (text for --batch, ncurses for the screen) so both show the same thing:
 *
 *   title: time, pid, Python version, command line
 *   window, sampling rate achieved, sample errors
 *   GIL utilisation, contention, switches/s, switch interval
 *   sparklines of held % and contention % per refresh
 *   status (paused, process exited, ...)
 *   threads pane: state now, % per state over the window, held|waiting bar
 *   functions pane: %Own %Total %Held %Wait, sorted, filtered
 *   key bar (screen only)
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

struct ctx {
	const struct tui_out *out;
	struct tui *u;
	int lines;		/* lines written */
	int col;		/* columns written on this line */
};

static int room(const struct ctx *c)
{
	return !c->out->height || c->lines < c->out->height;
}

static void emit(struct ctx *c, const char *s, enum tui_attr a)
{
	const unsigned char *p;

	if (!room(c))
		return;
	for (p = (const unsigned char *)s; *p; p++)
		c->col += (*p & 0xc0) != 0x80;
	c->out->put(c->out->ctx, s, a);
}

static void put(struct ctx *c, enum tui_attr a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void put(struct ctx *c, enum tui_attr a, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!room(c))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	emit(c, buf, a);
}

/* Spaces in a up to the width (a heading's reverse video runs across). */
static void fill(struct ctx *c, enum tui_attr a)
{
	while (c->out->width && c->col < c->out->width && room(c))
		emit(c, " ", a);
}

static void eol(struct ctx *c)
{
	if (!room(c))
		return;
	c->out->eol(c->out->ctx);
	c->lines++;
	c->col = 0;
}

/* Copy s into dst, cut or padded to width columns (one per code point:
 * names are ASCII in practice; control bytes become '?'). */
static void fit(char *dst, size_t size, const char *s, int width, int left)
{
	size_t o = 0;
	int cols = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p && cols < width && o + 5 < size) {
		size_t n = 1;

		if (*p >= 0xf0)
			n = 4;
		else if (*p >= 0xe0)
			n = 3;
		else if (*p >= 0xc0)
			n = 2;
		if (*p < 0x20 || *p == 0x7f) {
			dst[o++] = '?';
			p++;
		} else {
			while (n-- && *p)
				dst[o++] = (char)*p++;
		}
		cols++;
	}
	dst[o] = '\0';
	if (left)
		return;
	while (cols < width && o + 1 < size) {
		dst[o++] = ' ';
		cols++;
	}
	dst[o] = '\0';
}

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

static enum tui_attr state_attr(int s)
{
	switch (s) {
	case GIL_HELD: return TA_HELD;
	case GIL_WAITING: return TA_WAITING;
	case GIL_NATIVE: case GIL_RUNNING: return TA_NATIVE;
	case GIL_IDLE: return TA_IDLE;
	default: return TA_DIM;
	}
}

/* --- header -------------------------------------------------------------- */

static void sparkline(struct ctx *c, const double *v, int n, int width)
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
	emit(c, buf, TA_NORMAL);
	for (; n < width; n++)
		emit(c, " ", TA_NORMAL);
}

static void header(struct ctx *c)
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
	put(c, TA_TITLE, "gilspy top - %s - pid %d - Python %s", tbuf,
	    (int)u->pid, u->python);
	put(c, TA_NORMAL, " - %s", u->command);
	eol(c);

	duration(dbuf, sizeof(dbuf), span);
	if (u->o.cumulative)
		put(c, TA_NORMAL, "window: cumulative, %s", dbuf);
	else
		put(c, TA_NORMAL, "window: last %s (sliding, %gs)", dbuf,
		    u->o.window_s);
	put(c, TA_NORMAL, "   sampling %.1f Hz (requested %g%s)",
	    span > 0 ? (double)d->ticks / span : 0.0, u->requested_hz,
	    u->blocking ? ", blocking" : "");
	put(c, errors ? TA_ALERT : TA_NORMAL, "   errors %llu (%.1f%%)",
	    (unsigned long long)errors, profile_pct(errors, d->ticks));
	eol(c);

	if (u->free_threaded || d->no_gil) {
		put(c, TA_NORMAL, "GIL: none (free-threaded build): threads "
		    "are running or idle");
		eol(c);
	} else {
		put(c, TA_NORMAL, "GIL held ");
		put(c, TA_HELD, "%5.1f%%", profile_pct(d->held_ticks, d->samples));
		put(c, TA_NORMAL, "  contention ");
		put(c, d->contended_ticks ? TA_WAITING : TA_NORMAL, "%5.1f%%",
		    profile_pct(d->contended_ticks, d->samples));
		put(c, TA_NORMAL, " of ticks (mean %.2f waiting)",
		    d->samples ? (double)d->waiter_sum / (double)d->samples :
				 0.0);
		put(c, TA_NORMAL, "  switches %.1f/s  interval %.1f ms",
		    span > 0 ? (double)d->switches / span : 0.0,
		    (double)d->interval_us / 1000.0);
		eol(c);
	}

	/* sparklines, one column per refresh, newest on the right */
	sw = c->out->width ? (c->out->width - 30) / 2 : 40;
	if (sw > TUI_HISTORY - 1)
		sw = TUI_HISTORY - 1;
	if (sw >= 4 && room(c) && !(u->free_threaded || d->no_gil)) {
		put(c, TA_NORMAL, "held     ");
		sparkline(c, w->held_hist, w->nhist, sw);
		put(c, TA_NORMAL, "   contention ");
		sparkline(c, w->wait_hist, w->nhist, sw);
		eol(c);
	}

	if (u->paused)
		put(c, TA_ALERT, "[paused: p resumes]  ");
	if (u->status[0])
		put(c, u->status_alert ? TA_ALERT : TA_DIM, "%s", u->status);
	eol(c);
}

/* --- threads ------------------------------------------------------------- */

static void bar(struct ctx *c, const struct tui_thread_row *r, int width)
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
		emit(c, h, TA_HELD);
	for (i = 0; i < nw; i++)
		emit(c, wt, TA_WAITING);
	for (i = nh + nw; i < width; i++)
		emit(c, rest, TA_DIM);
}

static const char *state_text(int s)
{
	return s < 0 ? "gone" : gil_state_name((enum gil_state)s);
}

static void threads(struct ctx *c, int max_rows)
{
	struct tui *u = c->u;
	char name[128];
	int namew = 16, barw, i, shown;

	/* tid 7, name, state 8, four 8-wide columns, two gaps */
	barw = c->out->width ? c->out->width - (7 + 2 + namew + 1 + 8 +
						 4 * 8 + 2) - 1 : 20;
	if (barw > 40)
		barw = 40;
	if (barw < 8)
		barw = 0;
	put(c, TA_HEAD, "%7s  %-*s %-8s%8s%8s%8s%8s  %-*s", "TID", namew,
	    "THREAD", "STATE", "HELD%", "WAIT%", "NATIVE%", "IDLE%",
	    barw > 0 ? barw : 0, barw > 12 ? "HELD|WAITING" : "");
	fill(c, TA_HEAD);
	eol(c);
	shown = (int)u->ntrows;
	if (max_rows > 0 && shown > max_rows)
		shown = max_rows - 1;
	for (i = 0; i < shown; i++) {
		const struct tui_thread_row *r = &u->trows[i];
		int sel = u->filter_tid && r->tid == u->filter_tid;
		struct profile_shares sh;

		profile_shares_count(&sh, r->state);
		fit(name, sizeof(name), r->name, namew, 0);
		put(c, sel ? TA_SELECTED : TA_NORMAL, "%s%6d  %s", sel ? ">" : " ",
		    (int)r->tid, name);
		put(c, TA_NORMAL, " ");
		put(c, state_attr(r->now), "%-8s", state_text(r->now));
		put(c, TA_NORMAL, "%8.1f%8.1f%8.1f%8.1f  ",
		    profile_pct(sh.held, r->n), profile_pct(sh.waiting, r->n),
		    profile_pct(sh.native, r->n), profile_pct(sh.idle, r->n));
		if (barw > 0)
			bar(c, r, barw);
		eol(c);
	}
	if (shown < (int)u->ntrows) {
		put(c, TA_DIM, "        ... and %d more threads (t picks one)",
		    (int)u->ntrows - shown);
		eol(c);
	}
	if (!u->ntrows) {
		put(c, TA_DIM, "        (no samples yet)");
		eol(c);
	}
}

/* --- functions ----------------------------------------------------------- */

static void filter_name(struct ctx *c, char *buf, size_t size)
{
	struct tui *u = c->u;
	size_t i;

	if (!u->filter_tid) {
		snprintf(buf, size, "all threads");
		return;
	}
	for (i = 0; i < u->ntrows; i++)
		if (u->trows[i].tid == u->filter_tid) {
			snprintf(buf, size, "thread %.40s (%d)",
				 u->trows[i].name, (int)u->filter_tid);
			return;
		}
	snprintf(buf, size, "thread %d (not in the window)",
		 (int)u->filter_tid);
}

static void functions(struct ctx *c, int max_rows)
{
	struct tui *u = c->u;
	struct strbuf sb = STRBUF_INIT;
	char who[96];
	int i, first;

	filter_name(c, who, sizeof(who));
	put(c, TA_TITLE, "FUNCTIONS");
	put(c, TA_NORMAL, "  by %s, sorted by %s, %s, idle %s, %llu samples",
	    u->o.lines ? "line" : "function", sort_titles[u->o.sort], who,
	    u->o.idle ? "included" : "excluded",
	    (unsigned long long)u->fsamples);
	eol(c);
	for (i = 0; i < TUI_NSORTS; i++) {
		enum tui_attr a = (int)u->o.sort == i ? TA_SORTKEY : TA_HEAD;

		if (i < TUI_SORT_NAME)
			put(c, a, "%7s", sort_titles[i]);
		else
			put(c, a, "  %s (%s)", u->o.lines ? "LINE" :
			    "FUNCTION", u->o.lineno ? "file:line" : "file");
	}
	fill(c, TA_HEAD);
	eol(c);
	if (!u->nfrows) {
		put(c, TA_DIM, "      (no samples%s)", u->o.idle ? "" :
		    "; idle ones are left out, i counts them");
		eol(c);
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
		put(c, TA_NORMAL, "%7.1f%7.1f", profile_pct(r->own, u->fsamples),
		    profile_pct(r->total, u->fsamples));
		put(c, r->held ? TA_HELD : TA_NORMAL, "%7.1f",
		    profile_pct(r->held, u->fsamples));
		put(c, r->waiting ? TA_WAITING : TA_NORMAL, "%7.1f",
		    profile_pct(r->waiting, u->fsamples));
		sb_reset(&sb);
		tui_row_label(&sb, u, r);
		put(c, TA_NORMAL, "  %s", sb.buf);
		eol(c);
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
	"  t  T       functions of the next / previous thread only (then all)",
	"  i          count idle samples in the functions pane or not",
	"  w          sliding window / cumulative since the start",
	"  p  space   pause the display (sampling goes on)",
	"  r          reset every counter",
	"  up down pgup pgdn home   scroll the functions pane",
	"",
	"States:  held     holds the GIL",
	"         waiting  blocked taking the GIL (contention)",
	"         native   on CPU with the GIL released (C code)",
	"         idle     off CPU with the GIL released (sleep, I/O, locks)",
	"",
	"%Own: the function is innermost; %Total: anywhere on the stack;",
	"%Held / %Wait: on the stack of a thread holding / waiting for the GIL.",
	"All are shares of the thread-samples counted in the functions pane.",
};

static void help(struct ctx *c)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(help_lines); i++) {
		const char *l = help_lines[i];

		if (!strncmp(l, "States:", 7) || !strncmp(l, "       ", 7)) {
			char word[16];
			int n = (int)strcspn(l + 9, " ");

			snprintf(word, sizeof(word), "%.*s", n, l + 9);
			put(c, TA_NORMAL, "%.9s", l);
			put(c, !strcmp(word, "held") ? TA_HELD :
			    !strcmp(word, "waiting") ? TA_WAITING :
			    !strcmp(word, "native") ? TA_NATIVE : TA_IDLE,
			    "%s", word);
			put(c, TA_NORMAL, "%s", l + 9 + n);
		} else {
			put(c, i ? TA_NORMAL : TA_TITLE, "%s", l);
		}
		eol(c);
	}
}

/* --- the whole frame ----------------------------------------------------- */

static void keybar(struct ctx *c)
{
	static const char *const keys[][2] = {
		{ "q", "quit" }, { "?", "help" }, { "1-5<>", "sort" },
		{ "L", "lines" }, { "t", "thread" }, { "i", "idle" },
		{ "w", "window" }, { "p", "pause" }, { "r", "reset" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		put(c, TA_TITLE, "%s%s", i ? " " : "", keys[i][0]);
		put(c, TA_KEYS, " %s", keys[i][1]);
	}
	fill(c, TA_KEYS);
	eol(c);
}

void tui_render(struct tui *u, const struct tui_out *out)
{
	struct ctx c = { out, u, 0, 0 };
	int h = out->height, trows, frows, rest;

	tui_rows(u);
	header(&c);
	if (out->screen && u->help) {
		help(&c);
		while (h && c.lines < h - 1)
			eol(&c);
		keybar(&c);
		return;
	}
	/* after the header: threads heading, a blank, functions title and
	 * heading, the key bar */
	rest = h ? h - c.lines - 4 - (out->screen ? 1 : 0) : 0;
	trows = 0;
	frows = out->max_funcs;
	if (h) {
		trows = (int)u->ntrows + !u->ntrows;
		if (trows > rest / 2 && trows > 2)
			trows = rest / 2 > 2 ? rest / 2 : 2;
		frows = rest - trows;
		if (frows < 1)
			frows = 1;
	}
	threads(&c, trows);
	eol(&c);
	functions(&c, frows);
	if (out->screen) {
		while (h && c.lines < h - 1)
			eol(&c);
		keybar(&c);
	}
}
