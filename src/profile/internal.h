/*
 * internal.h - the inside of struct profile, private to src/profile/:
 * profile.c builds it sample by sample, query.c answers what outputs ask
 * of it (counts, per-function totals, the trie, the timeline, memory).
 */
#ifndef GILSPY_PROFILE_INTERNAL_H
#define GILSPY_PROFILE_INTERNAL_H

#include "gilspy/analysis.h"
#include "gilspy/profile.h"
#include "ptab.h"

#define KEY_TAG (1ull << 63)

struct node {
	uint32_t parent, frame, depth;
};

struct count {
	uint64_t key;		/* packed (thread, state, stack) */
	uint64_t n;
};

/* What a sample's thread slot counted last: a thread showing the same
 * state and frames again (an idle one, sample after sample) is counted
 * without walking the stack tree.  frames is owned. */
struct slot_memo {
	uint32_t *frames;
	int n, cap;
	uint32_t thread, stack, count;
	int state;
	int valid;
};

struct profile {
	struct profile_resolver r;

	/* text */
	char **strs;
	size_t nstrs, astrs;
	struct ptab str_index;		/* string hash -> strs index */
	struct profile_frame *frames;	/* by the target's frame id */
	unsigned char *frame_seen;
	size_t nframes;			/* allocated length of frames */
	size_t frame_bytes;
	struct profile_func *funcs;
	size_t nfuncs, afuncs;
	struct ptab func_index;		/* (file, name) -> funcs index */
	struct profile_object *objects;	/* native frames' mappings */
	size_t nobjects, aobjects;
	struct ptab object_index;	/* (path, start, offset) -> objects */

	/* stacks */
	struct node *nodes;
	size_t nnodes, anodes;
	struct ptab node_index;		/* (parent, frame) -> node */

	/* counts */
	struct count *counts;
	size_t ncounts, acounts;
	struct ptab count_index;	/* packed key -> counts index */

	/* threads; cache maps a sample's thread slot to a thread index */
	struct profile_thread *threads;
	size_t nthreads, athreads;
	/* PY_MAX_THREADS each, freed by profile_detach() (no sample comes
	 * after it: a followed process that exited keeps only what it
	 * recorded) */
	uint32_t *cache;
	uint32_t *last_stack;			/* of the last sample */
	struct slot_memo *memo;			/* profile.c */
	uint32_t names_gen;			/* thread renames */
	int last_n;				/* threads in the last sample */

	/* timeline */
	struct profile_bucket buckets[PROFILE_TIMELINE_BUCKETS];
	size_t nbuckets;
	uint64_t span;			/* samples per bucket */

	struct profile_stats st;
	uint64_t last_switch;
	int have_switch;

	struct analysis *an;		/* blame, holds, what-if */
	struct analysis_thread *an_threads;	/* scratch, as cache */
};

#endif
