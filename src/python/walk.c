/*
 * walk.c - Python stacks from target memory: frames, code objects, strings.
 *
 * Every read is bounded: PY_MAX_DEPTH frames, PY_MAX_STR characters per
 * string, 1 MiB per line table, and a frame address seen twice in one walk
 * ends it (a cycle in torn memory).  Code objects are cached by address, and
 * (code, instruction) pairs map straight to interned frame ids, so a frame
 * already seen costs one read of the frame itself and two hash lookups.
 *
 * A code object freed and another allocated at the same address would be
 * shown with the old name; CPython rarely frees code objects of running
 * functions, and validating every hit would double the reads per frame.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gilspy/linetable.h"
#include "gilspy/util.h"
#include "target.h"

#define MAX_LINETABLE (1u << 20)

/* Encode one code point as UTF-8 into out (at least 4 bytes). */
static size_t put_utf8(uint32_t cp, char *out)
{
	if (cp >= 0xd800 && cp <= 0xdfff)
		cp = '?';	/* lone surrogates (e.g. surrogateescape) */
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp > 0x10ffff)
		cp = 0xfffd;
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * Read a str object (PyASCIIObject / PyCompactUnicodeObject /
 * PyUnicodeObject, Include/cpython/unicodeobject.h) and intern it as UTF-8.
 * state bits (3.6-3.15): interned:2 kind:3 compact:1 ascii:1.
 */
const char *read_str(struct py_target *t, uint64_t addr)
{
	const struct py_layout *l = &t->layout;
	uint8_t hdr[128], raw[PY_MAX_STR * 4];
	char utf8[PY_MAX_STR * 4 + 4];
	uint64_t len, data;
	uint32_t state, kind, compact, ascii;
	size_t n = 0;

	if (!addr || (size_t)l->unicode_compact_size + 8 > sizeof(hdr))
		return NULL;
	if (proc_read(t->proc, addr, hdr, (size_t)l->unicode_compact_size + 8))
		return NULL;
	len = rd_u64(hdr, l->unicode_length);
	state = rd_u32(hdr, l->unicode_state);
	kind = (state >> 2) & 7;
	compact = (state >> 5) & 1;
	ascii = (state >> 6) & 1;
	if (kind != 1 && kind != 2 && kind != 4)
		return NULL;	/* legacy not-ready string (<=3.11) */
	if (len > PY_MAX_STR)
		len = PY_MAX_STR;
	if (compact)
		data = addr + (uint64_t)(ascii ? l->unicode_ascii_size :
					 l->unicode_compact_size);
	else
		data = rd_u64(hdr, l->unicode_compact_size);
	if (proc_read(t->proc, data, raw, (size_t)(len * kind)))
		return NULL;
	for (uint64_t i = 0; i < len; i++) {
		uint32_t cp;

		if (kind == 1)
			cp = raw[i];
		else if (kind == 2)
			cp = (uint32_t)raw[2 * i] | (uint32_t)raw[2 * i + 1] << 8;
		else
			cp = rd_u32(raw, (int64_t)(4 * i));
		if (cp == 0)
			cp = '?';
		n += put_utf8(cp, utf8 + n);
	}
	return strpool_intern(&t->strings, utf8, n);
}

/* Copy a bytes object's payload (the line table). */
static uint8_t *read_bytes(struct py_target *t, uint64_t addr, size_t *out_len)
{
	const struct py_layout *l = &t->layout;
	uint64_t size;
	uint8_t *buf;

	*out_len = 0;
	if (!addr || rd_ptr(t->proc, addr + (uint64_t)l->bytes_size, &size))
		return NULL;
	if (size > MAX_LINETABLE)
		return NULL;
	buf = xmalloc(size ? size : 1);
	if (proc_read(t->proc, addr + (uint64_t)l->bytes_sval, buf, size)) {
		free(buf);
		return NULL;
	}
	*out_len = size;
	return buf;
}

/*
 * Code objects are cached by address, but an address can be reused after a
 * code object is freed (imports and exec() churn through many at start-up).
 * A cached entry is checked against the object's header (type, filename,
 * name and line-table pointers) at most every 10 ms during its first second,
 * when churn is likely, and once a second after that: a stale name lives a
 * second at most (10 ms while young), and a profile pays an extra read per
 * code object per period, not one per frame.
 */
#define CODE_YOUNG_NS 1000000000ull
#define CODE_RECHECK_YOUNG_NS 10000000ull
#define CODE_RECHECK_NS 1000000000ull

