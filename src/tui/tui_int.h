/*
 * tui_int.h - the parts of the tui shared by its files (internal to
 * src/tui/): the snapshot ring and window (model.c), the rows of the two
 * panes (rows.c), one renderer for both text and screen (render.c) and the
 * ncurses backend (screen.c).
 */
#ifndef GILSPY_TUI_INT_H
#define GILSPY_TUI_INT_H

#include <stddef.h>
#include <stdint.h>

#include "gilspy/tui.h"

/* Running totals of the profile at one moment. */
struct tui_snap {
	uint64_t time_ns;
	struct profile_stats st;
	size_t nthreads;
	uint64_t *tstate;		/* nthreads * GIL_NSTATES */
	struct profile_count *counts;	/* NULL once no window can start here */
	size_t ncounts;
};

/* What one frame shows: differences over the window. */
struct tui_window {
	uint64_t t0_ns, t1_ns;
	struct profile_stats d;		/* counters are deltas */
	size_t nthreads;
	uint64_t *tstate;		/* deltas, nthreads * GIL_NSTATES */
	struct profile_count *counts;	/* deltas, non-zero only */
	size_t ncounts;
	/* per refresh interval, oldest first; -1 where there were no samples */
	double held_hist[TUI_HISTORY], wait_hist[TUI_HISTORY];
	int nhist;
};

/* The state of a thread in the last sample. */
struct tui_last {
	pid_t tid;
	uint64_t thread_id;
	enum gil_state state;
};

struct tui_thread_row {
	uint32_t index;			/* profile thread index */
	pid_t tid;
	const char *name;
	uint64_t n;			/* samples in the window */
	uint64_t state[GIL_NSTATES];
	int now;			/* state in the last sample, -1: gone */
};

struct tui_func_row {
	uint32_t key;			/* function id, or frame id (lines) */
	uint64_t own, total, held, waiting;
};

struct tui {
	struct tui_options o;
	pid_t pid;
	char *command, *python;
	double requested_hz;
	int blocking, free_threaded;
	struct profile_resolver res;
	struct profile *prof;
	uint64_t start_ns;		/* of the profile (reset moves it) */

	struct tui_snap ring[TUI_HISTORY];
	size_t head, nsnaps;
	struct tui_window win;

	struct tui_last last[PY_MAX_THREADS];
	int nlast;

	/* view state, changed by keys */
	int paused;
	int help;
	int scroll;
	pid_t filter_tid;		/* 0: all threads */
	char status[160];
	int status_alert;

	/* rows of the window, rebuilt when it or the view state changes */
	int dirty;
	struct tui_thread_row *trows;
	size_t ntrows;
	struct tui_func_row *frows;
	size_t nfrows;
	uint64_t fsamples;		/* thread-samples behind the pane */
	uint64_t fstates[GIL_NSTATES];	/* of which, per state */
};

/* model.c */
const struct tui_snap *tui_newest(const struct tui *u);
/* Recompute the window from the snapshots (after `w`, or a refresh). */
void tui_window_update(struct tui *u);

/* rows.c: rebuild trows/frows from the window if dirty. */
void tui_rows(struct tui *u);
void tui_rows_release(struct tui *u);
/* Label of a function row (`name (file:line)`), appended to sb. */
void tui_row_label(struct strbuf *sb, const struct tui *u,
		   const struct tui_func_row *r);
/* Move the thread filter to the next (dir 1) or previous (-1) thread of
 * the pane, through "all threads". */
void tui_cycle_thread(struct tui *u, int dir);

/* render.c: one renderer, two backends. */
enum tui_attr {
	TA_NORMAL,
	TA_TITLE,	/* the first line */
	TA_HEAD,	/* a table heading */
	TA_SORTKEY,	/* the heading of the sort column */
	TA_HELD,
	TA_WAITING,
	TA_NATIVE,
	TA_IDLE,
	TA_DIM,
	TA_ALERT,
	TA_SELECTED,	/* the thread the functions pane is filtered to */
	TA_KEYS,	/* the key bar at the bottom */
	TA_NATTRS
};

struct tui_out {
	/* Append text (UTF-8) in an attribute to the current line. */
	void (*put)(void *ctx, const char *s, enum tui_attr a);
	/* End the current line. */
	void (*eol)(void *ctx);
	void *ctx;
	int width;		/* columns; 0: unlimited (text) */
	int height;		/* lines; 0: unlimited (text) */
	int utf8;		/* block characters allowed */
	int screen;		/* the interactive screen (key bar, help) */
	int max_funcs;		/* text: function rows at most */
};

void tui_render(struct tui *u, const struct tui_out *out);

#endif
