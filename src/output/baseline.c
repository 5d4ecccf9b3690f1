/*
 * baseline.c - read back the JSON report of an earlier recording (the base
 * branch's), for the deltas of the markdown summary.
 *
 * The file may be anything a CI job hands us: a report from another gilspy
 * version, another tool's JSON, a truncated upload, or garbage.  So it is
 * parsed as a stream, one character of lookahead, with every size bounded:
 * nesting depth, bytes read, the length of a kept string, the number of
 * threads and functions kept (the rest is read and dropped).  Memory never
 * grows with the file beyond those bounds.  Unknown fields are skipped
 * (reports from a newer schema add fields), and a known field of an
 * unexpected type counts as absent rather than as an error.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/output.h"

#define MAX_DEPTH	64
#define MAX_BYTES	(512ull << 20)
#define MAX_KEY		64		/* longer keys are unknown anyway */
#define MAX_TEXT	4096		/* names, files, versions */
#define MAX_THREADS	4096
#define MAX_FUNCS	100000
#define MAX_TOP		64		/* entries kept per top list */

/* --- the stream ----------------------------------------------------------- */

struct jp {
	FILE *f;
	int c;			/* current character, EOF at the end */
	unsigned long line, col;
	uint64_t bytes;
	int depth;
	int failed;
	struct strbuf msg;	/* the first error */
};

static int jfail(struct jp *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int jfail(struct jp *j, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	if (j->failed)
		return -1;
	j->failed = 1;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sb_addf(&j->msg, "%s at line %lu, column %lu", buf, j->line, j->col);
	return -1;
}

static void adv(struct jp *j)
{
	if (j->c == EOF)
		return;
	if (j->c == '\n')
		j->line++, j->col = 1;
	else
		j->col++;
	j->c = getc(j->f);
	if (j->c != EOF && ++j->bytes > MAX_BYTES) {
		jfail(j, "file larger than %llu MB",
		      (unsigned long long)(MAX_BYTES >> 20));
		j->c = EOF;
	}
}

static void ws(struct jp *j)
{
	while (j->c == ' ' || j->c == '\t' || j->c == '\r' || j->c == '\n')
		adv(j);
}

/* "expected X" naming what was found instead. */
static int expected(struct jp *j, const char *what)
{
	if (j->c == EOF)
		return jfail(j, "unexpected end of file, expected %s (is it "
			     "truncated?)", what);
	if (j->c > 0x20 && j->c < 0x7f)
		return jfail(j, "expected %s, found '%c'", what, j->c);
	return jfail(j, "expected %s, found byte 0x%02x", what, j->c);
}

static void add_utf8(struct strbuf *sb, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp, n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
	}
	sb_add(sb, b, n);
}

static int hex4(struct jp *j, uint32_t *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		int c = j->c, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return expected(j, "4 hex digits after \\u");
		*v = *v << 4 | (uint32_t)d;
		adv(j);
	}
	return 0;
}

/* At '"': read a string into out (may be NULL: skip), keeping at most keep
 * bytes; the result is valid UTF-8 without NUL bytes. */
