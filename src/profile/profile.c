/*
 * profile.c - a recording built sample by sample: stacks interned in a
 * trie, counts per (thread, state, stack),
 * a fixed-size GIL timeline, and the per-tick totals of a recording.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/util.h"
#include "internal.h"

/* --- text ---------------------------------------------------------------- */

static const char *intern(struct profile *p, const char *s)
{
	uint64_t key;
	uint32_t *v, idx;

	if (!s)
		s = "???";
	key = ptab_hash_str(s) | KEY_TAG;
	v = ptab_get(&p->str_index, key);
	if (v && !strcmp(p->strs[*v], s))
		return p->strs[*v];
	if (p->nstrs == p->astrs) {
		p->astrs = p->astrs ? p->astrs * 2 : 256;
		p->strs = xrealloc(p->strs, p->astrs * sizeof(*p->strs));
	}
	idx = (uint32_t)p->nstrs++;
	p->strs[idx] = xstrdup(s);
	p->frame_bytes += strlen(s) + 1;
	/* A hash collision with a different string keeps its own copy and
	 * is simply not indexed: correct, only less shared. */
	if (!v)
		ptab_put(&p->str_index, key, idx);
	return p->strs[idx];
}

static uint32_t func_for(struct profile *p, const char *file, const char *name,
			 int firstlineno)
{
	uint64_t key = ptab_hash((uint64_t)(uintptr_t)file * 31 +
				 (uint64_t)(uintptr_t)name) | KEY_TAG;
	uint32_t *v;
	struct profile_func *f;

	/* The key hashes addresses, so which functions collide changes from
	 * run to run: a collision probes on (a function left out of the index
	 * would be made again for each of its frames, and a replay of the
	 * same samples would list it differently). */
	while ((v = ptab_get(&p->func_index, key))) {
		if (p->funcs[*v].file == file && p->funcs[*v].name == name)
			return *v;
		key = ptab_hash(key + 1) | KEY_TAG;
	}
	if (p->nfuncs == p->afuncs) {
		p->afuncs = p->afuncs ? p->afuncs * 2 : 256;
		p->funcs = xrealloc(p->funcs, p->afuncs * sizeof(*p->funcs));
	}
	f = &p->funcs[p->nfuncs];
	f->file = file;
	f->name = name;
	f->firstlineno = firstlineno;
	ptab_put(&p->func_index, key, (uint32_t)p->nfuncs);
	return (uint32_t)p->nfuncs++;
}

/* 1 + the index of the profile's copy of mapping o (0 for NULL); copies
 * with equal contents are one. */
static uint32_t object_for(struct profile *p, const struct py_native_object *o)
{
	const char *path, *bid;
	struct profile_object *m;
	uint64_t key;
	uint32_t *v;

	if (!o)
		return 0;
	path = intern(p, o->path);
	bid = o->build_id ? intern(p, o->build_id) : NULL;
	key = ptab_hash((uint64_t)(uintptr_t)path * 31 + o->start * 7 +
			o->offset) | KEY_TAG;
	v = ptab_get(&p->object_index, key);
	if (v) {
		m = &p->objects[*v];
		if (m->path == path && m->build_id == bid &&
		    m->start == o->start && m->limit == o->limit &&
		    m->offset == o->offset)
			return *v + 1;
	}
	if (p->nobjects == p->aobjects) {
		p->aobjects = p->aobjects ? p->aobjects * 2 : 16;
		p->objects = xrealloc(p->objects,
				      p->aobjects * sizeof(*p->objects));
	}
	m = &p->objects[p->nobjects];
	m->path = path;
	m->build_id = bid;
	m->start = o->start;
	m->limit = o->limit;
	m->offset = o->offset;
	if (!v)
		ptab_put(&p->object_index, key, (uint32_t)p->nobjects);
	return (uint32_t)++p->nobjects;
}

