/*
 * test_linetable.c - linetable_addr2line against tables and answers made by
 * the real interpreters (lines-*.txt from tests/unit/gen_linetable.py, via
 * gen-data.sh), plus hand-made and hostile tables.
 *
 * Hostile tables are always passed in a heap buffer of exactly their length
 * so that AddressSanitizer sees any read past len.
 */
#include <dirent.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "gilspy/linetable.h"
#include "harness.h"

/* One code object from a lines-*.txt file. */
struct lt_case {
	const char *file;
	const char *version;
	enum py_lines_kind kind;
	const char *name;
	int firstlineno;
	int codelen;
	const uint8_t *tab;
	size_t tablen;
	const int *lines;	/* expected line at byte offset 2*i */
	size_t nlines;
};

typedef void lt_case_fn(const struct lt_case *c, void *arg);

static int lt_kind(const char *s, enum py_lines_kind *kind)
{
	if (!strcmp(s, "lnotab"))
		*kind = PY_LINES_LNOTAB;
	else if (!strcmp(s, "linetable"))
		*kind = PY_LINES_LINETABLE;
	else if (!strcmp(s, "locations"))
		*kind = PY_LINES_LOCATIONS;
	else
		return -1;
	return 0;
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* Decode hex ("-" is empty) into a new buffer; -1 on malformed input. */
static int parse_hex(const char *s, uint8_t **out, size_t *len)
{
	size_t n = strlen(s), i;

	*out = NULL;
	*len = 0;
	if (!strcmp(s, "-"))
		return 0;
	if (n % 2)
		return -1;
	*out = malloc(n / 2 ? n / 2 : 1);
	if (!*out)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(*out);
			*out = NULL;
			return -1;
		}
		(*out)[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

static int parse_ints(char *s, int **out, size_t *n)
{
	size_t cap = 64;
	char *tok, *save = NULL;

	*n = 0;
	*out = malloc(cap * sizeof(**out));
	if (!*out)
		return -1;
	for (tok = strtok_r(s, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save)) {
		if (*n == cap) {
			int *p = realloc(*out, 2 * cap * sizeof(**out));

			if (!p)
				return -1;
			*out = p;
			cap *= 2;
		}
		(*out)[(*n)++] = (int)strtol(tok, NULL, 10);
	}
	return 0;
}

/* Call fn for each code object in one file; -1 if the file is malformed. */
static int lt_each_in_file(const char *path, const char *file, lt_case_fn *fn,
			   void *arg)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *name = NULL, version[64], kindname[32];
	size_t cap = 0;
	int ret = -1;
	struct lt_case c;

	if (!f)
		return -1;
	memset(&c, 0, sizeof(c));
	c.file = file;
	c.version = version;
	if (getline(&line, &cap, f) < 0 ||
	    sscanf(line, "python %63s %31s", version, kindname) != 2 ||
	    lt_kind(kindname, &c.kind))
		goto out;
	for (;;) {
		uint8_t *tab = NULL;
		int *lines = NULL;
		char *tabhex;
		int ok;

		if (getline(&line, &cap, f) < 0) {
			ret = 0;
			break;
		}
		free(name);
		name = malloc(strlen(line) + 1);
		tabhex = malloc(strlen(line) + 1);
		if (!name || !tabhex ||
		    sscanf(line, "code %s %d %d %s", name, &c.firstlineno,
			   &c.codelen, tabhex) != 4) {
			free(tabhex);
			break;
		}
		ok = !parse_hex(tabhex, &tab, &c.tablen);
		free(tabhex);
		ok = ok && getline(&line, &cap, f) >= 0 &&
		     !parse_ints(line, &lines, &c.nlines) &&
		     c.nlines == (size_t)c.codelen / 2;
		if (ok) {
			c.name = name;
			c.tab = tab;
			c.lines = lines;
			fn(&c, arg);
		}
		free(tab);
		free(lines);
		if (!ok)
			break;
	}
out:
	free(name);
	free(line);
	fclose(f);
	return ret;
}

static int is_lines_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return !strncmp(d->d_name, "lines-", 6) && n > 10 &&
	       !strcmp(d->d_name + n - 4, ".txt");
}

/* Each lines-*.txt in the data directory, in version order.  Returns the
 * number of files, or -1 if the directory cannot be read.  report(file,
 * version, status) is called after each file (status -1: malformed). */
static int lt_each(lt_case_fn *fn, void *arg,
		   void (*report)(const char *file, int status, void *arg))
{
	struct dirent **ents;
	const char *dir = unit_data_dir();
	int n, i;

	n = scandir(dir, &ents, is_lines_file, versionsort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];
		int st;

		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		st = lt_each_in_file(path, ents[i]->d_name, fn, arg);
		if (report)
			report(ents[i]->d_name, st, arg);
		free(ents[i]);
	}
	free(ents);
	return n;
}

/* --- every offset of every code object, against the interpreter --------- */

