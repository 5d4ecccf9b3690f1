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
#include "gilspy/record_info.h"
#include "gilspy/util.h"

#define STATE_FRAME_HELD "[GIL held]"
#define STATE_FRAME_WAITING "[waiting for GIL]"
#define STATE_FRAME_NATIVE "[running without GIL]"
#define STATE_FRAME_IDLE "[idle]"

/* Blame stacks (output_options.blame): above a waiting stack's
 * `[waiting for GIL]`, `[held by NAME]` (NAME (tid) with threads) and the
 * holder's function, or `[GIL in hand-off]` when no thread held the GIL.
 * A contract with flamegraph/ too, which colours them. */
#define OUTPUT_BLAME_HELD_BY "[held by "
#define OUTPUT_BLAME_HANDOFF "[GIL in hand-off]"

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
	OUT_PPROF,		/* gzipped pprof profile.proto (pprof.c) */
	OUT_NFORMATS
};

/* Formats that need every sample in order, not only the aggregated
 * profile: rendered from a replay of the raw stream (seq_* below). */
#define OUTPUT_IS_SEQUENCE(f) ((f) == OUT_SPEEDSCOPE || (f) == OUT_CHROME)

/* "collapsed", "json", "svg", "speedscope", "chrome", "raw", "markdown",
 * "pprof". */
const char *output_format_name(enum output_format f);
/* Parse a -f argument (also accepts "folded", "txt", "md", "trace");
 * 0 ok, -1 unknown. */
int output_format_parse(const char *name, enum output_format *f);
/* Format implied by a file name's extension (.txt .folded .collapsed
 * .json .svg .speedscope.json .trace.json .gilspy .md .pb.gz .pprof);
 * -1 when the extension says nothing. */
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
	int blame;		/* collapsed and svg: blame stacks instead */
	const char *root;	/* collapsed: a frame above all (the thread
				   root included), or NULL */
};

/* Defaults: every state but idle, line numbers, state frames. */
void output_options_init(struct output_options *o);

/* Folded stacks, one `root;...;leaf count` line each, sorted. */
void output_collapsed(struct strbuf *sb, const struct profile *p,
		      const struct output_options *o);

/* --- -s: a process tree (tree.c); ri->procs lists the processes --------- */

/* `process PID (COMMAND LINE)`, the root frame of a process's stacks. */
void output_process_root(struct strbuf *sb, const struct record_process *rp);
/* Folded stacks of every process recorded, each under its process root. */
void output_collapsed_tree(struct strbuf *sb, const struct record_info *ri,
			   const struct output_options *o);
/* Every process recorded in one pprof profile (output_pprof_processes). */
void output_pprof_tree(struct strbuf *sb, const struct record_info *ri,
		       const struct output_options *o);
/* Threads of every process recorded; processes recorded. */
size_t output_tree_threads(const struct record_info *ri);
size_t output_tree_sampled(const struct record_info *ri);
/* The "processes" and "processes_skipped" members of the JSON report. */
void output_tree_json(struct strbuf *sb, const struct record_info *ri);
/* The per-process table of the summary, and of the markdown. */
void output_tree_text(struct strbuf *sb, const struct record_info *ri);
void output_tree_markdown(struct strbuf *sb, const struct record_info *ri);

/* The JSON report (schema in man/gilspy-record.1, section JSON REPORT). */
void output_json(struct strbuf *sb, const struct profile *p,
		 const struct output_options *o, const struct record_info *ri);

/* An interactive SVG flame graph of the folded stacks, with the GIL summary
 * in its header band.  Returns 0, or -1 when there were no samples (an SVG
 * saying so is still appended). */
int output_svg(struct strbuf *sb, const struct profile *p,
	       const struct output_options *o, const struct record_info *ri);

/* A gzipped pprof profile (profile.proto): one sample per (thread, state,
 * stack) with the labels gil_state, thread, tid and pid (ri->pid, when
 * known); o->states filters, o->lineno and o->function choose the line,
 * the thread and state are labels rather than frames; native frames are
 * locations in a mapping per file.  Binary: sb->len counts the bytes.  ri
 * may be NULL. */
void output_pprof(struct strbuf *sb, const struct profile *p,
		  const struct output_options *o, const struct record_info *ri);

/* One process of a recording that followed several (-s). */
struct output_process {
	pid_t pid;		/* <= 0: unknown (no pid label) */
	const char *cmdline;	/* NULL: the root says `process PID` only */
	const struct profile *p;
};
/* Several processes in one pprof profile: each sample labelled with its
 * process's pid and, when n > 1, rooted in a location
 * `process PID (COMMAND LINE)`; Python functions are shared, native
 * mappings are per process.  ri (may be NULL) is the recording's: rate,
 * duration, Python version, binary.  output_pprof() is this with one
 * process, ri's pid and command line. */
void output_pprof_processes(struct strbuf *sb,
			    const struct output_process *procs, size_t n,
			    const struct output_options *o,
			    const struct record_info *ri);

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

/* Text of one frame as the collapsed output writes it: profile_frame_text()
 * with o->lineno and o->function. */
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
/* The same in a recording of several processes (-s): proc says which one
 * the sample is of (proc->prof is p; NULL: a recording of one). */
void seq_add_proc(struct seq_renderer *r, const struct record_process *proc,
		  const struct profile *p, const struct py_sample *s);
void seq_add_failed_proc(struct seq_renderer *r,
			 const struct record_process *proc, uint64_t time_ns);
void seq_finish(struct seq_renderer *r, struct strbuf *sb,
		const struct profile *p, const struct record_info *ri);
void seq_free(struct seq_renderer *r);	/* NULL is a no-op */

/* --- markdown summary (markdown.c) ----------------------------------------
 *
 * The summary as GitHub-flavoured markdown for $GITHUB_STEP_SUMMARY and PR
 * comments; never more than OUTPUT_MARKDOWN_MAX bytes whatever the profile
 * (tables are cut, saying so).  base, when not NULL, is the base branch's
 * JSON report (baseline.h) and adds a delta column. */
#define OUTPUT_MARKDOWN_MAX 65536
struct baseline;
/* ri may be NULL. */
void output_markdown(struct strbuf *sb, const struct profile *p,
		     const struct record_info *ri, const struct baseline *base);

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