static void see_frame(struct profile *p, uint32_t id)
{
	const struct py_frame_info *fi;
	struct profile_frame *f;

	if (id < p->nframes && p->frame_seen[id])
		return;
	if (id >= p->nframes) {
		size_t n = p->nframes ? p->nframes : 256;

		while (n <= id)
			n *= 2;
		p->frames = xrealloc(p->frames, n * sizeof(*p->frames));
		p->frame_seen = xrealloc(p->frame_seen, n);
		memset(p->frames + p->nframes, 0,
		       (n - p->nframes) * sizeof(*p->frames));
		memset(p->frame_seen + p->nframes, 0, n - p->nframes);
		p->nframes = n;
	}
	fi = p->r.frame ? p->r.frame(p->r.ctx, id) : NULL;
	f = &p->frames[id];
	f->name = intern(p, fi ? fi->name : NULL);
	f->file = intern(p, fi ? fi->filename : NULL);
	f->line = fi ? fi->line : 0;
	f->firstlineno = fi ? fi->firstlineno : 0;
	f->func = func_for(p, f->file, f->name, f->firstlineno);
	f->native = fi ? fi->native : 0;
	f->addr = fi && fi->native ? fi->addr : 0;
	f->object = fi && fi->native ? object_for(p, fi->object) : 0;
	p->frame_seen[id] = 1;
}

/* --- stacks -------------------------------------------------------------- */

static uint32_t child(struct profile *p, uint32_t parent, uint32_t frame)
{
	uint64_t key = ((uint64_t)parent << 32 | frame) | KEY_TAG;
	uint32_t *v = ptab_get(&p->node_index, key);
	struct node *n;

	if (v)
		return *v;
	if (p->nnodes == p->anodes) {
		p->anodes *= 2;
		p->nodes = xrealloc(p->nodes, p->anodes * sizeof(*p->nodes));
	}
	n = &p->nodes[p->nnodes];
	n->parent = parent;
	n->frame = frame;
	n->depth = p->nodes[parent].depth + 1;
	ptab_put(&p->node_index, key, (uint32_t)p->nnodes);
	return (uint32_t)p->nnodes++;
}

/* frames are innermost first, as the sample gives them. */
static uint32_t intern_stack(struct profile *p, const uint32_t *frames, int n)
{
	uint32_t node = 0;
	int i;

	for (i = n - 1; i >= 0; i--) {
		see_frame(p, frames[i]);
		node = child(p, node, frames[i]);
	}
	return node;
}

/* --- counts -------------------------------------------------------------- */

static uint64_t count_key(uint32_t thread, enum gil_state state, uint32_t stack)
{
	return KEY_TAG | (uint64_t)thread << 35 | (uint64_t)state << 32 | stack;
}

/* Count one sample of (thread, state, stack); its index in counts. */
static uint32_t add_count(struct profile *p, uint32_t thread,
			  enum gil_state state, uint32_t stack)
{
	uint64_t key = count_key(thread, state, stack);
	uint32_t *v = ptab_get(&p->count_index, key);

	if (v) {
		p->counts[*v].n++;
		return *v;
	}
	if (p->ncounts == p->acounts) {
		p->acounts = p->acounts ? p->acounts * 2 : 256;
		p->counts = xrealloc(p->counts, p->acounts * sizeof(*p->counts));
	}
	p->counts[p->ncounts].key = key;
	p->counts[p->ncounts].n = 1;
	ptab_put(&p->count_index, key, (uint32_t)p->ncounts);
	return (uint32_t)p->ncounts++;
}

/* Count the stack of slot i's thread t in state st, through the slot's
 * memo when it shows what it showed last. */
static void count_stack(struct profile *p, int i, uint32_t t,
			enum gil_state st, const struct py_thread_sample *ts)
{
	struct slot_memo *m = &p->memo[i];
	int n = ts->nframes > 0 ? ts->nframes : 0;
	size_t bytes = (size_t)n * sizeof(*m->frames);
	uint32_t stack;

