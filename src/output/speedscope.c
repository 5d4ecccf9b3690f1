/*
 * speedscope.c - speedscope's file format (the "sampled" profile type of
 * https://www.speedscope.app/file-format-schema.json), one profile per
 * thread.
 *
 * Choices, and why:
 *  - unit "none", one unit per sample: every weight is a number of samples,
 *    and speedscope shows values of unit none as plain integers, so the
 *    numbers a user reads in it are exactly the counts of the collapsed
 *    output for the same recording.  A time unit would claim a precision
 *    the sampler does not have: ticks are jittered around 1/rate, some fail
 *    and some are skipped when gilspy falls behind, so "weight = ticks x
 *    period" would be an estimate dressed as a measurement.  The cost: the
 *    x axis of speedscope's Time Order view counts samples, not seconds
 *    (the chrome format is the one with real time).
 *  - identical consecutive stacks of a thread are one sample with the sum
 *    of their weights; identical means the same text (frames as
 *    output_frame() writes them, plus the state leaf), so --nolineno and
 *    --function merge what they print the same.
 *  - the GIL state is the leaf frame ("[GIL held]", "[waiting for GIL]",
 *    ...), unless --no-state-frames: speedscope has no other place where a
 *    user would see it, and its sandwich view then gives per-state totals.
 *  - profiles are named "NAME (tid)" and sorted by tid (thread index for
 *    equal tids); threads with no sample left after the state filter get
 *    no profile.  --threads adds nothing: every thread is its own profile
 *    already.  Frames are numbered in the order the rendering first meets
 *    them, so the same samples always give the same file.
 *  - a sample whose state is filtered out, or whose stack was torn, is
 *    dropped, as in the collapsed output.
 *  - a recording of several processes (-s) gets a profile per thread of
 *    each process, named "PID NAME (tid)", processes in the order of
 *    record_info.procs; frames are shared by text and file across them.
 *
 * Memory: one (stack, state, weight) run per change of a thread's stack,
 * which is what the file will hold.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/hashmap.h"
#include "report.h"
#include "seq.h"

#define NONE UINT32_MAX

struct run {
	uint32_t stack;		/* profile stack node */
	uint32_t state;		/* enum gil_state */
	uint64_t weight;	/* samples */
};

struct thread_runs {
	struct run *v;
	size_t n, alloc;
};

/* One process's runs (one slot, p NULL, without processes). */
struct ss_proc {
	const struct profile *p;
	struct thread_runs *th;		/* by profile thread index */
	size_t nth;
};

struct speedscope {
	struct output_options o;
	struct ss_proc *procs;
	size_t nprocs, last;
	struct u64map by_prof;		/* profile address -> slot */
};

static void *ss_make(const struct output_options *o)
{
	struct speedscope *r = xcalloc(1, sizeof(*r));

	r->o = *o;
	u64map_init(&r->by_prof);
	return r;
}

/* The slot of process p (NULL: the only one), made on first use. */
static struct ss_proc *slot_of(struct speedscope *r, const struct profile *p)
{
	uint64_t key = (uint64_t)(uintptr_t)p + 1;	/* NULL: key 1 */
	uint32_t at;
	size_t i;

	if (r->last < r->nprocs && r->procs[r->last].p == p)
		return &r->procs[r->last];
	if (u64map_get(&r->by_prof, key, &at)) {
		i = at;
	} else {
		i = r->nprocs++;
		r->procs = xrealloc(r->procs, r->nprocs * sizeof(*r->procs));
		memset(&r->procs[i], 0, sizeof(r->procs[i]));
		r->procs[i].p = p;
		u64map_put(&r->by_prof, key, (uint32_t)i);
	}
	r->last = i;
	return &r->procs[i];
}

static const struct ss_proc *find_slot(const struct speedscope *r,
				       const struct profile *p)
{
	uint32_t at;

	return u64map_get(&r->by_prof, (uint64_t)(uintptr_t)p + 1, &at) ?
		&r->procs[at] : NULL;
}

