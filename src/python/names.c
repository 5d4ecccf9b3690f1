/*
 * names.c - the Python name of a thread (threading.Thread.name), read from
 * the target's memory.
 *
 * The path, for each interpreter:
 *   interp -> sys.modules (a dict) -> "threading" (a module) -> its md_dict
 *   -> "_active" (a dict: int ident -> Thread) -> the Thread whose key is
 *   the tstate's thread_id (pthread_self(), what threading.get_ident()
 *   returns) -> its "_name" attribute (a str).
 * Every version difference (dict tables, int digits, where instances keep
 * their attributes) is a field of struct py_layout; this file only follows
 * pointers.
 *
 * The memory is untrusted: every object's type is checked against the
 * target's PyDict_Type / PyLong_Type / PyUnicode_Type / PyModule_Type when
 * the binary exports them, every count and size is bounded, and any failed
 * check gives NULL (the caller falls back to the OS name).  Where _active
 * lives is cached per interpreter (it is a module global, created once);
 * a cached address that no longer holds a dict is looked up again.
 */
#include <string.h>

#include "gilspy/util.h"
#include "internal.h"

/* 3.11+ Include/object.h type flags. */
#define TPFLAGS_INLINE_VALUES (1ul << 2)	/* 3.13+ */
#define TPFLAGS_MANAGED_DICT (1ul << 4)
#define TPFLAGS_HEAPTYPE (1ul << 9)

#define MAX_DICT_ENTRIES (1u << 16)	/* sys.modules rarely passes 10^4 */
#define MAX_DICT_LOG2 24
#define ENTRY_CHUNK 64			/* entries per read */
#define MAX_KEY_LEN 64			/* longest key we look for */
#define MAX_LONG_DIGITS 3		/* 3 * 30 bits >= a 64-bit ident */
#define MAX_TYPE_READ 2048
/* Re-look for a missing threading._active after this long, doubling up to
 * the maximum: soon after a launched command starts, threading appears
 * within milliseconds, and its first threads should get their names; a
 * program that never imports threading costs a search a second. */
#define ACTIVE_RETRY_MIN_NS 50000000ull
#define ACTIVE_RETRY_MAX_NS 1000000000ull

/* Python's int hash is the value mod 2**61 - 1 (Python/pyhash.c,
 * _PyHASH_MODULUS, 64-bit builds, 3.6-3.15). */
#define HASH_MODULUS ((1ull << 61) - 1)

/* One dict's entries, ready to iterate. */
struct dict_view {
	uint64_t entries;	/* address of entry 0 */
	uint64_t values;	/* address of values[0] for split tables, or 0 */
	uint64_t n;		/* entries in use, bounded */
	size_t esize;		/* 24 {hash, key, value} or 16 {key, value} */
	int has_hash;
};

static void find_types(struct py_target *t)
{
	struct pyname_cache *c = &t->names;

	if (c->have_types)
		return;
	c->dict_type = elf_symbol(t->elf, "PyDict_Type", NULL);
	c->long_type = elf_symbol(t->elf, "PyLong_Type", NULL);
	c->str_type = elf_symbol(t->elf, "PyUnicode_Type", NULL);
	c->module_type = elf_symbol(t->elf, "PyModule_Type", NULL);
	c->have_types = 1;
}

/* Is obj an object of exactly type (when type is known)? */
static int has_type(struct py_target *t, uint64_t obj, uint64_t type)
{
	uint64_t ob_type;

	if (!obj || (obj & 7))
		return 0;
	if (!type)
		return 1;
	if (rd_ptr(t->proc, obj + (uint64_t)t->layout.ob_type, &ob_type))
		return 0;
	return ob_type == type;
}

/* A PyDictKeysObject's entries: where they start, their size, how many.
 * 0 on success. */
