/*
 * analysis.c - blame, GIL holds and the what-if speedup (analysis.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gilspy/analysis.h"
#include "gilspy/util.h"
#include "ptab.h"

/* Hold spans are kept in a log-linear histogram of microseconds: exact
 * below HIST_SUB us, then HIST_SUB buckets per power of two (about 6 %
 * apart), up to 2^HIST_MAXEXP us (a day and a half). */
#define HIST_SUB 16
#define HIST_SUBBITS 4
#define HIST_MAXEXP 37
#define HIST_N (HIST_SUB + (HIST_MAXEXP - HIST_SUBBITS + 1) * HIST_SUB)

struct blame_ent {
	uint64_t wkey;		/* waiter: thread << 32 | stack */
	uint64_t hkey;		/* holder: thread << 32 | func */
	uint32_t wfunc;		/* the waiter's innermost function */
	uint64_t samples;
};

/* A holder's histogram starts sparse: most holders (a short-lived thread,
 * a function seen holding once) have a few holds, and a dense one is 2 KB
 * each, which thread churn multiplied into tens of MB an hour.  Up to
 * HIST_SPARSE buckets are kept as (bucket, holds) pairs sorted by bucket;
 * the next one turns them into HIST_N counters. */
#define HIST_SPARSE 16

struct hist_pair {
	uint16_t b;
	uint32_t n;
};

struct holder_ent {
	uint64_t key;		/* thread << 32 | func */
	uint64_t count;
	uint64_t max_us;
	uint64_t over;
	uint32_t *hist;		/* HIST_N, or NULL while sparse */
	struct hist_pair *pairs;	/* npairs, sorted by b */
	int npairs, apairs;
};

/* A small open-addressing index: slot -> entry index + 1 (0 empty). */
struct index {
	uint32_t *slots;
	size_t cap;		/* power of two or 0 */
};

struct analysis {
	struct blame_ent *blame;
	size_t nblame, ablame;
	struct index blame_idx;
	uint64_t waiting;

	struct holder_ent *holders;
	size_t nholders, aholders;
	struct index holder_idx;

	/* the hold being followed: its first and last samples, and the
	 * sample before it (if it did not begin with the recording) */
	int in_hold, hold_cut;
	uint64_t hold_key, hold_switch, hold_start, hold_last, hold_before;
	uint64_t interval_us;

	/* what-if: per thread (by index), samples it ran (held or native) */
	uint64_t *work;
	size_t nwork;

	/* sampling */
	uint64_t samples, first_ns, last_ns;
	uint64_t idle_ticks;		/* no thread busy */
	uint64_t held_ticks;
};

static uint64_t pack(uint32_t thread, uint32_t func)
{
	return (uint64_t)thread << 32 | func;
}

static void *grow(void *arr, size_t *alloc, size_t want, size_t size)
{
	size_t n = *alloc ? *alloc : 16;

	if (want <= *alloc)
		return arr;
	while (n < want)
		n *= 2;
	arr = xrealloc(arr, n * size);
	*alloc = n;
	return arr;
}

/* --- the index ------------------------------------------------------------ */

typedef int (*index_eq_fn)(const struct analysis *a, uint32_t ent,
			   const uint64_t key[2]);
typedef uint64_t (*index_hash_fn)(const struct analysis *a, uint32_t ent);

/* Entry for key, or -1; *slot receives where it is or would go. */
static int64_t index_find(const struct analysis *a, const struct index *ix,
			  uint64_t h, const uint64_t key[2], index_eq_fn eq,
			  size_t *slot)
{
	size_t i;

	if (!ix->cap)
		return -1;
	for (i = h & (ix->cap - 1);; i = (i + 1) & (ix->cap - 1)) {
		uint32_t v = ix->slots[i];

		if (!v) {
			*slot = i;
			return -1;
		}
		if (eq(a, v - 1, key)) {
			*slot = i;
			return v - 1;
		}
	}
}