static void ss_add(void *impl, const struct record_process *proc,
		   const struct profile *p, const struct py_sample *s)
{
	struct speedscope *r = impl;
	struct ss_proc *sp = slot_of(r, proc ? proc->prof : NULL);
	int i, n = s->nthreads < PY_MAX_THREADS ? s->nthreads : PY_MAX_THREADS;

	for (i = 0; i < n; i++) {
		uint32_t t = profile_last_thread(p, i);
		uint32_t stack = profile_last_stack(p, i);
		enum gil_state st = seq_slot_state(s, i);
		struct thread_runs *tr;

		if (t == PROFILE_NO_THREAD || stack == PROFILE_NO_STACK ||
		    !(r->o.states & (1u << st)) ||
		    (stack == 0 && !r->o.state_frames))
			continue;
		if (t >= sp->nth) {
			size_t m = t + 1 > 2 * sp->nth ? t + 1 : 2 * sp->nth;

			sp->th = xrealloc(sp->th, m * sizeof(*sp->th));
			memset(sp->th + sp->nth, 0,
			       (m - sp->nth) * sizeof(*sp->th));
			sp->nth = m;
		}
		tr = &sp->th[t];
		if (tr->n && tr->v[tr->n - 1].stack == stack &&
		    tr->v[tr->n - 1].state == (uint32_t)st) {
			tr->v[tr->n - 1].weight++;
			continue;
		}
		if (tr->n == tr->alloc) {
			tr->alloc = tr->alloc ? 2 * tr->alloc : 16;
			tr->v = xrealloc(tr->v, tr->alloc * sizeof(*tr->v));
		}
		tr->v[tr->n].stack = stack;
		tr->v[tr->n].state = (uint32_t)st;
		tr->v[tr->n].weight = 1;
		tr->n++;
	}
}

static void ss_add_failed(void *impl, const struct record_process *proc,
			  uint64_t time_ns)
{
	/* The timeline of unit "none" has no place for a missing tick. */
	(void)impl;
	(void)proc;
	(void)time_ns;
}

/* --- rendering ----------------------------------------------------------- */

struct sframe {
	const char *name;	/* pooled */
	const char *file;	/* full path (pooled), or NULL */
	int line;		/* 0: none */
};

/* The output's frames and stacks: frames interned by (text, file); stacks
 * interned as a trie of frame indices (node 0 the empty stack), so equal
 * text is equal node whatever profile stacks it came from. */
struct render {
	const struct profile *p;
	const struct output_options *o;
	struct strpool pool;
	struct u64map frame_index;	/* hash of (name ptr, file ptr) */
	struct sframe *frames;
	size_t nframes, aframes;
	struct u64map node_index;	/* (parent + 1) << 32 | frame */
	uint32_t *nparent, *nframe;
	size_t nnodes, anodes;
	uint32_t *of_stack;		/* profile stack -> node, or NONE */
	size_t nstacks;
	uint32_t state_frame[GIL_NSTATES];
	struct strbuf tmp;
};

static uint32_t frame_id(struct render *rd, const char *text,
			 const char *file, int line)
{
	const char *name = strpool_intern(&rd->pool, text, strlen(text));

	/* pooled: equal across the profiles of several processes */
	if (file)
		file = strpool_intern(&rd->pool, file, strlen(file));
	uint64_t key = hash_mix((uint64_t)(uintptr_t)name,
				(uint64_t)(uintptr_t)file);
	uint32_t v;
	size_t i;

	/* key is a hash: confirm, and probe on the rare collision */
	for (;;) {
		if (!u64map_get(&rd->frame_index, key, &v))
			break;
		if (rd->frames[v].name == name && rd->frames[v].file == file)
			return v;
		key = hash_mix(key, 1);
	}
	if (rd->nframes == rd->aframes) {
		rd->aframes = rd->aframes ? 2 * rd->aframes : 64;
		rd->frames = xrealloc(rd->frames,
				      rd->aframes * sizeof(*rd->frames));
	}
	i = rd->nframes++;
	rd->frames[i].name = name;
	rd->frames[i].file = file;
	rd->frames[i].line = line;
	u64map_put(&rd->frame_index, key, (uint32_t)i);
	return (uint32_t)i;
}

static uint32_t child_node(struct render *rd, uint32_t parent, uint32_t frame)
{
	uint64_t key = ((uint64_t)parent + 1) << 32 | frame;
	uint32_t v;

	if (u64map_get(&rd->node_index, key, &v))
		return v;
	if (rd->nnodes == rd->anodes) {
		rd->anodes = rd->anodes ? 2 * rd->anodes : 256;
		rd->nparent = xrealloc(rd->nparent,
				       rd->anodes * sizeof(*rd->nparent));
		rd->nframe = xrealloc(rd->nframe,
				      rd->anodes * sizeof(*rd->nframe));
	}
	v = (uint32_t)rd->nnodes++;
	rd->nparent[v] = parent;
	rd->nframe[v] = frame;
	u64map_put(&rd->node_index, key, v);
	return v;
}

