/*
 * codec.c - the raw format's bytes (codec.h): little-endian words, LEB128
 * varints, zigzag, strings, and the framing of a compressed block.
 */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "codec.h"

void raw_put_u32le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

uint32_t raw_get_u32le(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

void raw_put_varint(struct strbuf *sb, uint64_t v)
{
	unsigned char b[10];
	int n = 0;

	do {
		b[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	sb_add(sb, b, (size_t)n);
}

uint64_t raw_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

int64_t raw_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void raw_put_str(struct strbuf *sb, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > MAX_STR)
		n = MAX_STR;
	/* 0: absent, else length + 1 */
	raw_put_varint(sb, s ? n + 1 : 0);
	if (n)
		sb_add(sb, s, n);
}

void raw_put_double(struct strbuf *sb, double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	raw_put_varint(sb, bits);
}

double raw_double_bits(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

uint64_t raw_get_varint(struct raw_cur *c)
{
	uint64_t v = 0;
	int shift = 0;

	while (c->p < c->end && shift < 64) {
		unsigned char b = *c->p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	c->bad = 1;
	return 0;
}

int raw_get_byte(struct raw_cur *c)
{
	if (c->p >= c->end) {
		c->bad = 1;
		return 0;
	}
	return *c->p++;
}

/* Offset of the next block magic at or after from, or len. */
size_t raw_resync(const unsigned char *d, size_t len, size_t from)
{
	for (; from + 4 <= len; from++)
		if (!memcmp(d + from, BLOCK_MAGIC, 4))
			return from;
	return len;
}

int raw_block_seal(const struct strbuf *records,
		   unsigned char hdr[BLOCK_HEADER_LEN], unsigned char **z,
		   size_t *zcap, size_t *zlen)
{
	uLongf clen;
	uLong bound = compressBound((uLong)records->len);

	if (*zcap < bound) {
		*zcap = bound;
		*z = xrealloc(*z, *zcap);
	}
	clen = (uLongf)*zcap;
	if (compress2(*z, &clen, (const Bytef *)records->buf,
		      (uLong)records->len, 1) != Z_OK)
		return -1;	/* only out-of-memory makes it fail here */
	memcpy(hdr, BLOCK_MAGIC, 4);
	raw_put_u32le(hdr + 4, (uint32_t)records->len);
	raw_put_u32le(hdr + 8, (uint32_t)clen);
	raw_put_u32le(hdr + 12, (uint32_t)crc32(0, (const Bytef *)records->buf,
						(uInt)records->len));
	*zlen = clen;
	return 0;
}

void raw_block_header(const unsigned char *p, struct raw_block *b)
{
	b->ulen = raw_get_u32le(p + 4);
	b->clen = raw_get_u32le(p + 8);
	b->crc = raw_get_u32le(p + 12);
}

int raw_block_unseal(const struct raw_block *b, const unsigned char *z,
		     unsigned char **out)
{
	unsigned char *u;
	uLongf got = b->ulen;

	*out = NULL;
	if (b->ulen > BLOCK_MAX)
		return -1;
	u = xmalloc(b->ulen ? b->ulen : 1);
	if (uncompress(u, &got, z, b->clen) != Z_OK || got != b->ulen ||
	    (uint32_t)crc32(0, u, (uInt)b->ulen) != b->crc) {
		free(u);
		return -1;
	}
	*out = u;
	return 0;
}