/* Make room for one more of n entries (rehashing at 50 % load). */
static void index_reserve(const struct analysis *a, struct index *ix,
			  size_t n, index_hash_fn hash)
{
	size_t cap, i, j;
	uint32_t *slots;

	if (ix->cap && (n + 1) * 2 <= ix->cap)
		return;
	cap = ix->cap ? ix->cap * 2 : 64;
	slots = xcalloc(cap, sizeof(*slots));
	for (i = 0; i < n; i++) {
		for (j = hash(a, (uint32_t)i) & (cap - 1); slots[j];
		     j = (j + 1) & (cap - 1))
			;
		slots[j] = (uint32_t)i + 1;
	}
	free(ix->slots);
	ix->slots = slots;
	ix->cap = cap;
}

static int blame_eq(const struct analysis *a, uint32_t e, const uint64_t k[2])
{
	return a->blame[e].wkey == k[0] && a->blame[e].hkey == k[1];
}

static uint64_t blame_hash(const struct analysis *a, uint32_t e)
{
	return ptab_hash(a->blame[e].wkey ^ ptab_hash(a->blame[e].hkey));
}

static int holder_eq(const struct analysis *a, uint32_t e, const uint64_t k[2])
{
	return a->holders[e].key == k[0];
}

static uint64_t holder_hash(const struct analysis *a, uint32_t e)
{
	return ptab_hash(a->holders[e].key);
}

/* --- histogram ------------------------------------------------------------ */

static int hist_bucket(uint64_t us)
{
	int e;

	if (us < HIST_SUB)
		return (int)us;
	e = 63 - __builtin_clzll(us);
	if (e > HIST_MAXEXP) {
		e = HIST_MAXEXP;
		us = (2ull << HIST_MAXEXP) - 1;
	}
	return HIST_SUB + (e - HIST_SUBBITS) * HIST_SUB +
	       (int)((us >> (e - HIST_SUBBITS)) & (HIST_SUB - 1));
}

/* The middle of a bucket, in us. */
static double hist_value(int b)
{
	int e, sub;
	uint64_t lo, width;

	if (b < HIST_SUB)
		return b;
	e = (b - HIST_SUB) / HIST_SUB + HIST_SUBBITS;
	sub = (b - HIST_SUB) % HIST_SUB;
	lo = (uint64_t)(HIST_SUB + sub) << (e - HIST_SUBBITS);
	width = 1ull << (e - HIST_SUBBITS);
	return (double)lo + (double)(width - 1) / 2.0;
}

/* Count one hold of bucket b in h. */
static void hist_add(struct holder_ent *h, int b)
{
	int i;

	if (h->hist) {
		if (h->hist[b] < UINT32_MAX)
			h->hist[b]++;
		return;
	}
	for (i = 0; i < h->npairs && h->pairs[i].b < b; i++)
		;
	if (i < h->npairs && h->pairs[i].b == b) {
		if (h->pairs[i].n < UINT32_MAX)
			h->pairs[i].n++;
		return;
	}
	if (h->npairs == HIST_SPARSE) {
		h->hist = xcalloc(HIST_N, sizeof(uint32_t));
		for (int k = 0; k < h->npairs; k++)
			h->hist[h->pairs[k].b] = h->pairs[k].n;
		free(h->pairs);
		h->pairs = NULL;
		h->npairs = h->apairs = 0;
		h->hist[b]++;
		return;
	}
	if (h->npairs == h->apairs) {
		h->apairs = h->apairs ? 2 * h->apairs : 2;
		h->pairs = xrealloc(h->pairs,
				    (size_t)h->apairs * sizeof(*h->pairs));
	}
	memmove(&h->pairs[i + 1], &h->pairs[i],
		(size_t)(h->npairs - i) * sizeof(*h->pairs));
	h->pairs[i].b = (uint16_t)b;
	h->pairs[i].n = 1;
	h->npairs++;
}

/* The value below which a fraction q of the holds lie (nearest rank);
 * extra: the bucket of one more hold not yet in h (-1: none). */