static int keys_view(struct py_target *t, uint64_t keys, struct dict_view *v)
{
	const struct py_layout *l = &t->layout;
	uint8_t hdr[64];
	uint64_t size, nentries, index_bytes;

	if (!keys || (keys & 7) || (size_t)l->dk_indices > sizeof(hdr) ||
	    proc_read(t->proc, keys, hdr, (size_t)l->dk_indices))
		return -1;
	nentries = rd_u64(hdr, l->dk_nentries);
	if (l->dict_kind == PY_DICT_SIZE) {
		/* 3.6-3.10 Objects/dict-common.h: dk_size indices of 1, 2, 4
		 * or 8 bytes, then PyDictKeyEntry {hash, key, value}. */
		size = rd_u64(hdr, l->dk_size);
		if (size < 8 || size > (1ull << MAX_DICT_LOG2) ||
		    (size & (size - 1)))
			return -1;
		index_bytes = size * (size <= 0xff ? 1 : size <= 0xffff ? 2 : 4);
		v->esize = 24;
		v->has_hash = 1;
	} else {
		/* 3.11+ Include/internal/pycore_dict.h: 1 << log2_index_bytes
		 * bytes of indices, then PyDictKeyEntry (DICT_KEYS_GENERAL,
		 * 0) or PyDictUnicodeEntry {key, value} (UNICODE 1, SPLIT 2). */
		unsigned log2 = hdr[l->dk_size];
		unsigned log2_ix = hdr[l->dk_log2_index_bytes];
		unsigned kind = hdr[l->dk_kind];

		if (log2 < 3 || log2 > MAX_DICT_LOG2 || log2_ix < log2 ||
		    log2_ix > log2 + 3 || kind > 2)
			return -1;
		size = 1ull << log2;
		index_bytes = 1ull << log2_ix;
		v->esize = kind == 0 ? 24 : 16;
		v->has_hash = kind == 0;
	}
	/* USABLE_FRACTION is 2/3 of the size; never more entries than that */
	if (nentries > size || nentries > MAX_DICT_ENTRIES)
		return -1;
	v->entries = keys + (uint64_t)l->dk_indices + index_bytes;
	v->n = nentries;
	v->values = 0;
	return 0;
}

/* The view of a dict object, split tables included.  0 on success. */
static int dict_view(struct py_target *t, uint64_t dict, struct dict_view *v)
{
	const struct py_layout *l = &t->layout;
	uint64_t keys, values;

	if (!has_type(t, dict, t->names.dict_type) ||
	    rd_ptr(t->proc, dict + (uint64_t)l->dict_keys, &keys) ||
	    rd_ptr(t->proc, dict + (uint64_t)l->dict_values, &values) ||
	    keys_view(t, keys, v))
		return -1;
	if (values)
		v->values = values + (uint64_t)l->dv_values;
	return 0;
}

/* Decides whether a dict key is the one wanted: 1 yes, 0 no. */
typedef int (*key_match_fn)(struct py_target *t, uint64_t hash, uint64_t key,
			    void *arg);

/*
 * The value under the first key match() accepts, or 0.  Entries are read
 * ENTRY_CHUNK at a time (and the split values alongside); deleted slots
 * (NULL key or value) are skipped.
 */
static uint64_t dict_find(struct py_target *t, const struct dict_view *v,
			  key_match_fn match, void *arg)
{
	uint8_t eb[ENTRY_CHUNK * 24];
	uint64_t vb[ENTRY_CHUNK];

	for (uint64_t i = 0; i < v->n; i += ENTRY_CHUNK) {
		size_t n = v->n - i < ENTRY_CHUNK ? (size_t)(v->n - i) : ENTRY_CHUNK;

		if (proc_read(t->proc, v->entries + i * v->esize, eb,
			      n * v->esize))
			return 0;
		if (v->values &&
		    proc_read(t->proc, v->values + i * 8, vb, n * 8))
			return 0;
		for (size_t j = 0; j < n; j++) {
			const uint8_t *e = eb + j * v->esize;
			int64_t koff = v->has_hash ? 8 : 0;
			uint64_t hash = v->has_hash ? rd_u64(e, 0) : 0;
			uint64_t key = rd_u64(e, koff);
			uint64_t val = v->values ? vb[j] : rd_u64(e, koff + 8);

			if (key && val && match(t, hash, key, arg))
				return val;
		}
	}
	return 0;
}

/* Key match for an ASCII str key, by content (one read per key).  The
 * address of a key found is remembered in *cache: the names we look for
 * are interned by the target, so later lookups match by address first. */
struct str_key {
	const char *s;
	size_t len;
	uint64_t *cache;
	int by_addr;		/* pass 1: addresses only */
};

static int match_str(struct py_target *t, uint64_t hash, uint64_t key,
		     void *arg)
{
	const struct py_layout *l = &t->layout;
	struct str_key *k = arg;
	uint8_t buf[128 + MAX_KEY_LEN];
	uint32_t state;

	(void)hash;
	if (k->by_addr)
		return *k->cache && key == *k->cache;
	if ((size_t)l->unicode_ascii_size + k->len > sizeof(buf) ||
	    proc_read(t->proc, key, buf, (size_t)l->unicode_ascii_size + k->len))
		return 0;
	if (t->names.str_type && rd_u64(buf, l->ob_type) != t->names.str_type)
		return 0;
	/* PyASCIIObject.state: interned:2 kind:3 compact:1 ascii:1 */
	state = rd_u32(buf, l->unicode_state);
	if (!((state >> 5) & 1) || !((state >> 6) & 1) ||
	    rd_u64(buf, l->unicode_length) != k->len ||
	    memcmp(buf + l->unicode_ascii_size, k->s, k->len))
		return 0;
	*k->cache = key;
	return 1;
}

