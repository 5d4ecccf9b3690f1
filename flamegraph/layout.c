/*
 * layout.c - choose the frames to draw and where: siblings sorted by name,
 * frames narrower than the minimum width pruned, each drawn frame's GIL
 * breakdown summed from the state frames under it (pruned ones included).
 *
 * The walk is iterative (explicit stacks): a hostile input can be a single
 * stack a million frames deep.
 */
#include <stdlib.h>
#include <string.h>

#include "fg_layout.h"

/* Every node's children, in one array: list[off[i] .. off[i + 1]). */
struct fg_children {
	uint32_t *off, *list;
};

static void children_build(const struct fg *g, struct fg_children *ch,
			   size_t *with_value)
{
	size_t n = g->nnodes, i;

	ch->off = xcalloc(n + 1, sizeof(*ch->off));
	ch->list = xmalloc((n > 1 ? n - 1 : 1) * sizeof(*ch->list));
	*with_value = 0;
	for (i = 1; i < n; i++) {
		ch->off[g->nodes[i].parent]++;
		*with_value += g->nodes[i].value > 0;
	}
	for (i = 1; i <= n; i++)
		ch->off[i] += ch->off[i - 1];	/* off[i]: end of i's run */
	for (i = n; i-- > 1;)
		ch->list[--ch->off[g->nodes[i].parent]] = (uint32_t)i;
	/* Now off[i] is the start of i's run and off[i + 1] its end. */
}

static const struct fg *sort_g;

static int cmp_by_name(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(fg_name_str(sort_g, sort_g->nodes[x].name),
		       fg_name_str(sort_g, sort_g->nodes[y].name));

	return c ? c : (x < y ? -1 : x > y);
}