static double hist_quantile(const struct holder_ent *h, uint64_t count,
			    int extra, double q)
{
	uint64_t rank = (uint64_t)(q * (double)count + 0.999999), seen = 0;
	int b, i = 0;

	if (rank < 1)
		rank = 1;
	if (h && !h->hist) {
		/* sparse: the pairs in order, the extra hold among them */
		for (;;) {
			int pb = i < h->npairs ? h->pairs[i].b : HIST_N;

			if (extra >= 0 && extra <= pb) {
				if (++seen >= rank)
					return hist_value(extra);
				extra = -1;
				continue;
			}
			if (i >= h->npairs)
				break;
			seen += h->pairs[i++].n;
			if (seen >= rank)
				return hist_value(pb);
		}
		return hist_value(HIST_N - 1);
	}
	for (b = 0; b < HIST_N; b++) {
		seen += (h ? h->hist[b] : 0) + (b == extra);
		if (seen >= rank)
			return hist_value(b);
	}
	return hist_value(HIST_N - 1);
}

/* --- holds ---------------------------------------------------------------- */

static struct holder_ent *holder_get(struct analysis *a, uint64_t key)
{
	uint64_t k[2] = { key, 0 };
	size_t slot = 0;
	int64_t e;

	e = index_find(a, &a->holder_idx, ptab_hash(key), k, holder_eq, &slot);
	if (e >= 0)
		return &a->holders[e];
	index_reserve(a, &a->holder_idx, a->nholders, holder_hash);
	index_find(a, &a->holder_idx, ptab_hash(key), k, holder_eq, &slot);
	a->holders = grow(a->holders, &a->aholders, a->nholders + 1,
			  sizeof(*a->holders));
	e = (int64_t)a->nholders++;
	memset(&a->holders[e], 0, sizeof(a->holders[e]));
	a->holders[e].key = key;
	a->holder_idx.slots[slot] = (uint32_t)e + 1;
	return &a->holders[e];
}

/*
 * How long the hold being followed lasted, in µs.  It began somewhere
 * between the sample before its first one and that first one, and ended
 * between its last sample and the next (end_ns; 0 when the recording
 * stopped in it): take the middle of each gap.  With regular samples that
 * adds one interval to the span seen; when the sampler was late at either
 * end (a busy machine), it adds what it missed there.  An end the
 * recording cut off gets half an average interval.
 */
static uint64_t hold_span_us(const struct analysis *a, uint64_t end_ns)
{
	double half = analysis_resolution_ms(a) * 1e6 / 2;
	double from = !a->hold_cut ?
		(double)a->hold_start -
			(double)(a->hold_start - a->hold_before) / 2 :
		(double)a->hold_start - half;
	double to = end_ns > a->hold_last ?
		(double)a->hold_last + (double)(end_ns - a->hold_last) / 2 :
		(double)a->hold_last + half;

	return (uint64_t)((to - from) / 1000.0 + 0.5);
}

/* Whether the hold being followed was seen to last longer than the switch
 * interval: from its first sample to its last, a lower bound. */
static int hold_over_interval(const struct analysis *a)
{
	return a->interval_us &&
	       (a->hold_last - a->hold_start) / 1000 > a->interval_us;
}

static void hold_end(struct analysis *a, uint64_t end_ns)
{
	struct holder_ent *h;
	uint64_t span_us;

	if (!a->in_hold)
		return;
	a->in_hold = 0;
	h = holder_get(a, a->hold_key);
	span_us = hold_span_us(a, end_ns);
	h->count++;
	hist_add(h, hist_bucket(span_us));
	if (span_us > h->max_us)
		h->max_us = span_us;
	if (hold_over_interval(a))
		h->over++;
}

static void follow_hold(struct analysis *a, uint32_t thread, uint32_t func,
			uint64_t time_ns, int has_before, uint64_t before_ns,
			uint64_t switch_number)
{
	if (a->in_hold && thread != ANALYSIS_NONE &&
	    (uint32_t)(a->hold_key >> 32) == thread &&
	    a->hold_switch == switch_number && time_ns >= a->hold_last) {
		a->hold_last = time_ns;
		return;
	}
	hold_end(a, time_ns);
	if (thread == ANALYSIS_NONE)
		return;
	a->in_hold = 1;
	a->hold_key = pack(thread, func);
	a->hold_switch = switch_number;
	a->hold_start = a->hold_last = time_ns;
	a->hold_cut = !has_before || before_ns > time_ns;
	a->hold_before = before_ns;
}