/* The value of the str key s in a dict view, or 0. */
static uint64_t find_str(struct py_target *t, const struct dict_view *v,
			 const char *s, uint64_t *cache)
{
	struct str_key k = { s, strlen(s), cache, 1 };
	uint64_t val = 0;

	if (*cache)
		val = dict_find(t, v, match_str, &k);
	if (!val) {
		k.by_addr = 0;
		val = dict_find(t, v, match_str, &k);
	}
	return val;
}

/* An int object's value if it is a non-negative int below 2**64; -1 if
 * not (or unreadable). */
static int read_ident(struct py_target *t, uint64_t obj, uint64_t *out)
{
	const struct py_layout *l = &t->layout;
	uint8_t buf[64];
	uint64_t tag, ndigits, v = 0;

	if ((size_t)l->long_digits + 4 * MAX_LONG_DIGITS > sizeof(buf) ||
	    !obj || proc_read(t->proc, obj, buf,
			      (size_t)l->long_digits + 4 * MAX_LONG_DIGITS))
		return -1;
	if (t->names.long_type && rd_u64(buf, l->ob_type) != t->names.long_type)
		return -1;
	tag = rd_u64(buf, l->long_size);
	if (l->long_kind == PY_LONG_OB_SIZE) {
		/* <=3.11 Include/cpython/longintrepr.h: ob_size is the
		 * digit count, negative for negative numbers */
		if ((int64_t)tag < 0)
			return -1;
		ndigits = tag;
	} else {
		/* 3.12+: sign in the low 2 bits (0 positive, 1 zero,
		 * 2 negative), the digit count above _PyLong_NON_SIZE_BITS */
		if ((tag & 3) == 2)
			return -1;
		ndigits = (tag & 3) == 1 ? 0 : tag >> 3;
	}
	if (ndigits > MAX_LONG_DIGITS)
		return -1;
	for (uint64_t i = ndigits; i-- > 0;) {
		uint32_t d = rd_u32(buf, l->long_digits + (int64_t)(4 * i)) &
			     0x3fffffff;

		if (i == 2 && d >= 16)
			return -1;	/* does not fit in 64 bits */
		v = v << 30 | d;
	}
	*out = v;
	return 0;
}

static int match_ident(struct py_target *t, uint64_t hash, uint64_t key,
		       void *arg)
{
	uint64_t want = *(uint64_t *)arg, got;

	/* int keys sit in hashed (general) tables: skip a read per key */
	if (hash && hash != want % HASH_MODULUS)
		return 0;
	return read_ident(t, key, &got) == 0 && got == want;
}

/* The view of an object's instance attributes (its __dict__, or values
 * shared with its type's cached keys).  0 on success. */
static int attrs_view(struct py_target *t, uint64_t obj, struct dict_view *v)
{
	const struct py_layout *l = &t->layout;
	uint8_t tb[MAX_TYPE_READ];
	uint64_t type, flags, dict = 0, values = 0, p;
	int64_t want, dictoff, basicsize;

	if (!obj || (obj & 7) ||
	    rd_ptr(t->proc, obj + (uint64_t)l->ob_type, &type) || !type)
		return -1;
	want = l->ht_cached_keys;
	if (l->tp_flags > want)
		want = l->tp_flags;
	if (l->tp_basicsize > want)
		want = l->tp_basicsize;
	if (l->tp_dictoffset > want)
		want = l->tp_dictoffset;
	if (want < 0 || (size_t)want + 8 > sizeof(tb) ||
	    proc_read(t->proc, type, tb, (size_t)want + 8))
		return -1;
	flags = rd_u64(tb, l->tp_flags);
	dictoff = (int64_t)rd_u64(tb, l->tp_dictoffset);
	basicsize = (int64_t)rd_u64(tb, l->tp_basicsize);
	if (l->attr_kind == PY_ATTR_DICTOFFSET ||
	    !(flags & TPFLAGS_MANAGED_DICT)) {
		/* a plain __dict__ slot; negative offsets are for variable
		 * size objects (int and tuple subclasses): not a Thread */
		if (dictoff <= 0 || dictoff > (1 << 16) ||
		    rd_ptr(t->proc, obj + (uint64_t)dictoff, &dict))
			return -1;
		return dict_view(t, dict, v);
	}
	switch (l->attr_kind) {
	case PY_ATTR_VALUES_PTR:
		if (rd_ptr(t->proc, obj + (uint64_t)l->attr_values, &values))
			return -1;
		if (values)
			values += (uint64_t)l->dv_values;
		else if (rd_ptr(t->proc, obj + (uint64_t)l->attr_dict, &dict))
			return -1;
		break;
	case PY_ATTR_TAGGED:
		if (rd_ptr(t->proc, obj + (uint64_t)l->attr_dict, &p))
			return -1;
		if (p & 1)
			values = p + 1 + (uint64_t)l->dv_values;
		else
			dict = p;
		break;
	case PY_ATTR_INLINE:
		if ((flags & TPFLAGS_INLINE_VALUES) && basicsize >= 16 &&
		    basicsize < (1 << 16)) {
			uint8_t valid;

			p = obj + (uint64_t)basicsize;
			if (proc_read(t->proc, p + (uint64_t)l->dv_valid, &valid, 1))
				return -1;
			if (valid)
				values = p + (uint64_t)l->dv_values;
		}
		if (!values &&
		    rd_ptr(t->proc, obj + (uint64_t)l->attr_dict, &dict))
			return -1;
		break;
	case PY_ATTR_DICTOFFSET:
		return -1;
	}
	if (!values)
		return dict_view(t, dict, v);
	/* values only: the keys are the type's shared ones */
	if (!(flags & TPFLAGS_HEAPTYPE) ||
	    keys_view(t, rd_u64(tb, l->ht_cached_keys), v))
		return -1;
	v->values = values;
	return 0;
}

