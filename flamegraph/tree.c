/*
 * tree.c - merge stacks into the frame tree (parse.c reads folded text
 * into it).
 *
 * Each stack walks down the tree from the root.  On inputs of hundreds of
 * megabytes the time goes to memory latency, so: a stack that starts with
 * the same frames as the previous one reuses those nodes after a byte
 * comparison (folded files are usually sorted, so most of every line is
 * shared); the remaining frames are found through two open-addressing
 * tables (name -> id, and (parent, name) -> node) whose 8-byte slots hold
 * a hash beside the id, so a probe touches no name or node until the
 * hashes agree; and the names of a stack's new frames are looked up all
 * at once, their table slots, names and text prefetched in three rounds,
 * so those cache misses overlap rather than follow one another (the node
 * lookups cannot: each needs its parent).  Memory is the nodes (16 bytes),
 * the node table (8 bytes a slot, at most 7/8 full), the distinct names
 * and their table: proportional to distinct frames, whatever the input's
 * size.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fg_internal.h"

const char *const fg_state_names[FG_NSTATES] = {
	"[GIL held]", "[waiting for GIL]", "[running without GIL]", "[idle]",
};

int fg_palette_parse(const char *name, enum fg_palette *p)
{
	static const struct { const char *name; enum fg_palette p; } t[] = {
		{ "python", FG_PALETTE_PYTHON }, { "hot", FG_PALETTE_HOT },
		{ "mem", FG_PALETTE_MEM }, { "io", FG_PALETTE_IO },
		{ "gray", FG_PALETTE_GRAY }, { "grey", FG_PALETTE_GRAY },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++)
		if (!strcmp(name, t[i].name)) {
			*p = t[i].p;
			return 0;
		}
	return -1;
}

void fg_options_init(struct fg_options *o)
{
	memset(o, 0, sizeof(*o));
	o->width = 1200;
	o->minwidth = 0.1;
	o->palette = FG_PALETTE_PYTHON;
}

/* A 32-bit hash of a byte string, eight bytes at a time. */
static uint32_t hash_frame(const char *p, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;

	while (len >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 29;
		p += 8;
		len -= 8;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 32;
	h *= 0xff51afd7ed558ccdull;
	return (uint32_t)(h >> 32);
}

/* The path hash of a frame: its parent's path hash mixed with its name's
 * hash.  It depends on the stack's text alone, not on node ids, so the
 * node-table slots of a whole stack can be fetched before any of its
 * nodes is known. */
#define FG_ROOT_PATH_HASH 0x2545f491u

static inline uint32_t path_hash(uint32_t parent_ph, uint32_t name_hash)
{
	uint64_t h = ((uint64_t)parent_ph << 32 | name_hash) *
		     0x9e3779b97f4a7c15ull;

	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h >> 32);
}

static void stab_grow(struct fg *g)
{
	size_t cap = g->stab ? (g->stab_mask + 1) * 2 : 1024, i, j;
	uint64_t *t = xcalloc(cap, sizeof(*t));

	for (i = 0; i < g->nnames; i++) {
		j = g->names[i].hash & (cap - 1);
		while (t[j])
			j = (j + 1) & (cap - 1);
		t[j] = (uint64_t)g->names[i].hash << 32 | (i + 1);
	}
	free(g->stab);
	g->stab = t;
	g->stab_mask = cap - 1;
}

/* The id of a name whose hash_frame() is h, added if new.  A slot holds
 * the name's hash, so a probe reads the name itself only when the hashes
 * are equal. */
static uint32_t intern_hashed(struct fg *g, const char *s, size_t len,
			      uint32_t h)
{
	uint32_t id;
	size_t j = h & g->stab_mask;
	uint64_t slot;
	struct fg_name *n;

	while ((slot = g->stab[j])) {
		if (slot >> 32 == h) {
			n = &g->names[(uint32_t)slot - 1];
			if (n->len == len && !memcmp(g->arena + n->off, s, len))
				return (uint32_t)slot - 1;
		}
		j = (j + 1) & g->stab_mask;
	}
	if (len > UINT32_MAX / 2 || g->nnames >= UINT32_MAX / 2) {
		/* A frame name of 2 GB or two billion names: not a profile. */
		abort();
	}
	if (g->nnames == g->names_alloc) {
		g->names_alloc = g->names_alloc ? g->names_alloc * 2 : 256;
		g->names = xrealloc(g->names, g->names_alloc * sizeof(*g->names));
	}
	if (g->arena_len + len + 1 > g->arena_alloc) {
		while (g->arena_len + len + 1 > g->arena_alloc)
			g->arena_alloc = g->arena_alloc ? g->arena_alloc * 2 : 65536;
		g->arena = xrealloc(g->arena, g->arena_alloc);
	}
	n = &g->names[g->nnames];
	n->off = g->arena_len;
	n->len = (uint32_t)len;
	n->hash = h;
	memcpy(g->arena + g->arena_len, s, len);
	g->arena[g->arena_len + len] = '\0';
	g->arena_len += len + 1;
	g->stab[j] = (uint64_t)h << 32 | (g->nnames + 1);
	id = (uint32_t)g->nnames++;
	if (g->nnames * 2 > g->stab_mask + 1)
		stab_grow(g);
	return id;
}

