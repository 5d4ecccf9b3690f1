/*
 * flamegraph.h - folded stacks in, one self-contained interactive SVG out.
 *
 * The renderer depends on util only and reads any folded-stack text (ours,
 * perf's stackcollapse output, py-spy's raw output, flamegraph.pl's input):
 *
 *     root;caller;leaf 12            one stack, root first, then a count
 *     root;caller;leaf 10 12         differential: base count, new count
 *
 * Counts are integers or decimals.  Malformed lines are counted in
 * struct fg_stats and skipped; they are never fatal by themselves.
 *
 * Stacks are merged into a tree as they arrive, so memory grows with the
 * number of distinct frames (tree nodes and distinct names), not with the
 * size of the input.  Rendering sorts siblings by name and prunes frames
 * narrower than the minimum width, so the same stacks, in any order, give a
 * byte-identical SVG.
 *
 * GIL states: the leaf frames "[GIL held]", "[waiting for GIL]",
 * "[running without GIL]" and "[idle]" (STATE_FRAME_* in output.h) get
 * fixed colour-blind-safe colours and a legend; every frame's tooltip
 * shows how its samples split between the four states (the sum of the
 * state leaves under it).
 *
 * Blame stacks (`gilspy record --blame`): a "[held by NAME]" or
 * "[GIL in hand-off]" frame right above a "[waiting for GIL]" frame, and
 * the frames above "[held by NAME]" (the holder's code), are drawn in the
 * held colours with their own legend entries and tooltips, and the graph
 * gets a subtitle saying it is a blame view (unless one was given).
 *
 * Typical use (what `gilspy record -o x.svg` does):
 *
 *     struct fg_options o;
 *     fg_options_init(&o);
 *     o.title = "python app.py";
 *     struct fg *g = fg_new(&o);
 *     fg_add_stack(g, frames, nframes, count);   // for every stack
 *     fg_set_gil_summary(g, &summary);           // optional header band
 *     struct strbuf svg = STRBUF_INIT;
 *     fg_render(g, &svg, NULL);
 *     write_file_atomic(path, svg.buf, svg.len);
 *     sb_release(&svg);
 *     fg_free(g);
 *
 * Thread safety: a struct fg is used by one thread at a time.
 */
#ifndef GILSPY_FLAMEGRAPH_H
#define GILSPY_FLAMEGRAPH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gilspy/util.h"

/* Colour schemes for ordinary (non-state) frames. */
enum fg_palette {
	FG_PALETTE_PYTHON,	/* your code warm, stdlib lilac, site-packages
				   green, native grey-blue (the default) */
	FG_PALETTE_HOT,		/* classic reds and yellows, by name */
	FG_PALETTE_MEM,		/* greens */
	FG_PALETTE_IO,		/* blues */
	FG_PALETTE_GRAY,	/* greys: only the GIL states stand out */
};

/* Parse a --colors value; 0 ok, -1 unknown. */
int fg_palette_parse(const char *name, enum fg_palette *p);

struct fg_options {
	const char *title;	/* NULL: "Flame Graph" */
	const char *subtitle;	/* NULL: none */
	const char *countname;	/* unit in tooltips; NULL: "samples" */
	int width;		/* image width in pixels (default 1200) */
	double minwidth;	/* prune frames narrower than this... */
	int minwidth_pct;	/* ...percent of all samples if set, else
				   pixels (default 0.1 px) */
	int inverted;		/* icicle graph: roots at the top */
	int reverse;		/* merge stacks leaf first (set before adding
				   any stack) */
	enum fg_palette palette;
	int normalize;		/* differential: scale base counts to the new
				   total before colouring the change */
};

/* Defaults as documented above. */
void fg_options_init(struct fg_options *o);

/*
 * The run's GIL summary for the header band, as `record` measured it.
 * Everything is copied by fg_set_gil_summary(); the caller keeps ownership
 * of its strings and array.  Percentages are 0..100; thread figures are
 * percentages of that thread's samples.
 */
struct fg_gil_thread {
	const char *name;
	int tid;
	double held, waiting, native, idle;
};

struct fg_gil_summary {
	double utilisation_pct;		/* ticks with a GIL holder */
	double contention_pct;		/* ticks with at least one waiter */
	double mean_waiters;
	double switches_per_s;
	double interval_ms;		/* sampling interval */
	const char *python_version;	/* "3.12.1", or NULL */
	double duration_s;
	uint64_t samples;
	int free_threaded;		/* no GIL: show running/idle only */
	int nthreads;
	const struct fg_gil_thread *threads;	/* nthreads entries */
};

/* Parse figures, for the command to report. */
struct fg_stats {
	uint64_t lines;			/* lines read, empty ones included */
	uint64_t stacks;		/* valid stack lines */
	uint64_t bad_lines;		/* malformed, skipped */
	uint64_t first_bad_line;	/* 1-based line number, 0: none */
	int diff_columns;		/* the input had two count columns */
};

/* What fg_render() did, for the command to report. */
struct fg_render_stats {
	uint64_t frames;		/* frames drawn */
	uint64_t pruned;		/* frames left out by minwidth */
	double total;			/* all samples (new side) */
};

struct fg;

/* A new, empty graph; opts is copied (its strings are copied too).
 * Free with fg_free(). */
struct fg *fg_new(const struct fg_options *opts);
/* fg_free(NULL) is a no-op. */
void fg_free(struct fg *g);

/* Which side of a differential graph a stack counts for.  A plain graph
 * only ever uses FG_NEW. */
enum fg_side { FG_NEW, FG_BASE };

/*
 * Stream folded text from fd until end of file, merging every stack into
 * the graph on `side`.  Lines with two counts add the first to FG_BASE and
 * the second to FG_NEW whatever `side` says.  st (may be NULL) receives
 * this call's figures.  Returns 0, or -1 with errno set on a read error.
 * Memory stays proportional to distinct frames however long the input is.
 */
int fg_read_fd(struct fg *g, int fd, enum fg_side side, struct fg_stats *st);
/* The same from a stdio stream (reads through fileno(f)); f stays open. */
int fg_read_file(struct fg *g, FILE *f, enum fg_side side, struct fg_stats *st);
/* The same from a buffer (tests, small inputs). */
void fg_read_mem(struct fg *g, const char *text, size_t len, enum fg_side side,
		 struct fg_stats *st);

/*
 * Add one stack, root first: frames[0..n-1] are NUL-terminated names (any
 * bytes; they are copied and escaped when rendered).  count must be >= 0.
 * Returns 0, or -1 if n == 0 or count is negative or not finite.
 */
int fg_add_stack(struct fg *g, const char *const *frames, size_t n,
		 double count, enum fg_side side);

/* Show this summary in the header band (copied; NULL clears it).  Without
 * one, a graph whose stacks end in GIL-state frames gets a band derived
 * from those frames. */
void fg_set_gil_summary(struct fg *g, const struct fg_gil_summary *s);

/* Total samples added so far on a side. */
double fg_total(const struct fg *g, enum fg_side side);

/*
 * Append the SVG to out.  Renders a differential graph when any FG_BASE
 * sample was added: widths from FG_NEW, red where a frame grew, blue where
 * it shrank.  Returns 0, or -1 when the graph has no samples at all (an
 * "empty" SVG is still appended, saying so).  st may be NULL.
 */
int fg_render(struct fg *g, struct strbuf *out, struct fg_render_stats *st);

/* Append s to sb as XML text: & < > " ' become entities, invalid UTF-8 and
 * characters XML forbids become U+FFFD.  Safe in text and attributes. */
void fg_xml_escape(struct strbuf *sb, const char *s, size_t len);

#endif
