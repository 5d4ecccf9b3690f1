/*
 * pprof.c - the profile as pprof's profile.proto (proto/profile.proto),
 * gzipped: what `go tool pprof`, Pyroscope, Parca and Cloud Profiler read.
 *
 * One pprof Sample per (thread, GIL state, stack) count, leaf first, with
 * two values (samples/count and wall/nanoseconds, the count times the
 * sampling period) and the labels gil_state, thread, tid and pid: the GIL
 * state, the thread and the process are labels here, not frames, so a
 * fleet profile can be sliced by them (`-tagfocus=gil_state=waiting`).
 * --threads and the state leaf frames of the text formats do not apply.
 * Several processes (-s) go in one profile, each sample labelled with its
 * pid and, with more than one process, rooted in a location
 * `process PID (COMMAND LINE)`.
 *
 * The tables (strings, functions, locations, mappings) are packed as one
 * Profile and then every sample as a Profile of its own holding just that
 * sample (pprof_wire.h says why that is one profile): memory grows with
 * the distinct functions and lines, never with the number of stacks.
 *
 * Ids are given in the order things are first met while walking the sorted
 * counts, process after process, and no field depends on the clock at
 * render time, so the same recording always gives the same bytes (`record`
 * and `report` agree).
 *
 * Frame kinds: a Python frame is a location (function, line) in the one
 * "python" mapping, shared by every process.  A native frame (--native)
 * is a location of its own at its function's address, in the mapping of
 * the file it is in - one pprof Mapping per file mapping of each process,
 * with its bounds, file offset and build id - and a line naming its
 * function (the symbol, in the library's base name).  Every mapping says
 * has_functions: gilspy symbolized it, readers need not look for the
 * binaries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/hashmap.h"
#include "gilspy/output.h"
#include "pprof_wire.h"

/* The mapping of Python code (id 1): already symbolized, so readers never
 * try to look its addresses up in a binary. */
#define MAPPING_PYTHON 1

/* Keys of the per-process tables: a frame, stack or mapping of process i
 * (never 0, u64map's empty key). */
#define PKEY(i, id) (((uint64_t)(i) + 1) << 32 | (uint32_t)(id))

/* The process being walked or packed. */
struct pp_proc {
	const struct output_process *in;
	uint32_t idx;
	pb_label *thread_labels;	/* 2 per thread: name, tid */
	pb_label pid_label;
	uint32_t root_loc;		/* `process PID (...)`, 0 none */
};

struct pprof_enc {
	const struct output_options *o;
	struct pprof_wire w;
	struct pp_proc *procs;
	size_t nprocs;
	struct pp_proc *cur;		/* its profile: cur->in->p */

	pb_function *funcs;		/* id = index + 1 */
	size_t nfuncs, afuncs;
	struct u64map func_ids;		/* (name, file) string ids -> id */

	pb_location *locs;		/* id = index + 1 */
	pb_line *lines;			/* one per location */
	size_t nlocs, alocs;
	struct u64map loc_ids;		/* Python (function, line) -> id */
	struct u64map frame_locs;	/* PKEY(process, frame) -> location */
	struct u64map seen_stacks;	/* PKEY(process, stack) -> 1 */

	pb_mapping *maps;		/* id = index + 1; [0] python */
	size_t nmaps, amaps;
	struct u64map map_ids;		/* PKEY(process, object) -> id */

	int64_t period;			/* ns between two samples */
	pb_label state_labels[GIL_NSTATES];

	uint64_t *ids;			/* one sample's location ids */
	size_t aids;
};

/* --- functions, mappings and locations ----------------------------------- */

