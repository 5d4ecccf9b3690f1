/*
 * code.c - code objects read from the target, cached by address, and the
 * interned frames (a code object at a line) that samples are made of.
 *
 * (code, instruction) pairs map straight to interned frame ids, so a frame
 * already seen costs two hash lookups and no read.  A line table is copied
 * once per code object, at most 1 MiB of it.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/linetable.h"
#include "gilspy/util.h"
#include "internal.h"

#define MAX_LINETABLE (1u << 20)

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
		c->filename = pystr_read(t, sig[1]);
		c->name = pystr_read(t, sig[2]);
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
int64_t pycode_get(struct py_target *t, uint64_t addr)
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
	f->native = 0;
	f->addr = 0;
	f->object = NULL;
	return t->nframes++;
}

/* Interned frame id for code idx at instruction byte offset addr (-1 when
 * unknown).  Keys are exact: (idx + 1) << 32 | offset. */
uint32_t pycode_frame(struct py_target *t, uint32_t idx, int64_t addr)
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

void pycode_prefetch(struct py_target *t, struct pf_set *pf)
{
	const struct py_layout *l = &t->layout;
	int slot = 0;

	if ((size_t)l->co_size <= 512) {
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