static int str(struct jp *j, struct strbuf *out, size_t keep)
{
	struct strbuf tmp = STRBUF_INIT;
	int full = 0;

	if (out)
		sb_reset(out);
	adv(j);
	for (;;) {
		uint32_t cp, lo;

		if (j->c == EOF) {
			expected(j, "'\"' to end the string");
			goto fail;
		}
		if (j->c == '"') {
			adv(j);
			break;
		}
		if (j->c < 0x20) {
			jfail(j, "control character 0x%02x in a string", j->c);
			goto fail;
		}
		sb_reset(&tmp);
		if (j->c != '\\') {
			sb_addc(&tmp, (char)j->c);
			adv(j);
		} else {
			adv(j);
			switch (j->c) {
			case '"': case '\\': case '/':
				sb_addc(&tmp, (char)j->c); break;
			case 'b': sb_addc(&tmp, '\b'); break;
			case 'f': sb_addc(&tmp, '\f'); break;
			case 'n': sb_addc(&tmp, '\n'); break;
			case 'r': sb_addc(&tmp, '\r'); break;
			case 't': sb_addc(&tmp, '\t'); break;
			case 'u': break;
			default:
				expected(j, "an escape (\\\" \\\\ \\/ \\b \\f "
					 "\\n \\r \\t \\u)");
				goto fail;
			}
			if (j->c != 'u') {
				adv(j);
			} else {
				adv(j);
				if (hex4(j, &cp) < 0)
					goto fail;
				if (cp >= 0xd800 && cp < 0xdc00 && j->c == '\\') {
					adv(j);
					if (j->c != 'u') {
						expected(j, "\\u of a low "
							 "surrogate");
						goto fail;
					}
					adv(j);
					if (hex4(j, &lo) < 0)
						goto fail;
					if (lo >= 0xdc00 && lo < 0xe000)
						cp = 0x10000 + ((cp - 0xd800) << 10) +
						     (lo - 0xdc00);
					else
						cp = 0xfffd;
				} else if ((cp >= 0xd800 && cp < 0xe000) || !cp) {
					cp = 0xfffd;	/* lone surrogate, NUL */
				}
				add_utf8(&tmp, cp);
			}
		}
		if (out && !full) {
			if (out->len + tmp.len <= keep)
				sb_add(out, tmp.buf, tmp.len);
			else
				full = 1;
		}
	}
	sb_release(&tmp);
	if (out && full) {
		/* do not leave half a character at the cut */
		while (out->len && ((unsigned char)out->buf[out->len - 1] &
				    0xc0) == 0x80)
			out->len--;
		if (out->len && (unsigned char)out->buf[out->len - 1] >= 0xc0)
			out->len--;
		out->buf[out->len] = '\0';
	}
	if (out && out->buf)
		utf8_sanitize(out->buf);
	return 0;
fail:
	sb_release(&tmp);
	return -1;
}

static int digits(struct jp *j, char *buf, size_t *n, size_t max)
{
	size_t start = *n;

	while (j->c >= '0' && j->c <= '9') {
		if (*n + 1 >= max)
			return jfail(j, "number longer than %zu characters",
				     max - 1);
		buf[(*n)++] = (char)j->c;
		adv(j);
	}
	return *n > start ? 0 : expected(j, "a digit");
}

static int number(struct jp *j, double *v)
{
	char buf[64];
	size_t n = 0;

	if (j->c == '-') {
		buf[n++] = '-';
		adv(j);
	}
	if (j->c == '0') {
		buf[n++] = '0';
		adv(j);
	} else if (digits(j, buf, &n, sizeof(buf)) < 0) {
		return -1;
	}
	if (j->c == '.') {
		buf[n++] = '.';
		adv(j);
		if (digits(j, buf, &n, sizeof(buf)) < 0)
			return -1;
	}
	if (j->c == 'e' || j->c == 'E') {
		if (n + 2 >= sizeof(buf))
			return jfail(j, "number too long");
		buf[n++] = 'e';
		adv(j);
		if (j->c == '+' || j->c == '-') {
			buf[n++] = (char)j->c;
			adv(j);
		}
		if (digits(j, buf, &n, sizeof(buf)) < 0)
			return -1;
	}
	buf[n] = '\0';
	*v = strtod(buf, NULL);
	return 0;
}

static int literal(struct jp *j, const char *word)
{
	const char *w;

	for (w = word; *w; w++) {
		if (j->c != *w)
			return expected(j, "a JSON value");
		adv(j);
	}
	return 0;
}

static int skip(struct jp *j);

/* Objects and arrays: open at '{' / '[', then next() until it returns 0
 * (closed) or -1 (error); next() leaves the stream at the value. */
static int open_(struct jp *j)
{
	if (++j->depth > MAX_DEPTH)
		return jfail(j, "nested deeper than %d levels", MAX_DEPTH);
	adv(j);
	ws(j);
	return 0;
}

static int obj_next(struct jp *j, int *first, struct strbuf *key)
{
	ws(j);
	if (j->c == '}') {
		adv(j);
		j->depth--;
		return 0;
	}
	if (!*first) {
		if (j->c != ',')
			return expected(j, "',' or '}'");
		adv(j);
		ws(j);
	} else {
		*first = 0;
	}
	if (j->c != '"')
		return expected(j, "a string (an object key)");
	if (str(j, key, MAX_KEY) < 0)
		return -1;
	ws(j);
	if (j->c != ':')
		return expected(j, "':'");
	adv(j);
	ws(j);
	return 1;
}

