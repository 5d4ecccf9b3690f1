/*
 * tui_int.h - the parts of the tui shared by its files (internal to
 * src/tui/): the snapshot ring and window (model.c), the rows of the
 * threads and functions panes (rows.c), the blame view and the threads'
 * "blocked by" column (blame.c), one renderer for both text and screen
 * (render.c) and the ncurses backend (screen.c).
 */
#ifndef GILSPY_TUI_INT_H
#define GILSPY_TUI_INT_H

#include <stddef.h>
#include <stdint.h>

#include "gilspy/analysis.h"
#include "gilspy/tui.h"

/* Running totals of the profile at one moment. */
struct tui_snap {
	uint64_t time_ns;
	struct profile_stats st;
	size_t nthreads;
	uint64_t *tstate;		/* nthreads * GIL_NSTATES */
	struct profile_count *counts;	/* NULL once no window can start here */
	size_t ncounts;
	/* the blame table by waiter stack (analysis_blame_stacks()), sorted
	 * by its ids; it only grows, like counts, and is dropped with them */
	struct blame_stack_row *blame;
	size_t nblame;
};

/* What one frame shows: differences over the window. */
struct tui_window {
	uint64_t t0_ns, t1_ns;
	struct profile_stats d;		/* counters are deltas */
	size_t nthreads;
	uint64_t *tstate;		/* deltas, nthreads * GIL_NSTATES */
	struct profile_count *counts;	/* deltas, non-zero only */
	size_t ncounts;
	struct blame_stack_row *blame;	/* deltas, non-zero only */
	size_t nblame;
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
	struct tui *src;		/* whose profile index is in (the
					   process's, with -s) */
	uint32_t index;			/* profile thread index */
	pid_t tid;
	const char *name;
	uint64_t n;			/* samples in the window */
	uint64_t state[GIL_NSTATES];
	uint64_t busy;			/* held + waiting + native (+ running) */
	int now;			/* state in the last sample, -1: gone */
	int folded;			/* in the "N idle threads" row */
	/* blocked by: the holder thread charged with most of this thread's
	 * waiting in the window (ANALYSIS_NONE: none, or only hand-offs),
	 * its samples, and all the waiting samples charged (the share's
	 * denominator) */
	uint32_t blocker;
	uint64_t blocker_n, blamed;
};

/* One row of the blame view: waiting (thread, function) <- holding
 * (thread, function), over the window. */
struct tui_blame_row {
	struct tui *src;		/* whose profile the ids are in */
	uint32_t waiter_thread, waiter_func;
	uint32_t holder_thread, holder_func;	/* ANALYSIS_NONE: no holder */
	uint64_t samples;
};

/* What the lower pane shows. */
enum tui_view {
	TUI_VIEW_FUNCTIONS = 0,
	TUI_VIEW_BLAME,
};

/* The pane the scroll keys move. */
enum tui_focus {
	TUI_FOCUS_LOWER = 0,	/* functions or blame */
	TUI_FOCUS_THREADS,
};

struct tui_func_row {
	struct tui *src;		/* whose profile key is in */
	int root;			/* -s: the process's root frame
					   ("process PID (command)") */
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
	int last_full;			/* the last sample hit PY_MAX_THREADS */

	/* view state, changed by keys */
	int paused;
	int help;
	int scroll;			/* first row of the lower pane */
	int tscroll;			/* first row of the threads pane */
	enum tui_view view;
	enum tui_focus focus;
	pid_t filter_tid;		/* 0: all threads */
	char status[160];
	int status_alert;

	/* rows of the window, rebuilt when it or the view state changes */
	int dirty;
	struct tui_thread_row *trows;	/* shown ones first, folded ones last */
	size_t ntrows;
	size_t nshown;			/* rows not folded */
	struct tui_func_row *frows;
	size_t nfrows;
	uint64_t fsamples;		/* thread-samples behind the pane */
	uint64_t fstates[GIL_NSTATES];	/* of which, per state */
	unsigned char *name_shared;	/* per profile thread: its name is
					   another's too */
	size_t nname_shared;
	struct tui_blame_row *brows;	/* the blame view, most first */
	size_t nbrows;
	uint64_t bsamples;		/* waiting samples behind the view */