	if (m->valid && m->thread == t && m->state == (int)st && m->n == n &&
	    (!n || !memcmp(m->frames, ts->frames, bytes))) {
		p->counts[m->count].n++;
		p->last_stack[i] = m->stack;
		return;
	}
	stack = n ? intern_stack(p, ts->frames, n) : 0;
	p->last_stack[i] = stack;
	m->count = add_count(p, t, st, stack);
	if (n > m->cap) {
		m->cap = n;
		m->frames = xrealloc(m->frames, bytes);
	}
	if (n)
		memcpy(m->frames, ts->frames, bytes);
	m->n = n;
	m->thread = t;
	m->state = (int)st;
	m->stack = stack;
	m->valid = 1;
}

/* --- threads ------------------------------------------------------------- */

static uint32_t thread_for(struct profile *p, int slot,
			   const struct py_thread_sample *ts)
{
	struct profile_thread *t;
	uint32_t i = p->cache[slot];
	const char *name;

	if (i < p->nthreads && p->threads[i].tid == ts->tid &&
	    p->threads[i].thread_id == ts->thread_id)
		return i;
	for (i = 0; i < p->nthreads; i++)
		if (p->threads[i].tid == ts->tid &&
		    p->threads[i].thread_id == ts->thread_id)
			goto found;
	if (p->nthreads == p->athreads) {
		p->athreads = p->athreads ? p->athreads * 2 : 16;
		p->threads = xrealloc(p->threads,
				      p->athreads * sizeof(*p->threads));
	}
	t = &p->threads[p->nthreads];
	memset(t, 0, sizeof(*t));
	t->tid = ts->tid;
	t->thread_id = ts->thread_id;
	name = p->r.thread_name ?
		p->r.thread_name(p->r.ctx, ts->tid, ts->thread_id) : NULL;
	if (name && *name) {
		t->name = xstrdup(name);
	} else {
		struct strbuf sb = STRBUF_INIT;

		sb_addf(&sb, "%d", (int)ts->tid);
		t->name = sb_detach(&sb);
	}
	i = (uint32_t)p->nthreads++;
found:
	p->cache[slot] = i;
	return i;
}

/* --- timeline ------------------------------------------------------------ */

static void tl_flush(struct profile_thread *t);

static void merge_buckets(struct profile *p)
{
	size_t i, j, k;

	for (i = 0; i < PROFILE_TIMELINE_BUCKETS / 2; i++) {
		struct profile_bucket *a = &p->buckets[2 * i];
		struct profile_bucket *b = &p->buckets[2 * i + 1];
		struct profile_bucket m = *a;

		m.ticks += b->ticks;
		m.held += b->held;
		m.contended += b->contended;
		m.waiters += b->waiters;
		m.switches += b->switches;
		p->buckets[i] = m;
	}
	memset(&p->buckets[PROFILE_TIMELINE_BUCKETS / 2], 0,
	       sizeof(p->buckets) / 2);
	for (j = 0; j < p->nthreads; j++) {
		struct profile_thread *t = &p->threads[j];
		uint32_t *tl, first;
		size_t last = SIZE_MAX, to;

		tl_flush(t);	/* its pending ticks are in bucket terms too */
		tl = t->timeline;
		first = t->tl_first / 2;

		/* bucket a goes to a / 2: in place, since a / 2 - first
		 * never exceeds a - tl_first, and ascending */
		for (i = 0; tl && i < t->tl_n; i++) {
			to = (t->tl_first + i) / 2 - first;
			for (k = 0; k < GIL_NSTATES; k++)
				tl[to * GIL_NSTATES + k] = (to == last ?
					tl[to * GIL_NSTATES + k] : 0) +
					tl[i * GIL_NSTATES + k];
			last = to;
		}
		if (tl) {
			t->tl_n = (uint32_t)last + 1;
			t->tl_first = first;
		}
	}
	p->span *= 2;
	p->nbuckets = PROFILE_TIMELINE_BUCKETS / 2;
}

/* The thread's counts in bucket b, growing its share of the timeline to
 * reach it (buckets only move forward, or halve in a merge). */