/* The output node of profile stack `stack` (its frames, not its state). */
static uint32_t node_of(struct render *rd, uint32_t stack)
{
	const struct profile_frame *f;
	uint32_t parent, fid;
	int line;

	if (stack == 0)
		return 0;
	if (stack < rd->nstacks && rd->of_stack[stack] != NONE)
		return rd->of_stack[stack];
	/* Stacks are a few hundred frames at most (PY_MAX_DEPTH): recursion
	 * towards the root is bounded. */
	parent = node_of(rd, profile_stack_parent(rd->p, stack));
	f = profile_frame(rd->p, profile_stack_frame(rd->p, stack));
	sb_reset(&rd->tmp);
	output_frame(&rd->tmp, f, rd->o);
	line = f ? (rd->o->function ? f->firstlineno : f->line) : 0;
	fid = frame_id(rd, rd->tmp.buf, f ? f->file : NULL,
		       rd->o->lineno && line > 0 ? line : 0);
	parent = child_node(rd, parent, fid);
	if (stack < rd->nstacks)
		rd->of_stack[stack] = parent;
	return parent;
}

static void add_stack(struct strbuf *sb, const struct render *rd,
		      uint32_t node, uint32_t leaf, uint32_t **buf,
		      size_t *abuf)
{
	size_t n = 0, i;

	for (; node; node = rd->nparent[node]) {
		if (n == *abuf) {
			*abuf = *abuf ? 2 * *abuf : 64;
			*buf = xrealloc(*buf, *abuf * sizeof(**buf));
		}
		(*buf)[n++] = rd->nframe[node];
	}
	sb_addc(sb, '[');
	for (i = n; i > 0; i--)
		sb_addf(sb, "%s%u", i == n ? "" : ",", (*buf)[i - 1]);
	if (leaf != NONE)
		sb_addf(sb, "%s%u", n ? "," : "", leaf);
	sb_addc(sb, ']');
}

static uint32_t leaf_of(struct render *rd, uint32_t state)
{
	if (!rd->o->state_frames)
		return NONE;
	if (rd->state_frame[state] == NONE)
		rd->state_frame[state] = frame_id(rd,
			output_state_frame((enum gil_state)state), NULL, 0);
	return rd->state_frame[state];
}

/* One sample of the output: a run, or several that print the same. */
struct merged {
	uint32_t node, leaf;
	uint64_t weight;
};

static void add_profile(struct strbuf *sb, struct render *rd,
			const struct thread_runs *tr, pid_t pid,
			const struct profile_thread *t, struct merged **m,
			size_t *am, uint32_t **buf, size_t *abuf)
{
	struct strbuf label = STRBUF_INIT;
	uint64_t total = 0;
	size_t n = 0, j;

	for (j = 0; j < tr->n; j++) {
		uint32_t node = node_of(rd, tr->v[j].stack);
		uint32_t leaf = leaf_of(rd, tr->v[j].state);

		if (n && (*m)[n - 1].node == node && (*m)[n - 1].leaf == leaf) {
			(*m)[n - 1].weight += tr->v[j].weight;
		} else {
			if (n == *am) {
				*am = *am ? 2 * *am : 64;
				*m = xrealloc(*m, *am * sizeof(**m));
			}
			(*m)[n].node = node;
			(*m)[n].leaf = leaf;
			(*m)[n].weight = tr->v[j].weight;
			n++;
		}
		total += tr->v[j].weight;
	}
	if (pid)
		sb_addf(&label, "%d ", (int)pid);
	seq_thread_label(&label, t);
	sb_adds(sb, "{\"type\": \"sampled\", \"name\": ");
	sb_add_json_str(sb, label.buf);
	sb_addf(sb, ", \"unit\": \"none\", \"startValue\": 0, "
		"\"endValue\": %llu,\n     \"samples\": [",
		(unsigned long long)total);
	for (j = 0; j < n; j++) {
		sb_adds(sb, j % 8 ? "," : j ? ",\n      " : "\n      ");
		add_stack(sb, rd, (*m)[j].node, (*m)[j].leaf, buf, abuf);
	}
	sb_adds(sb, "],\n     \"weights\": [");
	for (j = 0; j < n; j++)
		sb_addf(sb, "%s%llu", j % 32 ? "," : j ? ",\n      " : "",
			(unsigned long long)(*m)[j].weight);
	sb_adds(sb, "]}");
	sb_release(&label);
}

/* Whose stacks node_of() reads: p's (its stack ids, its frames). */
static void render_profile(struct render *rd, const struct profile *p)
{
	rd->p = p;
	rd->nstacks = profile_nstacks(p);
	rd->of_stack = xrealloc(rd->of_stack,
				(rd->nstacks + 1) * sizeof(*rd->of_stack));
	memset(rd->of_stack, 0xff, (rd->nstacks + 1) * sizeof(*rd->of_stack));
}

