/*
 * test_debugoffsets.c - the layout tables and the _Py_DebugOffsets parser
 * against real interpreters.
 *
 * tests/unit/gen-data.sh writes, for every CPython 3.13+ it finds, the
 * .PyRuntime section (pyruntime-<label>.bin) and the values the parser must
 * get from it, measured without the parser (pyruntime-<label>.expect:
 * sys.hexversion, and offsets gdb prints from debug info); and for every
 * pyenv 3.6-3.12, layout-3.N.expect with gdb's offsets for the static table.
 * Each .expect line is "<py_layout field> <value>"; '#' starts a comment.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/debugoffsets.h"
#include "gilspy/pylayout.h"
#include "harness.h"

struct fld {
	const char *name;
	size_t off;		/* of an int64_t in struct py_layout */
};

#define L(x) { #x, offsetof(struct py_layout, x) }

static const struct fld offset_fields[] = {
	L(rt_interp_head), L(rt_gil),
	L(gil_interval), L(gil_last_holder), L(gil_locked),
	L(gil_switch_number), L(gil_cond), L(gil_mutex), L(gil_switch_cond),
	L(gil_end),
	L(is_next), L(is_tstate_head), L(is_id), L(is_ceval_gil),
	L(ts_next), L(ts_interp), L(ts_frame), L(cframe_current),
	L(ts_thread_id), L(ts_native_thread_id), L(ts_status),
	L(ts_holds_gil), L(ts_gil_requested), L(ts_base_frame),
	L(fr_back), L(fr_code), L(fr_lasti), L(fr_owner), L(fr_is_entry),
	L(co_filename), L(co_name), L(co_qualname), L(co_firstlineno),
	L(co_linetable), L(co_code_adaptive),
	L(ob_type), L(tp_name), L(unicode_state), L(unicode_length),
	L(unicode_ascii_size), L(unicode_compact_size),
	L(bytes_size), L(bytes_sval),
};

/* Sizes are derived, not offsets; they take part in the sanity checks. */
static const struct fld size_fields[] = {
	L(ts_size), L(fr_size), L(co_size),
};

#define NF(a) (sizeof(a) / sizeof((a)[0]))

static int64_t get(const struct py_layout *l, size_t off)
{
	int64_t v;

	memcpy(&v, (const char *)l + off, sizeof(v));
	return v;
}