static uint32_t *thread_bucket(struct profile_thread *t, size_t b)
{
	size_t need;

	if (!t->timeline) {
		t->tl_first = (uint32_t)b;
		t->tl_n = 0;
	}
	need = b - t->tl_first + 1;
	if (need > t->tl_cap) {
		size_t cap = t->tl_cap ? t->tl_cap * 2 : 2;

		while (cap < need)
			cap *= 2;
		t->timeline = xrealloc(t->timeline,
				       cap * GIL_NSTATES * sizeof(*t->timeline));
		t->tl_cap = (uint32_t)cap;
	}
	if (need > t->tl_n) {
		memset(t->timeline + (size_t)t->tl_n * GIL_NSTATES, 0,
		       (need - t->tl_n) * GIL_NSTATES * sizeof(*t->timeline));
		t->tl_n = (uint32_t)need;
	}
	return t->timeline + (b - t->tl_first) * GIL_NSTATES;
}

/* How many of the n samples from sample k on fall in bucket b, buckets
 * being span samples each. */
static uint64_t run_in_bucket(uint64_t k, uint64_t n, uint64_t span,
			      uint64_t b)
{
	uint64_t lo = b * span, hi = lo + span;

	if (k > lo)
		lo = k;
	if (k + n < hi)
		hi = k + n;
	return hi > lo ? hi - lo : 0;
}

/* Add the run pending in t to its timeline, bucket by bucket (a merge
 * flushes every run first, so its span is the timeline's). */
static void tl_flush(struct profile_thread *t)
{
	uint64_t k = t->tl_pend_k, end = k + t->tl_pend_n;
	uint64_t span = t->tl_pend_span;

	if (!t->tl_pend_n)
		return;
	for (uint64_t b = k / span; b * span < end; b++)
		thread_bucket(t, (size_t)b)[t->tl_pend_st] +=
			(uint32_t)run_in_bucket(k, t->tl_pend_n, span, b);
	t->tl_pend_n = 0;
}

/* Sample k of t, in state st, the timeline's buckets being span samples:
 * pending while the run goes on. */
static void tl_count(struct profile_thread *t, uint64_t k, uint64_t span,
		     enum gil_state st)
{
	if (t->tl_pend_n && t->tl_pend_st == (int)st &&
	    t->tl_pend_span == span && t->tl_pend_k + t->tl_pend_n == k &&
	    t->tl_pend_n < UINT32_MAX) {
		t->tl_pend_n++;
		return;
	}
	tl_flush(t);
	t->tl_pend_k = k;
	t->tl_pend_span = span;
	t->tl_pend_st = (int)st;
	t->tl_pend_n = 1;
}

const uint32_t *profile_thread_bucket(const struct profile_thread *t,
				      size_t b)
{
	static const uint32_t none[GIL_NSTATES];
	static uint32_t with_pending[GIL_NSTATES];
	const uint32_t *v = none;

	if (t->timeline && b >= t->tl_first && b - t->tl_first < t->tl_n)
		v = t->timeline + (b - t->tl_first) * GIL_NSTATES;
	if (!t->tl_pend_n ||
	    !run_in_bucket(t->tl_pend_k, t->tl_pend_n, t->tl_pend_span, b))
		return v;
	memcpy(with_pending, v, sizeof(with_pending));
	with_pending[t->tl_pend_st] += (uint32_t)run_in_bucket(t->tl_pend_k,
		t->tl_pend_n, t->tl_pend_span, b);
	return with_pending;
}

/* The bucket for the sample about to be added (p->st.samples not yet
 * incremented), merging when the timeline is full. */
static size_t bucket_for(struct profile *p, uint64_t time_ns)
{
	size_t b = (size_t)(p->st.samples / p->span);

	if (b >= PROFILE_TIMELINE_BUCKETS) {
		merge_buckets(p);
		b = (size_t)(p->st.samples / p->span);
	}
	if (b >= p->nbuckets) {
		p->nbuckets = b + 1;
		p->buckets[b].t_ns = time_ns - p->st.start_ns;
	}
	return b;
}

/* --- public -------------------------------------------------------------- */

