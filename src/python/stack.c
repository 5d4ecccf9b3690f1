/*
 * stack.c - the Python stacks of all threads of a sample, walked at once.
 *
 * Every walk is bounded: PY_MAX_DEPTH frames, and a frame address seen
 * twice in one walk ends it (a cycle in torn memory).  A frame costs one
 * read of the frame itself, shared with the other frames of its page(s),
 * and the code object cache (code.c) turns it into an interned frame id.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "gilspy/util.h"
#include "internal.h"


/* Byte offset of the current instruction of a frame buffer, or -1. */
static int64_t frame_addr(const struct py_target *t, const uint8_t *fb,
			  uint64_t code)
{
	const struct py_layout *l = &t->layout;
	int32_t lasti;
	uint64_t ptr, base;

	switch (l->lasti_kind) {
	case PY_LASTI_BYTES:
		lasti = (int32_t)rd_u32(fb, l->fr_lasti);
		return lasti < 0 ? -1 : lasti;
	case PY_LASTI_UNITS:
		lasti = (int32_t)rd_u32(fb, l->fr_lasti);
		return lasti < 0 ? -1 : (int64_t)lasti * 2;
	case PY_LASTI_PTR:
		ptr = rd_u64(fb, l->fr_lasti);
		base = code + (uint64_t)l->co_code_adaptive;
		if (ptr < base || ptr - base > (1u << 26))
			return -1;
		return (int64_t)((ptr - base) & ~1ull);
	}
	return -1;
}

/*
 * Stacks are walked for all threads at once, in rounds.  In each round
 * every walk goes as far as the memory already copied lets it, and the
 * frames still missing (one per walk) are then fetched together in one
 * process_vm_readv with one iovec per frame, each reading the whole page(s)
 * the frame sits in.  Callers often sit on a page already read (3.11+ keeps
 * frames contiguous in the data stack, the eval loop's entry frames and the
 * _PyCFrame share the C stack), so a sample of N threads costs about as
 * many calls as its deepest stack needs rounds, not the sum of all depths.
 */
#define WALK_PAGES 2			/* a window: the frame's page(s) */
/*
 * The windows a walk used are read again by the next sample's read-ahead,
 * in the same call as the thread states: a stack whose pages they all
 * hold is walked from copies made at about one instant.  A deep stack of
 * frame objects (3.6-3.10: on the heap, a page or two for every few
 * frames) needs more than a few for that: one read in a later round may
 * find a frame freed since, as a thread that keeps calling and returning
 * reuses them within microseconds.  Up to WALK_WINDOWS are kept per walk;
 * the buffers past WALK_RESIDENT are allocated when a walk needs them and
 * freed when a sample did not, so shallow stacks cost what they did.
 */
#define WALK_WINDOWS 48
#define WALK_RESIDENT 3
/* Samples a window is read ahead after its walk last needed it: the frame
 * free list hands a thread's next frames out of the pages other threads'
 * frames went through, so the pages of a churning stack come and go. */
#define WINDOW_KEEP 16
/* The read-ahead copies only the part of a window its walks have used
 * since the window was filled, widened by this much on each side (to
 * 64-byte lines): the pages are those of running threads, hot in other
 * CPUs' caches, and the bytes copied were most of a 1 kHz sample's cost
 * in process_vm_readv.  A frame beyond it is fetched whole by a round. */
#define WINDOW_MARGIN 256

struct walk_window {
	uint64_t base;			/* 0 when empty */
	size_t len;
	uint32_t lo, hi;		/* buf[lo, hi) is a copy of the target
					   at base + lo (all of it: 0, len) */
	uint32_t ulo, uhi;		/* the part walks used since it was
					   filled (ulo >= uhi: none yet) */
	uint8_t used;			/* the walk needed it this sample */
	uint8_t pf_ok;			/* read ahead this sample */
	int first;			/* the walk's depth when it first did */
	uint64_t used_seq;		/* the last sample that needed it */
	uint8_t *buf;			/* WALK_PAGES pages, NULL until used */
};

struct stack_walk {
	struct py_thread_sample *th;
	pid_t tid;			/* whose stack it walked last */
	uint64_t thread_id;
	uint64_t next;			/* address to read next: the frame, or
					   (hops) a pointer to follow first */
	uint64_t base_frame;
	int hops;			/* pointers to follow before the first
					   frame: the tstate's frame field (a
					   retry) and 3.11-3.12's _PyCFrame */
	int torn;			/* it ended on torn memory: may retry */
	int done, depth, max;
	struct walk_window win[WALK_WINDOWS];
	int nwin;			/* windows in use: win[0 .. nwin) */
	int hit;			/* the window window_find() found last */
	int victim;			/* window the next fetch fills, when
					   all are in use */
	uint8_t *entry;			/* per frame kept: the outermost of its
					   eval-loop call (the scratch's) */
	uint64_t seen[PY_MAX_DEPTH];
};

