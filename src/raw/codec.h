/*
 * codec.h - the raw format's encoding (internal to src/raw/): the pieces
 * writer.c and reader.c must agree on byte for byte.  The layout itself is
 * described in include/gilspy/raw.h.
 *
 * Encoders append to a strbuf.  Decoders read through a cursor that never
 * runs past its end: a short or malformed field sets c->bad and yields 0,
 * so a record is checked once, after its fields are read.
 */
#ifndef GILSPY_RAW_CODEC_H
#define GILSPY_RAW_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "gilspy/raw.h"

#define FILE_MAGIC "GILSPYRW"
#define BLOCK_MAGIC "GSBK"
#define HEADER_LEN 16
#define BLOCK_HEADER_LEN 16
#define BLOCK_MAX (16u * 1024 * 1024)	/* reader: larger ulen is damage */
#define MAX_STR 4096			/* string length, both ways */

enum rec_type {
	REC_META = 'M',
	REC_THREAD = 'T',
	REC_FRAME = 'F',
	REC_NATIVE = 'N',	/* a native frame with its location */
	REC_OBJECT = 'O',	/* a file mapping native frames are in */
	REC_STACK = 'K',
	REC_SAMPLE = 'S',
	REC_FAILED = 'X',
	REC_END = 'E',
	/* version 2: processes */
	REC_PROC = 'P',		/* index, pid, ppid, cmdline, python, binary,
				   skip reason, stopped ticks */
	REC_WITH = 'W',		/* index: the process of what follows */
	REC_ORDER = 'R',	/* count, indices: record_info.procs */
};

void raw_put_u32le(unsigned char *p, uint32_t v);
uint32_t raw_get_u32le(const unsigned char *p);
void raw_put_varint(struct strbuf *sb, uint64_t v);
uint64_t raw_zigzag(int64_t v);
int64_t raw_unzigzag(uint64_t v);
/* 0 for NULL, else length + 1 and the bytes (cut at MAX_STR). */
void raw_put_str(struct strbuf *sb, const char *s);
/* A double as the varint of its bits; raw_double_bits() undoes it. */
void raw_put_double(struct strbuf *sb, double d);
double raw_double_bits(uint64_t bits);

/* A cursor over one block's records. */
struct raw_cur {
	const unsigned char *p, *end;
	int bad;
};

uint64_t raw_get_varint(struct raw_cur *c);
int raw_get_byte(struct raw_cur *c);

/* --- blocks ---------------------------------------------------------------
 *
 * "GSBK" u32 ulen u32 clen u32 crc32(uncompressed), then clen bytes of zlib
 * data. */

/* Compress records into a block: its header into hdr, its data into *z
 * (grown as needed, *zcap its size), *zlen bytes of it.  0, or -1 when
 * zlib failed (out of memory). */
int raw_block_seal(const struct strbuf *records,
		   unsigned char hdr[BLOCK_HEADER_LEN], unsigned char **z,
		   size_t *zcap, size_t *zlen);

struct raw_block {
	uint32_t ulen, clen, crc;
};

/* The sizes and checksum of the block header at p (BLOCK_HEADER_LEN bytes,
 * magic already checked). */
void raw_block_header(const unsigned char *p, struct raw_block *b);
/* Inflate a block's clen bytes at z and check them against its header:
 * 0 with *out (b->ulen bytes, caller frees), or -1 when the block is
 * damaged (too large, bad data, wrong size or checksum). */
int raw_block_unseal(const struct raw_block *b, const unsigned char *z,
		     unsigned char **out);
/* Offset of the next block magic in d at or after from, or len. */
size_t raw_resync(const unsigned char *d, size_t len, size_t from);

#endif