static int arr_next(struct jp *j, int *first)
{
	ws(j);
	if (j->c == ']') {
		adv(j);
		j->depth--;
		return 0;
	}
	if (!*first) {
		if (j->c != ',')
			return expected(j, "',' or ']'");
		adv(j);
		ws(j);
	} else {
		*first = 0;
	}
	return 1;
}

static int skip(struct jp *j)
{
	struct strbuf key = STRBUF_INIT;
	double v;
	int first = 1, r;

	ws(j);
	switch (j->c) {
	case '{':
		if (open_(j) < 0)
			return -1;
		while ((r = obj_next(j, &first, &key)) > 0)
			if (skip(j) < 0) {
				r = -1;
				break;
			}
		sb_release(&key);
		return r;
	case '[':
		if (open_(j) < 0)
			return -1;
		while ((r = arr_next(j, &first)) > 0)
			if (skip(j) < 0)
				return -1;
		return r;
	case '"':
		return str(j, NULL, 0);
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	default:
		if (j->c == '-' || (j->c >= '0' && j->c <= '9'))
			return number(j, &v);
		return expected(j, "a JSON value");
	}
}

/* Typed values: 1 read, 0 another type (skipped), -1 error. */
static int get_num(struct jp *j, double *v)
{
	if (j->c == '-' || (j->c >= '0' && j->c <= '9')) {
		if (number(j, v) < 0)
			return -1;
		return isfinite(*v) ? 1 : 0;
	}
	return skip(j) < 0 ? -1 : 0;
}

static int get_count(struct jp *j, uint64_t *v)
{
	double d;
	int r = get_num(j, &d);

	if (r <= 0)
		return r;
	if (d < 0 || d > 9007199254740992.0)	/* 2^53 */
		return 0;
	*v = (uint64_t)d;
	return 1;
}

static int get_str(struct jp *j, char **out)
{
	struct strbuf sb = STRBUF_INIT;

	if (j->c != '"')
		return skip(j) < 0 ? -1 : 0;
	if (str(j, &sb, MAX_TEXT) < 0) {
		sb_release(&sb);
		return -1;
	}
	free(*out);
	*out = sb_detach(&sb);
	return 1;
}

static int get_bool(struct jp *j, int *v)
{
	if (j->c == 't' || j->c == 'f') {
		*v = j->c == 't';
		return literal(j, *v ? "true" : "false") < 0 ? -1 : 1;
	}
	return skip(j) < 0 ? -1 : 0;
}

/* --- the report ----------------------------------------------------------- */

struct load {
	struct jp j;
	struct baseline *b;
	struct strbuf key;
	int have_summary, have_version, version_int;
	double version;
	char *schema;			/* "$schema", to name speedscope */
	int trace_events;		/* Chrome trace */
	size_t funcs_alloc;
	int states_missing;		/* a thread without state counts */
	uint64_t fstate_sum[GIL_NSTATES];
	uint64_t *fself;		/* nfuncs * GIL_NSTATES self counts */
	struct baseline_func *top;	/* top lists, when no functions[] */
	size_t ntop, top_alloc;
};

static int state_index(const char *name)
{
	int s;

	for (s = 0; s < GIL_NSTATES; s++)
		if (!strcmp(name, gil_state_name((enum gil_state)s)))
			return s;
	return -1;
}

/* An object {"held": N, ...}: counts (or percentages) per state; mask gets
 * a bit per state found.  0 when the value is not an object. */
static int get_states(struct load *l, double *v, unsigned *mask)
{
	struct jp *j = &l->j;
	struct strbuf key = STRBUF_INIT;
	int first = 1, r, s;

	*mask = 0;
	if (j->c != '{')
		return skip(j) < 0 ? -1 : 0;
	if (open_(j) < 0)
		return -1;
	while ((r = obj_next(j, &first, &key)) > 0) {
		double d;

		s = state_index(key.buf);
		if (s < 0) {
			r = skip(j);
		} else {
			r = get_num(j, &d);
			/* counts or shares: bounded so that a sum over
			 * every thread fits in a uint64_t */
			if (r > 0 && d >= 0 && d <= 1e12) {
				v[s] = d;
				*mask |= 1u << s;
			}
		}
		if (r < 0)
			break;
	}
	sb_release(&key);
	return r < 0 ? -1 : 1;
}

