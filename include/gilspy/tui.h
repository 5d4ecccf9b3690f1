/*
 * tui.h - `gilspy top`: a live view of who holds the GIL, who waits for it,
 * and the code behind it, as a full-screen ncurses UI or as plain-text
 * frames (batch mode).
 *
 * The tui owns a struct profile (the same model `record` fills) and is fed
 * from the same sampler by cmd/top.c: tui_add() for every sample.  Nothing
 * here samples, sleeps, prints errors or exits.
 *
 * The window.  Once per refresh, tui_refresh() takes a snapshot of the
 * profile's running totals: its stats, every thread's state counts and
 * every (thread, state, stack) count (profile_counts()).  Snapshots are
 * kept in a small ring (TUI_HISTORY).  Because a profile only ever grows
 * (ids are stable, counts only increase), what happened between two
 * snapshots is their difference, so:
 *
 *  - cumulative view: the newest snapshot alone (since the start or the
 *    last reset);
 *  - sliding view: newest minus the newest snapshot at least window_s
 *    seconds older (or the oldest one kept);
 *  - the header's sparklines: the differences of consecutive snapshots.
 *
 * The (thread, state, stack) counts are kept only in snapshots that can
 * still be the base of a sliding window, so memory is bounded by
 * (window / interval) copies of the distinct counts, not by time.  A reset
 * starts a new profile.  Pausing freezes what is shown (the last window is
 * kept and can still be re-sorted and filtered) while sampling goes on, so
 * the sliding window is right again as soon as the view resumes.
 *
 * Threads.  Busy threads come first (most held + waiting + native share
 * first, then by thread id), so the few threads that work are on screen
 * however many wait on a queue.  Threads with no busy sample in the window
 * are folded into one "N idle threads" row when there are two or more
 * (all_threads lists them; the thread the functions pane is filtered to is
 * never folded).  The header counts threads per state in the last sample.
 *
 * Blame.  Every waiting sample is charged to the thread that held the GIL
 * at that instant (analysis.h).  Snapshots keep the analysis's blame table
 * by waiter stack, which only grows like the counts, so blame is over the
 * same window as everything else (sliding or cumulative): the threads
 * pane's "blocked by" (the holder that kept the thread waiting most, and
 * its share of the thread's waiting) and the blame view (waiting thread:
 * function <- holding thread: function, most samples first).
 *
 * Percentages.  Thread rows: share of that thread's samples in the window
 * in each state.  Function rows: share of the thread-samples counted in the
 * pane (every thread, or the one picked with `t`; idle samples only with
 * --idle / `i`): %Own with the function innermost, %Total with it anywhere
 * on the stack, %Held / %Wait with it on the stack of a thread that held /
 * was waiting for the GIL.  So %Held + %Wait <= %Total.
 *
 * Colours follow the flame graph's state colours (flamegraph/palette.c,
 * Okabe-Ito, colour-blind safe): held vermillion, waiting blue, native
 * bluish green, idle grey, as near as the terminal's colours come.
 * The state is always written as text too, so the screen reads without
 * colour.
 */
#ifndef GILSPY_TUI_H
#define GILSPY_TUI_H

#include <stdint.h>
#include <sys/types.h>

#include "gilspy/error.h"
#include "gilspy/profile.h"
#include "gilspy/python.h"
#include "gilspy/util.h"

#define TUI_HISTORY 64		/* snapshots kept (sparkline length + 1) */

/* Columns of the functions pane, in screen order (keys 1-5). */
enum tui_sort {
	TUI_SORT_OWN = 0,
	TUI_SORT_TOTAL,
	TUI_SORT_HELD,
	TUI_SORT_WAITING,
	TUI_SORT_NAME,
	TUI_NSORTS
};

/* "own", "total", "held", "waiting", "name"; parse returns -1 if unknown. */
const char *tui_sort_name(enum tui_sort s);
int tui_sort_parse(const char *name, enum tui_sort *s);

