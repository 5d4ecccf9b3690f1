/*
 * pprof.c - the profile as pprof's profile.proto (proto/profile.proto),
 * gzipped: what `go tool pprof`, Pyroscope, Parca and Cloud Profiler read.
 *
 * One pprof Sample per (thread, GIL state, stack) count, leaf first, with
 * two values (samples/count and wall/nanoseconds, the count times the
 * sampling period) and the labels gil_state, thread and tid: the GIL state
 * and the thread are labels here, not frames, so a fleet profile can be
 * sliced by them (`-tagfocus=gil_state=waiting`).  --threads and the state
 * leaf frames of the text formats do not apply.
 *
 * The tables (strings, functions, locations, mapping) are packed as one
 * Profile and then every sample as a Profile of its own holding just that
 * sample (pprof_wire.h says why that is one profile): memory grows with
 * the distinct functions and lines, never with the number of stacks.
 *
 * Ids are given in the order things are first met while walking the sorted
 * counts, and no field depends on the clock at render time, so the same
 * recording always gives the same bytes (`record` and `report` agree).
 *
 * Frame kinds: every location today is a Python frame (a Function with
 * file and line, in the one "python" Mapping).  A native frame kind would
 * add a Mapping per ELF object (start, limit, offset, build id) and
 * Locations carrying an address in it; loc_key() and struct pprof_enc's
 * mapping table are where it goes.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/hashmap.h"
#include "gilspy/output.h"
#include "pprof_wire.h"

/* The mapping of Python code (id 1): already symbolized, so readers never
 * try to look its addresses up in a binary. */
#define MAPPING_PYTHON 1

struct pprof_enc {
	const struct profile *p;
	const struct output_options *o;
	struct pprof_wire w;

	pb_function *funcs;		/* id = index + 1 */
	size_t nfuncs, afuncs;
	struct u64map func_ids;		/* profile func + 1 -> id */
	uint32_t unknown_func;		/* id of "???", 0 until needed */

	pb_location *locs;		/* id = index + 1 */
	pb_line *lines;			/* one per location */
	size_t nlocs, alocs;
	struct u64map loc_ids;		/* loc_key() -> id */
	struct u64map frame_locs;	/* frame id + 1 -> location id */
	struct u64map seen_stacks;	/* stack + 1 -> 1 once walked */

	pb_mapping mapping;

	int64_t period;			/* ns between two samples */
	pb_label state_labels[GIL_NSTATES];
	pb_label *thread_labels;	/* 2 per thread: name, tid */

	uint64_t *ids;			/* one sample's location ids */
	size_t aids;
};

/* --- functions and locations -------------------------------------------- */

static uint32_t add_func(struct pprof_enc *e, const char *name,
			 const char *file, int start_line)
{
	pb_function *f;

	if (e->nfuncs == e->afuncs) {
		e->afuncs = e->afuncs ? e->afuncs * 2 : 256;
		e->funcs = xrealloc(e->funcs, e->afuncs * sizeof(*e->funcs));
	}
	f = &e->funcs[e->nfuncs++];
	perftools__profiles__function__init(f);
	f->id = e->nfuncs;
	f->name = pprof_str(&e->w, name);
	/* No system_name: pprof treats a name equal to it as mangled C++ and
	 * strips what is in <...> and (...), which turns <module>, <lambda>
	 * and <listcomp> into nothing. */
	f->filename = pprof_str(&e->w, file);
	f->start_line = start_line > 0 ? start_line : 0;
	return (uint32_t)f->id;
}

static uint32_t func_id(struct pprof_enc *e, const struct profile_frame *fr)
{
	const struct profile_func *pf;
	uint32_t id;

	if (!fr) {
		if (!e->unknown_func)
			e->unknown_func = add_func(e, "???", "", 0);
		return e->unknown_func;
	}
	if (u64map_get(&e->func_ids, (uint64_t)fr->func + 1, &id))
		return id;
	pf = profile_func(e->p, fr->func);
	id = pf ? add_func(e, pf->name, pf->file, pf->firstlineno) :
		  add_func(e, fr->name, fr->file, fr->firstlineno);
	u64map_put(&e->func_ids, (uint64_t)fr->func + 1, id);
	return id;
}

