/*
 * nativemap.c - the file mappings native frames are in (--native), so an
 * output can say where each C function lives: the library's path as the
 * target maps it, the mapping's bounds and file offset, the build id.
 * pprof's Mappings are made of these (src/output/pprof.c).
 *
 * A mapping is looked up once per new native frame (native.c interns
 * frames by function), never per sample.  Mappings are keyed by their
 * start; one that is unmapped and replaced by another file at the same
 * address (a dlclose() then a dlopen()) gets an entry of its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/util.h"
#include "internal.h"

/* A process has a few hundred file mappings; this bounds a target that
 * maps and unmaps libraries without end. */
#define PYMAP_MAX 4096

void pymap_init(struct pymap_table *tab)
{
	memset(tab, 0, sizeof(*tab));
	u64map_init(&tab->by_start);
}

void pymap_release(struct pymap_table *tab)
{
	for (size_t i = 0; i < tab->n; i++)
		free(tab->v[i]);
	free(tab->v);
	u64map_release(&tab->by_start);
	memset(tab, 0, sizeof(*tab));
}

static int same(const struct py_native_object *a, const struct unwind_object *o,
		const char *path)
{
	return a->path == path && a->start == o->start && a->limit == o->end &&
	       a->offset == o->offset;
}

static const struct py_native_object *intern(struct py_target *t,
					     struct pymap_table *tab,
					     const struct unwind_object *o)
{
	const char *path = strpool_intern(&t->strings, o->path,
					  strlen(o->path));
	struct py_native_object *m;
	char hex[2 * 64 + 1];
	uint32_t i;

	if (u64map_get(&tab->by_start, o->start + 1, &i) &&
	    same(tab->v[i], o, path))
		return tab->v[i];
	if (tab->n == PYMAP_MAX)
		return NULL;
	m = xcalloc(1, sizeof(*m));
	m->path = path;
	m->start = o->start;
	m->limit = o->end;
	m->offset = o->offset;
	if (o->build_id && o->build_id_len &&
	    o->build_id_len * 2 < sizeof(hex)) {
		for (size_t k = 0; k < o->build_id_len; k++)
			snprintf(hex + 2 * k, 3, "%02x", o->build_id[k]);
		m->build_id = strpool_intern(&t->strings, hex,
					     2 * o->build_id_len);
	}
	if (tab->n == tab->alloc) {
		tab->alloc = tab->alloc ? tab->alloc * 2 : 32;
		tab->v = xrealloc(tab->v, tab->alloc * sizeof(*tab->v));
	}
	tab->v[tab->n] = m;
	u64map_put(&tab->by_start, o->start + 1, (uint32_t)tab->n);
	tab->n++;
	return m;
}

void pymap_locate(struct py_target *t, struct pymap_table *tab,
		  struct unwinder *u, uint32_t id, uint64_t addr)
{
	struct py_frame_info *f = &t->frames[id];
	struct unwind_object o;

	f->addr = addr;
	f->object = NULL;
	if (unwinder_object(u, addr, &o) == 0 && o.path)
		f->object = intern(t, tab, &o);
}
