/*
 * query.c - what the outputs ask of a profile (profile.h): threads, frames,
 * functions, the stack trie, sorted counts, per-function totals, the
 * timeline and the profile's own memory.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/util.h"
#include "internal.h"

size_t profile_nthreads(const struct profile *p)
{
	return p->nthreads;
}

const struct profile_thread *profile_thread(const struct profile *p, size_t i)
{
	return i < p->nthreads ? &p->threads[i] : NULL;
}

const struct profile_frame *profile_frame(const struct profile *p, uint32_t id)
{
	return id < p->nframes && p->frame_seen[id] ? &p->frames[id] : NULL;
}

const struct profile_func *profile_func(const struct profile *p, uint32_t id)
{
	return id < p->nfuncs ? &p->funcs[id] : NULL;
}

size_t profile_nobjects(const struct profile *p)
{
	return p->nobjects;
}

const struct profile_object *profile_object(const struct profile *p, size_t i)
{
	return i < p->nobjects ? &p->objects[i] : NULL;
}

uint32_t profile_stack_frame(const struct profile *p, uint32_t stack)
{
	return stack < p->nnodes ? p->nodes[stack].frame : 0;
}

uint32_t profile_stack_parent(const struct profile *p, uint32_t stack)
{
	return stack < p->nnodes ? p->nodes[stack].parent : 0;
}

uint32_t profile_stack_depth(const struct profile *p, uint32_t stack)
{
	return stack < p->nnodes ? p->nodes[stack].depth : 0;
}

size_t profile_nstacks(const struct profile *p)
{
	return p->nnodes;
}

static int cmp_count(const void *a, const void *b)
{
	const struct profile_count *x = a, *y = b;

	if (x->thread != y->thread)
		return x->thread < y->thread ? -1 : 1;
	if (x->state != y->state)
		return x->state < y->state ? -1 : 1;
	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	return 0;
}

struct profile_count *profile_counts(const struct profile *p, size_t *n)
{
	struct profile_count *out = xcalloc(p->ncounts + 1, sizeof(*out));
	size_t i;

	for (i = 0; i < p->ncounts; i++) {
		uint64_t k = p->counts[i].key & ~KEY_TAG;

		out[i].thread = (uint32_t)(k >> 35);
		out[i].state = (enum gil_state)((k >> 32) & 7);
		out[i].stack = (uint32_t)k;
		out[i].count = p->counts[i].n;
	}
	qsort(out, p->ncounts, sizeof(*out), cmp_count);
	*n = p->ncounts;
	return out;
}

struct profile_func_stats *profile_func_stats(const struct profile *p,
					      size_t *n)
{
	struct profile_func_stats *out = xcalloc(p->nfuncs + 1, sizeof(*out));
	/* stamp[f] == mark: f already counted for the stack being walked */
	uint64_t *stamp = xcalloc(p->nfuncs + 1, sizeof(*stamp));
	uint64_t mark = 0;
	size_t i;

	for (i = 0; i < p->nfuncs; i++)
		out[i].func = (uint32_t)i;
	for (i = 0; i < p->ncounts; i++) {
		uint64_t k = p->counts[i].key & ~KEY_TAG;
		enum gil_state st = (enum gil_state)((k >> 32) & 7);
		uint32_t node = (uint32_t)k;
		uint64_t c = p->counts[i].n;
		int leaf = 1;

		mark++;
		for (; node; node = p->nodes[node].parent) {
			uint32_t f = p->frames[p->nodes[node].frame].func;

			if (leaf)
				out[f].self[st] += c;
			leaf = 0;
			if (stamp[f] != mark) {
				stamp[f] = mark;
				out[f].total[st] += c;
			}
		}
	}
	free(stamp);
	*n = p->nfuncs;
	return out;
}

const struct profile_bucket *profile_timeline(const struct profile *p,
					      size_t *n,
					      uint64_t *ticks_per_bucket)
{
	*n = p->nbuckets;
	*ticks_per_bucket = p->span;
	return p->buckets;
}

size_t profile_memory(const struct profile *p)
{
	size_t tl = 0;

	for (size_t i = 0; i < p->nthreads; i++)
		tl += (size_t)p->threads[i].tl_cap * GIL_NSTATES *
		      sizeof(uint32_t);
	/* profile_add()'s scratch (48 kB while samples may come, freed by
	 * profile_detach()) is left out: what a profile keeps is the same
	 * whether its process was still there at the end or not, so a
	 * replay of the raw recording says what record said */
	return tl + sizeof(*p) + p->frame_bytes +
	       p->astrs * sizeof(*p->strs) + ptab_memory(&p->str_index) +
	       p->nframes * (sizeof(*p->frames) + 1) +
	       p->afuncs * sizeof(*p->funcs) + ptab_memory(&p->func_index) +
	       p->aobjects * sizeof(*p->objects) +
	       ptab_memory(&p->object_index) +
	       p->anodes * sizeof(*p->nodes) + ptab_memory(&p->node_index) +
	       p->acounts * sizeof(*p->counts) + ptab_memory(&p->count_index) +
	       p->athreads * sizeof(*p->threads) + analysis_memory(p->an);
}