/* Python locations are (function, line); a native kind would key on its
 * mapping and address instead, with a bit of its own. */
static uint64_t loc_key(uint32_t func, int line)
{
	return ((uint64_t)func << 32) | (uint32_t)line;
}

static uint32_t frame_loc(struct pprof_enc *e, uint32_t frame)
{
	const struct profile_frame *fr;
	uint32_t id, func;
	int line = 0;
	uint64_t key;

	if (u64map_get(&e->frame_locs, (uint64_t)frame + 1, &id))
		return id;
	fr = profile_frame(e->p, frame);
	func = func_id(e, fr);
	if (fr && e->o->lineno)
		line = e->o->function ? fr->firstlineno : fr->line;
	if (line < 0)
		line = 0;
	key = loc_key(func, line);
	if (!u64map_get(&e->loc_ids, key, &id)) {
		if (e->nlocs == e->alocs) {
			e->alocs = e->alocs ? e->alocs * 2 : 256;
			e->locs = xrealloc(e->locs,
					   e->alocs * sizeof(*e->locs));
			e->lines = xrealloc(e->lines,
					    e->alocs * sizeof(*e->lines));
		}
		perftools__profiles__location__init(&e->locs[e->nlocs]);
		perftools__profiles__line__init(&e->lines[e->nlocs]);
		e->locs[e->nlocs].id = e->nlocs + 1;
		e->locs[e->nlocs].mapping_id = MAPPING_PYTHON;
		e->lines[e->nlocs].function_id = func;
		e->lines[e->nlocs].line = line;
		id = (uint32_t)++e->nlocs;
		u64map_put(&e->loc_ids, key, id);
	}
	u64map_put(&e->frame_locs, (uint64_t)frame + 1, id);
	return id;
}

/* Give every frame of the stack a location, stopping at the first node
 * already walked (its parents were walked with it). */
