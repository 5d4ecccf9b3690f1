/*
 * baseline.h - the base branch's JSON report (--baseline), read back for
 * the deltas of the markdown summary (output.h) and the "base" limits of
 * --fail-if (gates.h).  Loaded by output/baseline.c with json.h's bounded
 * reader; the field names are report_keys.h's.
 */
#ifndef GILSPY_BASELINE_H
#define GILSPY_BASELINE_H

#include <stdint.h>
#include <sys/types.h>

#include "gilspy/python.h"
#include "gilspy/util.h"

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

#endif