struct profile *profile_new(const struct profile_resolver *r)
{
	struct profile *p = xcalloc(1, sizeof(*p));

	if (r)
		p->r = *r;
	p->anodes = 1024;
	p->nodes = xmalloc(p->anodes * sizeof(*p->nodes));
	p->nodes[0].parent = 0;
	p->nodes[0].frame = 0;
	p->nodes[0].depth = 0;
	p->nnodes = 1;
	p->span = 1;
	p->an = analysis_new();
	p->st.last_holder = PROFILE_NO_THREAD;
	p->cache = xmalloc(PY_MAX_THREADS * sizeof(*p->cache));
	memset(p->cache, 0xff, PY_MAX_THREADS * sizeof(*p->cache));
	p->last_stack = xcalloc(PY_MAX_THREADS, sizeof(*p->last_stack));
	p->memo = xcalloc(PY_MAX_THREADS, sizeof(*p->memo));
	p->an_threads = xcalloc(PY_MAX_THREADS, sizeof(*p->an_threads));
	return p;
}

static void free_scratch(struct profile *p)
{
	if (p->memo)
		for (size_t i = 0; i < PY_MAX_THREADS; i++)
			free(p->memo[i].frames);
	free(p->memo);
	p->memo = NULL;
	free(p->cache);
	free(p->last_stack);
	free(p->an_threads);
	p->cache = p->last_stack = NULL;
	p->an_threads = NULL;
	p->last_n = 0;
}

void profile_detach(struct profile *p)
{
	profile_refresh_names(p, 0);
	memset(&p->r, 0, sizeof(p->r));
	free_scratch(p);
}

void profile_free(struct profile *p)
{
	size_t i;

	if (!p)
		return;
	free_scratch(p);
	analysis_free(p->an);
	for (i = 0; i < p->nstrs; i++)
		free(p->strs[i]);
	free(p->strs);
	ptab_release(&p->str_index);
	free(p->frames);
	free(p->frame_seen);
	free(p->funcs);
	ptab_release(&p->func_index);
	free(p->objects);
	ptab_release(&p->object_index);
	free(p->nodes);
	ptab_release(&p->node_index);
	free(p->counts);
	ptab_release(&p->count_index);
	for (i = 0; i < p->nthreads; i++) {
		free(p->threads[i].name);
		free(p->threads[i].timeline);
	}
	free(p->threads);
	free(p);
}

static void see_tick(struct profile *p, uint64_t time_ns)
{
	if (!p->st.ticks)
		p->st.start_ns = time_ns;
	if (time_ns > p->st.end_ns)
		p->st.end_ns = time_ns;
	p->st.ticks++;
}

void profile_add_failed(struct profile *p, uint64_t time_ns)
{
	see_tick(p, time_ns);
	p->st.failed++;
	analysis_add_failed(p->an, time_ns);
}

/* The innermost function of a stack, ANALYSIS_NONE for a torn or empty
 * one. */
static uint32_t stack_func(const struct profile *p, uint32_t stack)
{
	const struct profile_frame *f;

	if (stack == PROFILE_NO_STACK || stack == 0)
		return ANALYSIS_NONE;
	f = profile_frame(p, profile_stack_frame(p, stack));
	return f ? f->func : ANALYSIS_NONE;
}

/* Hand the sample just taken, as the profile sees it, to the analyses. */
static void analyse(struct profile *p, const struct py_sample *s, int n)
{
	struct analysis_sample as = {
		s->time_ns, s->switch_number, s->interval_us, n, p->an_threads
	};
	int i;

	for (i = 0; i < n; i++) {
		struct analysis_thread *t = &p->an_threads[i];
		uint32_t stack = p->last_stack[i];

		t->state = (unsigned)s->threads[i].state < GIL_NSTATES ?
			   s->threads[i].state : GIL_IDLE;
		t->thread = p->cache[i];
		t->stack = stack == PROFILE_NO_STACK ? ANALYSIS_NONE : stack;
		t->func = stack_func(p, stack);
	}
	analysis_add(p->an, &as);
}

