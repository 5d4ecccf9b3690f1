/*
 * linetable.c - instruction offset to source line for the three CPython
 * line-table formats.
 *
 * The tables come from another process and may be torn or hostile, so:
 * every loop advances through tab and stops at len; positions and lines
 * are kept in int64_t and lines are clamped after each step, so no
 * arithmetic can overflow; and a line that ends up outside [0, INT_MAX]
 * is reported as -1 ("no line").  The result is therefore always -1 or a
 * value in [0, INT_MAX].
 *
 * Beyond what linetable.h says:
 *  - addr < 0 gives firstlineno, as PyCode_Addr2Line does.
 *  - "Past the end" (firstlineno) applies to the 3.10 and 3.11+ formats,
 *    whose entries cover explicit address ranges; CPython itself returns -1
 *    there.  co_lnotab only lists where lines start, so its last line
 *    extends to any larger addr, exactly as in CPython <= 3.9.
 *  - A firstlineno outside [0, INT_MAX] is treated like any other
 *    out-of-range line: -1.
 */
#include <limits.h>

#include "gilspy/linetable.h"

/* Far beyond any real line, far below int64_t overflow: one step adds at
 * most 2^32 (a capped varint), so clamping after each step keeps every
 * sum in range whatever the table length. */
#define LINE_CLAMP ((int64_t)1 << 40)

static int64_t line_add(int64_t line, int64_t delta)
{
	line += delta;
	if (line > LINE_CLAMP)
		return LINE_CLAMP;
	if (line < -LINE_CLAMP)
		return -LINE_CLAMP;
	return line;
}

static int line_result(int64_t line)
{
	return line < 0 || line > INT_MAX ? -1 : (int)line;
}

/* A byte read as a two's-complement int8, without implementation-defined
 * conversions. */
static int s8(uint8_t b)
{
	return b < 128 ? b : (int)b - 256;
}

/*
 * co_lnotab, CPython 3.6-3.9 (Objects/lnotab_notes.txt): pairs of
 * (address delta u8, line delta s8).  Each pair says "from this address on,
 * the line changes by this much".  Line deltas have been signed since 3.6,
 * although the 3.6 and 3.7 compilers only ever emit non-negative ones.
 * A trailing odd byte is ignored.
 */
static int lnotab_addr2line(const uint8_t *tab, size_t len, int64_t line,
			    int addr)
{
	int64_t pc = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		pc += tab[i];
		if (pc > addr)
			break;
		line = line_add(line, s8(tab[i + 1]));
	}
	return line_result(line);
}

/*
 * co_linetable, CPython 3.10 (PEP 626, Objects/lnotab_notes.txt of 3.10):
 * pairs of (range length in bytes u8, line delta s8).  Each pair covers
 * [end, end + length) with the running line; a delta of -128 means "no
 * line" and leaves the running line alone.  Zero-length pairs only move
 * the running line (used for deltas beyond +-127).
 */
static int linetable_310_addr2line(const uint8_t *tab, size_t len,
				   int64_t first, int addr)
{
	int64_t end = 0, line = first;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		int ldelta = s8(tab[i + 1]);

		end += tab[i];
		if (ldelta != -128)
			line = line_add(line, ldelta);
		/* earlier ranges all ended at or before addr */
		if (addr < end)
			return ldelta == -128 ? -1 : line_result(line);
	}
	return line_result(first);
}

/*
 * The 3.11+ location table (Objects/locations.md): an entry starts with a
 * byte with the high bit set; bits 3-6 are the code, bits 0-2 the length
 * in code units minus one.  Codes 0-9 ("short") and 10-12 ("one line") are
 * followed by column bytes and move the line by 0 and code-10; 13 ("no
 * columns") and 14 ("long") start with a signed varint line delta; 15 is
 * "no location" and leaves the running line alone.
 */
enum {
	LOC_ONE_LINE0 = 10,
	LOC_NO_COLUMNS = 13,
	LOC_LONG = 14,
	LOC_NONE = 15,
};

/* Unsigned varint at tab[i]: 6-bit chunks, least significant first, 0x40
 * meaning "more follows".  A 32-bit value needs at most 6 chunks, so no
 * more are read: a hostile run of continuation bytes must not make every
 * entry scan to the end of the table (quadratic time).  A varint cut off by
 * len ends there. */
#define LOC_VARINT_MAX 6

static uint32_t loc_varint(const uint8_t *tab, size_t len, size_t i)
{
	uint32_t val = 0;
	unsigned int shift = 0;

	for (int n = 0; n < LOC_VARINT_MAX && i < len; n++) {
		uint8_t b = tab[i++];

		if (shift < 32)
			val |= (uint32_t)(b & 63) << shift;
		if (!(b & 64))
			break;
		shift += 6;
	}
	return val;
}

/* Signed varint: the magnitude shifted left by one, the sign in bit 0. */
static int64_t loc_svarint(const uint8_t *tab, size_t len, size_t i)
{
	uint32_t u = loc_varint(tab, len, i);
	int64_t mag = (int64_t)(u >> 1);

	return u & 1 ? -mag : mag;
}

static int locations_addr2line(const uint8_t *tab, size_t len,
			       int64_t first, int addr)
{
	int64_t end = 0, line = first;
	size_t i = 0;

	while (i < len) {
		uint8_t b = tab[i];
		int code = (b >> 3) & 15;

		end += ((b & 7) + 1) * 2;
		if (code == LOC_NO_COLUMNS || code == LOC_LONG)
			line = line_add(line, loc_svarint(tab, len, i + 1));
		else if (code >= LOC_ONE_LINE0 && code < LOC_NO_COLUMNS)
			line = line_add(line, code - LOC_ONE_LINE0);
		if (addr < end)
			/* CPython tests the whole byte, so only a proper
			 * header (high bit set) can mean "no location" */
			return (b >> 3) == (0x10 | LOC_NONE) ? -1
							    : line_result(line);
		/* Entries are found by their header bit, as CPython does,
		 * not by decoding the fields: a malformed entry cannot
		 * desynchronise the ones after it. */
		do
			i++;
		while (i < len && !(tab[i] & 0x80));
	}
	return line_result(first);
}

int linetable_addr2line(enum py_lines_kind kind, const uint8_t *tab,
			size_t len, int firstlineno, int addr)
{
	if (!tab)
		len = 0;
	if (addr < 0)
		return line_result(firstlineno);
	switch (kind) {
	case PY_LINES_LNOTAB:
		return lnotab_addr2line(tab, len, firstlineno, addr);
	case PY_LINES_LINETABLE:
		return linetable_310_addr2line(tab, len, firstlineno, addr);
	case PY_LINES_LOCATIONS:
		return locations_addr2line(tab, len, firstlineno, addr);
	}
	return -1;
}
