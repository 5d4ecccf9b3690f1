/*
 * procs.c - the processes of a raw recording of a process tree (format
 * version 2, raw.h): each one is its own id space with its own profile;
 * PROC says who it is, WITH which one the records after it are of, ORDER
 * the order record_info.procs had.  Indices are bounded like every id.
 */
#include <stdlib.h>
#include <string.h>

#include "reader.h"

/* The profile's resolver: frames and thread names of this space. */
static const struct py_frame_info *rd_frame(void *ctx, uint32_t id)
{
	struct space *sp = ctx;
	uint32_t at;

	return u64map_get(&sp->frame_index, (uint64_t)id + 1, &at) ?
		&sp->frames[at] : NULL;
}

static const char *rd_thread_name(void *ctx, pid_t tid, uint64_t thread_id)
{
	struct space *sp = ctx;
	size_t i;

	for (i = 0; i < sp->nthreads; i++)
		if (sp->threads[i].defined && sp->threads[i].tid == tid &&
		    sp->threads[i].thread_id == thread_id)
			return sp->threads[i].name;
	return NULL;
}

struct space *rd_space_new(struct reader *r)
{
	struct space *sp = xcalloc(1, sizeof(*sp));
	struct profile_resolver res = { rd_frame, rd_thread_name, sp };

	sp->r = r;
	u64map_init(&sp->frame_index);
	sp->prof = profile_new(&res);
	sp->info.prof = sp->prof;
	return sp;
}

void rd_space_free(struct space *sp)
{
	size_t i;

	if (!sp)
		return;
	for (i = 0; i < sp->nthreads; i++)
		free(sp->threads[i].name);
	free(sp->threads);
	free(sp->frames);
	u64map_release(&sp->frame_index);
	for (i = 0; i < sp->nobjects; i++)
		free(sp->objects[i]);
	free(sp->objects);
	free(sp->stacks);
	if (!sp->given)
		profile_free(sp->prof);
	free(sp);
}

/* Process idx's space, made on first use; NULL when idx is out of bounds
 * (c marked bad). */
struct space *rd_space_at(struct reader *r, struct raw_cur *c, uint64_t idx)
{
	struct space *sp;

	if (c->bad || idx >= MAX_PROCS || idx > r->nspaces + PROC_SLACK) {
		c->bad = 1;
		return NULL;
	}
	r->spaces = rd_grow_to(r->spaces, &r->aspaces, (size_t)idx,
			       sizeof(*r->spaces));
	if (idx >= r->nspaces)
		r->nspaces = (size_t)idx + 1;
	if (!(sp = r->spaces[idx]))
		sp = r->spaces[idx] = rd_space_new(r);
	return sp;
}

void rd_read_proc(struct reader *r, struct raw_cur *c)
{
	uint64_t idx = raw_get_varint(c), pid = raw_get_varint(c);
	uint64_t ppid = raw_get_varint(c);
	const char *cmdline = rd_get_str(r, c), *python = rd_get_str(r, c);
	const char *binary = rd_get_str(r, c), *skip = rd_get_str(r, c);
	uint64_t stopped = raw_get_varint(c);
	struct space *sp;

	if (pid > 0x7fffffff || ppid > 0x7fffffff)
		c->bad = 1;
	if (!(sp = rd_space_at(r, c, idx)))
		return;
	if (!sp->declared)
		r->declared++;
	sp->declared = 1;
	sp->info.pid = (pid_t)pid;
	sp->info.ppid = (pid_t)ppid;
	sp->info.cmdline = cmdline;
	sp->info.python = python;
	sp->info.binary = binary;
	sp->info.skip = skip;
	sp->info.stopped_ticks = stopped;
}

void rd_read_with(struct reader *r, struct raw_cur *c)
{
	struct space *sp = rd_space_at(r, c, raw_get_varint(c));

	if (sp)
		r->sp = sp;
}

void rd_read_order(struct reader *r, struct raw_cur *c)
{
	uint64_t n = raw_get_varint(c), i;

	if (c->bad || n > MAX_PROCS || n > (uint64_t)(c->end - c->p)) {
		c->bad = 1;
		return;
	}
	r->order = xrealloc(r->order, (n + 1) * sizeof(*r->order));
	r->norder = 0;
	for (i = 0; i < n && !c->bad; i++) {
		uint64_t k = raw_get_varint(c);

		if (k >= r->nspaces || !r->spaces[k])
			c->bad = 1;
		else
			r->order[r->norder++] = (size_t)k;
	}
	if (c->bad)
		r->norder = 0;
}

/* The processes in the order the recording gave (ORDER), else in the
 * order of their indices; the profile given to the caller is the first
 * one's (the root's), or an empty one when no process was sampled. */
struct profile *rd_gather(struct reader *r)
{
	struct raw_replay *rp = r->rp;
	struct profile *main = NULL;
	size_t i, n = 0;

	if (!r->declared) {
		r->spaces[0]->given = 1;
		return r->spaces[0]->prof;
	}
	r->procs = xcalloc(r->nspaces + 1, sizeof(*r->procs));
	if (r->norder) {
		for (i = 0; i < r->norder; i++)
			r->procs[n++] = r->spaces[r->order[i]]->info;
	} else {
		for (i = 0; i < r->nspaces; i++) {
			const struct space *sp = r->spaces[i];

			/* space 0 holds what came before any WITH: nothing,
			 * unless the file is damaged */
			if (sp && sp->declared)
				r->procs[n++] = sp->info;
		}
	}
	for (i = 0; i < n; i++) {
		/* never sampled: no profile, as record gave it */
		if (r->procs[i].skip)
			r->procs[i].prof = NULL;
	}
	if (n && r->procs[0].prof) {
		for (i = 0; i < r->nspaces; i++)
			if (r->spaces[i] &&
			    r->spaces[i]->prof == r->procs[0].prof)
				r->spaces[i]->given = 1;
		main = (struct profile *)r->procs[0].prof;
	}
	rp->ri.procs = r->procs;
	rp->ri.nprocs = n;
	return main ? main : profile_new(NULL);
}