/* Index of the first of sorted[0..n) whose name sorts after name. */
static size_t upper_bound(const struct fg *g, const uint32_t *sorted, size_t n,
			  const char *name)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (strcmp(fg_name_str(g, g->nodes[sorted[mid]].name), name) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int state_of(const struct fg *g, uint32_t node)
{
	uint32_t name = g->nodes[node].name;

	return name < FG_NSTATES ? (int)name : -1;
}

/* Add the state frames' samples in the subtree of node to st; a state
 * frame's own subtree is all of that state. */
static void subtree_states(const struct fg *g, const struct fg_children *ch,
			   uint32_t node, double st[4], uint32_t **stack,
			   size_t *cap)
{
	size_t n = 0, k;
	int s;

	if (*cap < 16) {
		*cap = 16;
		*stack = xrealloc(*stack, *cap * sizeof(**stack));
	}
	(*stack)[n++] = node;
	while (n) {
		node = (*stack)[--n];
		s = state_of(g, node);
		if (s >= 0) {
			st[s] += g->nodes[node].value;
			continue;
		}
		for (k = ch->off[node]; k < ch->off[node + 1]; k++) {
			if (n == *cap) {
				*cap *= 2;
				*stack = xrealloc(*stack, *cap * sizeof(**stack));
			}
			(*stack)[n++] = ch->list[k];
		}
	}
}

/* What a frame is in a blame stack, from its parent's record. */
static int blame_of(const struct fg *g, const struct fg_rec *parent,
		    uint32_t node)
{
	const char *name;

	if (parent->blame == FG_BLAME_HELD_BY ||
	    parent->blame == FG_BLAME_HOLDER)
		return FG_BLAME_HOLDER;
	if (parent->depth == 0 || g->nodes[parent->node].name != FG_WAITING)
		return FG_BLAME_NONE;
	name = fg_name_str(g, g->nodes[node].name);
	if (!strncmp(name, FG_HELD_BY_PREFIX, strlen(FG_HELD_BY_PREFIX)))
		return FG_BLAME_HELD_BY;
	if (!strcmp(name, FG_HANDOFF_NAME))
		return FG_BLAME_HANDOFF;
	return FG_BLAME_NONE;
}

static void push_rec(struct fg_layout *L, const struct fg_rec *r)
{
	if (L->n == L->alloc) {
		L->alloc = L->alloc ? L->alloc * 2 : 1024;
		L->recs = xrealloc(L->recs, L->alloc * sizeof(*L->recs));
	}
	L->recs[L->n++] = *r;
}

void fg_layout_build(const struct fg *g, struct fg_layout *L)
{
	uint32_t *kids = NULL, *pstack = NULL, *todo = NULL;
	double *gaps = NULL;
	size_t kcap = 0, pcap = 0, tcap = 0, gcap = 0, ntodo = 0, nk, nr, i, k;
	size_t usable = (size_t)g->o.width - 2 * FG_XPAD, nodes_with_value = 0;
	struct fg_children ch;
	uint32_t c;
	double x;

	memset(L, 0, sizeof(*L));
	L->total = g->nodes[0].value;
	if (!(L->total > 0))
		return;
	L->min_value = g->o.minwidth_pct ? L->total * g->o.minwidth / 100
					 : L->total * g->o.minwidth / (double)usable;
	children_build(g, &ch, &nodes_with_value);
	nodes_with_value++;	/* the root */

	push_rec(L, &(struct fg_rec){ .node = 0, .parent = -1, .depth = 0,
				      .x = 0, .anc_state = -1 });
	/* todo: records whose children are still to be laid out, popped in
	 * reverse so the output is in pre-order. */
	tcap = 64;
	todo = xmalloc(tcap * sizeof(*todo));
	todo[ntodo++] = 0;
	sort_g = g;
	while (ntodo) {
		size_t ri = todo[--ntodo];
		struct fg_rec parent = L->recs[ri];
		size_t first;

		nk = ch.off[parent.node + 1] - ch.off[parent.node];
		if (nk > kcap) {
			kcap = nk * 2;
			kids = xrealloc(kids, kcap * sizeof(*kids));
		}
		memcpy(kids, ch.list + ch.off[parent.node], nk * sizeof(*kids));
		/* Partition: drawn children first, sorted by name. */
		nr = 0;
		for (i = 0; i < nk; i++)
			if (g->nodes[kids[i]].value >= L->min_value &&
			    g->nodes[kids[i]].value > 0) {
				c = kids[nr];
				kids[nr++] = kids[i];
				kids[i] = c;
			}
		qsort(kids, nr, sizeof(*kids), cmp_by_name);
		if (nr + 1 > gcap) {
			gcap = (nr + 1) * 2;
			gaps = xrealloc(gaps, gcap * sizeof(*gaps));
		}
		memset(gaps, 0, (nr + 1) * sizeof(*gaps));
		for (i = nr; i < nk; i++) {
			/* A pruned child leaves its width where it would sort. */
			const struct fg_node *n = &g->nodes[kids[i]];

			if (n->value > 0)
				gaps[upper_bound(g, kids, nr,
						 fg_name_str(g, n->name))] += n->value;
			if (parent.anc_state < 0 && n->value > 0)
				subtree_states(g, &ch, kids[i], L->recs[ri].st,
					       &pstack, &pcap);
		}
		x = parent.x + gaps[0];
		first = L->n;
		for (i = 0; i < nr; i++) {
			struct fg_rec r = { 0 };
			int s = state_of(g, kids[i]);

			r.node = kids[i];
			r.parent = (int64_t)ri;
			r.depth = parent.depth + 1;
			r.x = x;
			r.anc_state = parent.anc_state >= 0 ? parent.anc_state : s;
			if (r.anc_state >= 0)
				r.st[r.anc_state] = g->nodes[r.node].value;
			r.blame = blame_of(g, &parent, r.node);
			if (r.blame)
				L->has_blame = 1;
			x += g->nodes[kids[i]].value + gaps[i + 1];
			if (r.depth > L->max_depth)
				L->max_depth = r.depth;
			push_rec(L, &r);
		}
		/* Pre-order: the first child's subtree comes out first. */
		if (ntodo + nr > tcap) {
			tcap = (ntodo + nr) * 2;
			todo = xrealloc(todo, tcap * sizeof(*todo));
		}
		for (k = nr; k > 0; k--)
			todo[ntodo++] = (uint32_t)(first + k - 1);
	}
	/* Records were appended in breadth order per parent; reorder them
	 * into pre-order, which the viewer relies on (a subtree is a
	 * contiguous run). */
	fg_layout_preorder(L);
	for (i = L->n; i-- > 1;) {
		struct fg_rec *r = &L->recs[i], *p = &L->recs[r->parent];

		if (p->anc_state < 0)
			for (k = 0; k < FG_NSTATES; k++)
				p->st[k] += r->st[k];
	}
	if (g->base) {
		for (i = 0; i < L->n; i++)
			L->recs[i].base = g->base[L->recs[i].node];
	}
	L->pruned = nodes_with_value - L->n;
	free(ch.off);
	free(ch.list);
	free(kids);
	free(pstack);
	free(todo);
	free(gaps);
}

/* Reorder records into pre-order (parents before children, each subtree
 * contiguous, siblings by x); parent indexes are rewritten. */
void fg_layout_preorder(struct fg_layout *L)
{
	size_t n = L->n, i, *first, *next, *stack, ns = 0, out = 0;
	int64_t *newidx;
	struct fg_rec *recs;

	if (n < 2)
		return;
	first = xmalloc(n * sizeof(*first));
	next = xmalloc(n * sizeof(*next));
	stack = xmalloc(n * sizeof(*stack));
	newidx = xmalloc(n * sizeof(*newidx));
	recs = xmalloc(n * sizeof(*recs));
	for (i = 0; i < n; i++)
		first[i] = next[i] = SIZE_MAX;
	/* Children were appended in x order per parent; link them so. */
	for (i = n; i-- > 1;) {
		size_t p = (size_t)L->recs[i].parent;

		next[i] = first[p];
		first[p] = i;
	}
	stack[ns++] = 0;
	while (ns) {
		size_t r = stack[--ns], c, k, cnt = 0;

		newidx[r] = (int64_t)out;
		recs[out] = L->recs[r];
		recs[out].parent = L->recs[r].parent >= 0 ?
				   newidx[L->recs[r].parent] : -1;
		out++;
		for (c = first[r]; c != SIZE_MAX; c = next[c])
			cnt++;
		/* Push in reverse so the leftmost child is popped first. */
		ns += cnt;
		k = ns;
		for (c = first[r]; c != SIZE_MAX; c = next[c])
			stack[--k] = c;
	}
	free(L->recs);
	L->recs = recs;
	L->alloc = n;
	free(first);
	free(next);
	free(stack);
	free(newidx);
}

void fg_layout_release(struct fg_layout *L)
{
	free(L->recs);
	memset(L, 0, sizeof(*L));
}
