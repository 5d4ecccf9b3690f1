/*
 * output.h - render a recorded profile: folded stacks ("collapsed"), a JSON
 * report, and the end-of-run text summary.
 *
 * Renderers append to a strbuf and never print, write files or exit: the
 * command decides where the text goes.  Output is deterministic for a given
 * profile: everything is sorted, nothing depends on hash order or time of
 * rendering.
 *
 * Frames are written `function (file.py:LINE)` (`function (file.py)` without
 * line numbers).  Files under a Python library directory (lib/pythonX.Y,
 * site-packages, dist-packages) are shown relative to it, other files by
 * their base name; the JSON report keeps full paths.  The GIL state is a
 * synthetic leaf frame, and --threads adds a root `thread NAME (tid)`.  The
 * four state-frame strings are a contract with flamegraph/ (which colours
 * by them): do not change them.
 */
#ifndef GILSPY_OUTPUT_H
#define GILSPY_OUTPUT_H

#include <stdint.h>
#include <sys/types.h>

#include "gilspy/profile.h"
#include "gilspy/util.h"

#define STATE_FRAME_HELD "[GIL held]"
#define STATE_FRAME_WAITING "[waiting for GIL]"
#define STATE_FRAME_NATIVE "[running without GIL]"
#define STATE_FRAME_IDLE "[idle]"

/* Version of the JSON report's schema (its "version" field); bumped when a
 * field changes meaning or disappears, not when one is added. */
#define OUTPUT_JSON_VERSION 1

enum output_format {
	OUT_COLLAPSED,
	OUT_JSON,
	OUT_SVG,
	OUT_SPEEDSCOPE,		/* speedscope's sampled-profile JSON */
	OUT_CHROME,		/* Chrome trace-event JSON (a GIL timeline) */
	OUT_RAW,		/* every sample, zlib-compressed (raw.h) */
	OUT_MARKDOWN,		/* the summary as markdown (CI step summary) */
	OUT_NFORMATS
};

/* Formats that need every sample in order, not only the aggregated
 * profile: rendered from a replay of the raw stream (seq_* below). */
#define OUTPUT_IS_SEQUENCE(f) ((f) == OUT_SPEEDSCOPE || (f) == OUT_CHROME)

/* "collapsed", "json", "svg", "speedscope", "chrome", "raw", "markdown". */
const char *output_format_name(enum output_format f);
/* Parse a -f argument (also accepts "folded", "txt", "md", "trace");
 * 0 ok, -1 unknown. */
int output_format_parse(const char *name, enum output_format *f);
/* Format implied by a file name's extension (.txt .folded .collapsed
 * .json .svg .speedscope.json .trace.json .gilspy .md); -1 when the
 * extension says nothing. */
int output_format_from_path(const char *path, enum output_format *f);

/* The synthetic leaf frame of a state (GIL_RUNNING, free-threaded, is shown
 * as running without the GIL). */
const char *output_state_frame(enum gil_state s);

struct output_options {
	unsigned states;	/* bit (1u << state) for each state rendered */
	int threads;		/* add a `thread NAME (tid)` root */
	int lineno;		/* show line numbers (default 1) */
	int function;		/* line = the function's first line */
	int state_frames;	/* add the GIL-state leaf (default 1) */
};

/* Defaults: every state but idle, line numbers, state frames. */
void output_options_init(struct output_options *o);

/* Facts about the recording that the profile itself does not hold. */
struct record_info {
	pid_t pid;
	const char *python;		/* "3.12.1", or NULL */
	const char *binary;		/* exe or libpython, or NULL */
	const char *command;		/* launch mode: the command line */
	const char *cmdline;		/* the target's own command line as
					   /proc shows it, or NULL */
	double requested_hz;
	uint64_t wall_ns;		/* length of the recording, 0: from the
					   first to the last tick */
	int blocking;
	const char *stopped_by;		/* "duration", "interrupted", ... */
	uint64_t profiler_cpu_ns;	/* gilspy's CPU time while sampling */
	uint64_t missed_ticks;		/* deadlines skipped when behind */
	long peak_rss_kb;
	int exit_code;			/* launch mode, -1 otherwise */
	int cores;			/* what-if on this many cores (--cores);
					   0: this machine's */
};

/* Folded stacks, one `root;...;leaf count` line each, sorted. */
void output_collapsed(struct strbuf *sb, const struct profile *p,
		      const struct output_options *o);

/* The JSON report (schema in man/gilspy-record.1, section JSON REPORT). */
void output_json(struct strbuf *sb, const struct profile *p,
		 const struct output_options *o, const struct record_info *ri);

/* An interactive SVG flame graph of the folded stacks, with the GIL summary
 * in its header band.  Returns 0, or -1 when there were no samples (an SVG
 * saying so is still appended). */
int output_svg(struct strbuf *sb, const struct profile *p,
	       const struct output_options *o, const struct record_info *ri);

/* The text summary printed at the end of `record`, several lines. */
void output_summary(struct strbuf *sb, const struct profile *p,
		    const struct record_info *ri);

/* --- the contention analyses (explain.c) ---------------------------------
 * Who makes whom wait, GIL holds and the what-if line (analysis.h), for the
 * summary, the JSON report and the markdown.  base_speedup: the base
 * report's what-if speedup for a delta, 0 for none. */
void output_explain_text(struct strbuf *sb, const struct profile *p,
			 const struct record_info *ri);
void output_explain_json(struct strbuf *sb, const struct profile *p,
			 const struct record_info *ri);
