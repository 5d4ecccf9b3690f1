/*
 * analysis.h - why the GIL is contended, from the samples of a recording.
 *
 * Three analyses, fed one sample at a time right after profile_add() (so a
 * live recording and a replay of its raw file give the same answers):
 *
 *  - blame: every waiting thread's sample is charged to the thread that
 *    held the GIL at the same instant, as (waiter thread, waiter's leaf
 *    function) <- (holder thread, holder's leaf function);
 *  - holds: GIL hold intervals per holder (thread, leaf function when the
 *    hold was first seen), from who holds the GIL and the GIL's switch
 *    counter at each sample;
 *  - what-if: how long the recorded work would take without GIL
 *    contention on a given number of cores.
 *
 * Resolution.  A hold is seen only at samples: one seen at k consecutive
 * samples over a span S (first to last) lasted between S and S + 2P, P
 * being the sample period; its duration is estimated as S + P.  A hold is
 * counted over the switch interval only when S alone exceeds it, so that
 * count is a lower bound.  Holds shorter than P are mostly not seen.
 *
 * What-if model.  Let T be the recording's length, T_idle the time in
 * which no thread was busy (held, waiting or native), w_i the time thread
 * i ran (held + native) and W their sum.  Without contention the busy part
 * takes at least the longest thread's own work and at least W spread over
 * the cores:
 *
 *      T' = T_idle + max(max_i w_i, W / cores),     speedup = T / T'
 *
 * Limits: a thread's idle time is taken to overlap others' work (a join,
 * a queue consumer); a thread that sleeps between bursts while others are
 * busy is counted for its work only, so the speedup is then overstated.
 * The work itself is assumed not to grow when run in parallel (no memory
 * bandwidth or lock contention outside the GIL).
 *
 * Memory grows with distinct (waiter, holder) pairs and distinct holders,
 * never with the number of samples.  Thread and function ids are the
 * profile's (profile_thread(), profile_func()); ANALYSIS_NONE stands for
 * "no holder at that instant" (the GIL in hand-off) or an unknown function
 * (a torn stack).
 */
#ifndef GILSPY_ANALYSIS_H
#define GILSPY_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "gilspy/gil.h"

#define ANALYSIS_NONE UINT32_MAX

struct analysis;

/* One thread of a sample, as the profile took it: its thread index, its
 * stack id (ANALYSIS_NONE when torn) and innermost function. */
struct analysis_thread {
	enum gil_state state;
	uint32_t thread, stack, func;
};

/* One sample: when, the GIL's switch counter and interval, its threads. */
struct analysis_sample {
	uint64_t time_ns, switch_number, interval_us;
	int nthreads;
	const struct analysis_thread *threads;
};

/* One row of the blame table. */
struct blame_row {
	uint32_t waiter_thread, waiter_func;
	uint32_t holder_thread, holder_func;	/* ANALYSIS_NONE: no holder */
	uint64_t samples;
};

/* One holder's GIL holds. */
struct hold_row {
	uint32_t thread, func;
	uint64_t count;
	double p50_ms, p95_ms, max_ms;
	uint64_t over_interval;	/* holds seen to last longer than the
				   switch interval (a lower bound) */
};

struct what_if {
	double recorded_s;	/* T */
	double idle_s;		/* T_idle: no thread busy */
	double work_s;		/* W: held + native, all threads */
	double longest_s;	/* max_i w_i */
	double held_s;		/* GIL-serialised time (ticks with a holder) */
	double predicted_s;	/* T' */
	double speedup;		/* T / T', 1 when nothing was recorded */
	int cores;
};

struct analysis *analysis_new(void);
void analysis_free(struct analysis *a);	/* NULL is a no-op */

/* Add one sample (the profile feeds every sample it takes). */
void analysis_add(struct analysis *a, const struct analysis_sample *s);
/* A tick whose sample could not be read: it ends the hold being followed
 * (what happened in it is unknown). */
void analysis_add_failed(struct analysis *a, uint64_t time_ns);

/* Blame rows by function, most samples first (ties in id order), in a
 * new array the caller frees; *n its length.  *waiting (may be NULL): all
 * waiting samples, the denominator of each row's share. */
struct blame_row *analysis_blame(const struct analysis *a, size_t *n,
				 uint64_t *waiting);

/* One row of the blame table by the waiter's whole stack (a profile
 * stack id, PROFILE_NO_STACK when torn): what a blame flame graph draws,
 * each waiting stack leading to the holders that kept it waiting. */
struct blame_stack_row {
	uint32_t waiter_thread, waiter_stack;
	uint32_t holder_thread, holder_func;	/* ANALYSIS_NONE: no holder */
	uint64_t samples;
};

/* Every (waiter thread, stack, holder thread, holder function) count,
 * sorted by those ids, in a new array the caller frees; *n its length. */
struct blame_stack_row *analysis_blame_stacks(const struct analysis *a,
					      size_t *n);

/* Holds per holder, longest p95 first (ties: count, then ids), in a new
 * array the caller frees; *n its length.  Over-interval holds are
 * compared with the switch interval the samples carried.  The hold being
 * followed when the recording ended is included. */
struct hold_row *analysis_holds(const struct analysis *a, size_t *n);
/* The sample period the hold estimates rest on (the mean gap between
 * samples), in ms; 0 before two samples. */
double analysis_resolution_ms(const struct analysis *a);

/* The what-if prediction on cores cores (>= 1). */
void analysis_what_if(const struct analysis *a, int cores,
		      struct what_if *out);

/* Online CPUs of this machine (at least 1). */
int analysis_cores(void);

size_t analysis_memory(const struct analysis *a);

#endif
