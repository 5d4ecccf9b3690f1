/*
 * outputs.h - the outputs of `record` and `report` (internal to src/cmd/):
 * the options they share (-o, -f, filters, --summary, --baseline,
 * --fail-if), the renderers fed sample by sample (raw, speedscope,
 * chrome), and the tail that writes every output, the step summary and
 * checks the thresholds.
 *
 * Usage: outset_init(); outset_option() for each getopt result (it takes
 * the OUTSET_LONGOPTS options); outset_resolve() after parsing;
 * outset_begin() and outset_meta() before the first sample; outset_sample()/outset_failed()
 * for each one, after profile_add(); outset_write() and outset_gates() at
 * the end; outset_release().
 */
#ifndef GILSPY_CMD_OUTPUTS_H
#define GILSPY_CMD_OUTPUTS_H

#include <getopt.h>

#include "gilspy/gates.h"
#include "gilspy/output.h"
#include "gilspy/raw.h"

#define OUTSET_MAX 8

enum {
	OPT_GIL = 300, OPT_WAITING, OPT_IDLE, OPT_THREADS, OPT_NOLINENO,
	OPT_FUNCTION, OPT_NO_STATE_FRAMES, OPT_SUMMARY, OPT_BASELINE,
	OPT_FAIL_IF, OPT_CORES,
	OPT_BLAME,
};

/* getopt_long entries for the shared options ('o', 'f' and the OPT_*). */
#define OUTSET_LONGOPTS \
	{ "output", required_argument, NULL, 'o' }, \
	{ "format", required_argument, NULL, 'f' }, \
	{ "gil", no_argument, NULL, OPT_GIL }, \
	{ "waiting", no_argument, NULL, OPT_WAITING }, \
	{ "idle", no_argument, NULL, OPT_IDLE }, \
	{ "threads", no_argument, NULL, OPT_THREADS }, \
	{ "nolineno", no_argument, NULL, OPT_NOLINENO }, \
	{ "function", no_argument, NULL, OPT_FUNCTION }, \
	{ "no-state-frames", no_argument, NULL, OPT_NO_STATE_FRAMES }, \
	{ "summary", required_argument, NULL, OPT_SUMMARY }, \
	{ "baseline", required_argument, NULL, OPT_BASELINE }, \
	{ "fail-if", required_argument, NULL, OPT_FAIL_IF }, \
	{ "cores", required_argument, NULL, OPT_CORES }, \
	{ "blame", no_argument, NULL, OPT_BLAME }

/* The --help lines for them. */
#define OUTSET_HELP \
	"  -f, --format FMT       collapsed, json, svg, speedscope, chrome, raw,\n" \
	"                         markdown or pprof (default: from the file\n" \
	"                         name's extension, else collapsed)\n" \
	"      --gil              only samples holding the GIL\n" \
	"      --waiting          only samples waiting for the GIL\n" \
	"      --idle             include idle samples (left out by default)\n" \
	"      --threads          one root frame per thread\n" \
	"      --nolineno         no line numbers in frames\n" \
	"      --function         aggregate by function (its first line)\n" \
	"      --no-state-frames  no [GIL held]/[waiting for GIL]/... leaf frames\n" \
	"      --summary FILE     append a markdown summary to FILE (e.g.\n" \
	"                         \"$GITHUB_STEP_SUMMARY\"; '-' is stdout)\n" \
	"      --baseline FILE    a JSON report of the base branch: the markdown\n" \
	"                         shows the changes against it\n" \
	"      --fail-if EXPR     exit 1 (after writing everything) when EXPR\n" \
	"                         holds, e.g. 'waiting>20%', 'held[worker-*]<50%',\n" \
	"                         against --baseline 'waiting>base+5%',\n" \
	"                         each process of -s: 'held{*}<80%'\n" \
	"                         (repeatable; see man gilspy-record)\n" \
	"      --cores N          the what-if prediction for N cores (default:\n" \
	"                         this machine's)\n" \
	"      --blame            collapsed and svg: only waiting stacks, each\n" \
	"                         topped by the threads that held the GIL and\n" \
	"                         their functions ([held by NAME])\n"

struct out_file {
	const char *path;		/* NULL: a default name */
	enum output_format fmt;
	struct seq_renderer *seq;
	struct raw_writer *raw;
	char *default_path;
};

struct out_set {
	struct output_options oo;
	struct out_file outs[OUTSET_MAX];
	int nouts;
	int have_format;
	enum output_format format;
	unsigned only;
	int idle;
	const char *summary_path;
	const char *baseline_path;
	struct baseline *base;
	struct gates *gates;
	int cores;			/* --cores, 0: this machine's */
	struct strbuf crossed;		/* lines of the thresholds crossed */
	int ncrossed;			/* -1: not checked yet */
};

void outset_init(struct out_set *o);
/* Handle getopt result c with argument arg: 1 when it was a shared
 * option, 0 when not, -1 on a usage error (already printed). */
int outset_option(struct out_set *o, int c, const char *arg);
/* After option parsing: formats from extensions, filters.  With no -o,
 * one output of the -f format (default collapsed) to default_path(fmt), or
 * to stdout when default_stem is NULL. */
void outset_resolve(struct out_set *o, const char *default_stem);
/* Before attaching or launching: can every -o and the --summary file be
 * written?  Nothing is changed (a probe file is created and removed at
 * once); with no -o and default_here, the current directory is checked,
 * where the default name goes.  0, or 2 (a usage error) after printing a
 * line naming the path and why. */
int outset_check(struct out_set *o, int default_here);
/* -s: can every output hold several processes?  0, or 2 after saying
 * which cannot. */
int outset_check_tree(const struct out_set *o);
/* The errno of a raw output that failed to write during the run (disk
 * full), with its path; 0 when none did. */
int outset_write_error(const struct out_set *o, const char **path);
/* Load the --baseline report (before starting anything, so a bad one
 * stops the command early).  0; 1 after printing why; 2 (a usage error)
 * when a --fail-if expression compares with "base" and no --baseline was
 * given. */
int outset_load(struct out_set *o);
/* Load the baseline if not yet done, open raw outputs, create the sequence renderers.
 * 0, or 1 or 2 (as outset_load) after printing why. */
int outset_begin(struct out_set *o);
/* Who is recorded (for the raw outputs' header): before the first sample. */
void outset_meta(struct out_set *o, const struct record_info *ri);
/* proc: which process the sample is of, in a recording of several (-s;
 * proc->prof is p); NULL in a recording of one. */
void outset_sample(struct out_set *o, const struct record_process *proc,
		   const struct profile *p, const struct py_sample *s);
void outset_failed(struct out_set *o, const struct record_process *proc,
		   uint64_t time_ns);
/* Check the thresholds, then write every output and the --summary file
 * (markdown ones say which thresholds were crossed); "path (format)" of
 * each one written is appended to done.  0, or 1 when one failed (said
 * why). */
int outset_write(struct out_set *o, const struct profile *p,
		 const struct record_info *ri, struct strbuf *done);
/* Print a line for each --fail-if threshold crossed (checked by
 * outset_write(), or now); 1 when one was. */
int outset_gates(struct out_set *o, const struct profile *p,
		 const struct record_info *ri);
void outset_release(struct out_set *o);

#endif