static uint32_t func_id(struct pprof_enc *e, const char *name,
			const char *file, int start_line)
{
	int64_t n = pprof_str(&e->w, name), f = pprof_str(&e->w, file);
	uint64_t key = (uint64_t)n << 32 | ((uint64_t)f + 1);
	pb_function *fn;
	uint32_t id;

	/* Functions are named by their text: the same function seen in two
	 * processes (or two profile entries that sanitize to the same
	 * string) is one Function. */
	if (u64map_get(&e->func_ids, key, &id))
		return id;
	if (e->nfuncs == e->afuncs) {
		e->afuncs = e->afuncs ? e->afuncs * 2 : 256;
		e->funcs = xrealloc(e->funcs, e->afuncs * sizeof(*e->funcs));
	}
	fn = &e->funcs[e->nfuncs++];
	perftools__profiles__function__init(fn);
	fn->id = e->nfuncs;
	fn->name = n;
	/* No system_name: pprof treats a name equal to it as mangled C++ and
	 * strips what is in <...> and (...), which turns <module>, <lambda>
	 * and <listcomp> into nothing. */
	fn->filename = f;
	fn->start_line = start_line > 0 ? start_line : 0;
	id = (uint32_t)fn->id;
	u64map_put(&e->func_ids, key, id);
	return id;
}

static uint32_t frame_func(struct pprof_enc *e, const struct profile_frame *fr)
{
	const struct profile_func *pf;

	if (!fr)
		return func_id(e, "???", "", 0);
	pf = profile_func(e->cur->in->p, fr->func);
	return pf ? func_id(e, pf->name, pf->file, pf->firstlineno) :
		    func_id(e, fr->name, fr->file, fr->firstlineno);
}

static pb_mapping *new_mapping(struct pprof_enc *e)
{
	pb_mapping *m;

	if (e->nmaps == e->amaps) {
		e->amaps = e->amaps ? e->amaps * 2 : 16;
		e->maps = xrealloc(e->maps, e->amaps * sizeof(*e->maps));
	}
	m = &e->maps[e->nmaps++];
	perftools__profiles__mapping__init(m);
	m->id = e->nmaps;
	m->has_functions = 1;
	return m;
}

/* The mapping of profile object obj (1 + index) of the current process. */
static uint32_t object_mapping(struct pprof_enc *e, uint32_t obj)
{
	const struct profile_object *o;
	pb_mapping *m;
	uint32_t id;

	if (u64map_get(&e->map_ids, PKEY(e->cur->idx, obj), &id))
		return id;
	o = profile_object(e->cur->in->p, obj - 1);
	if (!o)
		return 0;
	m = new_mapping(e);
	m->memory_start = o->start;
	m->memory_limit = o->limit;
	m->file_offset = o->offset;
	m->filename = pprof_str(&e->w, o->path);
	m->build_id = o->build_id ? pprof_str(&e->w, o->build_id) : 0;
	id = (uint32_t)m->id;
	u64map_put(&e->map_ids, PKEY(e->cur->idx, obj), id);
	return id;
}

static uint32_t new_loc(struct pprof_enc *e, uint32_t func, int line,
			uint32_t mapping, uint64_t addr)
{
	if (e->nlocs == e->alocs) {
		e->alocs = e->alocs ? e->alocs * 2 : 256;
		e->locs = xrealloc(e->locs, e->alocs * sizeof(*e->locs));
		e->lines = xrealloc(e->lines, e->alocs * sizeof(*e->lines));
	}
	perftools__profiles__location__init(&e->locs[e->nlocs]);
	perftools__profiles__line__init(&e->lines[e->nlocs]);
	e->locs[e->nlocs].id = e->nlocs + 1;
	e->locs[e->nlocs].mapping_id = mapping;
	e->locs[e->nlocs].address = addr;
	e->lines[e->nlocs].function_id = func;
	e->lines[e->nlocs].line = line;
	return (uint32_t)++e->nlocs;
}

/* A Python location: (function, line) in the python mapping, shared. */
static uint32_t python_loc(struct pprof_enc *e, uint32_t func, int line)
{
	uint64_t key = ((uint64_t)func << 32) | (uint32_t)line;
	uint32_t id;

	if (!u64map_get(&e->loc_ids, key, &id)) {
		id = new_loc(e, func, line, MAPPING_PYTHON, 0);
		u64map_put(&e->loc_ids, key, id);
	}
	return id;
}