static void walk_stack(struct pprof_enc *e, uint32_t node)
{
	uint32_t one;

	while (node && !u64map_get(&e->seen_stacks, (uint64_t)node + 1, &one)) {
		u64map_put(&e->seen_stacks, (uint64_t)node + 1, 1);
		frame_loc(e, profile_stack_frame(e->p, node));
		node = profile_stack_parent(e->p, node);
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

static void make_labels(struct pprof_enc *e)
{
	size_t i, n = profile_nthreads(e->p);
	int s;

	for (s = 0; s < GIL_NSTATES; s++)
		set_label_str(e, &e->state_labels[s], "gil_state",
			      gil_state_name((enum gil_state)s));
	e->thread_labels = xcalloc(n * 2 + 1, sizeof(*e->thread_labels));
	for (i = 0; i < n; i++) {
		const struct profile_thread *t = profile_thread(e->p, i);
		pb_label *l = &e->thread_labels[2 * i];
		char tid[24];

		snprintf(tid, sizeof(tid), "%d", (int)t->tid);
		set_label_str(e, &l[0], "thread",
			      t->name && *t->name ? t->name : tid);
		perftools__profiles__label__init(&l[1]);
		l[1].key = pprof_str(&e->w, "tid");
		l[1].num = t->tid;
	}
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

/* Everything but the samples, as one message. */
static void pack_tables(struct pprof_enc *e, const struct record_info *ri)
{
	const struct profile_stats *st = profile_stats(e->p);
	pb_profile prof = PERFTOOLS__PROFILES__PROFILE__INIT;
	pb_value_type types[2], period_type, *type_ptrs[2];
	pb_mapping *mapping_ptr = &e->mapping;
	pb_location **loc_ptrs;
	pb_function **func_ptrs;
	pb_line **line_ptrs;
	int64_t comments[3];
	struct strbuf sb = STRBUF_INIT;
	size_t i, ncomments = 0;

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

	sb_addf(&sb, "gilspy %s", GILSPY_VERSION);
	comments[ncomments++] = pprof_str(&e->w, sb.buf);
	if (ri && ri->python) {
		sb_reset(&sb);
		sb_addf(&sb, "python %s", ri->python);
		comments[ncomments++] = pprof_str(&e->w, sb.buf);
	}
	if (ri && ri->pid > 0) {
		sb_reset(&sb);
		sb_addf(&sb, "pid %d", (int)ri->pid);
		comments[ncomments++] = pprof_str(&e->w, sb.buf);
	}
	sb_release(&sb);

	perftools__profiles__mapping__init(&e->mapping);
	e->mapping.id = MAPPING_PYTHON;
	e->mapping.filename = pprof_str(&e->w, ri && ri->binary ? ri->binary :
							       "python");
	e->mapping.has_functions = 1;
	e->mapping.has_filenames = 1;
	e->mapping.has_line_numbers = 1;

	/* the arrays are final now: point into them */
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
	prof.n_mapping = 1;
	prof.mapping = &mapping_ptr;
	prof.n_location = e->nlocs;
	prof.location = loc_ptrs;
	prof.n_function = e->nfuncs;
	prof.function = func_ptrs;
	prof.n_string_table = e->w.n;
	prof.string_table = e->w.s;
	prof.duration_nanos = (int64_t)(ri && ri->wall_ns ? ri->wall_ns :
				st->end_ns - st->start_ns);
	prof.period_type = &period_type;
	prof.period = e->period;
	prof.n_comment = ncomments;
	prof.comment = comments;
	pprof_pack(&e->w, &prof);

	free(loc_ptrs);
	free(line_ptrs);
	free(func_ptrs);
}

static void pack_sample(struct pprof_enc *e, const struct profile_count *c)
{
	pb_profile one = PERFTOOLS__PROFILES__PROFILE__INIT;
	pb_sample s = PERFTOOLS__PROFILES__SAMPLE__INIT, *sp = &s;
	pb_label *labels[3];
	int64_t values[2];
	uint32_t node = c->stack, id;
	size_t n = 0, depth = profile_stack_depth(e->p, c->stack);

	if (depth > e->aids) {
		e->aids = depth * 2;
		e->ids = xrealloc(e->ids, e->aids * sizeof(*e->ids));
	}
	for (; node && n < depth; node = profile_stack_parent(e->p, node)) {
		if (!u64map_get(&e->frame_locs,
				(uint64_t)profile_stack_frame(e->p, node) + 1,
				&id))
			id = frame_loc(e, profile_stack_frame(e->p, node));
		e->ids[n++] = id;
	}
	values[0] = (int64_t)c->count;
	values[1] = (int64_t)c->count * e->period;
	labels[0] = &e->state_labels[c->state < GIL_NSTATES ? c->state :
				     GIL_IDLE];
	s.n_label = 1;
	if (c->thread < profile_nthreads(e->p)) {
		labels[1] = &e->thread_labels[2 * c->thread];
		labels[2] = &e->thread_labels[2 * c->thread + 1];
		s.n_label = 3;
	}
	s.n_location_id = n;
	s.location_id = e->ids;
	s.n_value = 2;
	s.value = values;
	s.label = labels;
	one.n_sample = 1;
	one.sample = &sp;
	pprof_pack(&e->w, &one);
}

void output_pprof(struct strbuf *sb, const struct profile *p,
		  const struct output_options *o, const struct record_info *ri)
{
	struct pprof_enc e;
	struct profile_count *c;
	size_t n, i;

	memset(&e, 0, sizeof(e));
	e.p = p;
	e.o = o;
	pprof_wire_init(&e.w, sb);
	u64map_init(&e.func_ids);
	u64map_init(&e.loc_ids);
	u64map_init(&e.frame_locs);
	u64map_init(&e.seen_stacks);
	e.period = period_ns(p, ri);

	c = profile_counts(p, &n);
	make_labels(&e);
	for (i = 0; i < n; i++)
		if (o->states & (1u << c[i].state))
			walk_stack(&e, c[i].stack);
	u64map_release(&e.seen_stacks);
	pack_tables(&e, ri);
	for (i = 0; i < n; i++)
		if (o->states & (1u << c[i].state))
			pack_sample(&e, &c[i]);
	pprof_wire_finish(&e.w);

	free(c);
	free(e.ids);
	free(e.thread_labels);
	free(e.funcs);
	free(e.locs);
	free(e.lines);
	u64map_release(&e.func_ids);
	u64map_release(&e.loc_ids);
	u64map_release(&e.frame_locs);
}
