/*
 * pprof_wire.c - strings, packing and gzip for the pprof renderer
 * (pprof_wire.h).
 */
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "gilspy/hashmap.h"
#include "pprof_wire.h"

#define PENDING_MAX 65536

static void *z_alloc(void *opaque, unsigned items, unsigned size)
{
	(void)opaque;
	return xcalloc(items, size);	/* never fails: aborts like xmalloc */
}

static void z_free(void *opaque, void *ptr)
{
	(void)opaque;
	free(ptr);
}

static void gz_write(struct pprof_wire *w, const void *data, size_t len,
		     int flush)
{
	do {
		size_t chunk = len > (1u << 30) ? (1u << 30) : len;

		w->z.next_in = (unsigned char *)(uintptr_t)data;
		w->z.avail_in = (unsigned)chunk;
		do {
			sb_grow(w->out, 65536);
			w->z.next_out = (unsigned char *)w->out->buf +
					w->out->len;
			w->z.avail_out = 65536;
			deflate(&w->z, chunk == len ? flush : Z_NO_FLUSH);
			w->out->len += 65536 - w->z.avail_out;
		} while (w->z.avail_out == 0);
		data = (const char *)data + chunk;
		len -= chunk;
	} while (len);
	w->out->buf[w->out->len] = '\0';
}

/* protobuf-c writes through this: straight into the gzip stream. */
struct gz_buffer {
	ProtobufCBuffer base;
	struct pprof_wire *w;
};

static void gz_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
	struct pprof_wire *w = ((struct gz_buffer *)b)->w;

	sb_add(&w->pending, data, len);
	if (w->pending.len >= PENDING_MAX) {
		gz_write(w, w->pending.buf, w->pending.len, Z_NO_FLUSH);
		sb_reset(&w->pending);
	}
}

void pprof_pack(struct pprof_wire *w, const pb_profile *msg)
{
	struct gz_buffer b = { { gz_append }, w };

	perftools__profiles__profile__pack_to_buffer(msg, &b.base);
}

void pprof_wire_init(struct pprof_wire *w, struct strbuf *out)
{
	memset(w, 0, sizeof(*w));
	sb_init(&w->clean);
	w->out = out;
	/* zlib's own gzip header: no name, mtime 0, so the bytes are
	 * reproducible */
	w->z.zalloc = z_alloc;
	w->z.zfree = z_free;
	deflateInit2(&w->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
		     Z_DEFAULT_STRATEGY);
	pprof_str(w, "");
}

void pprof_wire_finish(struct pprof_wire *w)
{
	size_t i;

	gz_write(w, w->pending.buf ? w->pending.buf : "", w->pending.len,
		 Z_FINISH);
	deflateEnd(&w->z);
	sb_release(&w->pending);
	for (i = 0; i < w->n; i++)
		free(w->s[i]);
	free(w->s);
	free(w->slots);
	sb_release(&w->clean);
}

/* --- strings ------------------------------------------------------------ */

static void strtab_grow(struct pprof_wire *w)
{
	size_t cap = w->cap ? w->cap * 2 : 1024, i;

	free(w->slots);
	w->slots = xcalloc(cap, sizeof(*w->slots));
	w->cap = cap;
	for (i = 0; i < w->n; i++) {
		size_t h = (size_t)hash_bytes(w->s[i], strlen(w->s[i]));

		while (w->slots[h & (cap - 1)])
			h++;
		w->slots[h & (cap - 1)] = (uint32_t)(i + 1);
	}
}

static const char *utf8_clean(struct strbuf *sb, const char *s)
{
	const unsigned char *q = (const unsigned char *)s;

	sb_grow(sb, 1);
	sb_reset(sb);
	while (*q) {
		size_t n = utf8_seq(q);

		if (n) {
			sb_add(sb, q, n);
			q += n;
		} else {
			sb_adds(sb, "\xef\xbf\xbd");
			q++;
		}
	}
	return sb->buf;
}

int64_t pprof_str(struct pprof_wire *w, const char *raw)
{
	const char *s = utf8_clean(&w->clean, raw ? raw : "");
	size_t len = strlen(s), h;

	if ((w->n + 1) * 2 > w->cap)
		strtab_grow(w);
	for (h = (size_t)hash_bytes(s, len);; h++) {
		uint32_t v = w->slots[h & (w->cap - 1)];

		if (!v)
			break;
		if (!strcmp(w->s[v - 1], s))
			return v - 1;
	}
	if (w->n == w->alloc) {
		w->alloc = w->alloc ? w->alloc * 2 : 256;
		w->s = xrealloc(w->s, w->alloc * sizeof(*w->s));
	}
	w->s[w->n] = xstrdup(s);
	w->slots[h & (w->cap - 1)] = (uint32_t)(w->n + 1);
	return (int64_t)w->n++;
}