static uint32_t frame_loc(struct pprof_enc *e, uint32_t frame)
{
	const struct profile_frame *fr;
	uint32_t id, func;
	int line = 0;

	if (u64map_get(&e->frame_locs, PKEY(e->cur->idx, frame), &id))
		return id;
	fr = profile_frame(e->cur->in->p, frame);
	func = frame_func(e, fr);
	if (fr && fr->native) {
		/* its own location: one frame per C function already */
		id = new_loc(e, func, 0, fr->object ?
			     object_mapping(e, fr->object) : 0, fr->addr);
	} else {
		if (fr && e->o->lineno)
			line = e->o->function ? fr->firstlineno : fr->line;
		id = python_loc(e, func, line > 0 ? line : 0);
	}
	u64map_put(&e->frame_locs, PKEY(e->cur->idx, frame), id);
	return id;
}

/* Give every frame of the stack a location, stopping at the first node
 * already walked (its parents were walked with it). */
static void walk_stack(struct pprof_enc *e, uint32_t node)
{
	const struct profile *p = e->cur->in->p;
	uint32_t one;

	while (node &&
	       !u64map_get(&e->seen_stacks, PKEY(e->cur->idx, node), &one)) {
		u64map_put(&e->seen_stacks, PKEY(e->cur->idx, node), 1);
		frame_loc(e, profile_stack_frame(p, node));
		node = profile_stack_parent(p, node);
	}
}

/* --- the profile -------------------------------------------------------- */

static void set_label_str(struct pprof_enc *e, pb_label *l, const char *key,
			  const char *val)
{
	perftools__profiles__label__init(l);
	l->key = pprof_str(&e->w, key);
	l->str = pprof_str(&e->w, val);
}

static void make_state_labels(struct pprof_enc *e)
{
	for (int s = 0; s < GIL_NSTATES; s++)
		set_label_str(e, &e->state_labels[s], "gil_state",
			      gil_state_name((enum gil_state)s));
}

/* The labels of the current process: its threads', then its pid. */
static void make_proc_labels(struct pprof_enc *e)
{
	const struct profile *p = e->cur->in->p;
	size_t i, n = profile_nthreads(p);

	e->cur->thread_labels = xcalloc(n * 2 + 1,
					sizeof(*e->cur->thread_labels));
	for (i = 0; i < n; i++) {
		const struct profile_thread *t = profile_thread(p, i);
		pb_label *l = &e->cur->thread_labels[2 * i];
		char tid[24];

		snprintf(tid, sizeof(tid), "%d", (int)t->tid);
		set_label_str(e, &l[0], "thread",
			      t->name && *t->name ? t->name : tid);
		perftools__profiles__label__init(&l[1]);
		l[1].key = pprof_str(&e->w, "tid");
		l[1].num = t->tid;
	}
	perftools__profiles__label__init(&e->cur->pid_label);
	if (e->cur->in->pid > 0) {
		e->cur->pid_label.key = pprof_str(&e->w, "pid");
		e->cur->pid_label.num = e->cur->in->pid;
	}
}

/* `process PID (COMMAND LINE)`, the root of every stack of the current
 * process when there are several. */
static void make_root(struct pprof_enc *e)
{
	const struct output_process *in = e->cur->in;
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb, "process %d", (int)in->pid);
	if (in->cmdline && *in->cmdline)
		sb_addf(&sb, " (%s)", in->cmdline);
	e->cur->root_loc = python_loc(e, func_id(e, sb.buf, "", 0), 0);
	sb_release(&sb);
}

static int64_t period_ns(const struct profile *p, const struct record_info *ri)
{
	const struct profile_stats *st = profile_stats(p);

	if (ri && ri->requested_hz > 0)
		return (int64_t)(1e9 / ri->requested_hz + 0.5);
	/* no rate recorded: the mean distance between two ticks */
	if (st->ticks > 1 && st->end_ns > st->start_ns)
		return (int64_t)((st->end_ns - st->start_ns) / (st->ticks - 1));
	return 0;
}

/* The recording's length: ri's, else the longest first-to-last tick. */
static int64_t duration_ns(const struct pprof_enc *e,
			   const struct record_info *ri)
{
	uint64_t d = 0;

	if (ri && ri->wall_ns)
		return (int64_t)ri->wall_ns;
	for (size_t i = 0; i < e->nprocs; i++) {
		const struct profile_stats *st = profile_stats(e->procs[i].in->p);

		if (st->end_ns - st->start_ns > d)
			d = st->end_ns - st->start_ns;
	}
	return (int64_t)d;
}