static uint32_t intern(struct fg *g, const char *s, size_t len)
{
	return intern_hashed(g, s, len, hash_frame(s, len));
}

/* The first name of the table whose hash is h, a candidate to compare
 * (FG_NONE: none, the name is new). */
static uint32_t name_candidate(const struct fg *g, uint32_t h)
{
	size_t j = h & g->stab_mask;
	uint64_t slot;

	while ((slot = g->stab[j])) {
		if (slot >> 32 == h)
			return (uint32_t)slot - 1;
		j = (j + 1) & g->stab_mask;
	}
	return FG_NONE;
}

/* Name ids of frames f[0..n) into ids: hashed first, then each round of
 * loads (table slot, name, text) issued for every frame before any is
 * waited for. */
static void intern_many(struct fg *g, const struct fg_span *f, size_t n,
			uint32_t *ids, uint32_t *hashes)
{
	size_t k;

	for (k = 0; k < n; k++) {
		hashes[k] = hash_frame(f[k].p, f[k].len);
		__builtin_prefetch(&g->stab[hashes[k] & g->stab_mask]);
	}
	for (k = 0; k < n; k++) {
		ids[k] = name_candidate(g, hashes[k]);
		if (ids[k] != FG_NONE)
			__builtin_prefetch(&g->names[ids[k]]);
	}
	for (k = 0; k < n; k++)
		if (ids[k] != FG_NONE)
			__builtin_prefetch(g->arena + g->names[ids[k]].off);
	for (k = 0; k < n; k++) {
		const struct fg_name *c = ids[k] != FG_NONE ? &g->names[ids[k]] : NULL;

		/* A candidate that is not the name (a hash collision, or a
		 * name added by an earlier frame of this stack): the full
		 * lookup settles it. */
		if (!c || c->len != f[k].len ||
		    memcmp(g->arena + c->off, f[k].p, f[k].len))
			ids[k] = intern_hashed(g, f[k].p, f[k].len, hashes[k]);
	}
}

/* (Re)build the node table with room for the nodes at under 7/8 load.
 * Slots keep the path hash, so growing reads no node. */
static void ntab_grow(struct fg *g)
{
	size_t cap = 4096, i, j, old = g->ntab ? g->ntab_mask + 1 : 0;
	uint64_t *t, *o = g->ntab;

	while (cap / 8 * 7 <= g->nnodes + 1)
		cap *= 2;
	t = xcalloc(cap, sizeof(*t));
	if (o) {
		for (i = 0; i < old; i++) {
			if (!o[i])
				continue;
			j = (o[i] >> 32) & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = o[i];
		}
	} else {
		/* After fg_drop_index(): every node's path hash again, from
		 * its parent's (a parent's id is always smaller). */
		uint32_t *ph = xmalloc(g->nnodes * sizeof(*ph));

		ph[0] = FG_ROOT_PATH_HASH;
		for (i = 1; i < g->nnodes; i++) {
			uint64_t h = path_hash(ph[g->nodes[i].parent],
					       g->names[g->nodes[i].name].hash);

			ph[i] = (uint32_t)h;
			j = h & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = h << 32 | i;
		}
		free(ph);
	}
	free(o);
	g->ntab = t;
	g->ntab_mask = cap - 1;
}

void fg_drop_index(struct fg *g)
{
	free(g->ntab);
	g->ntab = NULL;
}

/* The child named name of node parent, whose path hash is h; added if
 * new. */
