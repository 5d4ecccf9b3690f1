/*
 * fg_internal.h - what the renderer's files share: the merged tree, the
 * name pool and the palette.  Nothing outside flamegraph/ includes this.
 *
 * The tree: node 0 is the root ("all"); every other node is one frame under
 * one parent.  A child is always created after its parent, so a node's id
 * is larger than its parent's.  Nodes keep no child links (16 bytes a node
 * matters at millions of frames): the renderer builds the child lists once,
 * in one array, and sorts them by name.  Names are interned: a node holds a
 * name id, and ids 0..3 are the four GIL-state frames.
 */
#ifndef GILSPY_FG_INTERNAL_H
#define GILSPY_FG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gilspy/flamegraph.h"

#define FG_NONE UINT32_MAX

enum fg_state { FG_HELD, FG_WAITING, FG_NATIVE, FG_IDLE, FG_NSTATES };

struct fg_node {
	uint32_t name;		/* name id; FG_NONE for the root */
	uint32_t parent;	/* FG_NONE for the root */
	double value;		/* samples through this node (FG_NEW) */
};

struct fg_name {
	size_t off;		/* into fg.arena, NUL-terminated there */
	uint32_t len;
	uint32_t hash;
};

struct fg_span {
	const char *p;
	size_t len;
};

struct fg {
	struct fg_options o;		/* strings owned (copied) */

	struct fg_node *nodes;
	double *base;			/* FG_BASE values, NULL until used */
	size_t nnodes, nalloc;
	uint64_t *ntab;			/* (parent, name) -> node id: each
					   slot the pair's hash << 32 | id,
					   0 empty, so a probe touches no
					   node until the hash matches;
					   dropped while rendering, rebuilt
					   on the next add */
	size_t ntab_mask;

	struct fg_name *names;
	size_t nnames, names_alloc;
	char *arena;
	size_t arena_len, arena_alloc;
	uint64_t *stab;			/* name hash -> its hash << 32 |
					   (name id + 1); 0 empty */
	size_t stab_mask;

	/* The previous stack, so a stack sharing its first frames skips the
	 * lookups: sorted folded files share most of every line. */
	char *prev;
	size_t prev_len, prev_alloc;
	size_t *prev_off;		/* frame d starts at prev + prev_off[d] */
	uint32_t *prev_node;
	uint32_t *prev_ph;		/* path hash of frame d (tree.c) */
	uint32_t *hashes;		/* scratch: the new frames' hashes */
	size_t prev_depth, prev_cap;

	/* Scratch for splitting a line into frames. */
	struct fg_span *spans;
	size_t spans_cap;

	double total[2];		/* per enum fg_side */
	int has_states;			/* some node is a GIL-state frame */

	struct fg_gil_summary *summary;	/* deep copy, or NULL */
};

/* Merge one stack of n > 0 frames, in the order given, root first (tree.c;
 * the spans may point into a read buffer: nothing keeps them). */
void fg_add_spans(struct fg *g, const struct fg_span *f, size_t n,
		  double count, enum fg_side side);
/* Room for n spans in g->spans. */
void fg_spans_reserve(struct fg *g, size_t n);
void fg_reverse_spans(struct fg_span *f, size_t n);

/* Free the (parent, name) table: the renderer needs the memory more. */
void fg_drop_index(struct fg *g);

/* Name text of a name id. */
static inline const char *fg_name_str(const struct fg *g, uint32_t id)
{
	return g->arena + g->names[id].off;
}

/* Fill colour of an ordinary frame, "#rrggbb" into buf (8 bytes). */
void fg_frame_colour(enum fg_palette p, const char *name, char buf[8]);
/* Kind of frame for the python palette, also the CSS class suffix. */
const char *fg_frame_kind(const char *name);

extern const char *const fg_state_names[FG_NSTATES];
extern const char *const fg_state_colours[FG_NSTATES];
extern const char *const fg_state_labels[FG_NSTATES];

#endif
