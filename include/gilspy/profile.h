/*
 * profile.h - the recorded profile: what `record` keeps from every sample.
 *
 * A profile is built from struct py_sample snapshots, one per tick, and
 * holds three things:
 *
 *  - stacks, interned in a trie of frame ids: a stack is the id of its
 *    innermost node, node 0 is the empty stack, a node's parent is the stack
 *    one frame shorter (towards the root);
 *  - counts per (thread, GIL state, stack);
 *  - a GIL timeline of PROFILE_TIMELINE_BUCKETS buckets: when it fills up,
 *    neighbouring buckets are merged and each bucket covers twice as many
 *    ticks, so its size never grows with the length of the recording;
 *
 * plus the per-tick totals the summary needs (utilisation, contention,
 * switches, errors) and per-thread state counts.
 *
 * Invariants: memory grows only with what is distinct (frames, stacks,
 * threads, (thread, state, stack) triples), never with the number of
 * samples, so an hour at 1 kHz costs what a minute does once the code paths
 * have been seen.  Everything is recorded (idle included); filters are
 * applied by output/ when rendering.  Frame and thread-name text is copied
 * into the profile when first seen, so it outlives the target.
 *
 * The profile never prints, never exits, and never reads the target itself:
 * it asks the resolver given to profile_new() for text.
 */
#ifndef GILSPY_PROFILE_H
#define GILSPY_PROFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gilspy/python.h"
#include "gilspy/util.h"

#define PROFILE_TIMELINE_BUCKETS 1024
#define PROFILE_NO_THREAD UINT32_MAX

/* How the profile turns ids into text; both called once per new id. */
struct profile_resolver {
	/* Frame id -> info, or NULL when unknown (rendered as "???"). */
	const struct py_frame_info *(*frame)(void *ctx, uint32_t id);
	/* Thread name; NULL allowed (the tid is used). */
	const char *(*thread_name)(void *ctx, pid_t tid, uint64_t thread_id);
	void *ctx;
};

/* One frame, as text owned by the profile. */
struct profile_frame {
	const char *name;
	const char *file;
	int line, firstlineno;
	uint32_t func;		/* index into the function table */
	int native;		/* a C function (--native) */
	/* native frames: the function's address in the target (0 unknown)
	 * and 1 + the index of the file mapping it is in (0 none) */
	uint64_t addr;
	uint32_t object;
};

/* A file mapping native frames are in (py_native_object), owned by the
 * profile.  Equal mappings of the target share one. */
struct profile_object {
	const char *path;
	const char *build_id;	/* hex, NULL when unknown */
	uint64_t start, limit, offset;
};

/* A function: frames with the same (file, name) share it. */
struct profile_func {
	const char *name;
	const char *file;
	int firstlineno;
};

struct profile_thread {
	pid_t tid;
	uint64_t thread_id;
	char *name;
	uint64_t samples;		/* ticks in which the thread was seen */
	uint64_t state[GIL_NSTATES];	/* ticks per GIL state */
	uint64_t torn;			/* stacks dropped (torn reads) */
	/* Its share of the timeline, only from the first bucket it was
	 * seen in to the last: a thread that lived 10 ms costs a bucket or
	 * two, not the whole timeline.  Read it with profile_thread_bucket(). */
	uint32_t *timeline;		/* tl_n * GIL_NSTATES, or NULL */
	uint32_t tl_first, tl_n, tl_cap;	/* in buckets */
	/* A run not yet added to the timeline (profile.c): tl_pend_n
	 * consecutive samples from sample tl_pend_k on, in state
	 * tl_pend_st, in buckets of tl_pend_span samples.  A thread in the
	 * same state tick after tick, as hundreds of idle ones are, touches
	 * only this struct, not its timeline elsewhere in memory, however
	 * many buckets the run crosses. */
	uint64_t tl_pend_k, tl_pend_span;
	uint32_t tl_pend_n;
	int tl_pend_st;
};

/* The thread's ticks per GIL state (GIL_NSTATES of them) in timeline
 * bucket b; all zeros when it was not seen then.  Valid until the next
 * call. */
const uint32_t *profile_thread_bucket(const struct profile_thread *t,
				      size_t b);

/* One bucket of the GIL timeline. */
struct profile_bucket {
	uint64_t t_ns;		/* time of its first tick, from the start */
	uint32_t ticks;		/* successful samples in it */
	uint32_t held;		/* ticks with a GIL holder */
	uint32_t contended;	/* ticks with at least one waiter */
	uint32_t waiters;	/* sum of waiters over its ticks */
	uint32_t switches;	/* GIL hand-offs */
};

struct profile_stats {
	uint64_t start_ns, end_ns;	/* CLOCK_MONOTONIC of first/last tick */
	uint64_t ticks;			/* attempted samples */
	uint64_t samples;		/* successful samples */
	uint64_t failed;		/* samples that could not be read at all */
	uint64_t torn_ticks;		/* samples with at least one torn stack */
	uint64_t torn_stacks;		/* thread stacks dropped */
	uint64_t held_ticks;		/* a thread held the GIL */
	uint64_t contended_ticks;	/* at least one thread waited */
	uint64_t waiter_sum;		/* sum over ticks of the number waiting */
	uint64_t switches;		/* GIL hand-offs seen (switch_number) */
	uint64_t interval_us;		/* the target's switch interval */
	uint64_t evidence[GIL_NSTATES][EV_NSTATES];
	uint32_t last_holder;		/* thread index or PROFILE_NO_THREAD */
	int no_gil;			/* free-threaded samples were seen */
};