static int window_has(const struct walk_window *win, uint64_t addr, size_t len)
{
	return win->base && addr >= win->base + win->lo && addr + len > addr &&
	       addr + len <= win->base + win->hi;
}

/* A window now holds all of its len bytes from base, newly. */
static void window_filled(struct walk_window *win)
{
	win->lo = 0;
	win->hi = (uint32_t)win->len;
	win->ulo = UINT32_MAX;
	win->uhi = 0;
}

/* The walk read [addr, addr + len) of win (window_has() said so). */
static const uint8_t *window_use(struct stack_walk *w, struct walk_window *win,
				 uint64_t addr, size_t len)
{
	uint32_t off = (uint32_t)(addr - win->base);

	if (!win->used)
		win->first = w->depth;
	win->used = 1;
	if (off < win->ulo)
		win->ulo = off;
	if (off + len > win->uhi)
		win->uhi = off + (uint32_t)len;
	return win->buf + off;
}

/* The bytes at [addr, addr + len) in a window of w, or NULL; the window
 * that answered last is asked first (a caller is most often on the page
 * of its callee). */
static const uint8_t *window_find(struct stack_walk *w, uint64_t addr, size_t len)
{
	struct walk_window *win;

	if (w->hit < w->nwin && window_has(&w->win[w->hit], addr, len))
		return window_use(w, &w->win[w->hit], addr, len);
	for (int i = 0; i < w->nwin; i++) {
		win = &w->win[i];
		if (window_has(win, addr, len)) {
			w->hit = i;
			return window_use(w, win, addr, len);
		}
	}
	return NULL;
}

/*
 * The copy the walks that start over read from (walk_retry()): every page
 * the torn walks went through, and their thread states' frame fields, in
 * one process_vm_readv made just before they start over.  Rounds are
 * microseconds apart, and a thread that keeps calling and returning
 * reuses its frames' memory in that time: on 3.6-3.10 a deep stack read
 * in rounds while its thread runs tears more often than not, read again
 * in rounds as well.  One read of all its pages is as near to an instant
 * as reading from outside gets.  A frame outside of them is read in
 * rounds.  Valid while n > 0: during the walks that start over.
 */
#define SNAP_PAGES 128

struct walk_snap {
	int n;
	uint64_t page[SNAP_PAGES];	/* sorted once read */
	uint8_t ok[SNAP_PAGES];
	uint8_t buf[SNAP_PAGES * 4096];	/* page k at k * 4096 */
};