static int load_target(struct load *l)
{
	struct jp *j = &l->j;
	int first = 1, r;

	if (j->c != '{')
		return skip(j) < 0 ? -1 : 0;
	if (open_(j) < 0)
		return -1;
	while ((r = obj_next(j, &first, &l->key)) > 0) {
		if (!strcmp(l->key.buf, "python"))
			r = get_str(j, &l->b->python);
		else if (!strcmp(l->key.buf, "command"))
			r = get_str(j, &l->b->command);
		else
			r = skip(j);
		if (r < 0)
			return -1;
	}
	return r;
}

static int load_summary(struct load *l)
{
	static const struct {
		const char *key;
		unsigned bit;
		size_t off;
	} figs[] = {
		{ "duration_s", BASE_DURATION,
		  offsetof(struct baseline, duration_s) },
		{ "utilisation_pct", BASE_UTILISATION,
		  offsetof(struct baseline, utilisation_pct) },
		{ "contention_pct", BASE_CONTENTION,
		  offsetof(struct baseline, contention_pct) },
		{ "mean_waiters", BASE_WAITERS,
		  offsetof(struct baseline, mean_waiters) },
		{ "switches_per_s", BASE_SWITCHES,
		  offsetof(struct baseline, switches_per_s) },
		{ "errors_pct", BASE_ERRORS,
		  offsetof(struct baseline, errors_pct) },
		{ "no_gil_speedup", BASE_SPEEDUP,
		  offsetof(struct baseline, no_gil_speedup) },
	};
	struct jp *j = &l->j;
	struct baseline *b = l->b;
	int first = 1, r, gil;
	size_t i;

	if (j->c != '{')
		return skip(j) < 0 ? -1 : 0;
	l->have_summary = 1;
	if (open_(j) < 0)
		return -1;
	while ((r = obj_next(j, &first, &l->key)) > 0) {
		for (i = 0; i < ARRAY_SIZE(figs); i++)
			if (!strcmp(l->key.buf, figs[i].key))
				break;
		if (i < ARRAY_SIZE(figs)) {
			double d;

			r = get_num(j, &d);
			if (r > 0) {
				*(double *)((char *)b + figs[i].off) = d;
				b->has |= figs[i].bit;
			}
		} else if (!strcmp(l->key.buf, "samples")) {
			r = get_count(j, &b->samples);
			if (r > 0)
				b->has |= BASE_SAMPLES;
		} else if (!strcmp(l->key.buf, "gil")) {
			r = get_bool(j, &gil);
			if (r > 0)
				b->no_gil = !gil;
		} else {
			r = skip(j);
		}
		if (r < 0)
			return -1;
	}
	return r;
}