void profile_add(struct profile *p, const struct py_sample *s)
{
	struct profile_bucket *bk;
	size_t b;
	int i, n = s->nthreads, waiters = 0, held = 0, torn = 0;
	uint32_t holder = PROFILE_NO_THREAD;

	if (n > PY_MAX_THREADS)
		n = PY_MAX_THREADS;
	if (n < 0)
		n = 0;
	see_tick(p, s->time_ns);
	b = bucket_for(p, s->time_ns);
	bk = &p->buckets[b];
	for (i = 0; i < n; i++) {
		const struct py_thread_sample *ts = &s->threads[i];
		enum gil_state st = ts->state;
		uint32_t t = thread_for(p, i, ts);
		struct profile_thread *th = &p->threads[t];

		if ((unsigned)st >= GIL_NSTATES)
			st = GIL_IDLE;
		th->samples++;
		th->state[st]++;
		tl_count(th, p->st.samples, p->span, st);
		if ((unsigned)ts->evidence < EV_NSTATES)
			p->st.evidence[st][ts->evidence]++;
		if (st == GIL_HELD) {
			held = 1;
			holder = t;
		} else if (st == GIL_WAITING) {
			waiters++;
		} else if (st == GIL_RUNNING) {
			p->st.no_gil = 1;
		}
		/* A torn read drops the stack; the state still counts. */
		if (ts->incomplete || (ts->nframes > 0 && !ts->frames)) {
			th->torn++;
			torn++;
			p->last_stack[i] = PROFILE_NO_STACK;
			continue;
		}
		count_stack(p, i, t, st, ts);
	}
	if (s->gil_locked == 1)
		held = 1;
	p->last_n = n;
	p->st.samples++;
	bk->ticks++;
	if (held) {
		p->st.held_ticks++;
		bk->held++;
	}
	if (waiters) {
		p->st.contended_ticks++;
		p->st.waiter_sum += (uint64_t)waiters;
		bk->contended++;
		bk->waiters += (uint32_t)waiters;
	}
	if (torn || s->errors > 0)
		p->st.torn_ticks++;
	p->st.torn_stacks += (uint64_t)torn;
	if (p->have_switch && s->switch_number > p->last_switch &&
	    s->switch_number - p->last_switch < (1ull << 32)) {
		uint64_t d = s->switch_number - p->last_switch;

		p->st.switches += d;
		bk->switches += (uint32_t)d;
	}
	p->last_switch = s->switch_number;
	p->have_switch = 1;
	if (s->interval_us)
		p->st.interval_us = s->interval_us;
	p->st.last_holder = holder;
	analyse(p, s, n);
}

const struct analysis *profile_analysis(const struct profile *p)
{
	return p->an;
}

const struct profile_stats *profile_stats(const struct profile *p)
{
	return &p->st;
}

uint32_t profile_last_thread(const struct profile *p, int slot)
{
	return p->cache && slot >= 0 && slot < PY_MAX_THREADS ?
		p->cache[slot] : PROFILE_NO_THREAD;
}

uint32_t profile_last_stack(const struct profile *p, int slot)
{
	return p->last_stack && slot >= 0 && slot < PY_MAX_THREADS ?
		p->last_stack[slot] : PROFILE_NO_STACK;
}

void profile_refresh_names(struct profile *p, int all)
{
	size_t i, n = all ? p->nthreads : (size_t)p->last_n;

	if (!p->r.thread_name)
		return;
	for (i = 0; i < n; i++) {
		uint32_t k = all ? (uint32_t)i : p->cache[i];
		struct profile_thread *t;

		if (k >= p->nthreads)
			continue;
		t = &p->threads[k];
		const char *name = p->r.thread_name(p->r.ctx, t->tid,
						    t->thread_id);

		if (name && *name && strcmp(name, t->name)) {
			free(t->name);
			t->name = xstrdup(name);
			p->names_gen++;
		}
	}
}

uint32_t profile_names_generation(const struct profile *p)
{
	return p->names_gen;
}