/* Add the pages of [addr, addr + len) while there is room. */
static void snap_add(struct walk_snap *sn, uint64_t addr, size_t len)
{
	if (addr < 4096 || addr + len < addr)
		return;
	for (uint64_t p = addr & ~4095ull; p < addr + len && sn->n < SNAP_PAGES;
	     p += 4096) {
		int k = 0;

		while (k < sn->n && sn->page[k] != p)
			k++;
		if (k == sn->n)
			sn->page[sn->n++] = p;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Where page p is in the sorted pages of sn. */
static int snap_pos(const struct walk_snap *sn, uint64_t p)
{
	int lo = 0, hi = sn->n - 1;

	while (lo < hi) {		/* the first page >= p */
		int mid = (lo + hi) / 2;

		if (sn->page[mid] < p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Read the pages in one call, in the reverse of the order they were
 * added: the frames nearest the root first, the top frames and the
 * thread state's frame pointer last.  A frame the pointer leads to was
 * then copied no earlier than the pointer's target was live: if the
 * thread returned meanwhile, the frames it returned to were live all
 * along, and their copies stand (read the other way round, the top
 * frames copied after the pointer may have been freed since, and a freed
 * frame's f_back links the free list back to a frame already walked).
 */
static void snap_read(struct py_target *t, struct walk_snap *sn)
{
	struct py_scratch *sc = t->scratch;
	uint64_t added[SNAP_PAGES];
	int pos[SNAP_PAGES];
	size_t nr = 0;

	memcpy(added, sn->page, (size_t)sn->n * sizeof(added[0]));
	qsort(sn->page, (size_t)sn->n, sizeof(sn->page[0]), cmp_u64);
	for (int j = sn->n - 1; j >= 0; j--) {
		int k = snap_pos(sn, added[j]);

		sc->local[nr].iov_base = sn->buf + (size_t)k * 4096;
		sc->local[nr].iov_len = 4096;
		sc->remote[nr].iov_base = (void *)(uintptr_t)sn->page[k];
		sc->remote[nr].iov_len = 4096;
		pos[nr++] = k;
	}
	if (proc_readv(t->proc, sc->local, sc->remote, nr, sc->ok) != GS_OK)
		memset(sc->ok, 0, nr);
	for (size_t r = 0; r < nr; r++)
		sn->ok[pos[r]] = sc->ok[r];
}

/* The bytes at [addr, addr + len) in the copy, or NULL. */
static const uint8_t *snap_find(const struct walk_snap *sn, uint64_t addr,
				size_t len)
{
	uint64_t p = addr & ~4095ull;
	int k;

	if (!sn || !sn->n || addr + len < addr || len > 4096)
		return NULL;
	k = snap_pos(sn, p);
	if (sn->page[k] != p || !sn->ok[k])
		return NULL;
	if (addr + len > p + 4096 &&
	    (k + 1 == sn->n || sn->page[k + 1] != p + 4096 || !sn->ok[k + 1]))
		return NULL;
	return sn->buf + (size_t)k * 4096 + (addr - p);
}

static int pick_window(struct stack_walk *w);

/* A frame's bytes from w's windows, else from the copy of a walk that
 * starts over, whose page(s) then go to a window: the next sample's
 * read-ahead reads them again, so the stack that tore is read there at
 * one instant with its thread state rather than in rounds that may tear
 * it again. */
static const uint8_t *frame_find(struct py_target *t, struct stack_walk *w,
				 uint64_t addr, size_t len)
{
	const uint8_t *p = window_find(w, addr, len);
	struct walk_window *win;
	uint64_t lo;
	int k;

	if (p || !(p = snap_find(t->walk_snap, addr, len)))
		return p;
	lo = addr & ~4095ull;
	k = pick_window(w);
	win = &w->win[k];
	if (!win->buf)
		win->buf = xmalloc(WALK_PAGES * 4096);
	/* snap_find() saw both pages when the range crosses into the next */
	win->len = (size_t)(((addr + len + 4095) & ~4095ull) - lo);
	memcpy(win->buf, p - (addr - lo), win->len);
	win->base = lo;
	window_filled(win);
	win->used = 0;
	return window_use(w, win, addr, len);
}

/* Consume one frame whose bytes are fb; returns 0 to go on, 1 when done. */
static int walk_frame(struct py_target *t, struct stack_walk *w, const uint8_t *fb)
{
	const struct py_layout *l = &t->layout;
	struct py_thread_sample *th = w->th;
	uint64_t code, back = rd_u64(fb, l->fr_back);
	int64_t idx;

	if (l->skip_kind != PY_SKIP_NONE) {
		int owner = fb[l->fr_owner];

		if ((l->skip_kind == PY_SKIP_OWNER_EQ && owner == l->skip_owner) ||
		    (l->skip_kind == PY_SKIP_OWNER_GE && owner >= l->skip_owner)) {
			/* 3.12+: the eval loop's entry shim lies under the
			 * first frame that call ran */
			if (th->nframes)
				w->entry[th->nframes - 1] = 1;
			goto next;
		}
	}
	code = rd_u64(fb, l->fr_code) & l->code_ptr_mask;
	if (!code)
		goto next;
	idx = pycode_get(t, code);
	if (idx < 0) {
		th->incomplete = 1;
		w->torn = 1;
		return 1;
	}
	if (t->codes[idx].is_code) {
		if (th->nframes == w->max) {
			th->incomplete = 1;
			return 1;
		}
		/* <= 3.10 one eval call per frame; 3.11 marks its first */
		w->entry[th->nframes] = l->frame_kind == PY_FRAME_OBJECT ||
			(l->fr_is_entry != OFF_NONE && fb[l->fr_is_entry]);
		th->frames[th->nframes++] = pycode_frame(t, (uint32_t)idx,
							 frame_addr(t, fb, code));
	}
next:
	w->next = back;
	return 0;
}

/* Advance a walk through memory already copied.  Returns 1 when the walk
 * needs more memory (w->next, *len bytes), 0 when it is done. */
static int walk_advance(struct py_target *t, struct stack_walk *w, size_t *len)
{
	const struct py_layout *l = &t->layout;
	const uint8_t *p;

	for (;;) {
		if (w->done)
			return 0;
		if (w->hops) {
			if (!(p = window_find(w, w->next, 8)) &&
			    !(p = snap_find(t->walk_snap, w->next, 8))) {
				*len = 8;
				return 1;
			}
			w->next = rd_u64(p, 0);
			/* the tstate's field (3.11-3.12) is the _PyCFrame */
			if (--w->hops && w->next)
				w->next += (uint64_t)l->cframe_current;
			continue;
		}
		if (!w->next || w->next == w->base_frame) {
			w->done = 1;
			return 0;
		}
		for (int i = 0; i < w->depth; i++) {
			if (w->seen[i] == w->next) {	/* a cycle */
				w->th->incomplete = 1;
				w->torn = 1;
				w->done = 1;
				return 0;
			}
		}
		if (w->depth == PY_MAX_DEPTH) {
			w->th->incomplete = 1;
			w->done = 1;
			return 0;
		}
		if (!(p = frame_find(t, w, w->next, (size_t)l->fr_size))) {
			*len = (size_t)l->fr_size;
			return 1;
		}
		w->seen[w->depth++] = w->next;
		if (walk_frame(t, w, p))
			w->done = 1;
	}
}

/* The window a walk's next fetch fills: an empty one, else a new one
 * while there is room, else one this sample has not needed, else the
 * oldest. */
static int pick_window(struct stack_walk *w)
{
	int k;

	for (k = 0; k < w->nwin; k++)
		if (!w->win[k].base)
			return k;
	if (w->nwin < WALK_WINDOWS)
		return w->nwin++;
	for (k = 0; k < w->nwin; k++)
		if (!w->win[k].used)
			return k;
	k = w->victim;
	w->victim = (w->victim + 1) % w->nwin;
	return k;
}

/*
 * The windows a walk used, nearest the root first: the read-ahead copies
 * them in this order, and the thread states after them (prefetch.c), so
 * that a thread returning meanwhile leaves copies that stand (see
 * snap_read()).
 */
void pystack_prefetch(struct py_target *t, struct pf_set *pf, int redo)
{
	/* room left for the code objects and the thread states after */
	size_t room = PF_MAX - PF_CODES - t->nprefetch;

	for (size_t i = 0; i < t->nwalks_last; i++) {
		struct stack_walk *w = &t->walks[i];
		const struct thread_entry *e = NULL;
		int order[WALK_WINDOWS], n = 0;

		/* walk i was thread i of the last sample, whose entry
		 * pythread_resolve() noted in hint[i] */
		if (t->hint[i] < t->nthreads)
			e = &t->threads[t->hint[i]];
		if (e && (e->tid != w->tid || e->thread_id != w->thread_id))
			e = NULL;
		for (size_t j = 0; !e && j < t->nthreads; j++)
			if (t->threads[j].tid == w->tid &&
			    t->threads[j].thread_id == w->thread_id)
				e = &t->threads[j];
		if (redo && !(e && e->wait_redo))
			continue;
		for (int k = 0; k < w->nwin; k++) {
			struct walk_window *win = &w->win[k];
			int at = n++;

			win->pf_ok = 0;
			/* skip those of a stack kept, not read */
			if ((e && e->stack_reuse) || !win->base ||
			    t->seq - win->used_seq > WINDOW_KEEP) {
				n--;
				continue;
			}
			while (at > 0 && w->win[order[at - 1]].first < win->first) {
				order[at] = order[at - 1];
				at--;
			}
			order[at] = k;
		}
		for (int k = 0; k < n && pf->n < room; k++) {
			struct walk_window *win = &w->win[order[k]];
			uint32_t lo = 0, hi = (uint32_t)win->len;

			if (win->ulo < win->uhi && win->uhi <= win->len) {
				lo = win->ulo > WINDOW_MARGIN ?
				     (win->ulo - WINDOW_MARGIN) & ~63u : 0;
				hi = (win->uhi + WINDOW_MARGIN + 63) & ~63u;
				if (hi > win->len)
					hi = (uint32_t)win->len;
			}
			win->lo = lo;
			win->hi = hi;
			pf_add(pf, win->buf + lo, win->base + lo, hi - lo,
			       &win->pf_ok);
		}
	}
	if (!redo)
		pycode_prefetch(t, pf);
}

/*
 * Walk every unfinished walk as far as it goes, in rounds (see above).
 * Every round fetches a frame (or a pointer before the first) for each
 * unfinished walk or ends it, so PY_MAX_DEPTH + 3 rounds bound the loop
 * whatever memory says.  extra rides with the first read (*extra_read).
 */
static void walk_rounds(struct py_target *t, int n, struct pf_set *extra,
			int *extra_read)
{
	struct py_scratch *sc = t->scratch;
	struct iovec *local = sc->local, *remote = sc->remote;
	uint8_t *ok = sc->ok;
	struct stack_walk **need = sc->need;
	int *need_win = sc->need_win;
	int rounds = 0;

	while (rounds++ <= PY_MAX_DEPTH + 2) {
		size_t len, nall;
		int nneed = 0;

		for (int i = 0; i < n; i++) {
			struct stack_walk *w = &t->walks[i];
			struct walk_window *win;
			uint64_t lo, hi;
			int k;

			if (!walk_advance(t, w, &len))
				continue;
			lo = w->next & ~4095ull;
			hi = (w->next + len + 4095) & ~4095ull;
			if (w->next < 4096 || hi <= lo || hi - lo > WALK_PAGES * 4096) {
				w->th->incomplete = 1;
				w->torn = 1;
				w->done = 1;
				continue;
			}
			k = pick_window(w);
			win = &w->win[k];
			win->base = 0;
			if (!win->buf)
				win->buf = xmalloc(WALK_PAGES * 4096);
			win->len = (size_t)(hi - lo);
			local[nneed].iov_base = win->buf;
			local[nneed].iov_len = win->len;
			remote[nneed].iov_base = (void *)(uintptr_t)lo;
			remote[nneed].iov_len = win->len;
			need_win[nneed] = k;
			need[nneed++] = w;
		}
		if (!nneed)
			break;
		nall = (size_t)nneed;
		if (extra && !*extra_read) {
			/* the caller's ranges ride along with the first round */
			memcpy(local + nall, extra->local, extra->n * sizeof(*local));
			memcpy(remote + nall, extra->remote, extra->n * sizeof(*remote));
			nall += extra->n;
		}
		/* One call for all; a range that cannot be read is a torn
		 * read of that walk only. */
		if (proc_readv(t->proc, local, remote, nall, ok) != GS_OK)
			memset(ok, 0, nall);
		for (int k = 0; k < nneed; k++) {
			struct stack_walk *w = need[k];
			struct walk_window *win = &w->win[need_win[k]];

			if (!ok[k]) {
				w->th->incomplete = 1;
				w->torn = 1;
				w->done = 1;
				continue;
			}
			win->base = (uint64_t)(uintptr_t)remote[k].iov_base;
			window_filled(win);
			win->used = 1;
			win->first = w->depth;
		}
		if (extra && !*extra_read) {
			for (size_t k = 0; k < extra->n; k++)
				*extra->okp[k] = ok[nneed + k];
			*extra_read = 1;
		}
	}
	for (int i = 0; i < n; i++) {
		if (!t->walks[i].done) {
			t->walks[i].th->incomplete = 1;
			t->walks[i].torn = 1;
			t->walks[i].done = 1;
		}
	}
}

/*
 * A stack torn by memory that changed while it was read (a frame freed
 * and its memory reused between two reads: a cycle, a code object that
 * is no longer one, an unmapped page) is walked again from the thread
 * state's frame pointer, read afresh with all the pages the torn walk
 * went through at once (struct walk_snap), and with none of the copies
 * it mixed.  A thread recursing and returning as fast as it can tore
 * about one sample in five on 3.6-3.10.  A stack cut at PY_MAX_DEPTH is
 * not torn and is not walked again.  Returns how many walks start over.
 */
#define WALK_RETRIES 2

static int walk_retry(struct py_target *t, int n)
{
	const struct py_layout *l = &t->layout;
	struct walk_snap *sn;
	int again = 0;

	if (!t->walk_snap)
		t->walk_snap = xmalloc(sizeof(*t->walk_snap));
	sn = t->walk_snap;
	sn->n = 0;
	for (int i = 0; i < n; i++) {
		struct stack_walk *w = &t->walks[i];

		if (!w->torn)
			continue;
		/* the pages it went through, its top frames' first */
		snap_add(sn, w->th->tstate + (uint64_t)l->ts_frame, 8);
		for (int k = 0; k < w->depth; k++)
			snap_add(sn, w->seen[k], (size_t)l->fr_size);
		for (int k = 0; k < w->nwin; k++)
			if (w->win[k].base)
				snap_add(sn, w->win[k].base, w->win[k].len);
		w->torn = 0;
		w->th->incomplete = 0;
		w->th->nframes = 0;
		w->depth = 0;
		w->done = 0;
		for (int k = 0; k < w->nwin; k++)
			w->win[k].base = 0;
		w->next = w->th->tstate + (uint64_t)l->ts_frame;
		w->hops = l->frame_kind == PY_FRAME_CFRAME ? 2 : 1;
		again++;
	}
	if (again)
		snap_read(t, sn);
	return again;
}

int pystack_walk(struct py_target *t, struct py_sample *s,
		 struct pf_set *extra, const uint8_t *reuse)
{
	const struct py_layout *l = &t->layout;
	struct py_scratch *sc = t->scratch;
	const uint8_t *const *ts = sc->ts;
	int n = s->nthreads, extra_read = 0;

	if (n <= 0) {
		t->nwalks_last = 0;
		return 0;
	}
	if ((size_t)n > t->nwalks) {
		t->walks = xrealloc(t->walks, (size_t)n * sizeof(*t->walks));
		memset(t->walks + t->nwalks, 0,
		       ((size_t)n - t->nwalks) * sizeof(*t->walks));
		t->nwalks = (size_t)n;
	}
	for (int i = 0; i < n; i++) {
		struct stack_walk *w = &t->walks[i];
		struct py_thread_sample *th = &s->threads[i];

		w->th = th;
		w->entry = sc->entry + (size_t)i * PY_MAX_DEPTH;
		th->frames = s->pool + (size_t)i * PY_MAX_DEPTH;
		th->nframes = 0;
		w->max = PY_MAX_DEPTH;
		w->depth = 0;
		w->torn = 0;
		w->hops = 0;
		w->done = (size_t)l->fr_size > 4096;
		w->tid = th->tid;
		w->thread_id = th->thread_id;
		if (reuse && reuse[i]) {
			const struct thread_entry *e = t->scratch->tentry[i];

			memcpy(th->frames, e->frames,
			       (size_t)e->nframes * sizeof(*th->frames));
			th->nframes = e->nframes;
			w->done = 1;
			/* windows untouched: unread this sample, they are
			 * neither used nor trusted (pf_ok stays 0) */
			for (int k = 0; k < w->nwin; k++)
				w->win[k].pf_ok = 0;
			continue;
		}
		/* windows read ahead by this sample stay; the rest are
		 * stale, and past the resident ones give their memory back */
		for (int k = 0; k < w->nwin; k++) {
			struct walk_window *win = &w->win[k];

			if ((size_t)i >= t->nwalks_last || !win->pf_ok)
				win->base = 0;
			if (!win->base && k >= WALK_RESIDENT) {
				free(win->buf);
				win->buf = NULL;
			}
			win->pf_ok = 0;
			win->used = 0;
		}
		while (w->nwin > WALK_RESIDENT && !w->win[w->nwin - 1].base)
			w->nwin--;
		w->next = rd_u64(ts[i], l->ts_frame);
		w->hops = l->frame_kind == PY_FRAME_CFRAME && w->next;
		if (w->hops)
			w->next += (uint64_t)l->cframe_current;
		w->base_frame = l->ts_base_frame != OFF_NONE ?
				th->tstate + (uint64_t)l->ts_base_frame : 0;
	}
	for (size_t i = (size_t)n; i < t->nwalks_last; i++)
		for (int k = 0; k < t->walks[i].nwin; k++)
			t->walks[i].win[k].base = 0;
	t->nwalks_last = (size_t)n;
	walk_rounds(t, n, extra, &extra_read);
	for (int retry = 0; retry < WALK_RETRIES && walk_retry(t, n); retry++)
		walk_rounds(t, n, extra, &extra_read);
	if (t->walk_snap)
		t->walk_snap->n = 0;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < t->walks[i].nwin; k++)
			if (t->walks[i].win[k].used)
				t->walks[i].win[k].used_seq = t->seq;
	return extra_read;
}

void pystack_release(struct py_target *t)
{
	for (size_t i = 0; i < t->nwalks; i++)
		for (int k = 0; k < WALK_WINDOWS; k++)
			free(t->walks[i].win[k].buf);
	free(t->walks);
	free(t->walk_snap);
	t->walks = NULL;
	t->walk_snap = NULL;
	t->nwalks = t->nwalks_last = 0;
}