static int load_thread(struct load *l)
{
	struct jp *j = &l->j;
	struct baseline *b = l->b;
	struct baseline_thread t = { 0 };
	double counts[GIL_NSTATES] = { 0 }, pct[GIL_NSTATES] = { 0 }, d;
	unsigned cmask = 0, pmask = 0;
	uint64_t samples = 0;
	int first = 1, r, have_samples = 0, s;

	if (j->c != '{')
		return skip(j) < 0 ? -1 : 0;
	if (open_(j) < 0)
		return -1;
	while ((r = obj_next(j, &first, &l->key)) > 0) {
		if (!strcmp(l->key.buf, "name")) {
			r = get_str(j, &t.name);
		} else if (!strcmp(l->key.buf, "tid")) {
			r = get_num(j, &d);
			if (r > 0 && d >= 0 && d < 4194304.0 * 1024)
				t.tid = (pid_t)d;
		} else if (!strcmp(l->key.buf, "samples")) {
			r = get_count(j, &samples);
			have_samples = r > 0;
		} else if (!strcmp(l->key.buf, "states")) {
			r = get_states(l, counts, &cmask);
		} else if (!strcmp(l->key.buf, "pct")) {
			r = get_states(l, pct, &pmask);
		} else {
			r = skip(j);
		}
		if (r < 0) {
			free(t.name);
			return -1;
		}
	}
	if (r < 0 || !t.name || b->nthreads >= MAX_THREADS) {
		free(t.name);
		return r;
	}
	/* the states' counts: exact, and what the totals are made of */
	if ((cmask & 0xf) == 0xf) {
		uint64_t all = 0;

		for (s = 0; s < GIL_NSTATES; s++) {
			b->state_total[s] += (uint64_t)counts[s];
			t.count[s] = (uint64_t)counts[s];
			all += (uint64_t)counts[s];
		}
		t.has_counts = 1;
		if (have_samples && samples)
			all = samples;
		for (s = 0; s < GIL_NSTATES; s++)
			t.pct[s] = all ? 100.0 * counts[s] / (double)all : 0;
		t.has_pct = 1;
	} else {
		l->states_missing = 1;
		if ((pmask & 0xf) == 0xf) {
			memcpy(t.pct, pct, sizeof(pct));
			t.has_pct = 1;
		}
	}
	b->threads = xrealloc(b->threads, (b->nthreads + 1) *
			      sizeof(*b->threads));
	b->threads[b->nthreads++] = t;
	return 0;
}

static void func_init(struct baseline_func *f, char *name, char *file)
{
	struct profile_frame fr = { name, file, 0, 0, 0 };
	struct output_options o;
	struct strbuf key = STRBUF_INIT;
	int s;

	output_options_init(&o);
	o.lineno = 0;
	output_frame(&key, &fr, &o);
	f->name = name;
	f->file = file;
	f->key = sb_detach(&key);
	for (s = 0; s < GIL_NSTATES; s++)
		f->pct[s] = -1;
}

static int load_func(struct load *l)
{
	struct jp *j = &l->j;
	struct baseline *b = l->b;
	char *name = NULL, *file = NULL;
	double self[GIL_NSTATES] = { 0 };
	unsigned mask = 0;
	int first = 1, r, s;

	if (j->c != '{')
		return skip(j) < 0 ? -1 : 0;
	if (open_(j) < 0)
		return -1;
	while ((r = obj_next(j, &first, &l->key)) > 0) {
		if (!strcmp(l->key.buf, "name"))
			r = get_str(j, &name);
		else if (!strcmp(l->key.buf, "file"))
			r = get_str(j, &file);
		else if (!strcmp(l->key.buf, "self"))
			r = get_states(l, self, &mask);
		else
			r = skip(j);
		if (r < 0)
			break;
	}
	if (r < 0 || !name || !file || b->nfuncs >= MAX_FUNCS) {
		free(name);
		free(file);
		return r;
	}
	if (b->nfuncs == l->funcs_alloc) {
		l->funcs_alloc = l->funcs_alloc ? 2 * l->funcs_alloc : 64;
		b->funcs = xrealloc(b->funcs, l->funcs_alloc *
				    sizeof(*b->funcs));
		l->fself = xrealloc(l->fself, l->funcs_alloc * GIL_NSTATES *
				    sizeof(*l->fself));
	}
	func_init(&b->funcs[b->nfuncs], name, file);
	for (s = 0; s < GIL_NSTATES; s++) {
		uint64_t c = (mask >> s) & 1 ? (uint64_t)self[s] : 0;

		l->fself[b->nfuncs * GIL_NSTATES + (size_t)s] = c;
		l->fstate_sum[s] += c;
	}
	b->nfuncs++;
	return 0;
}

/* One entry of top.held / top.waiting: kept aside, used only when the
 * report has no functions[] (a newer schema might drop it). */