static void code_sig(const struct py_layout *l, const uint8_t *buf, uint64_t sig[4])
{
	sig[0] = rd_u64(buf, l->ob_type);
	sig[1] = rd_u64(buf, l->co_filename);
	sig[2] = rd_u64(buf, l->co_qualname != OFF_NONE ? l->co_qualname : l->co_name);
	sig[3] = rd_u64(buf, l->co_linetable);
}

static int code_due(const struct py_target *t, const struct code_entry *c)
{
	return t->now_ns - c->checked_ns >=
	       (t->now_ns - c->created_ns < CODE_YOUNG_NS ?
		CODE_RECHECK_YOUNG_NS : CODE_RECHECK_NS);
}

/* The cached code object at addr; -1 on a torn read. */
static int64_t get_code_entry(struct py_target *t, uint64_t addr)
{
	const struct py_layout *l = &t->layout;
	struct code_entry *c;
	uint8_t buf[512];
	uint64_t sig[4];
	uint32_t idx;
	int cached;

	if ((size_t)l->co_size > sizeof(buf))
		return -1;
	cached = u64map_get(&t->code_index, addr, &idx);
	if (cached) {
		c = &t->codes[idx];
		if (!code_due(t, c))
			return idx;
		if (c->pf_seq == t->seq && c->pf_ok)	/* read ahead */
			memcpy(buf, t->code_pfbuf + (size_t)c->pf_slot * 512,
			       (size_t)l->co_size);
		else if (proc_read(t->proc, addr, buf, (size_t)l->co_size))
			return -1;
	} else if (proc_read(t->proc, addr, buf, (size_t)l->co_size)) {
		return -1;
	}
	code_sig(l, buf, sig);
	if (cached) {
		c = &t->codes[idx];
		if (!memcmp(sig, c->sig, sizeof(sig))) {
			c->checked_ns = t->now_ns;
			return idx;
		}
		/* another object now lives at addr: a new entry replaces it */
	}
	if (t->ncodes == t->acodes) {
		t->acodes = t->acodes ? t->acodes * 2 : 256;
		t->codes = xrealloc(t->codes, t->acodes * sizeof(*t->codes));
	}
	c = &t->codes[t->ncodes];
	memset(c, 0, sizeof(*c));
	c->addr = addr;
	memcpy(c->sig, sig, sizeof(sig));
	c->created_ns = c->checked_ns = t->now_ns;
	c->is_code = !t->code_type || sig[0] == t->code_type;
	if (c->is_code) {
		c->filename = read_str(t, sig[1]);
		c->name = read_str(t, sig[2]);
		if (!c->filename || !c->name)
			return -1;	/* torn: do not cache */
		c->firstlineno = (int32_t)rd_u32(buf, l->co_firstlineno);
		c->lines = read_bytes(t, sig[3], &c->nlines);
	}
	idx = (uint32_t)t->ncodes++;
	u64map_put(&t->code_index, addr, idx);
	return idx;
}

/* get_code_entry(), noting which code objects this sample used so that
 * the next one reads ahead those due for a recheck. */
static int64_t get_code(struct py_target *t, uint64_t addr)
{
	int64_t idx = get_code_entry(t, addr);

	if (idx >= 0 && t->codes[idx].used_seq != t->seq) {
		t->codes[idx].used_seq = t->seq;
		if (t->ncode_used < PF_CODES)
			t->code_used[t->ncode_used++] = (uint32_t)idx;
	}
	return idx;
}

static uint32_t new_frame(struct py_target *t, const struct code_entry *c,
			  int line)
{
	struct py_frame_info *f;

	if (t->nframes == t->aframes) {
		t->aframes = t->aframes ? t->aframes * 2 : 256;
		t->frames = xrealloc(t->frames, t->aframes * sizeof(*t->frames));
	}
	f = &t->frames[t->nframes];
	f->filename = c->filename;
	f->name = c->name;
	f->line = line;
	f->firstlineno = c->firstlineno;
	return t->nframes++;
}

/* Interned frame id for code idx at instruction byte offset addr (-1 when
 * unknown).  Keys are exact: (idx + 1) << 32 | offset. */