static const struct fld *find_field(const char *name)
{
	size_t i;

	for (i = 0; i < NF(offset_fields); i++)
		if (!strcmp(offset_fields[i].name, name))
			return &offset_fields[i];
	return NULL;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

/* Sorted names in the data dir starting with prefix and ending with
 * suffix; *names is malloc'd (free each and the array); count or -1. */
static int list_data(const char *prefix, const char *suffix, char ***names)
{
	struct dirent **ents;
	int n, i, k = 0;

	n = scandir(unit_data_dir(), &ents, NULL, alphasort);
	if (n < 0)
		return -1;
	*names = calloc(n ? n : 1, sizeof(char *));
	for (i = 0; i < n; i++) {
		if (*names && !strncmp(ents[i]->d_name, prefix, strlen(prefix)) &&
		    has_suffix(ents[i]->d_name, suffix))
			(*names)[k++] = strdup(ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	return *names ? k : -1;
}

static void free_list(char **names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static size_t read_head(const char *name, uint8_t *buf, size_t cap)
{
	char path[4096];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", unit_data_dir(), name);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/*
 * Compare l with an .expect file.  hex/ft are what the parser said (or
 * NULL for a static table).  With absent_none, an offset field the file
 * does not list (gdb found no such member) must be OFF_NONE.  Returns the
 * number of offsets compared, or -1 if the file cannot be read.
 */
static int check_expect(const char *label, const char *name,
			const struct py_layout *l, const unsigned long *hex,
			const int *ft, int absent_none)
{
	char path[4096], line[256], key[64];
	char seen[NF(offset_fields)] = { 0 };
	long long want;
	int n = 0;
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", unit_data_dir(), name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const struct fld *fd;
		long long got;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%63s %lli", key, &want) != 2) {
			printf("#   %s: bad line in %s: %s", label, name, line);
			unit_failed = 1;
			continue;
		}
		if (!strcmp(key, "hexversion") || !strcmp(key, "free_threaded")) {
			if (!hex)
				continue;
			got = !strcmp(key, "hexversion") ? (long long)*hex : *ft;
		} else if (!strcmp(key, "skip_owner")) {
			got = l->skip_owner;
		} else if ((fd = find_field(key))) {
			got = get(l, fd->off);
			seen[fd - offset_fields] = 1;
			n++;
		} else {
			printf("#   %s: unknown key '%s' in %s\n", label, key, name);
			unit_failed = 1;
			continue;
		}
		if (got != want) {
			printf("#   %s: %s == %lld, expected %lld (%s)\n", label,
			       key, got, want, name);
			unit_failed = 1;
		}
	}
	fclose(f);
	for (i = 0; absent_none && i < NF(offset_fields); i++)
		if (!seen[i] && get(l, offset_fields[i].off) != OFF_NONE) {
			printf("#   %s: %s == %lld, but gdb knows no such member\n",
			       label, offset_fields[i].name,
			       (long long)get(l, offset_fields[i].off));
			unit_failed = 1;
		}
	return n;
}

/* Every offset of a parsed layout must be a sane one. */
static int all_bounded(const struct py_layout *l)
{
	size_t i;

	for (i = 0; i < NF(offset_fields); i++) {
		int64_t v = get(l, offset_fields[i].off);

		if (v != OFF_NONE && (v < 0 || v >= PYDEBUG_MAX_OFF))
			return 0;
	}
	for (i = 0; i < NF(size_fields); i++) {
		int64_t v = get(l, size_fields[i].off);

		if (v < 0 || v > PYDEBUG_MAX_OFF)
			return 0;
	}
	return 1;
}

static void put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Corrupt each 8-byte slot in turn: the parse must fail or stay sane. */
static void check_hostile(const char *label, const uint8_t *orig, size_t len)
{
	static const uint64_t bad[] = { 2u << 20, ~0ull, 0x7fffffffffffffffull };
	uint8_t *buf = malloc(len);
	struct py_layout l;
	size_t at, b;
	int rejected = 0;

	if (!buf)
		return;
	for (b = 0; b < NF(bad); b++)
		for (at = 24; at + 8 <= len; at += 8) {
			memcpy(buf, orig, len);
			put64(buf + at, bad[b]);
			if (pydebug_parse(buf, len, &l, NULL, NULL)) {
				rejected++;
				continue;
			}
			if (!all_bounded(&l)) {
				printf("#   %s: slot @%zu = %#llx gave an absurd "
				       "offset\n", label, at,
				       (unsigned long long)bad[b]);
				unit_failed = 1;
			}
		}
	/* the slots we read are a fraction of the table, but not none */
	CHECK(rejected > 0);
	free(buf);
}

/* What must make the parser refuse this buffer, and what must not. */
static void check_rejects(const char *label, const uint8_t *orig, size_t len,
			  unsigned long hex)
{
	uint8_t *buf = malloc(len);
	struct py_layout l;
	unsigned long minor = hex >> 16 & 0xff;

	if (!buf)
		return;
	memcpy(buf, orig, len);
	buf[0] = 'X';
	CHECK_EQ_INT(pydebug_parse(buf, len, &l, NULL, NULL), -1);

	memcpy(buf, orig, len);
	put64(buf + 8, 0x03000000ul | (minor + 10) << 16 | 0xf0);
	CHECK_EQ_INT(pydebug_parse(buf, len, &l, NULL, NULL), -1);
	put64(buf + 8, 0x030c01f0);			/* 3.12.1 */
	CHECK_EQ_INT(pydebug_parse(buf, len, &l, NULL, NULL), -1);
	put64(buf + 8, (hex & 0xffffff) | 0x02000000);	/* 2.x */
	CHECK_EQ_INT(pydebug_parse(buf, len, &l, NULL, NULL), -1);

	memcpy(buf, orig, len);
	put64(buf + 16, 2);				/* free_threaded */
	CHECK_EQ_INT(pydebug_parse(buf, len, &l, NULL, NULL), -1);

	CHECK_EQ_INT(pydebug_parse(orig, 100, &l, NULL, NULL), -1);
	CHECK_EQ_INT(pydebug_parse(orig, 0, &l, NULL, NULL), -1);
	CHECK_EQ_INT(pydebug_parse(NULL, len, &l, NULL, NULL), -1);

	if (minor == 15) {
		/* b1-b3 had the 880-byte table: refused; b4 is ours */
		memcpy(buf, orig, len);
		put64(buf + 8, 0x030f00b3);
		CHECK_EQ_INT(pydebug_parse(buf, len, &l, NULL, NULL), -1);
		put64(buf + 8, 0x030f00b4);
		CHECK_EQ_INT(pydebug_parse(buf, len, &l, NULL, NULL), 0);
	}
	(void)label;
	free(buf);
}

/* List the fields where a parsed layout differs from its template: not
 * an error (that is what the parser is for), but worth seeing. */
static void diag_template(const char *label, const struct py_layout *l)
{
	const struct py_layout *t = py_layout_for(l->major, l->minor);
	char out[1024] = "";
	size_t i;

	if (!t)
		return;
	for (i = 0; i < NF(offset_fields); i++)
		if (get(l, offset_fields[i].off) != get(t, offset_fields[i].off) &&
		    strlen(out) + strlen(offset_fields[i].name) + 2 < sizeof(out)) {
			strcat(out, " ");
			strcat(out, offset_fields[i].name);
		}
	printf("# %s: differs from the %s template in:%s\n", label, t->name,
	       out[0] ? out : " nothing");
}

TEST(debugoffsets, real_interpreters)
{
	char **names, expect[512], label[256];
	uint8_t buf[PYDEBUG_READ_SIZE];
	int i, n, checked;

	n = list_data("pyruntime-", ".bin", &names);
	if (n <= 0) {
		if (n == 0)
			free_list(names, 0);
		SKIP("no pyruntime-*.bin in %s (gen-data.sh found no "
		     "CPython 3.13+)", unit_data_dir());
	}
	for (i = 0; i < n; i++) {
		struct py_layout l;
		unsigned long hex = 0;
		int ft = -1;
		size_t len;

		snprintf(label, sizeof(label), "%.*s",
			 (int)(strlen(names[i]) - strlen(".bin")), names[i]);
		snprintf(expect, sizeof(expect), "%s.expect", label);
		len = read_head(names[i], buf, sizeof(buf));
		if (pydebug_parse(buf, len, &l, &hex, &ft)) {
			printf("#   %s: pydebug_parse failed\n", names[i]);
			unit_failed = 1;
			continue;
		}
		CHECK_EQ_INT(l.major, 3);
		CHECK_EQ_INT(l.minor, hex >> 16 & 0xff);
		CHECK(all_bounded(&l));
		checked = check_expect(label, expect, &l, &hex, &ft, 0);
		if (checked < 0) {
			printf("#   %s: no %s\n", names[i], expect);
			unit_failed = 1;
		} else if (checked < 30) {
			printf("# %s: only %d offsets to compare (no gdb or no "
			       "debug build of this version?)\n", names[i],
			       checked);
		}
		printf("# covered %s: %d.%d hexversion %#lx free_threaded %d, "
		       "%d offsets compared\n", names[i], l.major, l.minor, hex,
		       ft, checked);
		diag_template(label, &l);
		check_rejects(label, buf, len, hex);
		check_hostile(label, buf, len);
	}
	free_list(names, n);
}

TEST(debugoffsets, rejects_without_data)
{
	uint8_t buf[PYDEBUG_READ_SIZE] = { 0 };
	struct py_layout l;

	memcpy(buf, PYDEBUG_COOKIE, PYDEBUG_COOKIE_LEN);
	put64(buf + 8, 0x030d00f0);
	/* every size field 0: no offset can be below it */
	CHECK_EQ_INT(pydebug_parse(buf, sizeof(buf), &l, NULL, NULL), -1);
	memcpy(buf, "xdebugpz", 8);
	CHECK_EQ_INT(pydebug_parse(buf, sizeof(buf), &l, NULL, NULL), -1);
}

TEST(pylayout, lookup)
{
	const struct py_layout *l;
	char name[16];
	int minor, n;

	for (minor = 6; minor <= 15; minor++) {
		l = py_layout_for(3, minor);
		CHECK(l != NULL);
		if (!l)
			continue;
		snprintf(name, sizeof(name), "3.%d", minor);
		CHECK_EQ_INT(l->major, 3);
		CHECK_EQ_INT(l->minor, minor);
		CHECK_EQ_STR(l->name, name);
	}
	CHECK(py_layout_for(3, 5) == NULL);
	CHECK(py_layout_for(3, 16) == NULL);
	CHECK(py_layout_for(2, 7) == NULL);
	CHECK(py_layout_for(4, 0) == NULL);
	for (n = 0; py_layouts[n]; n++)
		;
	CHECK_EQ_INT(n, 10);
}

static void check_covers(const struct py_layout *l, int64_t size,
			 const int64_t *offs, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (offs[i] != OFF_NONE && offs[i] + 4 > size) {
			printf("#   %s: %s_size %lld does not cover %lld\n",
			       l->name, what, (long long)size,
			       (long long)offs[i]);
			unit_failed = 1;
		}
}

TEST(pylayout, tables_consistent)
{
	const struct py_layout *const *p;

	for (p = py_layouts; *p; p++) {
		const struct py_layout *l = *p;
		const int64_t ts[] = { l->ts_next, l->ts_interp, l->ts_frame,
			l->ts_thread_id, l->ts_native_thread_id, l->ts_status,
			l->ts_holds_gil, l->ts_gil_requested, l->ts_base_frame };
		const int64_t fr[] = { l->fr_back, l->fr_code, l->fr_lasti,
			l->fr_owner, l->fr_is_entry };
		const int64_t co[] = { l->co_filename, l->co_name,
			l->co_qualname, l->co_firstlineno, l->co_linetable };

		check_covers(l, l->ts_size, ts, NF(ts), "ts");
		check_covers(l, l->fr_size, fr, NF(fr), "fr");
		check_covers(l, l->co_size, co, NF(co), "co");
		CHECK(l->ts_next != OFF_NONE && l->ts_frame != OFF_NONE);
		CHECK(l->fr_back != OFF_NONE && l->fr_code != OFF_NONE);
		CHECK(l->fr_lasti != OFF_NONE && l->co_filename != OFF_NONE);
		switch (l->gil_kind) {
		case PY_GIL_STATIC:
			CHECK(l->rt_interp_head == OFF_NONE);
			CHECK(l->gil_locked == OFF_NONE);
			break;
		case PY_GIL_RUNTIME:
			CHECK(l->rt_gil != OFF_NONE && l->gil_locked != OFF_NONE);
			break;
		case PY_GIL_INTERP:
			CHECK(l->is_ceval_gil != OFF_NONE);
			CHECK(l->gil_locked != OFF_NONE);
			break;
		}
		if (l->frame_kind == PY_FRAME_CFRAME)
			CHECK(l->cframe_current != OFF_NONE);
		else
			CHECK(l->cframe_current == OFF_NONE);
		if (l->skip_kind != PY_SKIP_NONE)
			CHECK(l->fr_owner != OFF_NONE && l->skip_owner > 0);
		if (l->tflag_kind == PY_TFLAG_STATUS_BIT)
			CHECK(l->ts_status != OFF_NONE && l->ts_holds_gil_bit >= 0);
		if (l->tflag_kind == PY_TFLAG_INT)
			CHECK(l->ts_holds_gil != OFF_NONE);
		if (l->lasti_kind == PY_LASTI_PTR)
			CHECK(l->co_code_adaptive != OFF_NONE);
	}
}

TEST(pylayout, static_tables_measured)
{
	char **names, label[64];
	int i, n, minor, checked;

	n = list_data("layout-3.", ".expect", &names);
	if (n <= 0) {
		if (n == 0)
			free_list(names, 0);
		SKIP("no layout-3.N.expect in %s (no pyenv 3.6-3.12 or no "
		     "gdb)", unit_data_dir());
	}
	for (i = 0; i < n; i++) {
		const struct py_layout *l;

		if (sscanf(names[i], "layout-3.%d.expect", &minor) != 1)
			continue;
		l = py_layout_for(3, minor);
		snprintf(label, sizeof(label), "3.%d table", minor);
		CHECK(l != NULL);
		if (!l)
			continue;
		checked = check_expect(label, names[i], l, NULL, NULL, 1);
		CHECK(checked >= 15);
		printf("# covered %s: %d offsets compared with the 3.%d table\n",
		       names[i], checked, minor);
	}
	free_list(names, n);
}