	/* -s (procs.c): a view over a tree has no profile of its own but
	 * one tui per process (procs), in the order they joined; its window
	 * and rows are theirs put together, each row saying whose it is.
	 * A process's tui has its parent and its own ppid. */
	struct tui **procs;
	size_t nprocs;
	int tree;			/* this is a tree's view */
	int group;			/* rows grouped by process (key s) */
	struct tui *parent;
	pid_t ppid;
	int exited;			/* the process left: figures frozen */
	uint64_t ticks_max;		/* the most ticks of one process */
};

/* model.c */
const struct tui_snap *tui_newest(const struct tui *u);
/* Recompute the window from the snapshots (after `w`, or a refresh). */
void tui_window_update(struct tui *u);

/* rows.c: rebuild trows/frows/brows from the window if dirty. */
void tui_rows(struct tui *u);
void tui_rows_release(struct tui *u);
/* Label of a function row (`name (file:line)`), appended to sb. */
void tui_row_label(struct strbuf *sb, const struct tui *u,
		   const struct tui_func_row *r);
/* The name a row sorts by ("" for a process's root row). */
/* A function row's value in sort column s (0 for the name sort). */
uint64_t tui_sort_value(const struct tui_func_row *r, enum tui_sort s);
const char *tui_row_name(const struct tui_func_row *r);
/* Label of a function id (`name (file:firstline)`); "?" for
 * ANALYSIS_NONE or an unknown id. */
void tui_func_label(struct strbuf *sb, const struct tui *u, uint32_t func);
/* Name of a profile thread index; NULL when there is none. */
const char *tui_thread_name(const struct tui *u, uint32_t thread);
/* Whether another thread has the same name (threads named by the OS only
 * are all "python3"): then the tid tells them apart. */
int tui_thread_name_shared(const struct tui *u, uint32_t thread);
/* Move the thread filter to the next (dir 1) or previous (-1) thread
 * shown in the pane, through "all threads". */
void tui_cycle_thread(struct tui *u, int dir);

/* blame.c: the blame view's rows (brows) and every thread row's
 * "blocked by", from the window's blame deltas. */
void tui_blame_rows(struct tui *u);

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

/* The primitives of one frame being drawn (render.c), for the panes. */
struct tui_ctx {
	const struct tui_out *out;
	struct tui *u;
	int lines;		/* lines written */
	int col;		/* columns written on this line */
};

/* Append text in an attribute (nothing once the height is full). */
/* draw.c: whether the screen has a line left for c */
int tui_room(const struct tui_ctx *c);
void tui_emit(struct tui_ctx *c, const char *s, enum tui_attr a);
void tui_put(struct tui_ctx *c, enum tui_attr a, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Spaces up to the width (a heading's reverse video runs across). */
void tui_fill(struct tui_ctx *c, enum tui_attr a);
void tui_eol(struct tui_ctx *c);
/* s cut (and unless left, padded) to width columns, into dst. */
void tui_fit(char *dst, size_t size, const char *s, int width, int left);
enum tui_attr tui_state_attr(int s);
/* "all threads" or "thread NAME (TID)": whom the lower pane is about. */
void tui_filter_name(struct tui_ctx *c, char *buf, size_t size);

/* panes.c */
void tui_threads_pane(struct tui_ctx *c, int max_rows);
void tui_blame_pane(struct tui_ctx *c, int max_rows);
/* One thread row, its columns' widths (the threads pane's and the tree's
 * alike). */
struct tui_tcols {
	int pidw;		/* the PID column (-s), 0: none */
	int namew, bw, barw;
};
void tui_thread_row(struct tui_ctx *c, const struct tui_thread_row *r,
		    const struct tui_tcols *k);
void tui_thread_cols(struct tui_ctx *c, struct tui_tcols *k);

/* procs.c: the tree's view (-s) */
void tui_tree_refresh(struct tui *u, uint64_t now_ns);
void tui_tree_window_update(struct tui *u);
void tui_tree_reset(struct tui *u, uint64_t now_ns);
void tui_tree_rows(struct tui *u);
/* The threads pane of a tree: a PID column, and with group on, the
 * threads of each process under its header line. */
void tui_tree_threads_pane(struct tui_ctx *c, int max_rows);
/* "process PID (command)", a function row's text for a root row. */
void tui_proc_label(struct strbuf *sb, const struct tui *p);
/* The header line of one process (group view): pid, command, its GIL
 * held and contention over the window, "exited". */
void tui_proc_line(struct tui_ctx *c, const struct tui *p);

#endif