static uint32_t intern_frame(struct py_target *t, uint32_t idx, int64_t addr)
{
	const struct code_entry *c = &t->codes[idx];
	uint64_t akey = ((uint64_t)idx + 1) << 32 | (uint32_t)addr;
	uint64_t lkey;
	uint32_t id;
	int line;

	if (u64map_get(&t->frame_by_addr, akey, &id))
		return id;
	if (!t->opt.with_lines || addr < 0 || !c->lines)
		line = t->opt.with_lines ? c->firstlineno : 0;
	else
		line = linetable_addr2line(t->layout.lines_kind, c->lines,
					   c->nlines, c->firstlineno, (int)addr);
	if (line < 0)
		line = 0;
	lkey = ((uint64_t)idx + 1) << 32 | (uint32_t)line;
	if (!u64map_get(&t->frame_by_line, lkey, &id)) {
		id = new_frame(t, c, line);
		u64map_put(&t->frame_by_line, lkey, id);
	}
	u64map_put(&t->frame_by_addr, akey, id);
	return id;
}

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
#define WALK_WINDOWS 3			/* windows kept per walk */

struct walk_window {
	uint64_t base;			/* 0 when empty */
	size_t len;
	uint8_t used;			/* the walk needed it this sample */
	uint8_t pf_ok;			/* read ahead this sample */
	uint8_t buf[WALK_PAGES * 4096];
};

struct stack_walk {
	struct py_thread_sample *th;
	pid_t tid;			/* whose stack it walked last */
	uint64_t thread_id;
	uint64_t next;			/* address to read next: the frame, or
					   (cframe_pending) the _PyCFrame field */
	uint64_t base_frame;
	int cframe_pending, done, depth, max;
	struct walk_window win[WALK_WINDOWS];
	int victim;			/* window the next fetch fills, when
					   all are in use */
	uint64_t seen[PY_MAX_DEPTH];
};

static const uint8_t *window_find(struct stack_walk *w, uint64_t addr, size_t len)
{
	for (int i = 0; i < WALK_WINDOWS; i++) {
		struct walk_window *win = &w->win[i];

		if (win->base && addr >= win->base && addr + len <= win->base + win->len &&
		    addr + len > addr) {
			win->used = 1;
			return win->buf + (addr - win->base);
		}
	}
	return NULL;
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
		    (l->skip_kind == PY_SKIP_OWNER_GE && owner >= l->skip_owner))
			goto next;
	}
	code = rd_u64(fb, l->fr_code) & l->code_ptr_mask;
	if (!code)
		goto next;
	idx = get_code(t, code);
	if (idx < 0) {
		th->incomplete = 1;
		return 1;
	}
	if (t->codes[idx].is_code) {
		if (th->nframes == w->max) {
			th->incomplete = 1;
			return 1;
		}
		th->frames[th->nframes++] = intern_frame(t, (uint32_t)idx,
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
		if (w->cframe_pending) {
			if (!(p = window_find(w, w->next, 8))) {
				*len = 8;
				return 1;
			}
			w->cframe_pending = 0;
			w->next = rd_u64(p, 0);
			continue;
		}
		if (!w->next || w->next == w->base_frame) {
			w->done = 1;
			return 0;
		}
		for (int i = 0; i < w->depth; i++) {
			if (w->seen[i] == w->next) {	/* a cycle */
				w->th->incomplete = 1;
				w->done = 1;
				return 0;
			}
		}
		if (w->depth == PY_MAX_DEPTH) {
			w->th->incomplete = 1;
			w->done = 1;
			return 0;
		}
		if (!(p = window_find(w, w->next, (size_t)l->fr_size))) {
			*len = (size_t)l->fr_size;
			return 1;
		}
		w->seen[w->depth++] = w->next;
		if (walk_frame(t, w, p))
			w->done = 1;
	}
}

/* The window a walk's next fetch fills: an empty one, else one this
 * sample has not needed, else the oldest. */
static int pick_window(struct stack_walk *w)
{
	int k;

	for (k = 0; k < WALK_WINDOWS; k++)
		if (!w->win[k].base)
			return k;
	for (k = 0; k < WALK_WINDOWS; k++)
		if (!w->win[k].used)
			return k;
	k = w->victim;
	w->victim = (w->victim + 1) % WALK_WINDOWS;
	return k;
}