static int load_top_entry(struct load *l, int state)
{
	struct jp *j = &l->j;
	char *name = NULL, *file = NULL;
	double pct = -1, d;
	int first = 1, r;
	size_t i;

	if (j->c != '{')
		return skip(j) < 0 ? -1 : 0;
	if (open_(j) < 0)
		return -1;
	while ((r = obj_next(j, &first, &l->key)) > 0) {
		if (!strcmp(l->key.buf, "name"))
			r = get_str(j, &name);
		else if (!strcmp(l->key.buf, "file"))
			r = get_str(j, &file);
		else if (!strcmp(l->key.buf, "pct")) {
			r = get_num(j, &d);
			if (r > 0 && d >= 0)
				pct = d;
		} else
			r = skip(j);
		if (r < 0)
			break;
	}
	if (r < 0 || !name || !file || pct < 0 || l->ntop >= 2 * MAX_TOP) {
		free(name);
		free(file);
		return r;
	}
	for (i = 0; i < l->ntop; i++)
		if (!strcmp(l->top[i].name, name) &&
		    !strcmp(l->top[i].file, file)) {
			l->top[i].pct[state] = pct;
			free(name);
			free(file);
			return 0;
		}
	if (l->ntop == l->top_alloc) {
		l->top_alloc = l->top_alloc ? 2 * l->top_alloc : 16;
		l->top = xrealloc(l->top, l->top_alloc * sizeof(*l->top));
	}
	func_init(&l->top[l->ntop], name, file);
	l->top[l->ntop++].pct[state] = pct;
	return 0;
}

static int load_array(struct load *l, int (*each)(struct load *, int),
		      int arg)
{
	struct jp *j = &l->j;
	int first = 1, r;

	if (j->c != '[')
		return skip(j) < 0 ? -1 : 0;
	if (open_(j) < 0)
		return -1;
	while ((r = arr_next(j, &first)) > 0)
		if (each(l, arg) < 0)
			return -1;
	return r < 0 ? -1 : 1;
}

static int each_thread(struct load *l, int arg)
{
	(void)arg;
	return load_thread(l);
}

static int each_func(struct load *l, int arg)
{
	(void)arg;
	return load_func(l);
}

static int load_top(struct load *l)
{
	struct jp *j = &l->j;
	int first = 1, r;

	if (j->c != '{')
		return skip(j) < 0 ? -1 : 0;
	if (open_(j) < 0)
		return -1;
	while ((r = obj_next(j, &first, &l->key)) > 0) {
		int s = state_index(l->key.buf);

		if (s == GIL_HELD || s == GIL_WAITING)
			r = load_array(l, load_top_entry, s);
		else
			r = skip(j);
		if (r < 0)
			return -1;
	}
	return r;
}

static int load_report(struct load *l)
{
	struct jp *j = &l->j;
	struct baseline *b = l->b;
	int first = 1, r;
	double d;

	while ((r = obj_next(j, &first, &l->key)) > 0) {
		const char *k = l->key.buf;

		if (!strcmp(k, "version")) {
			r = get_num(j, &d);
			if (r > 0) {
				l->have_version = 1;
				l->version = d;
			}
		} else if (!strcmp(k, "generator")) {
			r = get_str(j, &b->generator);
		} else if (!strcmp(k, "target")) {
			r = load_target(l);
		} else if (!strcmp(k, "summary")) {
			r = load_summary(l);
		} else if (!strcmp(k, "threads")) {
			r = load_array(l, each_thread, 0);
			if (r > 0)
				b->has |= BASE_THREADS;
		} else if (!strcmp(k, "functions")) {
			r = load_array(l, each_func, 0);
			if (r > 0)
				b->has |= BASE_FUNCTIONS;
		} else if (!strcmp(k, "top")) {
			r = load_top(l);
		} else if (!strcmp(k, "$schema")) {
			r = get_str(j, &l->schema);
		} else if (!strcmp(k, "traceEvents")) {
			l->trace_events = 1;
			r = skip(j);
		} else {
			r = skip(j);
		}
		if (r < 0)
			return -1;
	}
	return r;
}

