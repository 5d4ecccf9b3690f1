/* test_seq.c - the sequence renderers (speedscope, Chrome trace events) fed
 * with synthetic samples; their JSON is parsed back by a small strict
 * parser so the checks are on structure, not on spelling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/output.h"
#include "gilspy/profile.h"
#include "harness.h"

/* --- a strict JSON parser (RFC 8259, no extensions) ---------------------- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jtype type;
	double num;
	char *str;		/* J_STR; keys of J_OBJ members are in keys */
	struct jv **items;	/* J_ARR, J_OBJ */
	char **keys;		/* J_OBJ */
	size_t n;
};

struct jp {
	const char *s;
	int err;
};

static struct jv *jparse_value(struct jp *p, int depth);

static void jskip(struct jp *p)
{
	while (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')
		p->s++;
}

static struct jv *jnew(enum jtype t)
{
	struct jv *v = calloc(1, sizeof(*v));

	v->type = t;
	return v;
}

static void jfree(struct jv *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		jfree(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string literal; \u escapes are kept as written except \uXXXX below
 * 0x80, enough for these checks.  Raw bytes must be valid UTF-8. */
static char *jparse_str(struct jp *p)
{
	struct strbuf sb = STRBUF_INIT;

	if (*p->s != '"') {
		p->err = 1;
		return NULL;
	}
	p->s++;
	sb_adds(&sb, "");	/* NUL-terminated even when empty */
	for (;;) {
		unsigned char c = (unsigned char)*p->s;

		if (c == '"') {
			p->s++;
			break;
		}
		if (c < 0x20) {		/* also the end of the text */
			p->err = 1;
			break;
		}
		if (c == '\\') {
			char e = p->s[1];
			const char *map = strchr("\"\\/bfnrt", e);

			if (e == 'u') {
				int k, v = 0;

				for (k = 2; k < 6; k++) {
					int h = hexval(p->s[k]);

					if (h < 0) {
						p->err = 1;
						goto out;
					}
					v = v * 16 + h;
				}
				if (v < 0x80)
					sb_addc(&sb, (char)v);
				else
					sb_add(&sb, p->s, 6);
				p->s += 6;
				continue;
			}
			if (!e || !map) {
				p->err = 1;
				break;
			}
			sb_addc(&sb, "\"\\/\b\f\n\r\t"[map - "\"\\/bfnrt"]);
			p->s += 2;
			continue;
		}
		if (c >= 0x80) {	/* check the UTF-8 sequence */
			int len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 :
				  c >= 0xc2 && c < 0xe0 ? 2 : 0, k;

			if (!len || c >= 0xf5) {
				p->err = 1;
				break;
			}
			for (k = 1; k < len; k++)
				if (((unsigned char)p->s[k] & 0xc0) != 0x80) {
					p->err = 1;
					goto out;
				}
			sb_add(&sb, p->s, (size_t)len);
			p->s += len;
			continue;
		}
		sb_addc(&sb, (char)c);
		p->s++;
	}
out:
	return sb_detach(&sb);
}

static struct jv *jparse_value(struct jp *p, int depth)
{
	struct jv *v = NULL;

	jskip(p);
	if (depth > 64) {
		p->err = 1;
		return NULL;
	}
	if (*p->s == '{' || *p->s == '[') {
		int obj = *p->s == '{';

		v = jnew(obj ? J_OBJ : J_ARR);
		p->s++;
		jskip(p);
		if (*p->s == (obj ? '}' : ']')) {
			p->s++;
			return v;
		}
		for (;;) {
			char *key = NULL;

			jskip(p);
			if (obj) {
				key = jparse_str(p);
				jskip(p);
				if (p->err || *p->s != ':') {
					free(key);
					p->err = 1;
					return v;
				}
				p->s++;
			}
			v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
			if (obj)
				v->keys = realloc(v->keys,
						  (v->n + 1) * sizeof(*v->keys));
			v->items[v->n] = jparse_value(p, depth + 1);
			if (obj)
				v->keys[v->n] = key;
			v->n++;
			if (p->err)
				return v;
			jskip(p);
			if (*p->s == ',') {
				p->s++;
				continue;
			}
			if (*p->s == (obj ? '}' : ']')) {
				p->s++;
				return v;
			}
			p->err = 1;
			return v;
		}
	}
	if (*p->s == '"') {
		v = jnew(J_STR);
		v->str = jparse_str(p);
		return v;
	}
	if (!strncmp(p->s, "true", 4) || !strncmp(p->s, "null", 4)) {
		v = jnew(*p->s == 't' ? J_BOOL : J_NULL);
		v->num = *p->s == 't';
		p->s += 4;
		return v;
	}
	if (!strncmp(p->s, "false", 5)) {
		v = jnew(J_BOOL);
		p->s += 5;
		return v;
	}
	if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9')) {
		const char *q = p->s;
		char *end;

		if (*q == '-')
			q++;
		if (*q == '0' && q[1] >= '0' && q[1] <= '9')
			p->err = 1;	/* no leading zeros */
		v = jnew(J_NUM);
		v->num = strtod(p->s, &end);
		if (end == p->s || !isfinite(v->num))
			p->err = 1;
		p->s = end;
		return v;
	}
	p->err = 1;
	return NULL;
}

/* The document, or NULL (with a diagnostic) when it is not valid JSON. */
static struct jv *jparse(const char *text)
{
	struct jp p = { text, 0 };
	struct jv *v = jparse_value(&p, 0);

	jskip(&p);
	if (p.err || *p.s) {
		printf("#   invalid JSON near offset %ld: %.40s\n",
		       (long)(p.s - text), p.s);
		jfree(v);
		return NULL;
	}
	return v;
}

static struct jv *jget(const struct jv *v, const char *key)
{
	size_t i;

	if (!v || v->type != J_OBJ)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return v->items[i];
	return NULL;
}

static struct jv *jat(const struct jv *v, size_t i)
{
	return v && v->type == J_ARR && i < v->n ? v->items[i] : NULL;
}

static const char *jstr(const struct jv *v)
{
	return v && v->type == J_STR ? v->str : NULL;
}

static long long jint(const struct jv *v)
{
	return v && v->type == J_NUM ? (long long)v->num : -999999;
}

/* --- synthetic profiles --------------------------------------------------- */

/* Frame id i is "f<i>" in /srv/app/mod.py at line 10*i (first line
 * 10*i - 1), except 8 and 18, which are f8 at other lines (line 80 and
 * 180, both first line 79), and 9, whose name is hostile. */
static const struct py_frame_info *fake_frame(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[32];

	(void)ctx;
	snprintf(name, sizeof(name), "f%u", id == 18 ? 8 : id);
	fi.name = id == 9 ? "bad \"q\" \\ \x01 \xff\xfe <x> ;semi" : name;
	fi.filename = "/srv/app/mod.py";
	fi.line = (int)id * 10;
	fi.firstlineno = id == 18 ? 79 : (int)id * 10 - 1;
	return &fi;
}

static const char *fake_name(void *ctx, pid_t tid, uint64_t thread_id)
{
	(void)ctx;
	(void)thread_id;
	return tid == 100 ? "MainThread" : tid == 101 ? "worker \"1\"" :
	       tid == 50 ? "early" : NULL;
}

struct fixture {
	struct profile *p;
	struct seq_renderer *r[2];	/* speedscope, chrome */
	struct py_sample *s;
	struct output_options o;
};

static void fx_init(struct fixture *f, void (*opts)(struct output_options *))
{
	struct profile_resolver res = { fake_frame, fake_name, NULL };

	f->p = profile_new(&res);
	f->s = calloc(1, sizeof(*f->s));
	output_options_init(&f->o);
	if (opts)
		opts(&f->o);
	f->r[0] = seq_new(OUT_SPEEDSCOPE, &f->o);
	f->r[1] = seq_new(OUT_CHROME, &f->o);
}

static void fx_release(struct fixture *f)
{
	seq_free(f->r[0]);
	seq_free(f->r[1]);
	profile_free(f->p);
	free(f->s);
}

static void fx_begin(struct fixture *f, uint64_t t_ms)
{
	struct py_sample *s = f->s;

	s->nthreads = 0;
	s->pool_used = 0;
	s->errors = 0;
	s->time_ns = t_ms * 1000000ull;
	s->gil_locked = 1;
}

/* Thread tid in state st with frames ids (innermost first, 0-terminated). */
static void fx_thread(struct fixture *f, pid_t tid, enum gil_state st,
		      const uint32_t *ids)
{
	struct py_sample *s = f->s;
	struct py_thread_sample *t = &s->threads[s->nthreads++];
	int n = 0;

	while (ids && ids[n])
		n++;
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->thread_id = 0x7f0000000000ull + (uint64_t)tid;
	t->tstate = 0x5000 + (uint64_t)tid;
	t->state = st;
	t->evidence = st == GIL_HELD ? EV_HOLDER : EV_OS_RUNNING;
	t->nframes = n;
	t->frames = &s->pool[s->pool_used];
	if (n)
		memcpy(t->frames, ids, (size_t)n * sizeof(*ids));
	s->pool_used += n;
}

static void fx_end(struct fixture *f)
{
	profile_add(f->p, f->s);
	seq_add(f->r[0], f->p, f->s);
	seq_add(f->r[1], f->p, f->s);
}

static void fx_failed(struct fixture *f, uint64_t t_ms)
{
	profile_add_failed(f->p, t_ms * 1000000ull);
	seq_add_failed(f->r[0], t_ms * 1000000ull);
	seq_add_failed(f->r[1], t_ms * 1000000ull);
}

/* Render format k (0 speedscope, 1 chrome) and parse it. */
static struct jv *fx_render(struct fixture *f, int k, struct strbuf *sb)
{
	struct record_info ri;

	memset(&ri, 0, sizeof(ri));
	ri.pid = 4242;
	ri.python = "3.12.1";
	ri.command = "python3 app.py --flag";
	ri.requested_hz = 1000;
	ri.exit_code = -1;
	sb_reset(sb);
	seq_finish(f->r[k], sb, f->p, &ri);
	return jparse(sb->buf);
}

static const uint32_t A[] = { 3, 2, 1, 0 };	/* f1 > f2 > f3 */
static const uint32_t B[] = { 4, 2, 1, 0 };	/* f1 > f2 > f4 */
static const uint32_t C8[] = { 8, 1, 0 };	/* f1 > f8 at line 80 */
static const uint32_t C18[] = { 18, 1, 0 };	/* f1 > f8 at line 180 */
static const uint32_t H[] = { 9, 1, 0 };	/* f1 > hostile */

/* The frame names of sample j of profile prof, root first, joined by ';'. */
static char *ss_stack(const struct jv *doc, const struct jv *prof, size_t j)
{
	const struct jv *frames = jget(jget(doc, "shared"), "frames");
	const struct jv *stack = jat(jget(prof, "samples"), j);
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	sb_adds(&sb, "");	/* NUL-terminated even when empty */
	for (i = 0; stack && i < stack->n; i++) {
		const struct jv *fr = jat(frames, (size_t)jint(stack->items[i]));

		if (i)
			sb_addc(&sb, ';');
		sb_adds(&sb, jstr(jget(fr, "name")) ? jstr(jget(fr, "name")) :
			"<bad frame index>");
	}
	return sb_detach(&sb);
}

/* --- speedscope ----------------------------------------------------------- */

TEST(seq, speedscope_one_profile_per_thread_with_merged_weights)
{
	struct fixture f;
	struct strbuf sb = STRBUF_INIT;
	struct jv *doc, *profs, *p0, *p1, *w;
	char *st;
	int k;

	fx_init(&f, NULL);
	for (k = 0; k < 6; k++) {
		fx_begin(&f, (uint64_t)k);
		/* the worker is listed first, yet has the larger tid */
		fx_thread(&f, 101, k < 4 ? GIL_WAITING : GIL_NATIVE, B);
		fx_thread(&f, 100, k == 3 || k == 4 ? GIL_IDLE : GIL_HELD,
			  k < 2 ? A : B);
		fx_end(&f);
	}
	doc = fx_render(&f, 0, &sb);
	CHECK(doc != NULL);
	CHECK_EQ_STR(jstr(jget(doc, "$schema")),
		     "https://www.speedscope.app/file-format-schema.json");
	CHECK_EQ_STR(jstr(jget(doc, "name")), "python3 app.py --flag");
	CHECK(jstr(jget(doc, "exporter")) &&
	      !strncmp(jstr(jget(doc, "exporter")), "gilspy ", 7));
	profs = jget(doc, "profiles");
	CHECK(profs && profs->n == 2);
	p0 = jat(profs, 0);
	p1 = jat(profs, 1);
	CHECK_EQ_STR(jstr(jget(p0, "name")), "MainThread (100)");
	CHECK_EQ_STR(jstr(jget(p1, "name")), "worker \"1\" (101)");
	CHECK_EQ_STR(jstr(jget(p0, "type")), "sampled");
	CHECK_EQ_STR(jstr(jget(p0, "unit")), "none");
	CHECK_EQ_INT(jint(jget(p0, "startValue")), 0);
	/* main: held A, A, B, (idle, idle: dropped), B: two runs */
	w = jget(p0, "weights");
	CHECK(w && w->n == 2);
	CHECK_EQ_INT(jint(jat(w, 0)), 2);
	CHECK_EQ_INT(jint(jat(w, 1)), 2);
	CHECK_EQ_INT(jint(jget(p0, "endValue")), 4);
	CHECK_EQ_INT(jget(p0, "samples")->n, 2);
	st = ss_stack(doc, p0, 0);
	CHECK_EQ_STR(st, "f1 (mod.py:10);f2 (mod.py:20);f3 (mod.py:30);"
		     "[GIL held]");
	free(st);
	st = ss_stack(doc, p0, 1);
	CHECK_EQ_STR(st, "f1 (mod.py:10);f2 (mod.py:20);f4 (mod.py:40);"
		     "[GIL held]");
	free(st);
	/* worker: waiting x4 then native x2, same frames, two leaves */
	w = jget(p1, "weights");
	CHECK(w && w->n == 2);
	CHECK_EQ_INT(jint(jat(w, 0)), 4);
	CHECK_EQ_INT(jint(jat(w, 1)), 2);
	CHECK_EQ_INT(jint(jget(p1, "endValue")), 6);
	st = ss_stack(doc, p1, 0);
	CHECK_EQ_STR(st, "f1 (mod.py:10);f2 (mod.py:20);f4 (mod.py:40);"
		     "[waiting for GIL]");
	free(st);
	st = ss_stack(doc, p1, 1);
	CHECK(strstr(st, ";[running without GIL]") != NULL);
	free(st);
	/* frames carry the full path and the line they show */
	CHECK_EQ_STR(jstr(jget(jat(jget(jget(doc, "shared"), "frames"), 0),
			       "file")), "/srv/app/mod.py");
	CHECK_EQ_INT(jint(jget(jat(jget(jget(doc, "shared"), "frames"), 0),
			       "line")), 10);
	jfree(doc);
	sb_release(&sb);
	fx_release(&f);
}

static void opts_idle_nolineno(struct output_options *o)
{
	o->states |= 1u << GIL_IDLE;
	o->lineno = 0;
}

TEST(seq, speedscope_filters_and_frame_options)
{
	struct fixture f;
	struct strbuf sb = STRBUF_INIT;
	struct jv *doc, *p0, *frames;
	size_t i;
	char *st;

	fx_init(&f, opts_idle_nolineno);
	/* f8 at two lines: without line numbers one stack, one sample */
	fx_begin(&f, 0);
	fx_thread(&f, 100, GIL_IDLE, C8);
	fx_end(&f);
	fx_begin(&f, 1);
	fx_thread(&f, 100, GIL_IDLE, C18);
	fx_end(&f);
	fx_begin(&f, 2);
	fx_thread(&f, 100, GIL_IDLE, NULL);	/* empty stack: leaf only */
	fx_end(&f);
	doc = fx_render(&f, 0, &sb);
	CHECK(doc != NULL);
	p0 = jat(jget(doc, "profiles"), 0);
	CHECK_EQ_INT(jget(doc, "profiles")->n, 1);
	CHECK_EQ_INT(jget(p0, "weights")->n, 2);
	CHECK_EQ_INT(jint(jat(jget(p0, "weights"), 0)), 2);
	st = ss_stack(doc, p0, 0);
	CHECK_EQ_STR(st, "f1 (mod.py);f8 (mod.py);[idle]");
	free(st);
	st = ss_stack(doc, p0, 1);
	CHECK_EQ_STR(st, "[idle]");
	free(st);
	frames = jget(jget(doc, "shared"), "frames");
	for (i = 0; frames && i < frames->n; i++)
		CHECK(jget(frames->items[i], "line") == NULL);
	jfree(doc);
	sb_release(&sb);
	fx_release(&f);
}

static void opts_plain(struct output_options *o)
{
	o->state_frames = 0;
	o->function = 1;
}

TEST(seq, speedscope_without_state_frames_and_torn_stacks)
{
	struct fixture f;
	struct strbuf sb = STRBUF_INIT;
	struct jv *doc, *p0;
	char *st;

	fx_init(&f, opts_plain);
	fx_begin(&f, 0);
	fx_thread(&f, 100, GIL_HELD, C8);
	fx_end(&f);
	fx_begin(&f, 1);
	fx_thread(&f, 100, GIL_WAITING, C18);	/* same text: f8 (mod.py:79) */
	fx_end(&f);
	fx_begin(&f, 2);
	fx_thread(&f, 100, GIL_HELD, A);
	f.s->threads[0].incomplete = 1;		/* torn: dropped */
	fx_end(&f);
	fx_begin(&f, 3);
	fx_thread(&f, 100, GIL_HELD, NULL);	/* nothing to show */
	fx_end(&f);
	doc = fx_render(&f, 0, &sb);
	CHECK(doc != NULL);
	p0 = jat(jget(doc, "profiles"), 0);
	CHECK_EQ_INT(jget(p0, "weights")->n, 1);
	CHECK_EQ_INT(jint(jget(p0, "endValue")), 2);
	st = ss_stack(doc, p0, 0);
	CHECK_EQ_STR(st, "f1 (mod.py:9);f8 (mod.py:79)");
	free(st);
	CHECK(strstr(sb.buf, "[GIL held]") == NULL);
	jfree(doc);
	sb_release(&sb);
	fx_release(&f);
}

TEST(seq, speedscope_empty_and_hostile_names_stay_valid_json)
{
	struct fixture f;
	struct strbuf sb = STRBUF_INIT;
	struct jv *doc;
	char *st;

	fx_init(&f, NULL);
	doc = fx_render(&f, 0, &sb);
	CHECK(doc != NULL);
	CHECK_EQ_INT(jget(doc, "profiles")->n, 0);
	jfree(doc);
	doc = fx_render(&f, 1, &sb);
	CHECK(doc != NULL);
	jfree(doc);

	fx_begin(&f, 0);
	fx_thread(&f, 101, GIL_HELD, H);
	fx_end(&f);
	doc = fx_render(&f, 0, &sb);
	CHECK(doc != NULL);
	st = ss_stack(doc, jat(jget(doc, "profiles"), 0), 0);
	/* output_frame() turns ';' and controls into ':' and ' ' */
	CHECK(strstr(st, "bad \"q\" \\   ") != NULL);
	CHECK(strstr(st, "<x> :semi (mod.py:90)") != NULL);
	CHECK(strstr(st, "\\ufffd") != NULL);	/* invalid UTF-8 */
	free(st);
	jfree(doc);
	doc = fx_render(&f, 1, &sb);
	CHECK(doc != NULL);
	CHECK(strstr(sb.buf, "\"worker \\\"1\\\"\"") != NULL);
	jfree(doc);
	sb_release(&sb);
	fx_release(&f);
}

/* --- chrome --------------------------------------------------------------- */

/* Every event of the trace, checked against the trace-event format's fields
 * for its phase; returns the number of problems (printed). */
static int check_events(const struct jv *doc)
{
	const struct jv *ev = jget(doc, "traceEvents");
	int bad = 0;
	size_t i;

	if (!ev || ev->type != J_ARR)
		return 1;
	for (i = 0; i < ev->n; i++) {
		const struct jv *e = ev->items[i];
		const char *ph = jstr(jget(e, "ph"));
		int ok = ph && jstr(jget(e, "name")) &&
			 jget(e, "pid") && jget(e, "pid")->type == J_NUM &&
			 jget(e, "tid") && jget(e, "tid")->type == J_NUM;

		if (ok && !strcmp(ph, "X"))
			ok = jint(jget(e, "ts")) >= 0 &&
			     jint(jget(e, "dur")) >= 0;
		else if (ok && !strcmp(ph, "C"))
			ok = jint(jget(e, "ts")) >= 0 &&
			     jget(jget(e, "args"), "waiting") != NULL;
		else if (ok && !strcmp(ph, "M"))
			ok = jget(e, "args") && jget(e, "args")->type == J_OBJ;
		else
			ok = 0;
		if (!ok) {
			printf("#   bad event %zu\n", i);
			bad++;
		}
	}
	return bad;
}

/* The X events of tid, as "name@ts+dur" joined by ' '. */
static char *slices(const struct jv *doc, int tid)
{
	const struct jv *ev = jget(doc, "traceEvents");
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	sb_adds(&sb, "");	/* NUL-terminated even when empty */
	for (i = 0; ev && i < ev->n; i++) {
		const struct jv *e = ev->items[i];

		if (strcmp(jstr(jget(e, "ph")) ? jstr(jget(e, "ph")) : "", "X") ||
		    jint(jget(e, "tid")) != tid)
			continue;
		sb_addf(&sb, "%s%s@%lld+%lld", sb.len ? " " : "",
			jstr(jget(e, "name")), jint(jget(e, "ts")),
			jint(jget(e, "dur")));
	}
	return sb_detach(&sb);
}

static const char *meta(const struct jv *doc, const char *what, int tid)
{
	const struct jv *ev = jget(doc, "traceEvents");
	size_t i;

	for (i = 0; ev && i < ev->n; i++) {
		const struct jv *e = ev->items[i];

		if (jstr(jget(e, "ph")) && !strcmp(jstr(jget(e, "ph")), "M") &&
		    !strcmp(jstr(jget(e, "name")), what) &&
		    jint(jget(e, "tid")) == tid)
			return jstr(jget(jget(e, "args"), "name"));
	}
	return NULL;
}

TEST(seq, chrome_intervals_gil_track_and_waiters)
{
	struct fixture f;
	struct strbuf sb = STRBUF_INIT;
	struct jv *doc, *ev;
	char *s;
	int k, ncounter = 0;
	size_t i;

	fx_init(&f, NULL);
	/* ticks every ms; main holds at 0-2, waits 3-4; worker waits 0-2,
	 * holds 3-4; a failed tick at 5; main holds 6-7 alone. */
	for (k = 0; k < 5; k++) {
		fx_begin(&f, 10 + (uint64_t)k);
		fx_thread(&f, 100, k < 3 ? GIL_HELD : GIL_WAITING, A);
		fx_thread(&f, 101, k < 3 ? GIL_WAITING : GIL_HELD, B);
		fx_end(&f);
	}
	fx_failed(&f, 15);
	for (k = 6; k < 8; k++) {
		fx_begin(&f, 10 + (uint64_t)k);
		fx_thread(&f, 100, GIL_HELD, B);
		fx_end(&f);
	}
	doc = fx_render(&f, 1, &sb);
	CHECK(doc != NULL);
	CHECK_EQ_INT(check_events(doc), 0);
	CHECK_EQ_STR(jstr(jget(doc, "displayTimeUnit")), "ms");
	CHECK_EQ_STR(meta(doc, "process_name", 0), "python3 app.py --flag");
	CHECK_EQ_STR(meta(doc, "thread_name", 0), "GIL holder");
	CHECK_EQ_STR(meta(doc, "thread_name", 100), "MainThread");
	CHECK_EQ_STR(meta(doc, "thread_name", 101), "worker \"1\"");
	/* mean tick = 7 ms / 7 = 1 ms; the last interval gets one tick */
	s = slices(doc, 100);
	CHECK_EQ_STR(s, "held@0+3000 waiting@3000+2000 held@6000+2000");
	free(s);
	s = slices(doc, 101);
	CHECK_EQ_STR(s, "waiting@0+3000 held@3000+2000");
	free(s);
	s = slices(doc, 0);
	CHECK_EQ_STR(s, "MainThread (100)@0+3000 worker \"1\" (101)@3000+2000 "
		     "MainThread (100)@6000+2000");
	free(s);
	/* the innermost function rides along */
	CHECK(strstr(sb.buf, "\"name\": \"held\", \"cname\": "
		     "\"thread_state_running\", \"pid\": 4242, \"tid\": 100, "
		     "\"ts\": 0, \"dur\": 3000, \"args\": {\"function\": "
		     "\"f3 (mod.py:30)\"}}") != NULL);
	/* waiters: 1 from 0 ms, 0 from 6 ms */
	ev = jget(doc, "traceEvents");
	for (i = 0; ev && i < ev->n; i++) {
		const struct jv *e = ev->items[i];

		if (strcmp(jstr(jget(e, "ph")), "C"))
			continue;
		CHECK_EQ_STR(jstr(jget(e, "name")), "GIL waiters");
		CHECK_EQ_INT(jint(jget(e, "ts")), ncounter ? 6000 : 0);
		CHECK_EQ_INT(jint(jget(jget(e, "args"), "waiting")),
			     ncounter ? 0 : 1);
		ncounter++;
	}
	CHECK_EQ_INT(ncounter, 2);
	jfree(doc);
	sb_release(&sb);
	fx_release(&f);
}

static void opts_idle(struct output_options *o)
{
	o->states |= 1u << GIL_IDLE;
}

TEST(seq, chrome_gaps_absences_and_filters)
{
	struct fixture f;
	struct strbuf sb = STRBUF_INIT;
	struct jv *doc;
	char *s;
	int k;

	fx_init(&f, NULL);
	/* 0..9 ms every ms, then a 100 ms stall, then 110..119 ms */
	for (k = 0; k < 20; k++) {
		uint64_t t = k < 10 ? (uint64_t)k : 100 + (uint64_t)k;

		fx_begin(&f, t);
		fx_thread(&f, 100, GIL_NATIVE, A);
		/* the worker exists from 2 to 5 ms only; idle at 4 */
		if (k >= 2 && k <= 5)
			fx_thread(&f, 101, k == 4 ? GIL_IDLE : GIL_HELD, B);
		fx_end(&f);
	}
	doc = fx_render(&f, 1, &sb);
	CHECK(doc != NULL);
	CHECK_EQ_INT(check_events(doc), 0);
	/* mean tick: 119 ms / 19; the stall is far above 5 of those */
	s = slices(doc, 100);
	CHECK_EQ_STR(s, "native@0+15263 native@110000+15263");
	free(s);
	/* idle is filtered out: a hole at 4 ms; the exit ends it at 6 ms */
	s = slices(doc, 101);
	CHECK_EQ_STR(s, "held@2000+2000 held@5000+1000");
	free(s);
	jfree(doc);
	sb_release(&sb);
	fx_release(&f);

	fx_init(&f, opts_idle);
	for (k = 0; k < 4; k++) {
		fx_begin(&f, (uint64_t)k);
		fx_thread(&f, 50, k == 2 ? GIL_IDLE : GIL_HELD, NULL);
		fx_end(&f);
	}
	doc = fx_render(&f, 1, &sb);
	CHECK(doc != NULL);
	s = slices(doc, 50);
	CHECK_EQ_STR(s, "held@0+2000 idle@2000+1000 held@3000+1000");
	free(s);
	CHECK(strstr(sb.buf, "\"args\": {\"function\"") == NULL);
	jfree(doc);
	sb_release(&sb);
	fx_release(&f);
}

TEST(seq, same_samples_same_bytes)
{
	struct fixture f[2];
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct jv *d;
	int n, k, fmt;

	for (n = 0; n < 2; n++) {
		fx_init(&f[n], opts_idle);
		for (k = 0; k < 300; k++) {
			fx_begin(&f[n], (uint64_t)k);
			fx_thread(&f[n], 300 - k % 7, (enum gil_state)(k % 4),
				  k % 3 ? A : B);
			fx_thread(&f[n], 101, (enum gil_state)(k / 10 % 4),
				  k % 5 ? C8 : H);
			fx_end(&f[n]);
			if (k % 50 == 49)
				fx_failed(&f[n], (uint64_t)k);
		}
	}
	for (fmt = 0; fmt < 2; fmt++) {
		d = fx_render(&f[0], fmt, &a);
		CHECK(d != NULL);
		jfree(d);
		d = fx_render(&f[1], fmt, &b);
		jfree(d);
		CHECK(a.len > 0 && a.len == b.len && !memcmp(a.buf, b.buf, a.len));
		/* rendering twice gives the same too */
		d = fx_render(&f[1], fmt, &b);
		jfree(d);
		CHECK(a.len == b.len && !memcmp(a.buf, b.buf, a.len));
	}
	sb_release(&a);
	sb_release(&b);
	fx_release(&f[0]);
	fx_release(&f[1]);
}

TEST(seq, titles_cut_paths_and_length)
{
	struct fixture f;
	struct strbuf sb = STRBUF_INIT, cmd = STRBUF_INIT;
	struct record_info ri;
	struct jv *doc;
	int k;

	fx_init(&f, NULL);
	fx_begin(&f, 0);
	fx_thread(&f, 100, GIL_HELD, A);
	fx_end(&f);
	memset(&ri, 0, sizeof(ri));
	ri.pid = 7;
	ri.command = "/opt/py/bin/python3.12 ./srv/app.py --out=/tmp/x dir/ /";
	seq_finish(f.r[0], &sb, f.p, &ri);
	doc = jparse(sb.buf);
	CHECK_EQ_STR(jstr(jget(doc, "name")),
		     "python3.12 app.py --out=/tmp/x dir/ /");
	jfree(doc);
	sb_reset(&sb);
	seq_finish(f.r[1], &sb, f.p, &ri);
	doc = jparse(sb.buf);
	CHECK_EQ_STR(meta(doc, "process_name", 0),
		     "python3.12 app.py --out=/tmp/x dir/ /");
	CHECK_EQ_STR(jstr(jget(jget(doc, "otherData"), "command")), ri.command);
	jfree(doc);
	/* long: cut at 80 bytes on a character boundary */
	for (k = 0; k < 30; k++)
		sb_adds(&cmd, "\xc3\xa9t\xc3\xa9 ");
	ri.command = cmd.buf;
	sb_reset(&sb);
	seq_finish(f.r[0], &sb, f.p, &ri);
	doc = jparse(sb.buf);
	CHECK(doc != NULL);
	CHECK(strlen(jstr(jget(doc, "name"))) <= 83);
	CHECK(strstr(jstr(jget(doc, "name")), "\xc3\xa9t\xc3\xa9 ") != NULL);
	CHECK(strstr(jstr(jget(doc, "name")), "...") != NULL);
	jfree(doc);
	ri.command = NULL;
	sb_reset(&sb);
	seq_finish(f.r[0], &sb, f.p, &ri);
	doc = jparse(sb.buf);
	CHECK_EQ_STR(jstr(jget(doc, "name")), "pid 7");
	jfree(doc);
	sb_release(&cmd);
	sb_release(&sb);
	fx_release(&f);
}

TEST(seq, chrome_unknown_tids_and_free_threaded)
{
	struct fixture f;
	struct strbuf sb = STRBUF_INIT;
	struct jv *doc;
	char *s;
	int k;

	fx_init(&f, NULL);
	for (k = 0; k < 3; k++) {
		fx_begin(&f, (uint64_t)k);
		fx_thread(&f, 0, GIL_RUNNING, A);	/* tid unknown */
		f.s->threads[0].tstate = 0x9000;
		f.s->threads[0].thread_id = 0x9000;
		fx_thread(&f, 0, GIL_RUNNING, B);	/* another one */
		f.s->threads[1].tstate = 0x9100;
		f.s->threads[1].thread_id = 0x9100;
		fx_end(&f);
	}
	doc = fx_render(&f, 1, &sb);
	CHECK(doc != NULL);
	CHECK_EQ_INT(check_events(doc), 0);
	CHECK_EQ_INT(profile_nthreads(f.p), 2);
	s = slices(doc, 0);			/* no holder: no holder track */
	CHECK_EQ_STR(s, "");
	free(s);
	s = slices(doc, (1 << 22) + 1);
	CHECK_EQ_STR(s, "running@0+3000");
	free(s);
	s = slices(doc, (1 << 22) + 2);
	CHECK_EQ_STR(s, "running@0+3000");
	free(s);
	CHECK(meta(doc, "thread_name", 0) == NULL);
	CHECK(strstr(sb.buf, "\"ph\": \"C\"") == NULL);
	jfree(doc);
	sb_release(&sb);
	fx_release(&f);
}