void pyt_walk_prefetch(struct py_target *t, struct pf_set *pf)
{
	const struct py_layout *l = &t->layout;
	int slot = 0;

	for (size_t i = 0; i < t->nwalks_last; i++) {
		const struct stack_walk *w = &t->walks[i];
		int skip = 0;

		for (size_t j = 0; j < t->nthreads; j++)
			if (t->threads[j].tid == w->tid &&
			    t->threads[j].thread_id == w->thread_id)
				skip = t->threads[j].stack_reuse;
		for (int k = 0; k < WALK_WINDOWS; k++) {
			struct walk_window *win = &t->walks[i].win[k];

			if (skip) {	/* its stack is kept, not read */
				win->pf_ok = 0;
				continue;
			}
			if (win->base && win->used)
				pf_add(pf, win->buf, win->base, win->len, &win->pf_ok);
			else
				win->pf_ok = 0;
		}
	}
	if ((size_t)l->co_size <= 512) {
		if (!t->code_pfbuf)
			t->code_pfbuf = xmalloc((size_t)PF_CODES * 512);
		for (int j = 0; j < t->ncode_used; j++) {
			struct code_entry *c = &t->codes[t->code_used[j]];

			if (!code_due(t, c))
				continue;
			c->pf_slot = slot;
			c->pf_seq = t->seq;
			pf_add(pf, t->code_pfbuf + (size_t)slot++ * 512, c->addr,
			       (size_t)l->co_size, &c->pf_ok);
		}
	}
	t->ncode_used = 0;
}

int pyt_walk_stacks(struct py_target *t, struct py_sample *s,
		    const uint8_t *const *tsbufs, struct pf_set *extra,
		    const uint8_t *reuse)
{
	const struct py_layout *l = &t->layout;
	static __thread struct iovec local[PY_MAX_THREADS + PF_MAX],
				     remote[PY_MAX_THREADS + PF_MAX];
	static __thread uint8_t ok[PY_MAX_THREADS + PF_MAX];
	static __thread struct stack_walk *need[PY_MAX_THREADS];
	static __thread int need_win[PY_MAX_THREADS];
	int n = s->nthreads, rounds = 0, extra_read = 0;

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
		th->frames = s->pool + (size_t)i * PY_MAX_DEPTH;
		th->nframes = 0;
		w->max = PY_MAX_DEPTH;
		w->depth = 0;
		w->done = (size_t)l->fr_size > 4096;
		w->tid = th->tid;
		w->thread_id = th->thread_id;
		if (reuse && reuse[i]) {
			const struct thread_entry *e =
				pyt_thread_entry(t, th->tid, th->thread_id);

			memcpy(th->frames, e->frames,
			       (size_t)e->nframes * sizeof(*th->frames));
			th->nframes = e->nframes;
			w->done = 1;
			/* windows untouched: unread this sample, they are
			 * neither used nor trusted (pf_ok stays 0) */
			for (int k = 0; k < WALK_WINDOWS; k++)
				w->win[k].pf_ok = 0;
			continue;
		}
		/* windows read ahead by this sample stay; the rest are stale */
		for (int k = 0; k < WALK_WINDOWS; k++) {
			if ((size_t)i >= t->nwalks_last || !w->win[k].pf_ok)
				w->win[k].base = 0;
			w->win[k].pf_ok = 0;
			w->win[k].used = 0;
		}
		w->next = rd_u64(tsbufs[i], l->ts_frame);
		w->cframe_pending = l->frame_kind == PY_FRAME_CFRAME && w->next;
		if (w->cframe_pending)
			w->next += (uint64_t)l->cframe_current;
		w->base_frame = l->ts_base_frame != OFF_NONE ?
				th->tstate + (uint64_t)l->ts_base_frame : 0;
	}
	for (size_t i = (size_t)n; i < t->nwalks_last; i++)
		for (int k = 0; k < WALK_WINDOWS; k++)
			t->walks[i].win[k].base = 0;
	t->nwalks_last = (size_t)n;
	/* Every round fetches a frame for each unfinished walk or ends it,
	 * so PY_MAX_DEPTH + 2 rounds bound the loop whatever memory says. */
	while (rounds++ <= PY_MAX_DEPTH + 1) {
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
				w->done = 1;
				continue;
			}
			k = pick_window(w);
			win = &w->win[k];
			win->base = 0;
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
		if (extra && !extra_read) {
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
				w->done = 1;
				continue;
			}
			win->base = (uint64_t)(uintptr_t)remote[k].iov_base;
			win->used = 1;
		}
		if (extra && !extra_read) {
			for (size_t k = 0; k < extra->n; k++)
				*extra->okp[k] = ok[nneed + k];
			extra_read = 1;
		}
	}
	for (int i = 0; i < n; i++)
		if (!t->walks[i].done)
			s->threads[i].incomplete = 1;
	return extra_read;
}