/* interp's threading._active dict, or 0. */
static uint64_t find_active(struct py_target *t, uint64_t interp)
{
	const struct py_layout *l = &t->layout;
	struct pyname_cache *c = &t->names;
	struct dict_view v;
	uint64_t modules, mod, md;

	if (rd_ptr(t->proc, interp + (uint64_t)l->is_modules, &modules) ||
	    dict_view(t, modules, &v))
		return 0;
	mod = find_str(t, &v, "threading", &c->key_threading);
	if (!has_type(t, mod, c->module_type) ||
	    rd_ptr(t->proc, mod + (uint64_t)l->mod_dict, &md) ||
	    dict_view(t, md, &v))
		return 0;
	return find_str(t, &v, "_active", &c->key_active);
}

/* The cache slot for interp (a new one if needed), or NULL if full. */
static struct pyname_interp *interp_slot(struct py_target *t, uint64_t interp)
{
	struct pyname_cache *c = &t->names;

	for (int i = 0; i < c->ninterp; i++)
		if (c->interp[i].interp == interp)
			return &c->interp[i];
	if (c->ninterp == PYNAME_INTERPS)
		return NULL;
	memset(&c->interp[c->ninterp], 0, sizeof(c->interp[0]));
	c->interp[c->ninterp].interp = interp;
	return &c->interp[c->ninterp++];
}

/* The Thread name for ident in one interpreter, or NULL. */
static const char *name_in(struct py_target *t, uint64_t interp,
			   uint64_t ident)
{
	struct pyname_interp *s = interp_slot(t, interp);
	struct dict_view v;
	uint64_t thread, name, now = now_ns();

	if (!s)
		return NULL;
	if (s->active && dict_view(t, s->active, &v))
		s->active = 0;		/* stale: look it up again */
	if (!s->active) {
		if (s->tried_ns && now - s->tried_ns < s->retry_ns)
			return NULL;
		s->tried_ns = now;
		s->active = find_active(t, interp);
		if (!s->active || dict_view(t, s->active, &v)) {
			s->active = 0;
			s->retry_ns = s->retry_ns ? s->retry_ns * 2 :
				ACTIVE_RETRY_MIN_NS;
			if (s->retry_ns > ACTIVE_RETRY_MAX_NS)
				s->retry_ns = ACTIVE_RETRY_MAX_NS;
			return NULL;
		}
		s->retry_ns = 0;
	}
	thread = dict_find(t, &v, match_ident, &ident);
	if (!thread || attrs_view(t, thread, &v))
		return NULL;
	name = find_str(t, &v, "_name", &t->names.key_name);
	if (!has_type(t, name, t->names.str_type))
		return NULL;
	return pystr_read(t, name);
}

const char *pyname_thread(struct py_target *t, uint64_t thread_id)
{
	const struct py_layout *l = &t->layout;
	uint64_t interp, seen[PYNAME_INTERPS];
	int n = 0;

	/* Free-threaded builds move the managed dict and lock dict keys:
	 * not described by the layouts. */
	if (!thread_id || t->free_threaded || l->is_modules <= 0 ||
	    l->dk_indices <= 0)
		return NULL;
	find_types(t);
	if (rd_ptr(t->proc, t->interp_head_addr, &interp))
		return NULL;
	while (interp && n < PYNAME_INTERPS) {
		const char *name;

		for (int i = 0; i < n; i++)
			if (seen[i] == interp)
				return NULL;
		seen[n++] = interp;
		name = name_in(t, interp, thread_id);
		if (name)
			return name;
		if (rd_ptr(t->proc, interp + (uint64_t)l->is_next, &interp))
			return NULL;
	}
	return NULL;
}