/* One (thread, state, stack) count. */
struct profile_count {
	uint32_t thread;
	uint32_t stack;
	enum gil_state state;
	uint64_t count;
};

/* Per-function totals: self (the function is the innermost frame) and
 * total (the function is anywhere on the stack, counted once per stack). */
struct profile_func_stats {
	uint32_t func;
	uint64_t self[GIL_NSTATES];
	uint64_t total[GIL_NSTATES];
};

struct profile;

/* A new empty profile; r is copied.  Never fails (allocation aborts). */
struct profile *profile_new(const struct profile_resolver *r);
void profile_free(struct profile *p);	/* NULL is a no-op */
/* The target is going away: take the names of the last sample's threads
 * once more, then never call the resolver again (the profile keeps what
 * it has; no sample may be added after). */
void profile_detach(struct profile *p);

/* Add one successful sample. */
void profile_add(struct profile *p, const struct py_sample *s);
/* Count a tick whose sample could not be taken at all (time_ns: when). */
void profile_add_failed(struct profile *p, uint64_t time_ns);

const struct profile_stats *profile_stats(const struct profile *p);

/* What the last profile_add() made of its sample's thread slot i (0 <= i <
 * s->nthreads): the thread's index, and its stack (PROFILE_NO_STACK when the
 * stack was torn).  For renderers that follow samples one by one. */
#define PROFILE_NO_STACK UINT32_MAX
uint32_t profile_last_thread(const struct profile *p, int slot);
uint32_t profile_last_stack(const struct profile *p, int slot);

/* Ask the resolver again for thread names and keep a new one when it
 * changed: a thread first seen before Python registered it (a launched
 * command's early samples) gets its Python name once known.  Only the
 * threads of the last sample are asked, unless all (threads that have gone
 * cannot be named anew, and asking for each would grow with thread churn).
 * profile_names_generation() counts the changes. */
void profile_refresh_names(struct profile *p, int all);
uint32_t profile_names_generation(const struct profile *p);

size_t profile_nthreads(const struct profile *p);
const struct profile_thread *profile_thread(const struct profile *p, size_t i);

/* Frames are indexed by the target's frame ids; NULL if never seen. */
const struct profile_frame *profile_frame(const struct profile *p, uint32_t id);
const struct profile_func *profile_func(const struct profile *p, uint32_t id);
/* The file mappings of native frames, 0 <= i < profile_nobjects(). */
size_t profile_nobjects(const struct profile *p);
const struct profile_object *profile_object(const struct profile *p, size_t i);

/* Stack trie: the frame of a node, its parent (0 at the root) and depth
 * (0 for the empty stack). */
uint32_t profile_stack_frame(const struct profile *p, uint32_t stack);
uint32_t profile_stack_parent(const struct profile *p, uint32_t stack);
uint32_t profile_stack_depth(const struct profile *p, uint32_t stack);
size_t profile_nstacks(const struct profile *p);

/* All counts, in a new array the caller frees, sorted by (thread, state,
 * stack) so renderings are deterministic.  *n receives the length. */
struct profile_count *profile_counts(const struct profile *p, size_t *n);

/* Per-function totals over all counts, in a new array the caller frees,
 * sorted by function id.  *n receives the length. */
struct profile_func_stats *profile_func_stats(const struct profile *p,
					      size_t *n);

/* The timeline: *n buckets (<= PROFILE_TIMELINE_BUCKETS), each covering
 * *ticks_per_bucket ticks (the last one possibly fewer). */
const struct profile_bucket *profile_timeline(const struct profile *p,
					      size_t *n,
					      uint64_t *ticks_per_bucket);

/* Blame, GIL holds and the what-if speedup (analysis.h), fed by
 * profile_add() and profile_add_failed(). */
struct analysis;
const struct analysis *profile_analysis(const struct profile *p);

/* Bytes of heap the profile holds (its own accounting), for benchmarks. */
size_t profile_memory(const struct profile *p);

/* Text of a frame as the outputs and top show it: `function (file:LINE)`,
 * the file relative to a library directory (site-packages, dist-packages,
 * lib/pythonX.Y) when under one, else its base name; ';' and control
 * characters (which would break a folded line) replaced.  LINE is the
 * frame's line, or its function's first line with function; none without
 * lineno.  f NULL gives "???". */
void profile_frame_text(struct strbuf *sb, const struct profile_frame *f,
			int lineno, int function);

/* --- shares (shares.c) -----------------------------------------------------
 *
 * The four columns every report shows a thread's time in: held, waiting,
 * native, idle.  A free-threaded build's `running` is folded into native
 * here, once, for all of them (on a CPU, no GIL held).  busy is every
 * state but idle: --fail-if and the markdown take held, waiting and native
 * as shares of busy samples so that sleeping threads do not dilute them;
 * the thread tables take every state as a share of all samples. */
struct profile_shares {
	uint64_t held, waiting, native, idle;
	uint64_t busy;			/* held + waiting + native */
	uint64_t all;			/* busy + idle */
};

/* Fold per-state counts (GIL_NSTATES of them) into shares. */
void profile_shares_count(struct profile_shares *sh, const uint64_t *state);
/* Shares of every thread's samples together. */
void profile_shares_total(const struct profile *p, struct profile_shares *sh);
/* Thread samples in one state, all threads. */
uint64_t profile_state_total(const struct profile *p, enum gil_state state);
/* 100 * part / whole; 0 when whole is 0. */
double profile_pct(uint64_t part, uint64_t whole);

#endif
