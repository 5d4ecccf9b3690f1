/*
 * fg_layout.h - the frames a graph draws, in pre-order (a frame's subtree
 * is the contiguous run after it), with positions in sample units.
 */
#ifndef GILSPY_FG_LAYOUT_H
#define GILSPY_FG_LAYOUT_H

#include "fg_internal.h"

#define FG_XPAD 10		/* pixels left and right of the frames */

struct fg_rec {
	uint32_t node;
	uint32_t depth;		/* root ("all") is 0 */
	int64_t parent;		/* record index, -1 for the root */
	double x;		/* samples left of this frame */
	double base;		/* FG_BASE samples (differential graphs) */
	double st[FG_NSTATES];	/* samples per GIL state */
	int anc_state;		/* state frame at or above this one, or -1 */
	int blame;		/* enum fg_blame */
};

/* Frames of a blame stack (gilspy's --blame), above `[waiting for GIL]`. */
enum fg_blame {
	FG_BLAME_NONE,
	FG_BLAME_HELD_BY,	/* "[held by NAME]" right above the waiting */
	FG_BLAME_HANDOFF,	/* "[GIL in hand-off]" there */
	FG_BLAME_HOLDER,	/* the holder's frames above "[held by NAME]" */
};
#define FG_HELD_BY_PREFIX "[held by "
#define FG_HANDOFF_NAME "[GIL in hand-off]"


struct fg_layout {
	struct fg_rec *recs;
	size_t n, alloc;
	uint32_t max_depth;
	double total, min_value;
	uint64_t pruned;	/* frames with samples that are not drawn */
	int has_blame;		/* some frame is a blame frame */
};

/* Lay out g (nothing when it has no samples); release with
 * fg_layout_release(). */
void fg_layout_build(const struct fg *g, struct fg_layout *L);
void fg_layout_preorder(struct fg_layout *L);
void fg_layout_release(struct fg_layout *L);

#endif