static uint32_t child_of(struct fg *g, uint32_t parent, uint32_t name,
			 uint64_t h)
{
	uint64_t slot;
	size_t j;
	uint32_t id;
	struct fg_node *n;

	if (!g->ntab)
		ntab_grow(g);
	j = h & g->ntab_mask;
	while ((slot = g->ntab[j])) {
		if (slot >> 32 == h) {
			id = (uint32_t)slot;
			n = &g->nodes[id];
			if (n->parent == parent && n->name == name)
				return id;
		}
		j = (j + 1) & g->ntab_mask;
	}
	if (g->nnodes >= UINT32_MAX - 1)
		abort();	/* four billion distinct frames */
	if (g->nnodes == g->nalloc) {
		g->nalloc *= 2;
		g->nodes = xrealloc(g->nodes, g->nalloc * sizeof(*g->nodes));
		if (g->base) {
			g->base = xrealloc(g->base, g->nalloc * sizeof(*g->base));
			memset(g->base + g->nnodes, 0,
			       (g->nalloc - g->nnodes) * sizeof(*g->base));
		}
	}
	id = (uint32_t)g->nnodes++;
	n = &g->nodes[id];
	n->name = name;
	n->parent = parent;
	n->value = 0;
	g->ntab[j] = h << 32 | id;
	if (name < FG_NSTATES)
		g->has_states = 1;
	if (g->nnodes > (g->ntab_mask + 1) / 8 * 7)
		ntab_grow(g);
	return id;
}

struct fg *fg_new(const struct fg_options *opts)
{
	struct fg *g = xcalloc(1, sizeof(*g));
	int i;

	if (opts)
		g->o = *opts;
	else
		fg_options_init(&g->o);
	g->o.title = g->o.title ? xstrdup(g->o.title) : NULL;
	g->o.subtitle = g->o.subtitle ? xstrdup(g->o.subtitle) : NULL;
	g->o.countname = g->o.countname ? xstrdup(g->o.countname) : NULL;
	if (g->o.width < 100)
		g->o.width = 100;
	g->nalloc = 1024;
	g->nodes = xmalloc(g->nalloc * sizeof(*g->nodes));
	g->nodes[0] = (struct fg_node){ FG_NONE, FG_NONE, 0 };
	g->nnodes = 1;
	stab_grow(g);
	ntab_grow(g);
	for (i = 0; i < FG_NSTATES; i++)
		intern(g, fg_state_names[i], strlen(fg_state_names[i]));
	return g;
}

static void summary_free(struct fg_gil_summary *s)
{
	int i;

	if (!s)
		return;
	for (i = 0; i < s->nthreads; i++)
		free((char *)s->threads[i].name);
	free((void *)s->threads);
	free((char *)s->python_version);
	free(s);
}

void fg_free(struct fg *g)
{
	if (!g)
		return;
	free((char *)g->o.title);
	free((char *)g->o.subtitle);
	free((char *)g->o.countname);
	free(g->nodes);
	free(g->base);
	free(g->ntab);
	free(g->names);
	free(g->arena);
	free(g->stab);
	free(g->prev);
	free(g->prev_off);
	free(g->prev_node);
	free(g->hashes);
	free(g->prev_ph);
	free(g->spans);
	summary_free(g->summary);
	free(g);
}

void fg_set_gil_summary(struct fg *g, const struct fg_gil_summary *s)
{
	struct fg_gil_summary *c;
	struct fg_gil_thread *t;
	int i;

	summary_free(g->summary);
	g->summary = NULL;
	if (!s)
		return;
	c = xmalloc(sizeof(*c));
	*c = *s;
	if (c->nthreads < 0 || !s->threads)
		c->nthreads = 0;
	t = xcalloc(c->nthreads ? (size_t)c->nthreads : 1, sizeof(*t));
	for (i = 0; i < c->nthreads; i++) {
		t[i] = s->threads[i];
		t[i].name = xstrdup(s->threads[i].name ? s->threads[i].name : "");
	}
	c->threads = t;
	c->python_version = s->python_version ? xstrdup(s->python_version) : NULL;
	g->summary = c;
}

double fg_total(const struct fg *g, enum fg_side side)
{
	return g->total[side == FG_BASE];
}

static double *side_values(struct fg *g, enum fg_side side, uint32_t id)
{
	if (side == FG_NEW)
		return &g->nodes[id].value;
	if (!g->base)
		g->base = xcalloc(g->nalloc, sizeof(*g->base));
	return &g->base[id];
}

/* Frames f[d..n) of a stack whose first d frames are known: their name
 * ids into prev_node[d..n) (until each is replaced by its node), their
 * path hashes into prev_ph[d..n), and the node-table slots and candidate
 * nodes they lead to fetched, each round for every frame at once. */