struct tui_options {
	double window_s;	/* sliding window length (default 5) */
	int cumulative;		/* start with the cumulative view */
	int lines;		/* line-level rows (else function-level) */
	int lineno;		/* 0: no line numbers at all (--nolineno) */
	int idle;		/* count idle samples in the functions pane */
	enum tui_sort sort;
	pid_t thread;		/* start filtered to this tid (0: all) */
	int all_threads;	/* list idle threads too (else folded) */
	int blame;		/* start in the blame view */
	int group;		/* -s: start with rows grouped by process */
};
void tui_options_init(struct tui_options *o);

/* Facts about the target shown in the header; strings are copied. */
struct tui_target {
	pid_t pid;
	const char *command;	/* command line */
	const char *python;	/* "3.12.1" */
	double requested_hz;
	int blocking;
	int free_threaded;
};

struct tui;

/* A new view over a new profile (resolver r is copied and used for every
 * profile the tui creates).  now_ns: the start.  Never fails. */
struct tui *tui_new(const struct profile_resolver *r,
		    const struct tui_options *o, const struct tui_target *tg,
		    uint64_t now_ns);
void tui_free(struct tui *u);		/* NULL is a no-op */

/* -s: a view over a tree of processes, each with its own GIL.  It has no
 * profile of its own: tui_add_process() gives it one view per Python
 * process (its own profile over its own resolver r, its facts tg), to
 * which that process's samples go (tui_add() on what it returns, owned by
 * u).  Rows say whose they are (a PID column, a "process PID (command)"
 * root row in the functions pane); key s (or tui_options.group) groups
 * them under a line per process with its GIL held and contention.
 * tui_process_exited(): the process left (call it before its interpreter
 * goes: a last refresh reads names); its figures stay, frozen, marked
 * exited, until a reset forgets them. */
struct tui *tui_new_tree(const struct tui_options *o,
			 const struct tui_target *tg, uint64_t now_ns);
struct tui *tui_add_process(struct tui *u, const struct profile_resolver *r,
			    const struct tui_target *tg, pid_t ppid,
			    uint64_t now_ns);
void tui_process_exited(struct tui *p, uint64_t now_ns);

/* Feed one sample / one failed tick, exactly as record does. */
void tui_add(struct tui *u, const struct py_sample *s);
void tui_add_failed(struct tui *u, uint64_t time_ns);

/* Take a snapshot at now_ns and, unless paused, recompute the window that
 * is shown.  Call once per refresh interval. */
void tui_refresh(struct tui *u, uint64_t now_ns);

/* Forget everything seen so far (a new profile) and resume. */
void tui_reset(struct tui *u, uint64_t now_ns);

/* A line shown under the header until replaced (NULL clears it); alert
 * lines are highlighted.  The target's exit is reported this way. */
void tui_set_status(struct tui *u, int alert, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* One plain-text frame, as `top -b` writes it: header, threads, and at
 * most max_funcs function rows.  Deterministic for the same samples,
 * except for the wall-clock time in its first line. */
void tui_render_text(struct tui *u, struct strbuf *sb, int max_funcs);

/* --- the screen (ncurses) ------------------------------------------------ */

enum tui_action {
	TUI_CONTINUE,
	TUI_QUIT,
};

/* GS_OK when stdin/stdout are a terminal whose TERM can show the screen;
 * else GS_EUSAGE and a message (check before attaching to anything). */
enum gs_err tui_screen_usable(struct gs_error *err);
/* Take over the terminal (stdin/stdout must be a terminal).  Fails with
 * GS_EUSAGE and a message when it cannot (no terminal, unknown TERM).
 * While the screen is up, SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGABRT restore the
 * terminal before the process dies. */
enum gs_err tui_screen_start(struct gs_error *err);
/* Give the terminal back: leave the alternate screen, show the cursor,
 * restore the modes.  Idempotent; safe if the screen never started. */
void tui_screen_end(void);
int tui_screen_active(void);

/* Draw the current view. */
void tui_screen_draw(struct tui *u);
/* Handle every key waiting (non-blocking; with wait_ms > 0, first wait up
 * to that long for one).  Redraws when a key or a resize changed the
 * view.  TUI_QUIT on `q`. */
enum tui_action tui_screen_keys(struct tui *u, int wait_ms, uint64_t now_ns);

#endif