/* The comments: gilspy, python, and who was recorded. */
static size_t make_comments(struct pprof_enc *e, const struct record_info *ri,
			    int64_t *out)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;

	sb_addf(&sb, "gilspy %s", GILSPY_VERSION);
	out[n++] = pprof_str(&e->w, sb.buf);
	if (ri && ri->python) {
		sb_reset(&sb);
		sb_addf(&sb, "python %s", ri->python);
		out[n++] = pprof_str(&e->w, sb.buf);
	}
	for (size_t i = 0; i < e->nprocs; i++) {
		const struct output_process *in = e->procs[i].in;

		if (in->pid <= 0)
			continue;
		sb_reset(&sb);
		sb_addf(&sb, "pid %d", (int)in->pid);
		if (e->nprocs > 1 && in->cmdline && *in->cmdline)
			sb_addf(&sb, ": %s", in->cmdline);
		out[n++] = pprof_str(&e->w, sb.buf);
	}
	sb_release(&sb);
	return n;
}

/* Everything but the samples, as one message. */
static void pack_tables(struct pprof_enc *e, const struct record_info *ri)
{
	pb_profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	pb_value_type types[2], period_type, *type_ptrs[2];
	pb_mapping **map_ptrs;
	pb_location **loc_ptrs;
	pb_function **func_ptrs;
	pb_line **line_ptrs;
	int64_t *comments = xcalloc(e->nprocs + 2, sizeof(*comments));
	size_t i;

	for (i = 0; i < 2; i++)
		perftools__profiles__value_type__init(&types[i]);
	perftools__profiles__value_type__init(&period_type);
	types[0].type = pprof_str(&e->w, "samples");
	types[0].unit = pprof_str(&e->w, "count");
	types[1].type = pprof_str(&e->w, "wall");
	types[1].unit = pprof_str(&e->w, "nanoseconds");
	period_type = types[1];
	type_ptrs[0] = &types[0];
	type_ptrs[1] = &types[1];
	prof.n_comment = make_comments(e, ri, comments);

	e->maps[0].filename = pprof_str(&e->w, ri && ri->binary ? ri->binary :
							       "python");
	e->maps[0].has_filenames = 1;
	e->maps[0].has_line_numbers = 1;

	/* the arrays are final now: point into them */
	map_ptrs = xcalloc(e->nmaps, sizeof(*map_ptrs));
	for (i = 0; i < e->nmaps; i++)
		map_ptrs[i] = &e->maps[i];
	loc_ptrs = xcalloc(e->nlocs + 1, sizeof(*loc_ptrs));
	line_ptrs = xcalloc(e->nlocs + 1, sizeof(*line_ptrs));
	for (i = 0; i < e->nlocs; i++) {
		line_ptrs[i] = &e->lines[i];
		e->locs[i].n_line = 1;
		e->locs[i].line = &line_ptrs[i];
		loc_ptrs[i] = &e->locs[i];
	}
	func_ptrs = xcalloc(e->nfuncs + 1, sizeof(*func_ptrs));
	for (i = 0; i < e->nfuncs; i++)
		func_ptrs[i] = &e->funcs[i];

	prof.n_sample_type = 2;
	prof.sample_type = type_ptrs;
	prof.n_mapping = e->nmaps;
	prof.mapping = map_ptrs;
	prof.n_location = e->nlocs;
	prof.location = loc_ptrs;
	prof.n_function = e->nfuncs;
	prof.function = func_ptrs;
	prof.n_string_table = e->w.n;
	prof.string_table = e->w.s;
	prof.duration_nanos = duration_ns(e, ri);
	prof.period_type = &period_type;
	prof.period = e->period;
	prof.comment = comments;
	pprof_pack(&e->w, &prof);

	free(map_ptrs);
	free(loc_ptrs);
	free(line_ptrs);
	free(func_ptrs);
	free(comments);
}