/* --- blame ---------------------------------------------------------------- */

static void blame_add(struct analysis *a, uint64_t wkey, uint32_t wfunc,
		      uint64_t hkey)
{
	uint64_t k[2] = { wkey, hkey }, h = ptab_hash(wkey ^ ptab_hash(hkey));
	size_t slot = 0;
	int64_t e;

	a->waiting++;
	e = index_find(a, &a->blame_idx, h, k, blame_eq, &slot);
	if (e < 0) {
		index_reserve(a, &a->blame_idx, a->nblame, blame_hash);
		index_find(a, &a->blame_idx, h, k, blame_eq, &slot);
		a->blame = grow(a->blame, &a->ablame, a->nblame + 1,
				sizeof(*a->blame));
		e = (int64_t)a->nblame++;
		a->blame[e].wkey = wkey;
		a->blame[e].hkey = hkey;
		a->blame[e].wfunc = wfunc;
		a->blame[e].samples = 0;
		a->blame_idx.slots[slot] = (uint32_t)e + 1;
	}
	a->blame[e].samples++;
}

/* --- feeding -------------------------------------------------------------- */

struct analysis *analysis_new(void)
{
	return xcalloc(1, sizeof(struct analysis));
}

void analysis_free(struct analysis *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->nholders; i++) {
		free(a->holders[i].hist);
		free(a->holders[i].pairs);
	}
	free(a->holders);
	free(a->holder_idx.slots);
	free(a->blame);
	free(a->blame_idx.slots);
	free(a->work);
	free(a);
}

static void add_work(struct analysis *a, uint32_t thread)
{
	if (thread == ANALYSIS_NONE)
		return;
	if (thread >= a->nwork) {
		size_t n = a->nwork ? a->nwork : 16;

		while (n <= thread)
			n *= 2;
		a->work = xrealloc(a->work, n * sizeof(*a->work));
		memset(a->work + a->nwork, 0, (n - a->nwork) * sizeof(*a->work));
		a->nwork = n;
	}
	a->work[thread]++;
}

void analysis_add(struct analysis *a, const struct analysis_sample *s)
{
	int i, n = s->nthreads, busy = 0, holder = -1;
	uint64_t hkey, before_ns = a->samples ? a->last_ns : 0;

	for (i = 0; i < n; i++) {
		enum gil_state st = s->threads[i].state;

		if (st == GIL_HELD && holder < 0)
			holder = i;
		if (st == GIL_HELD || st == GIL_WAITING || st == GIL_NATIVE ||
		    st == GIL_RUNNING)
			busy = 1;
		if (st == GIL_HELD || st == GIL_NATIVE || st == GIL_RUNNING)
			add_work(a, s->threads[i].thread);
	}
	if (!a->samples)
		a->first_ns = s->time_ns;
	a->samples++;
	a->last_ns = s->time_ns;
	if (s->interval_us)
		a->interval_us = s->interval_us;
	if (!busy)
		a->idle_ticks++;
	if (holder >= 0)
		a->held_ticks++;

	if (holder >= 0) {
		const struct analysis_thread *h = &s->threads[holder];

		hkey = pack(h->thread, h->func);
		follow_hold(a, h->thread, h->func, s->time_ns, a->samples > 1,
			    before_ns, s->switch_number);
	} else {
		hkey = pack(ANALYSIS_NONE, ANALYSIS_NONE);
		follow_hold(a, ANALYSIS_NONE, ANALYSIS_NONE, s->time_ns,
			    a->samples > 1, before_ns, s->switch_number);
	}
	for (i = 0; i < n; i++) {
		const struct analysis_thread *t = &s->threads[i];

		if (t->state == GIL_WAITING)
			blame_add(a, pack(t->thread, t->stack), t->func, hkey);
	}
}

