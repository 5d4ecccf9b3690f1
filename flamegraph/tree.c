/*
 * tree.c - merge folded stacks into the frame tree, streaming.
 *
 * Input is read in large blocks and parsed in place; each stack walks down
 * the tree from the root.  Two things keep this fast on inputs of hundreds
 * of megabytes: a stack that starts with the same frames as the previous
 * one reuses those nodes after a byte comparison (folded files are usually
 * sorted, so most of every line is shared), and the remaining frames are
 * found through two open-addressing tables (name -> id, and (parent, name)
 * -> node) that hold 32-bit ids only.  Memory is the nodes, the distinct
 * names and those tables: proportional to distinct frames.
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

static inline uint32_t hash_pair(uint32_t parent, uint32_t name)
{
	uint64_t h = ((uint64_t)parent << 32 | name) * 0x9e3779b97f4a7c15ull;

	return (uint32_t)(h >> 32) ^ (uint32_t)h;
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

/* The id of a name, added if new.  A slot holds the name's hash, so a
 * probe reads the name itself only when the hashes are equal. */
static uint32_t intern(struct fg *g, const char *s, size_t len)
{
	uint32_t h = hash_frame(s, len), id;
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

/* (Re)build the node table with room for the nodes at under 7/8 load.
 * Slots keep the pair's hash, so growing reads no node. */
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
		for (i = 1; i < g->nnodes; i++) {
			uint64_t h = hash_pair(g->nodes[i].parent,
					       g->nodes[i].name);

			j = h & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = h << 32 | i;
		}
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

static uint32_t child_of(struct fg *g, uint32_t parent, uint32_t name)
{
	uint64_t h = hash_pair(parent, name), slot;
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

/* Merge one stack of n > 0 frames, in the order given, root first. */
static void add_spans(struct fg *g, const struct fg_span *f, size_t n,
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
	for (; d < n; d++) {
		node = child_of(g, node, intern(g, f[d].p, f[d].len));
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

static void spans_reserve(struct fg *g, size_t n)
{
	if (n <= g->spans_cap)
		return;
	while (n > g->spans_cap)
		g->spans_cap = g->spans_cap ? g->spans_cap * 2 : 64;
	g->spans = xrealloc(g->spans, g->spans_cap * sizeof(*g->spans));
}

static void reverse_spans(struct fg_span *f, size_t n)
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
	spans_reserve(g, n);
	for (i = 0; i < n; i++) {
		g->spans[i].p = frames[i] ? frames[i] : "";
		g->spans[i].len = strlen(g->spans[i].p);
	}
	if (g->o.reverse)
		reverse_spans(g->spans, n);
	add_spans(g, g->spans, n, count, side);
	return 0;
}

/* ---- folded text -------------------------------------------------------- */

static inline int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Parse a count: digits with an optional fraction ("12", "0.5", ".5",
 * "3."), nothing else.  Returns 0 and sets *v, or -1. */
static int parse_count(const char *p, const char *e, double *v)
{
	uint64_t ip = 0;
	double frac = 0, scale = 1;
	int digits = 0;
	const char *s = p;

	for (; p < e && *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits >= 18)
			goto slow;
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (p < e && *p == '.') {
		for (p++; p < e && *p >= '0' && *p <= '9'; p++, digits++) {
			if (scale < 1e15) {
				scale *= 10;
				frac = frac * 10 + (*p - '0');
			}
		}
	}
	if (p != e || !digits)
		return -1;
	*v = (double)ip + frac / scale;
	return 0;
slow:
	/* Too many digits for the fast path: let strtod round it. */
	{
		char buf[64];
		size_t len = (size_t)(e - s);
		char *end;

		for (p = s; p < e; p++)
			if (!((*p >= '0' && *p <= '9') || *p == '.'))
				return -1;
		if (len >= sizeof(buf))
			return -1;
		memcpy(buf, s, len);
		buf[len] = '\0';
		*v = strtod(buf, &end);
		return *end || !isfinite(*v) ? -1 : 0;
	}
}

/* Split off the last blank-separated token of [s, *e): returns its start
 * and moves *e to the end of what precedes it (blanks trimmed), or returns
 * NULL if there is no blank. */
static const char *last_token(const char *s, const char **e)
{
	const char *p = *e, *tok;

	while (p > s && !is_blank(p[-1]))
		p--;
	if (p == s)
		return NULL;
	tok = p;
	while (p > s && is_blank(p[-1]))
		p--;
	*e = p;
	return tok;
}

struct parse_state {
	int columns;		/* 0: not known yet, 1 or 2 */
	uint64_t line;
	struct fg_stats *st;
};

static void bad_line(struct parse_state *ps)
{
	ps->st->bad_lines++;
	if (!ps->st->first_bad_line)
		ps->st->first_bad_line = ps->line;
}

/* One line, without its '\n'. */
static void parse_line(struct fg *g, struct parse_state *ps, const char *s,
		       const char *e, enum fg_side side)
{
	const char *tok, *tok2, *stack_end, *p, *q;
	double v, v2 = 0;
	size_t n = 0;
	int two = 0;

	ps->line++;
	ps->st->lines++;
	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	if (s == e)
		return;
	stack_end = e;
	tok = last_token(s, &stack_end);
	if (!tok || parse_count(tok, e, &v)) {
		bad_line(ps);
		return;
	}
	if (ps->columns != 1) {
		/* Two count columns (difffolded): decided by the first valid
		 * line, so a frame name ending in " 123" in a one-column file
		 * stays a name. */
		const char *e2 = stack_end;

		tok2 = last_token(s, &e2);
		if (tok2 && !parse_count(tok2, stack_end, &v2)) {
			if (!ps->columns)
				ps->columns = 2;
			two = 1;
			stack_end = e2;
		} else if (ps->columns == 2) {
			bad_line(ps);
			return;
		}
	}
	/* Frames: split at ';', empty frames dropped. */
	for (p = s; p < stack_end; p = q + 1) {
		q = memchr(p, ';', (size_t)(stack_end - p));
		if (!q)
			q = stack_end;
		if (q > p) {
			spans_reserve(g, n + 1);
			g->spans[n].p = p;
			g->spans[n].len = (size_t)(q - p);
			n++;
		}
	}
	if (!n) {
		bad_line(ps);
		return;
	}
	if (!ps->columns)
		ps->columns = 1;
	ps->st->stacks++;
	if (g->o.reverse)
		reverse_spans(g->spans, n);
	if (two) {
		ps->st->diff_columns = 1;
		add_spans(g, g->spans, n, v2, FG_BASE);
		add_spans(g, g->spans, n, v, FG_NEW);
	} else {
		add_spans(g, g->spans, n, v, side);
	}
}

/* Parse every complete line of buf[0..len); returns the bytes used. */
static size_t parse_block(struct fg *g, struct parse_state *ps, const char *buf,
			  size_t len, enum fg_side side, int eof)
{
	const char *p = buf, *end = buf + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			if (!eof)
				break;
			nl = end;
		}
		parse_line(g, ps, p, nl, side);
		p = nl < end ? nl + 1 : end;
	}
	return (size_t)(p - buf);
}

void fg_read_mem(struct fg *g, const char *text, size_t len, enum fg_side side,
		 struct fg_stats *st)
{
	struct fg_stats dummy;
	struct parse_state ps = { 0, 0, st ? st : &dummy };

	memset(ps.st, 0, sizeof(*ps.st));
	parse_block(g, &ps, text, len, side, 1);
}

int fg_read_fd(struct fg *g, int fd, enum fg_side side, struct fg_stats *st)
{
	struct fg_stats dummy;
	struct parse_state ps = { 0, 0, st ? st : &dummy };
	size_t alloc = 1 << 20, have = 0, used;
	char *buf = xmalloc(alloc);
	ssize_t r;
	int ret = 0;

	memset(ps.st, 0, sizeof(*ps.st));
	for (;;) {
		if (have == alloc) {
			/* A line longer than the buffer: grow for it. */
			alloc *= 2;
			buf = xrealloc(buf, alloc);
		}
		r = read(fd, buf + have, alloc - have);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -1;
			break;
		}
		if (r == 0) {
			parse_block(g, &ps, buf, have, side, 1);
			break;
		}
		have += (size_t)r;
		used = parse_block(g, &ps, buf, have, side, 0);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (ret) {
		int e = errno;

		free(buf);
		errno = e;
		return ret;
	}
	free(buf);
	return 0;
}

int fg_read_file(struct fg *g, FILE *f, enum fg_side side, struct fg_stats *st)
{
	fflush(f);
	return fg_read_fd(g, fileno(f), side, st);
}
