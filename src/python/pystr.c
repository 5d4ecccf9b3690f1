/*
 * pystr.c - str objects read from the target, as interned UTF-8.
 *
 * A string is bounded to PY_MAX_STR characters; a NUL becomes '?', as does
 * a lone surrogate (e.g. from surrogateescape), so the result is always
 * valid UTF-8 and a C string.
 */
#include "gilspy/util.h"
#include "internal.h"

/*
 * Read a str object (PyASCIIObject / PyCompactUnicodeObject /
 * PyUnicodeObject, Include/cpython/unicodeobject.h) and intern it as UTF-8.
 * state bits (3.6-3.15): interned:2 kind:3 compact:1 ascii:1.
 */
const char *pystr_read(struct py_target *t, uint64_t addr)
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
		if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff))
			cp = '?';
		n += utf8_encode(cp, utf8 + n);
	}
	return strpool_intern(&t->strings, utf8, n);
}