struct interp_state {
	long codes, offsets, mismatches;	/* in the current file */
	char version[64];
	char covered[4096];
};

static void check_case(const struct lt_case *c, void *arg)
{
	struct interp_state *st = arg;
	size_t i;

	snprintf(st->version, sizeof(st->version), "%s", c->version);
	st->codes++;
	for (i = 0; i < c->nlines; i++) {
		int addr = (int)(2 * i);
		int got = linetable_addr2line(c->kind, c->tab, c->tablen,
					      c->firstlineno, addr);

		st->offsets++;
		if (got == c->lines[i])
			continue;
		if (st->mismatches++ < 5)
			printf("#   %s: code %s (firstlineno %d, %zu table "
			       "bytes): offset %d gives %d, interpreter says "
			       "%d\n", c->file, c->name, c->firstlineno,
			       c->tablen, addr, got, c->lines[i]);
	}
}

static void report_file(const char *file, int status, void *arg)
{
	struct interp_state *st = arg;
	size_t n = strlen(st->covered);

	if (status < 0) {
		printf("#   %s: malformed (regenerate with gen-data.sh)\n",
		       file);
		unit_failed = 1;
	} else if (st->mismatches) {
		printf("#   %s: %ld of %ld offsets wrong in %ld code objects\n",
		       file, st->mismatches, st->offsets, st->codes);
		unit_failed = 1;
	} else if (st->codes == 0) {
		printf("#   %s: no code objects\n", file);
		unit_failed = 1;
	} else {
		snprintf(st->covered + n, sizeof(st->covered) - n, " %s",
			 st->version);
	}
	st->codes = st->offsets = st->mismatches = 0;
}

TEST(linetable, interpreters)
{
	struct interp_state st;
	int n;

	memset(&st, 0, sizeof(st));
	n = lt_each(check_case, &st, report_file);
	if (n <= 0)
		SKIP("no lines-*.txt in %s (run tests/unit/gen-data.sh DIR "
		     "and set UNIT_DATA=DIR)", unit_data_dir());
	printf("# covered:%s\n", st.covered);
}

/* --- the real tables, cut short ----------------------------------------- */

static void check_range(enum py_lines_kind kind, const uint8_t *tab,
			size_t len, int first, int addr)
{
	int got = linetable_addr2line(kind, tab, len, first, addr);

	if (got < -1) {
		printf("#   kind %d len %zu first %d addr %d: %d\n", kind, len,
		       first, addr, got);
		unit_failed = 1;
	}
}

static void truncate_case(const struct lt_case *c, void *arg)
{
	size_t cuts[64], ncut = 0, k;

	(void)arg;
	for (k = 0; k <= c->tablen && k < 24; k++)
		cuts[ncut++] = k;
	for (k = c->tablen > 24 ? c->tablen - 8 : 24; k < c->tablen; k++)
		if (k >= 24)
			cuts[ncut++] = k;
	cuts[ncut++] = c->tablen / 2;
	cuts[ncut++] = c->tablen / 3;
	for (k = 0; k < ncut; k++) {
		size_t len = cuts[k];
		uint8_t *copy = malloc(len ? len : 1);
		int addr;

		if (!copy)
			continue;
		if (len)
			memcpy(copy, c->tab, len);
		for (addr = -2; addr < c->codelen + 8; addr++)
			check_range(c->kind, copy, len, c->firstlineno, addr);
		check_range(c->kind, copy, len, c->firstlineno, INT_MAX);
		check_range(c->kind, copy, len, c->firstlineno, INT_MIN);
		free(copy);
	}
}

TEST(linetable, truncated_real_tables)
{
	if (lt_each(truncate_case, NULL, NULL) <= 0)
		printf("# no lines-*.txt in %s\n", unit_data_dir());
}

/* --- hand-made tables ---------------------------------------------------- */

static const enum py_lines_kind all_kinds[] = {
	PY_LINES_LNOTAB, PY_LINES_LINETABLE, PY_LINES_LOCATIONS,
};

TEST(linetable, lnotab)
{
	/* from 0: line 10; from 2: +1; from 6: -1 then +3 */
	static const uint8_t t[] = { 2, 1, 4, 0xff, 0, 3 };
	enum py_lines_kind k = PY_LINES_LNOTAB;

	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 0), 10);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 1), 10);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 2), 11);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 5), 11);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 6), 13);
	/* the last line runs on: lnotab does not know the code's length */
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 100000), 13);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, -1), 10);
	/* a trailing odd byte is ignored */
	CHECK_EQ_INT(linetable_addr2line(k, t, 5, 10, 6), 10);
}

TEST(linetable, linetable_310)
{
	/* [0,4) +1; [4,6) no line; +5 with no range; [6,8) -2 */
	static const uint8_t t[] = { 4, 1, 2, 0x80, 0, 5, 2, 0xfe };
	enum py_lines_kind k = PY_LINES_LINETABLE;

	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 0), 11);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 3), 11);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 4), -1);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 6), 14);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 8), 10);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, -4), 10);
}