static void prefetch_new(struct fg *g, const struct fg_span *f, size_t d,
			 size_t n)
{
	uint32_t ph = d ? g->prev_ph[d - 1] : FG_ROOT_PATH_HASH;
	uint64_t slot;
	size_t k, j;

	intern_many(g, f + d, n - d, g->prev_node + d, g->hashes);
	if (!g->ntab)
		ntab_grow(g);
	for (k = d; k < n; k++) {
		ph = path_hash(ph, g->hashes[k - d]);
		g->prev_ph[k] = ph;
		__builtin_prefetch(&g->ntab[ph & g->ntab_mask]);
	}
	for (k = d; k < n; k++) {
		for (j = g->prev_ph[k] & g->ntab_mask; (slot = g->ntab[j]);
		     j = (j + 1) & g->ntab_mask)
			if (slot >> 32 == g->prev_ph[k]) {
				__builtin_prefetch(&g->nodes[(uint32_t)slot]);
				break;
			}
	}
}

void fg_add_spans(struct fg *g, const struct fg_span *f, size_t n,
		  double count, enum fg_side side)
{
	size_t d = 0, need;
	uint32_t node = 0;

	if (n > g->prev_cap) {
		while (n > g->prev_cap)
			g->prev_cap = g->prev_cap ? g->prev_cap * 2 : 64;
		g->prev_off = xrealloc(g->prev_off, (g->prev_cap + 1) *
				       sizeof(*g->prev_off));
		g->prev_node = xrealloc(g->prev_node, g->prev_cap *
					sizeof(*g->prev_node));
		g->hashes = xrealloc(g->hashes, g->prev_cap *
				     sizeof(*g->hashes));
		g->prev_ph = xrealloc(g->prev_ph, g->prev_cap *
				      sizeof(*g->prev_ph));
	}
	/* Frames shared with the previous stack: no hashing needed. */
	while (d < n && d < g->prev_depth &&
	       f[d].len == g->prev_off[d + 1] - g->prev_off[d] - 1 &&
	       !memcmp(f[d].p, g->prev + g->prev_off[d], f[d].len)) {
		node = g->prev_node[d];
		d++;
	}
	g->prev_len = d ? g->prev_off[d] : 0;
	g->prev_off[0] = 0;
	/* prev_node[d..n) holds the new frames' name ids until each is
	 * replaced by its node. */
	if (d < n)
		prefetch_new(g, f, d, n);
	for (; d < n; d++) {
		node = child_of(g, node, g->prev_node[d], g->prev_ph[d]);
		need = g->prev_len + f[d].len + 1;
		if (need > g->prev_alloc) {
			while (need > g->prev_alloc)
				g->prev_alloc = g->prev_alloc ? g->prev_alloc * 2 : 4096;
			g->prev = xrealloc(g->prev, g->prev_alloc);
		}
		memcpy(g->prev + g->prev_len, f[d].p, f[d].len);
		g->prev[g->prev_len + f[d].len] = ';';
		g->prev_len = need;
		g->prev_off[d + 1] = need;
		g->prev_node[d] = node;
	}
	g->prev_depth = n;
	if (count == 0)
		return;
	/* The prefix cache holds the whole path: add the count along it. */
	*side_values(g, side, 0) += count;
	for (d = 0; d < n; d++)
		*side_values(g, side, g->prev_node[d]) += count;
	g->total[side == FG_BASE] += count;
}

void fg_spans_reserve(struct fg *g, size_t n)
{
	if (n <= g->spans_cap)
		return;
	while (n > g->spans_cap)
		g->spans_cap = g->spans_cap ? g->spans_cap * 2 : 64;
	g->spans = xrealloc(g->spans, g->spans_cap * sizeof(*g->spans));
}

void fg_reverse_spans(struct fg_span *f, size_t n)
{
	size_t i;
	struct fg_span t;

	for (i = 0; i < n / 2; i++) {
		t = f[i];
		f[i] = f[n - 1 - i];
		f[n - 1 - i] = t;
	}
}

int fg_add_stack(struct fg *g, const char *const *frames, size_t n,
		 double count, enum fg_side side)
{
	size_t i;

	if (!n || !(count >= 0) || !isfinite(count))
		return -1;
	fg_spans_reserve(g, n);
	for (i = 0; i < n; i++) {
		g->spans[i].p = frames[i] ? frames[i] : "";
		g->spans[i].len = strlen(g->spans[i].p);
	}
	if (g->o.reverse)
		fg_reverse_spans(g->spans, n);
	fg_add_spans(g, g->spans, n, count, side);
	return 0;
}