/* What add_profile() needs besides the renderer, for every profile. */
struct scratch {
	struct merged *m;
	uint32_t *buf;
	size_t am, abuf;
	size_t nprof;
};

/* Every thread of process slot sp (profile p, pid 0: without processes)
 * with samples, by tid, into body. */
static void add_process(struct strbuf *body, struct render *rd,
			const struct ss_proc *sp, const struct profile *p,
			pid_t pid, struct scratch *x)
{
	size_t *order = report_thread_order(p), i;

	render_profile(rd, p);
	for (i = 0; i < profile_nthreads(p); i++) {
		size_t t = order[i];

		if (t >= sp->nth || !sp->th[t].n)
			continue;
		sb_adds(body, x->nprof++ ? ",\n    " : "\n    ");
		add_profile(body, rd, &sp->th[t], pid, profile_thread(p, t),
			    &x->m, &x->am, &x->buf, &x->abuf);
	}
	free(order);
}

static void ss_finish(void *impl, struct strbuf *sb, const struct profile *p,
		      const struct record_info *ri)
{
	struct speedscope *r = impl;
	struct render rd;
	struct strbuf body = STRBUF_INIT, title = STRBUF_INIT;
	struct scratch x = { 0 };
	const struct ss_proc *sp;
	size_t i, k, nprof;

	memset(&rd, 0, sizeof(rd));
	rd.o = &r->o;
	strpool_init(&rd.pool);
	u64map_init(&rd.frame_index);
	u64map_init(&rd.node_index);
	for (k = 0; k < GIL_NSTATES; k++)
		rd.state_frame[k] = NONE;
	child_node(&rd, 0, NONE);	/* node 0: the empty stack */

	/* Profiles first, into body: rendering them numbers the frames. */
	if (ri && ri->nprocs) {
		for (i = 0; i < ri->nprocs; i++) {
			const struct record_process *rp = &ri->procs[i];

			if (rp->prof && (sp = find_slot(r, rp->prof)))
				add_process(&body, &rd, sp, rp->prof,
					    rp->pid, &x);
		}
	} else if ((sp = find_slot(r, NULL))) {
		add_process(&body, &rd, sp, p, 0, &x);
	}
	nprof = x.nprof;

	sb_adds(sb, "{\n  \"$schema\": "
		"\"https://www.speedscope.app/file-format-schema.json\",\n");
	sb_addf(sb, "  \"exporter\": \"gilspy %s\",\n  \"name\": ",
		GILSPY_VERSION);
	seq_title(&title, ri);
	sb_add_json_str(sb, title.buf);
	sb_adds(sb, ",\n  \"activeProfileIndex\": 0,\n"
		"  \"shared\": {\"frames\": [");
	for (k = 0; k < rd.nframes; k++) {
		const struct sframe *f = &rd.frames[k];

		sb_adds(sb, k ? ",\n    {\"name\": " : "\n    {\"name\": ");
		sb_add_json_str(sb, f->name);
		if (f->file) {
			sb_adds(sb, ", \"file\": ");
			sb_add_json_str(sb, f->file);
		}
		if (f->line > 0)
			sb_addf(sb, ", \"line\": %d", f->line);
		sb_addc(sb, '}');
	}
	sb_adds(sb, rd.nframes ? "\n  ]},\n" : "]},\n");
	sb_adds(sb, "  \"profiles\": [");
	if (nprof)
		sb_add(sb, body.buf, body.len);
	sb_adds(sb, nprof ? "\n  ]\n}\n" : "]\n}\n");

	free(x.m);
	free(x.buf);
	free(rd.frames);
	free(rd.nparent);
	free(rd.nframe);
	free(rd.of_stack);
	u64map_release(&rd.frame_index);
	u64map_release(&rd.node_index);
	strpool_release(&rd.pool);
	sb_release(&rd.tmp);
	sb_release(&body);
	sb_release(&title);
}

static void ss_release(void *impl)
{
	struct speedscope *r = impl;
	size_t i, k;

	for (k = 0; k < r->nprocs; k++) {
		for (i = 0; i < r->procs[k].nth; i++)
			free(r->procs[k].th[i].v);
		free(r->procs[k].th);
	}
	free(r->procs);
	u64map_release(&r->by_prof);
	free(r);
}

const struct seq_ops seq_speedscope_ops = {
	ss_make, ss_add, ss_add_failed, ss_finish, ss_release,
};