/* A sample that could not be read says nothing about the GIL: the hold
 * being followed goes on if the next sample shows the same holder and no
 * hand-off since (the switch number), and one that begins after it began
 * somewhere after the last sample read. */
void analysis_add_failed(struct analysis *a, uint64_t time_ns)
{
	(void)a;
	(void)time_ns;
}

/* --- queries -------------------------------------------------------------- */

static int cmp_pair(const void *x, const void *y)
{
	const struct blame_row *a = x, *b = y;

	if (a->waiter_thread != b->waiter_thread)
		return a->waiter_thread < b->waiter_thread ? -1 : 1;
	if (a->waiter_func != b->waiter_func)
		return a->waiter_func < b->waiter_func ? -1 : 1;
	if (a->holder_thread != b->holder_thread)
		return a->holder_thread < b->holder_thread ? -1 : 1;
	if (a->holder_func != b->holder_func)
		return a->holder_func < b->holder_func ? -1 : 1;
	return 0;
}

/* most samples first, then by ids */
static int cmp_blame(const void *x, const void *y)
{
	const struct blame_row *a = x, *b = y;

	if (a->samples != b->samples)
		return a->samples > b->samples ? -1 : 1;
	return cmp_pair(x, y);
}

struct blame_row *analysis_blame(const struct analysis *a, size_t *n,
				 uint64_t *waiting)
{
	struct blame_row *rows = xcalloc(a->nblame + 1, sizeof(*rows));
	size_t i, k = 0;

	for (i = 0; i < a->nblame; i++) {
		rows[i].waiter_thread = (uint32_t)(a->blame[i].wkey >> 32);
		rows[i].waiter_func = a->blame[i].wfunc;
		rows[i].holder_thread = (uint32_t)(a->blame[i].hkey >> 32);
		rows[i].holder_func = (uint32_t)a->blame[i].hkey;
		rows[i].samples = a->blame[i].samples;
	}
	/* stacks with the same innermost function are one row */
	qsort(rows, a->nblame, sizeof(*rows), cmp_pair);
	for (i = 0; i < a->nblame; i++) {
		if (k && !cmp_pair(&rows[k - 1], &rows[i]))
			rows[k - 1].samples += rows[i].samples;
		else
			rows[k++] = rows[i];
	}
	qsort(rows, k, sizeof(*rows), cmp_blame);
	*n = k;
	if (waiting)
		*waiting = a->waiting;
	return rows;
}

static int cmp_blame_stack(const void *x, const void *y)
{
	const struct blame_stack_row *a = x, *b = y;

	if (a->waiter_thread != b->waiter_thread)
		return a->waiter_thread < b->waiter_thread ? -1 : 1;
	if (a->waiter_stack != b->waiter_stack)
		return a->waiter_stack < b->waiter_stack ? -1 : 1;
	if (a->holder_thread != b->holder_thread)
		return a->holder_thread < b->holder_thread ? -1 : 1;
	if (a->holder_func != b->holder_func)
		return a->holder_func < b->holder_func ? -1 : 1;
	return 0;
}

struct blame_stack_row *analysis_blame_stacks(const struct analysis *a,
					      size_t *n)
{
	struct blame_stack_row *rows = xcalloc(a->nblame + 1, sizeof(*rows));
	size_t i;

	for (i = 0; i < a->nblame; i++) {
		rows[i].waiter_thread = (uint32_t)(a->blame[i].wkey >> 32);
		rows[i].waiter_stack = (uint32_t)a->blame[i].wkey;
		rows[i].holder_thread = (uint32_t)(a->blame[i].hkey >> 32);
		rows[i].holder_func = (uint32_t)a->blame[i].hkey;
		rows[i].samples = a->blame[i].samples;
	}
	qsort(rows, a->nblame, sizeof(*rows), cmp_blame_stack);
	*n = a->nblame;
	return rows;
}

double analysis_resolution_ms(const struct analysis *a)
{
	if (a->samples < 2)
		return 0;
	return (double)(a->last_ns - a->first_ns) / (double)(a->samples - 1) /
	       1e6;
}