TEST(linetable, locations)
{
	static const uint8_t t[] = {
		0x81, 0x05,		/* short, 2 units: [0,4) +0 */
		0xe0, 0x01, 0x02,	/* one line +2: [4,6) */
		0xea, 0x07,		/* no columns, -3, 3 units: [6,12) */
		0xf8,			/* no location: [12,14) */
		0xf0, 0x58, 0x09, 0x00, 0x01, 0x02, /* long, +300: [14,16) */
	};
	enum py_lines_kind k = PY_LINES_LOCATIONS;

	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 0), 10);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 3), 10);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 4), 12);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 5), 12);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 6), 9);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 11), 9);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 12), -1);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 14), 309);
	CHECK_EQ_INT(linetable_addr2line(k, t, sizeof(t), 10, 16), 10);
	/* cut inside the long entry's varint: its delta is read as 24 */
	CHECK_EQ_INT(linetable_addr2line(k, t, 10, 10, 14), 9 + 12);
}

TEST(linetable, empty_and_null)
{
	size_t i;

	for (i = 0; i < sizeof(all_kinds) / sizeof(all_kinds[0]); i++) {
		uint8_t *empty = malloc(1);

		CHECK_EQ_INT(linetable_addr2line(all_kinds[i], NULL, 0, 7, 0),
			     7);
		CHECK_EQ_INT(linetable_addr2line(all_kinds[i], NULL, 99, 7, 4),
			     7);
		CHECK_EQ_INT(linetable_addr2line(all_kinds[i], empty, 0, 7,
						 INT_MAX), 7);
		CHECK_EQ_INT(linetable_addr2line(all_kinds[i], empty, 0, -5, 0),
			     -1);
		free(empty);
	}
	CHECK_EQ_INT(linetable_addr2line((enum py_lines_kind)99, NULL, 0, 7,
					 0), -1);
}

TEST(linetable, out_of_range_lines)
{
	static const uint8_t up[] = { 2, 1 }, down[] = { 2, 0x80 };
	static const uint8_t loc_up[] = { 0xd8, 0, 0 };	/* one line +1 */

	CHECK_EQ_INT(linetable_addr2line(PY_LINES_LNOTAB, up, 2, INT_MAX, 2),
		     -1);
	CHECK_EQ_INT(linetable_addr2line(PY_LINES_LNOTAB, down, 2, 5, 2), -1);
	CHECK_EQ_INT(linetable_addr2line(PY_LINES_LINETABLE, up, 2, INT_MAX,
					 0), -1);
	CHECK_EQ_INT(linetable_addr2line(PY_LINES_LOCATIONS, loc_up, 3,
					 INT_MAX, 0), -1);
	CHECK_EQ_INT(linetable_addr2line(PY_LINES_LOCATIONS, loc_up, 3,
					 INT_MAX - 1, 0), INT_MAX);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint8_t rng_byte(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint8_t)(rng_state >> 24);
}

static void garbage_round(int pattern, size_t len)
{
	static const int firsts[] = { 1, 0, -1, 1000, INT_MAX, INT_MIN };
	static const int addrs[] = { INT_MIN, -1, 0, 1, 2, 7, 254, 255, 256,
				     4096, 65535, 1 << 20, INT_MAX - 1,
				     INT_MAX };
	uint8_t *t = malloc(len ? len : 1);
	size_t i, k, f, a;

	if (!t)
		return;
	for (i = 0; i < len; i++)
		t[i] = pattern >= 0 ? (uint8_t)pattern : rng_byte();
	for (k = 0; k < sizeof(all_kinds) / sizeof(all_kinds[0]); k++)
		for (f = 0; f < sizeof(firsts) / sizeof(firsts[0]); f++)
			for (a = 0; a < sizeof(addrs) / sizeof(addrs[0]); a++)
				check_range(all_kinds[k], t, len, firsts[f],
					    addrs[a]);
	free(t);
}

TEST(linetable, garbage)
{
	static const int patterns[] = { 0xff, 0x80, 0x00, 0x7f, 0xc0, 0xf7,
					0xf0, 0xe8, -1, -1, -1 };
	static const size_t lens[] = { 0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 33,
				       255, 256, 257, 1000, 65536 };
	size_t p, l;

	for (p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++)
		for (l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
			garbage_round(patterns[p], lens[l]);
	/* a varint that never ends, and one long entry per byte */
	{
		size_t len = 1 << 16;
		uint8_t *t = malloc(len);

		if (t) {
			memset(t, 0x7f, len);
			t[0] = 0xf0;
			check_range(PY_LINES_LOCATIONS, t, len, 1, 0);
			for (l = 0; l + 1 < len; l += 2) {
				t[l] = 0xf7;
				t[l + 1] = 0x7f;
			}
			check_range(PY_LINES_LOCATIONS, t, len, 1, INT_MAX);
			free(t);
		}
	}
}