/* Turn what was read into the figures the markdown uses. */
static void finish(struct load *l)
{
	struct baseline *b = l->b;
	const uint64_t *tot = b->state_total;
	size_t i;
	int s;

	if ((b->has & BASE_THREADS) && b->nthreads && !l->states_missing)
		b->has |= BASE_STATES;
	else
		memset(b->state_total, 0, sizeof(b->state_total));
	if (!(b->has & BASE_STATES))
		tot = l->fstate_sum;	/* close: all but empty stacks */
	for (i = 0; i < b->nfuncs; i++)
		for (s = 0; s < GIL_NSTATES; s++)
			b->funcs[i].pct[s] = tot[s] ? 100.0 *
				(double)l->fself[i * GIL_NSTATES + (size_t)s] /
				(double)tot[s] : 0;
	if (!b->nfuncs && l->ntop) {
		b->funcs = l->top;
		b->nfuncs = l->ntop;
		l->top = NULL;
		l->ntop = 0;
		b->has |= BASE_FUNCTIONS;
	}
}

static void free_funcs(struct baseline_func *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].file);
		free(f[i].key);
	}
	free(f);
}

void baseline_free(struct baseline *b)
{
	size_t i;

	if (!b)
		return;
	free(b->generator);
	free(b->python);
	free(b->command);
	for (i = 0; i < b->nthreads; i++)
		free(b->threads[i].name);
	free(b->threads);
	free_funcs(b->funcs, b->nfuncs);
	free(b);
}

static int not_report(struct strbuf *why, const char *path, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static int not_report(struct strbuf *why, const char *path, const char *fmt,
		      ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sb_addf(why, "'%s' is not a gilspy JSON report: %s (write one with "
		"'gilspy record -f json')", path, buf);
	return -1;
}

int baseline_load(const char *path, struct baseline **out,
		  struct strbuf *why)
{
	struct load l;
	struct jp *j = &l.j;
	int ret = -1;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	l.b = xcalloc(1, sizeof(*l.b));
	j->f = fopen(path, "r");
	if (!j->f) {
		sb_addf(why, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	j->line = j->col = 1;
	j->c = getc(j->f);
	j->bytes = j->c != EOF;
	/* a UTF-8 byte order mark is not JSON, but editors write it */
	if (j->c == 0xef) {
		adv(j);
		if (j->c == 0xbb)
			adv(j);
		if (j->c == 0xbf)
			adv(j);
		j->col = 1;
	}
	ws(j);
	if (j->c == EOF && !ferror(j->f) && !j->failed) {
		sb_addf(why, "'%s' is empty: expected a gilspy JSON report "
			"(write one with 'gilspy record -f json')", path);
		goto out;
	}
	if (j->c == '[') {
		ret = skip(j);
		if (ret >= 0) {
			ret = not_report(why, path, "it is a JSON array, not "
					 "an object");
			goto out;
		}
	} else if (j->c != '{') {
		expected(j, "'{' (a JSON object)");
	} else if (open_(j) == 0) {
		load_report(&l);
	}
	if (!j->failed) {
		ws(j);
		if (j->c != EOF)
			jfail(j, "unexpected data after the JSON object");
	}
	if (ferror(j->f)) {
		sb_addf(why, "cannot read '%s': %s", path, strerror(errno));
		ret = -1;
		goto out;
	}
	if (j->failed) {
		sb_addf(why, "'%s' is not valid JSON: %s", path, j->msg.buf);
		ret = -1;
		goto out;
	}
	ret = -1;
	if (l.trace_events) {
		not_report(why, path, "it is a Chrome trace");
	} else if (l.schema && strstr(l.schema, "speedscope")) {
		not_report(why, path, "it is a speedscope profile");
	} else if (!l.have_version) {
		not_report(why, path, "it has no numeric \"version\"");
	} else if (!l.b->generator || strncmp(l.b->generator, "gilspy", 6)) {
		not_report(why, path, "its \"generator\" is not gilspy");
	} else if (l.version < 1 || l.version != floor(l.version) ||
		   l.version > 1e6) {
		not_report(why, path, "its version %g is not a schema "
			   "version (1 or later)", l.version);
	} else if (!l.have_summary) {
		not_report(why, path, "it has no \"summary\" object");
	} else {
		l.b->version = (int)l.version;
		finish(&l);
		*out = l.b;
		l.b = NULL;
		ret = 0;
	}
out:
	if (j->f)
		fclose(j->f);
	sb_release(&j->msg);
	sb_release(&l.key);
	free(l.schema);
	free(l.fself);
	free_funcs(l.top, l.ntop);
	baseline_free(l.b);
	return ret;
}