static void pack_sample(struct pprof_enc *e, const struct profile_count *c)
{
	const struct profile *p = e->cur->in->p;
	pb_profile one = PERFTOOLS__PROFILES__PROFILE__INIT;
	pb_sample s = PERFTOOLS__PROFILES__SAMPLE__INIT, *sp = &s;
	pb_label *labels[4];
	int64_t values[2];
	uint32_t node = c->stack;
	size_t n = 0, depth = profile_stack_depth(p, c->stack);

	if (depth + 1 > e->aids) {
		e->aids = depth * 2 + 1;
		e->ids = xrealloc(e->ids, e->aids * sizeof(*e->ids));
	}
	for (; node && n < depth; node = profile_stack_parent(p, node))
		e->ids[n++] = frame_loc(e, profile_stack_frame(p, node));
	if (e->cur->root_loc)
		e->ids[n++] = e->cur->root_loc;
	values[0] = (int64_t)c->count;
	values[1] = (int64_t)c->count * e->period;
	labels[s.n_label++] = &e->state_labels[c->state < GIL_NSTATES ?
					       c->state : GIL_IDLE];
	if (c->thread < profile_nthreads(p)) {
		labels[s.n_label++] = &e->cur->thread_labels[2 * c->thread];
		labels[s.n_label++] = &e->cur->thread_labels[2 * c->thread + 1];
	}
	if (e->cur->pid_label.key)
		labels[s.n_label++] = &e->cur->pid_label;
	s.n_location_id = n;
	s.location_id = e->ids;
	s.n_value = 2;
	s.value = values;
	s.label = labels;
	one.n_sample = 1;
	one.sample = &sp;
	pprof_pack(&e->w, &one);
}

void output_pprof_processes(struct strbuf *sb,
			    const struct output_process *procs, size_t nprocs,
			    const struct output_options *o,
			    const struct record_info *ri)
{
	struct pprof_enc e;
	struct profile_count **counts;
	size_t *ncounts, i, k;

	memset(&e, 0, sizeof(e));
	e.o = o;
	pprof_wire_init(&e.w, sb);
	u64map_init(&e.func_ids);
	u64map_init(&e.loc_ids);
	u64map_init(&e.frame_locs);
	u64map_init(&e.seen_stacks);
	u64map_init(&e.map_ids);
	e.nprocs = nprocs;
	e.procs = xcalloc(nprocs + 1, sizeof(*e.procs));
	counts = xcalloc(nprocs + 1, sizeof(*counts));
	ncounts = xcalloc(nprocs + 1, sizeof(*ncounts));
	e.period = nprocs ? period_ns(procs[0].p, ri) : 0;
	new_mapping(&e);	/* MAPPING_PYTHON */
	make_state_labels(&e);

	for (i = 0; i < nprocs; i++) {
		e.cur = &e.procs[i];
		e.cur->in = &procs[i];
		e.cur->idx = (uint32_t)i;
		counts[i] = profile_counts(procs[i].p, &ncounts[i]);
		make_proc_labels(&e);
		if (nprocs > 1)
			make_root(&e);
		for (k = 0; k < ncounts[i]; k++)
			if (o->states & (1u << counts[i][k].state))
				walk_stack(&e, counts[i][k].stack);
	}
	u64map_release(&e.seen_stacks);
	pack_tables(&e, ri);
	for (i = 0; i < nprocs; i++) {
		e.cur = &e.procs[i];
		for (k = 0; k < ncounts[i]; k++)
			if (o->states & (1u << counts[i][k].state))
				pack_sample(&e, &counts[i][k]);
		free(counts[i]);
		free(e.procs[i].thread_labels);
	}
	pprof_wire_finish(&e.w);

	free(counts);
	free(ncounts);
	free(e.procs);
	free(e.ids);
	free(e.funcs);
	free(e.locs);
	free(e.lines);
	free(e.maps);
	u64map_release(&e.func_ids);
	u64map_release(&e.loc_ids);
	u64map_release(&e.frame_locs);
	u64map_release(&e.map_ids);
}

void output_pprof(struct strbuf *sb, const struct profile *p,
		  const struct output_options *o, const struct record_info *ri)
{
	struct output_process one = { 0, NULL, p };

	if (ri) {
		one.pid = ri->pid;
		one.cmdline = ri->cmdline ? ri->cmdline : ri->command;
	}
	output_pprof_processes(sb, &one, 1, o, ri);
}