/* glibc's struct pthread keeps the kernel tid at this offset on x86-64
 * (nptl/descr.h, checked on glibc 2.36); other libcs are found by scan. */
#define GLIBC_PTHREAD_TID_OFF 720

static int task_exists(pid_t pid, pid_t tid)
{
	char path[64];

	if (tid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)pid, (int)tid);
	return access(path, F_OK) == 0;
}

pid_t pyt_native_tid(struct py_target *t, const uint8_t *ts)
{
	const struct py_layout *l = &t->layout;
	uint64_t pthread = rd_u64(ts, l->ts_thread_id);
	uint8_t buf[1024];
	int32_t v;

	if (l->ts_native_thread_id != OFF_NONE)
		return (pid_t)rd_u64(ts, l->ts_native_thread_id);
	/* <=3.10: the tstate only has pthread_self(); read the tid from the
	 * C library's thread descriptor it points to. */
	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].thread_id == pthread && t->threads[i].tid)
			return t->threads[i].tid;
	if (!pthread || proc_read(t->proc, pthread, buf, sizeof(buf)))
		return 0;
	if (t->pthread_tid_off >= 0) {
		v = (int32_t)rd_u32(buf, t->pthread_tid_off);
		if (task_exists(t->proc->pid, v))
			return v;
	}
	v = (int32_t)rd_u32(buf, GLIBC_PTHREAD_TID_OFF);
	if (task_exists(t->proc->pid, v)) {
		t->pthread_tid_off = GLIBC_PTHREAD_TID_OFF;
		return v;
	}
	for (int off = 0; off + 4 <= (int)sizeof(buf); off += 4) {
		v = (int32_t)rd_u32(buf, off);
		if (v > 1 && v < (1 << 22) && task_exists(t->proc->pid, v)) {
			t->pthread_tid_off = off;
			return v;
		}
	}
	return 0;
}

struct thread_entry *pyt_thread_entry(struct py_target *t, pid_t tid,
				      uint64_t thread_id)
{
	struct thread_entry *e;

	for (size_t i = 0; i < t->nthreads; i++) {
		e = &t->threads[i];
		if (e->tid == tid && e->thread_id == thread_id) {
			e->last_seen = t->seq;
			return e;
		}
	}
	/* Forget threads gone for a while, so the table stays small. */
	for (size_t i = 0; i < t->nthreads;) {
		if (t->seq - t->threads[i].last_seen > 64) {
			proc_task_release(&t->threads[i].task);
			free(t->threads[i].frames);
			t->threads[i] = t->threads[--t->nthreads];
		} else {
			i++;
		}
	}
	if (t->nthreads == t->athreads) {
		t->athreads = t->athreads ? t->athreads * 2 : 16;
		t->threads = xrealloc(t->threads, t->athreads * sizeof(*t->threads));
	}
	e = &t->threads[t->nthreads++];
	memset(e, 0, sizeof(*e));
	e->tid = tid;
	e->thread_id = thread_id;
	e->last_seen = t->seq;
	proc_task_init(&e->task, t->proc->pid, tid);
	return e;
}

/* Threads may rename themselves: a name is looked up when a thread is
 * first named, then again at most this often. */
/* A Python name is looked up again after a second (threads are renamed);
 * an OS name stands in until threading has registered the thread, which
 * is tried again sooner. */
#define NAME_REFRESH_NS 1000000000ull
#define NAME_RETRY_NS 50000000ull

const char *pyt_thread_name(struct py_target *t, pid_t tid, uint64_t thread_id)
{
	struct thread_entry *e = NULL;
	struct proc_task_state st;
	const char *name;
	uint64_t now = now_ns();

	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].tid == tid && t->threads[i].thread_id == thread_id)
			e = &t->threads[i];
	if (e && e->name && now - e->name_ns <
	    (e->name_is_python ? NAME_REFRESH_NS : NAME_RETRY_NS))
		return e->name;
	if (!e) {
		if (!tid)
			return "?";
		e = pyt_thread_entry(t, tid, thread_id);
	}
	e->name_ns = now;
	name = pyt_python_thread_name(t, thread_id);
	if (name) {
		e->name = name;
		e->name_is_python = 1;
	} else if (!e->name && proc_task_read(&e->task, 0, &st) == GS_OK) {
		e->name = strpool_intern(&t->strings, st.comm, strlen(st.comm));
	}
	return e->name ? e->name : "?";
}