static int cmp_hold(const void *x, const void *y)
{
	const struct hold_row *a = x, *b = y;

	if (a->p95_ms != b->p95_ms)
		return a->p95_ms > b->p95_ms ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if (a->thread != b->thread)
		return a->thread < b->thread ? -1 : 1;
	if (a->func != b->func)
		return a->func < b->func ? -1 : 1;
	return 0;
}

static void hold_row(const struct analysis *a, const struct holder_ent *h,
		     uint64_t key, struct hold_row *r)
{
	uint64_t count = h ? h->count : 0, max_us = h ? h->max_us : 0;
	uint64_t span_us = 0;
	int extra = -1;

	/* The hold being followed when the recording ended counts too. */
	if (a->in_hold && a->hold_key == key) {
		span_us = hold_span_us(a, 0);
		extra = hist_bucket(span_us);
		count++;
		if (span_us > max_us)
			max_us = span_us;
	}
	r->thread = (uint32_t)(key >> 32);
	r->func = (uint32_t)key;
	r->count = count;
	r->max_ms = (double)max_us / 1000.0;
	/* a bucket's middle may lie above the largest value in it */
	r->p50_ms = hist_quantile(h, count, extra, 0.50) / 1000.0;
	if (r->p50_ms > r->max_ms)
		r->p50_ms = r->max_ms;
	r->p95_ms = hist_quantile(h, count, extra, 0.95) / 1000.0;
	if (r->p95_ms > r->max_ms)
		r->p95_ms = r->max_ms;
	r->over_interval = (h ? h->over : 0) +
		(extra >= 0 && hold_over_interval(a));
}

struct hold_row *analysis_holds(const struct analysis *a, size_t *n)
{
	struct hold_row *rows = xcalloc(a->nholders + 1, sizeof(*rows));
	int current_seen = !a->in_hold;
	size_t i;

	for (i = 0; i < a->nholders; i++) {
		hold_row(a, &a->holders[i], a->holders[i].key, &rows[i]);
		if (a->in_hold && a->holders[i].key == a->hold_key)
			current_seen = 1;
	}
	*n = a->nholders;
	if (!current_seen)
		hold_row(a, NULL, a->hold_key, &rows[(*n)++]);
	qsort(rows, *n, sizeof(*rows), cmp_hold);
	return rows;
}

void analysis_what_if(const struct analysis *a, int cores,
		      struct what_if *out)
{
	double tick, work = 0, longest = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->cores = cores < 1 ? 1 : cores;
	out->speedup = 1;
	if (!a->samples)
		return;
	/* Each sample stands for one period of the recording. */
	out->recorded_s = (double)(a->last_ns - a->first_ns) / 1e9 +
			  analysis_resolution_ms(a) / 1e3;
	tick = out->recorded_s / (double)a->samples;
	for (i = 0; i < a->nwork; i++) {
		double w = (double)a->work[i] * tick;

		work += w;
		if (w > longest)
			longest = w;
	}
	out->idle_s = (double)a->idle_ticks * tick;
	out->work_s = work;
	out->longest_s = longest;
	out->held_s = (double)a->held_ticks * tick;
	out->predicted_s = out->idle_s +
		(longest > work / out->cores ? longest : work / out->cores);
	if (out->predicted_s > out->recorded_s)
		out->predicted_s = out->recorded_s;
	if (out->predicted_s > 0)
		out->speedup = out->recorded_s / out->predicted_s;
}

int analysis_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

size_t analysis_memory(const struct analysis *a)
{
	size_t hist = 0;

	for (size_t i = 0; i < a->nholders; i++)
		hist += a->holders[i].hist ? HIST_N * sizeof(uint32_t) :
			(size_t)a->holders[i].apairs * sizeof(struct hist_pair);
	return sizeof(*a) + a->ablame * sizeof(*a->blame) +
	       a->blame_idx.cap * sizeof(uint32_t) +
	       a->aholders * sizeof(*a->holders) + hist +
	       a->holder_idx.cap * sizeof(uint32_t) +
	       a->nwork * sizeof(*a->work);
}