void output_explain_markdown(struct strbuf *sb, const struct profile *p,
			     const struct record_info *ri, double base_speedup);
/* "without GIL contention this run would take about 55 % of its time on
 * 2 cores (1.80x faster)" */
void output_what_if_line(struct strbuf *sb, const struct profile *p,
			 const struct record_info *ri);
/* ri->cores, or this machine's when not set (ri may be NULL). */
int output_cores(const struct record_info *ri);

/* Text of one frame as the collapsed output writes it. */
void output_frame(struct strbuf *sb, const struct profile_frame *f,
		  const struct output_options *o);

/* --- formats that need every sample (speedscope.c, chrome.c) ------------
 *
 * A sequence renderer is fed every sample in order, each right after
 * profile_add() took it into p (so profile_last_thread()/profile_last_stack()
 * describe it), then renders once at the end.  Its memory grows with the
 * output it will write, never with more than that. */
struct seq_renderer;
/* f is OUT_SPEEDSCOPE or OUT_CHROME; o is copied. */
struct seq_renderer *seq_new(enum output_format f,
			     const struct output_options *o);
void seq_add(struct seq_renderer *r, const struct profile *p,
	     const struct py_sample *s);
void seq_add_failed(struct seq_renderer *r, uint64_t time_ns);
void seq_finish(struct seq_renderer *r, struct strbuf *sb,
		const struct profile *p, const struct record_info *ri);
void seq_free(struct seq_renderer *r);	/* NULL is a no-op */

/* --- markdown summary (markdown.c) ----------------------------------------
 *
 * The summary as GitHub-flavoured markdown for $GITHUB_STEP_SUMMARY and PR
 * comments; never more than OUTPUT_MARKDOWN_MAX bytes whatever the profile
 * (tables are cut, saying so).  base, when not NULL, is the base branch's
 * JSON report and adds a delta column. */
#define OUTPUT_MARKDOWN_MAX 65536
struct baseline;
/* ri may be NULL. */
void output_markdown(struct strbuf *sb, const struct profile *p,
		     const struct record_info *ri, const struct baseline *base);

/* A base branch's JSON report, as far as the markdown summary needs it.
 * A report from an older or newer gilspy may lack a figure: `has` says
 * which were found (BASE_* bits), and an absent one gets no delta.
 * Unknown fields are ignored, and so is a known one of the wrong type. */
#define BASE_DURATION		(1u << 0)	/* duration_s */
#define BASE_SAMPLES		(1u << 1)	/* samples */
#define BASE_UTILISATION	(1u << 2)
#define BASE_CONTENTION		(1u << 3)
#define BASE_WAITERS		(1u << 4)	/* mean_waiters */
#define BASE_SWITCHES		(1u << 5)	/* switches_per_s */
#define BASE_ERRORS		(1u << 6)	/* errors_pct */
#define BASE_STATES		(1u << 7)	/* state_total (thread counts) */
#define BASE_THREADS		(1u << 8)	/* threads[] */
#define BASE_FUNCTIONS		(1u << 9)	/* funcs[] */
#define BASE_SPEEDUP		(1u << 10)	/* no_gil_speedup */

struct baseline_thread {
	char *name;
	pid_t tid;
	int has_pct;			/* pct[] known */
	double pct[GIL_NSTATES];	/* % of the thread's samples */
	int has_counts;			/* count[] known */
	uint64_t count[GIL_NSTATES];	/* samples per state */
};

struct baseline_func {
	char *name, *file;		/* file: full path */
	char *key;			/* `name (file)` as output_frame()
					   writes it without a line: what
					   matches a function across runs */
	double pct[GIL_NSTATES];	/* % of all thread samples in that
					   state with it innermost; < 0:
					   unknown (only a top-5 entry) */
};

struct baseline {
	int version;			/* the report's schema version */
	char *generator;		/* "gilspy 0.1.0" */
	char *python, *command;		/* NULL when absent */
	unsigned has;			/* BASE_* */
	int no_gil;			/* "gil": false */
	double duration_s, utilisation_pct, contention_pct, mean_waiters,
	       switches_per_s, errors_pct, no_gil_speedup;
	uint64_t samples;
	uint64_t state_total[GIL_NSTATES];	/* thread samples per state */
	struct baseline_thread *threads;	/* in file order (by tid) */
	size_t nthreads;
	struct baseline_func *funcs;
	size_t nfuncs;
};

/* Load a JSON report written by `record -f json` / `report -f json`.
 * 0 with *out set (free with baseline_free), or -1 with a one-line reason
 * in why ("'base.json' is not a gilspy JSON report: ...").  The file is
 * read as a stream with every size bounded (nesting, string length,
 * number of threads and functions kept), so any input is safe. */
int baseline_load(const char *path, struct baseline **out, struct strbuf *why);
void baseline_free(struct baseline *b);	/* NULL is a no-op */

/* Figures derived from the profile, shared by the summary and the JSON. */
struct output_figures {
	double duration_s;		/* ri->wall_ns, else first to last tick */
	double achieved_hz;		/* ticks / duration */
	double errors_pct;		/* failed or torn ticks / ticks */
	uint64_t errors;
	double utilisation_pct;		/* ticks with a holder / samples */
	double contention_pct;		/* ticks with a waiter / samples */
	double mean_waiters;		/* waiters per sample */
	double switches_per_s;
};
/* ri may be NULL. */
void output_figures(const struct profile *p, const struct record_info *ri,
		    struct output_figures *fig);

#endif
