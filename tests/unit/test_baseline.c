/* test_baseline.c - reading back a JSON report as a baseline: a real report
 * from output_json, reports from a newer schema, and files that are not
 * reports at all (empty, truncated, garbage, other tools' JSON, hostile
 * nesting and strings), which must be refused with a clear reason. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gilspy/analysis.h"
#include "gilspy/baseline.h"
#include "gilspy/json.h"
#include "gilspy/output.h"
#include "harness.h"

static const struct py_frame_info *bl_frame(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[64];

	(void)ctx;
	if (id == 9)
		snprintf(name, sizeof(name), "we\"ird\n\xff|name");
	else
		snprintf(name, sizeof(name), "func%u", id);
	fi.name = name;
	fi.filename = id == 4 ? "/usr/lib/python3.12/json/decoder.py" :
				"/srv/app/base.py";
	fi.line = (int)id * 3;
	fi.firstlineno = (int)id * 3 - 1;
	return &fi;
}

static const char *bl_thread(void *ctx, pid_t tid, uint64_t thread_id)
{
	(void)ctx;
	(void)thread_id;
	return tid == 200 ? "MainThread" : tid == 201 ? "pool \"1\"" : NULL;
}

static void bl_set(struct py_sample *s, int i, pid_t tid, enum gil_state st,
		   uint32_t leaf)
{
	struct py_thread_sample *t = &s->threads[i];
	uint32_t ids[2] = { leaf, 1 };

	t->tid = tid;
	t->thread_id = (uint64_t)tid;
	t->tstate = 0x9000 + (uint64_t)tid;
	t->state = st;
	t->evidence = EV_OS_RUNNING;
	t->nframes = 2;
	t->frames = &s->pool[s->pool_used];
	memcpy(t->frames, ids, sizeof(ids));
	s->pool_used += 2;
	if (i >= s->nthreads)
		s->nthreads = i + 1;
}

/* 20 ticks: MainThread held in 0-11 (in func2) and idle after; pool "1"
 * waiting in 0-11 (func9, a hostile name), held in 12-19 (func4). */
static struct profile *bl_profile(void)
{
	struct profile_resolver r = { bl_frame, bl_thread, NULL };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	int i;

	for (i = 0; i < 20; i++) {
		s->nthreads = 0;
		s->pool_used = 0;
		s->time_ns = (uint64_t)(i + 1) * 5000000ull;
		s->gil_locked = 1;
		s->switch_number = (uint64_t)i;
		bl_set(s, 0, 200, i < 12 ? GIL_HELD : GIL_IDLE, 2);
		bl_set(s, 1, 201, i < 12 ? GIL_WAITING : GIL_HELD,
		       i < 12 ? 9 : 4);
		profile_add(p, s);
	}
	free(s);
	return p;
}

static const struct record_info bl_ri = {
	.pid = 4242, .python = "3.12.1", .command = "python base.py",
	.requested_hz = 200, .wall_ns = 100000000ull,
	.stopped_by = "duration", .exit_code = -1,
};

/* Write data to a new temporary file; returns its path (free it). */
static char *tmp_file(const void *data, size_t len)
{
	char *path = xstrdup("/tmp/gilspy-unit-base.XXXXXX");
	int fd = mkstemp(path);

	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len)) {
		printf("#   cannot write a temporary file\n");
		unit_failed = 1;
	}
	if (fd >= 0)
		close(fd);
	return path;
}

/* Load text as a baseline; returns 0/-1 and the reason in why. */
static int load_text(const char *text, size_t len, struct baseline **b,
		     struct strbuf *why)
{
	char *path = tmp_file(text, len);
	int r;

	sb_reset(why);
	r = baseline_load(path, b, why);
	unlink(path);
	free(path);
	return r;
}

static void report_json(struct strbuf *sb)
{
	struct profile *p = bl_profile();
	struct output_options o;

	output_options_init(&o);
	output_json(sb, p, &o, &bl_ri);
	profile_free(p);
}

#define CHECK_NEAR(a, b) CHECK(fabs((double)(a) - (double)(b)) < 0.001)

TEST(baseline, reads_back_a_real_report)
{
	struct strbuf json = STRBUF_INIT, why = STRBUF_INIT;
	struct profile *p = bl_profile();
	struct output_figures fig;
	struct baseline *b = NULL;
	const struct baseline_func *f9 = NULL, *f4 = NULL;
	size_t i;

	report_json(&json);
	output_figures(p, &bl_ri, &fig);
	CHECK_EQ_INT(load_text(json.buf, json.len, &b, &why), 0);
	if (!b) {
		printf("#   %s\n", why.buf);
		goto out;
	}
	CHECK_EQ_INT(b->version, OUTPUT_JSON_VERSION);
	CHECK(!strncmp(b->generator, "gilspy ", 7));
	CHECK_EQ_STR(b->python, "3.12.1");
	CHECK_EQ_STR(b->command, "python base.py");
	CHECK_EQ_INT(b->has, BASE_DURATION | BASE_SAMPLES | BASE_UTILISATION |
		     BASE_CONTENTION | BASE_WAITERS | BASE_SWITCHES |
		     BASE_ERRORS | BASE_STATES | BASE_THREADS |
		     BASE_FUNCTIONS | BASE_SPEEDUP);
	CHECK_EQ_INT(b->no_gil, 0);
	{
		struct what_if w;

		analysis_what_if(profile_analysis(p), output_cores(&bl_ri), &w);
		CHECK_NEAR(b->no_gil_speedup, w.speedup);
	}
	CHECK_NEAR(b->duration_s, fig.duration_s);
	CHECK_NEAR(b->utilisation_pct, fig.utilisation_pct);
	CHECK_NEAR(b->contention_pct, fig.contention_pct);
	CHECK_NEAR(b->mean_waiters, fig.mean_waiters);
	CHECK_NEAR(b->switches_per_s, fig.switches_per_s);
	CHECK_NEAR(b->errors_pct, fig.errors_pct);
	CHECK_EQ_INT(b->samples, 20);
	CHECK_EQ_INT(b->state_total[GIL_HELD], 20);
	CHECK_EQ_INT(b->state_total[GIL_WAITING], 12);
	CHECK_EQ_INT(b->state_total[GIL_IDLE], 8);
	CHECK_EQ_INT(b->nthreads, 2);
	if (b->nthreads == 2) {
		CHECK_EQ_STR(b->threads[0].name, "MainThread");
		CHECK_EQ_INT(b->threads[0].tid, 200);
		CHECK_EQ_STR(b->threads[1].name, "pool \"1\"");
		CHECK(b->threads[1].has_pct);
		CHECK_NEAR(b->threads[0].pct[GIL_HELD], 60);
		CHECK_NEAR(b->threads[0].pct[GIL_IDLE], 40);
		CHECK_NEAR(b->threads[1].pct[GIL_WAITING], 60);
		/* the counts, for --fail-if 'held[pool*]<base' */
		CHECK(b->threads[0].has_counts && b->threads[1].has_counts);
		CHECK_EQ_INT(b->threads[0].count[GIL_HELD] +
			     b->threads[1].count[GIL_HELD], 20);
		CHECK_EQ_INT(b->threads[1].count[GIL_WAITING], 12);
	}
	for (i = 0; i < b->nfuncs; i++) {
		if (!strcmp(b->funcs[i].key, "func4 (json/decoder.py)"))
			f4 = &b->funcs[i];
		/* the writer made the invalid byte U+FFFD */
		if (!strcmp(b->funcs[i].name,
			    "we\"ird\n\xef\xbf\xbd|name"))
			f9 = &b->funcs[i];
	}
	CHECK(f4 && f9);
	if (f4 && f9) {
		CHECK_EQ_STR(f4->file, "/usr/lib/python3.12/json/decoder.py");
		CHECK_NEAR(f4->pct[GIL_HELD], 40);	/* 8 of 20 held */
		CHECK_NEAR(f9->pct[GIL_WAITING], 100);
		CHECK_NEAR(f9->pct[GIL_HELD], 0);
	}
out:
	baseline_free(b);
	baseline_free(NULL);
	sb_release(&json);
	sb_release(&why);
	profile_free(p);
}

TEST(baseline, newer_schema_unknown_fields_and_wrong_types)
{
	static const char text[] =
		"\xef\xbb\xbf{\"version\": 7, \"generator\": \"gilspy 9.0\",\n"
		" \"novel\": {\"deep\": [1, 2.5e-3, -0, true, false, null,"
		" {\"a\": [\"\\u00e9\\ud83d\\ude00\\/\"]}]},\n"
		" \"summary\": {\"utilisation_pct\": \"high\","
		" \"contention_pct\": 12.5, \"mean_waiters\": null,"
		" \"switches_per_s\": 1E2, \"new_figure\": {\"x\": 1},"
		" \"samples\": -4, \"duration_s\": 2},\n"
		" \"threads\": [{\"name\": \"a\", \"tid\": 1, \"pct\":"
		" {\"held\": 10, \"waiting\": 20, \"native\": 30, \"idle\": 40,"
		" \"quantum\": 0}}, {\"tid\": 2}, 17, {\"name\": 5}],\n"
		" \"top\": {\"held\": [{\"name\": \"f\", \"file\": \"/x/f.py\","
		" \"pct\": 55.5}], \"waiting\": [{\"name\": \"f\", \"file\":"
		" \"/x/f.py\", \"pct\": 4}, {\"name\": \"g\"}], \"other\": []}\n"
		"}\n";
	struct strbuf why = STRBUF_INIT;
	struct baseline *b = NULL;

	CHECK_EQ_INT(load_text(text, sizeof(text) - 1, &b, &why), 0);
	if (!b) {
		printf("#   %s\n", why.buf);
		sb_release(&why);
		return;
	}
	CHECK_EQ_INT(b->version, 7);
	CHECK_EQ_INT(b->has, BASE_CONTENTION | BASE_SWITCHES | BASE_DURATION |
		     BASE_THREADS | BASE_FUNCTIONS);
	CHECK_NEAR(b->contention_pct, 12.5);
	CHECK_NEAR(b->switches_per_s, 100);
	/* nameless threads are dropped; pct without counts is kept */
	CHECK_EQ_INT(b->nthreads, 1);
	if (b->nthreads) {
		CHECK(b->threads[0].has_pct);
		CHECK(!b->threads[0].has_counts);
		CHECK_NEAR(b->threads[0].pct[GIL_NATIVE], 30);
	}
	/* no functions[]: the top lists stand in, merged by function */
	CHECK_EQ_INT(b->nfuncs, 1);
	if (b->nfuncs) {
		CHECK_EQ_STR(b->funcs[0].key, "f (f.py)");
		CHECK_NEAR(b->funcs[0].pct[GIL_HELD], 55.5);
		CHECK_NEAR(b->funcs[0].pct[GIL_WAITING], 4);
		CHECK(b->funcs[0].pct[GIL_IDLE] < 0);
	}
	baseline_free(b);
	sb_release(&why);
}

/* Each of these must be refused with a reason containing want. */
TEST(baseline, refuses_what_is_not_a_report)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "", "is empty: expected a gilspy JSON report" },
		{ " \n\t\r\n", "is empty" },
		{ "hello", "is not valid JSON: expected '{' (a JSON object), "
		  "found 'h' at line 1, column 1" },
		{ "[1, 2, 3]", "is not a gilspy JSON report: it is a JSON "
		  "array, not an object (write one with 'gilspy record -f "
		  "json')" },
		{ "[{\"type\": \"X\"}]", "it is a JSON array" },
		{ "{\"traceEvents\": []}", "it is a Chrome trace" },
		{ "{\"$schema\": \"https://www.speedscope.app/file-format-"
		  "schema.json\", \"profiles\": []}",
		  "it is a speedscope profile" },
		{ "{}", "it has no numeric \"version\"" },
		{ "{\"version\": \"1\", \"generator\": \"gilspy 1\", "
		  "\"summary\": {}}", "no numeric \"version\"" },
		{ "{\"version\": 1, \"summary\": {}}",
		  "its \"generator\" is not gilspy" },
		{ "{\"version\": 1, \"generator\": \"py-spy\", \"summary\": "
		  "{}}", "its \"generator\" is not gilspy" },
		{ "{\"version\": 0, \"generator\": \"gilspy 1\", \"summary\":"
		  " {}}", "its version 0 is not a schema version" },
		{ "{\"version\": 1.5, \"generator\": \"gilspy 1\", \"summary\":"
		  " {}}", "its version 1.5 is not a schema version" },
		{ "{\"version\": 1, \"generator\": \"gilspy 1\"}",
		  "it has no \"summary\" object" },
		{ "{\"version\": 1, \"generator\": \"gilspy 1\", \"summary\":"
		  " []}", "it has no \"summary\" object" },
		{ "{\"version\": 1", "unexpected end of file, expected ',' or "
		  "'}' (is it truncated?)" },
		{ "{\"version\": 1,}", "expected a string (an object key), "
		  "found '}'" },
		{ "{\"a\": [1,]}", "expected a JSON value, found ']'" },
		{ "{\"a\" 1}", "expected ':', found '1'" },
		{ "{\"a\": 01}", "expected ',' or '}', found '1'" },
		{ "{\"a\": 1.}", "expected a digit, found '}'" },
		{ "{\"a\": -}", "expected a digit" },
		{ "{\"a\": tru}", "expected a JSON value, found '}'" },
		{ "{\"a\": \"x\ty\"}", "control character 0x09 in a string" },
		{ "{\"a\": \"\\q\"}", "expected an escape" },
		{ "{\"a\": \"\\u12G4\"}", "expected 4 hex digits after \\u" },
		{ "{\"a\": \"\\ud800\\n\"}", "expected \\u of a low surrogate" },
		{ "{\"a\": \"unterminated", "unexpected end of file, expected "
		  "'\"' to end the string" },
		{ "{\"a\": 1} {\"b\": 2}", "unexpected data after the JSON "
		  "object at line 1, column 10" },
		{ "{\"a\": 1}\n\n  x", "at line 3, column 3" },
		{ "{\"a\": 1234567890123456789012345678901234567890123456789"
		  "01234567890123456789}", "number longer than 63 characters" },
	};
	struct strbuf why = STRBUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct baseline *b = (struct baseline *)1;
		CHECK_EQ_INT(load_text(bad[i].text, strlen(bad[i].text), &b,
				       &why), -1);
		CHECK(b == NULL);
		if (!why.buf || !strstr(why.buf, bad[i].want) ||
		    strchr(why.buf, '\n')) {
			printf("#   %zu: got \"%s\", expected \"%s\"\n", i,
			       why.buf ? why.buf : "(none)", bad[i].want);
			unit_failed = 1;
		}
	}
	/* NUL bytes */
	CHECK_EQ_INT(load_text("\0\1", 2, &(struct baseline *){ NULL }, &why),
		     -1);
	CHECK(strstr(why.buf, "expected '{' (a JSON object), found byte 0x00"));
	CHECK_EQ_INT(load_text("{\"a\": \"\0\"}", 10,
			       &(struct baseline *){ NULL }, &why), -1);
	CHECK(strstr(why.buf, "control character 0x00 in a string"));
	/* a file that is not there */
	CHECK_EQ_INT(baseline_load("/nonexistent/base.json", &(struct baseline
		     *){ NULL }, &why), -1);
	CHECK(strstr(why.buf, "cannot read '/nonexistent/base.json': No such "
		     "file or directory"));
	sb_release(&why);
}

TEST(baseline, hostile_nesting_and_sizes_are_bounded)
{
	struct strbuf t = STRBUF_INIT, why = STRBUF_INIT;
	struct baseline *b = NULL;
	int i;

	/* a million brackets: refused at depth 64, without recursing deeper */
	for (i = 0; i < 1000000; i++)
		sb_addc(&t, '[');
	CHECK_EQ_INT(load_text(t.buf, t.len, &b, &why), -1);
	CHECK(strstr(why.buf, "nested deeper than 64 levels"));
	sb_reset(&t);
	sb_adds(&t, "{\"version\": 1, \"generator\": \"gilspy x\", ");
	for (i = 0; i < 63; i++)
		sb_adds(&t, "{\"k\": ");
	CHECK_EQ_INT(load_text(t.buf, t.len, &b, &why), -1);
	CHECK(strstr(why.buf, "expected a string (an object key), found '{'"));

	/* a 4 MB thread name and 5000 threads: names cut, threads capped */
	sb_reset(&t);
	sb_adds(&t, "{\"version\": 1, \"generator\": \"gilspy x\", "
		"\"summary\": {}, \"threads\": [{\"name\": \"");
	for (i = 0; i < (4 << 20); i++)
		sb_adds(&t, i % 3 ? "\xc3\xa9" : "\\u00e9");
	sb_adds(&t, "\", \"states\": {\"held\": 1, \"waiting\": 0, "
		"\"native\": 0, \"idle\": 0}}");
	for (i = 0; i < 5000; i++)
		sb_addf(&t, ", {\"name\": \"t%d\", \"tid\": %d}", i, i);
	sb_adds(&t, "]}");
	CHECK_EQ_INT(load_text(t.buf, t.len, &b, &why), 0);
	if (b) {
		CHECK_EQ_INT(b->nthreads, 4096);
		CHECK(strlen(b->threads[0].name) <= 4096);
		CHECK(strlen(b->threads[0].name) >= 4094);
		/* cut on a character boundary */
		CHECK(((unsigned char)b->threads[0].name[
			strlen(b->threads[0].name) - 2] & 0xe0) == 0xc0);
		/* one thread without counts: no per-state totals */
		CHECK(!(b->has & BASE_STATES));
		baseline_free(b);
		b = NULL;
	} else {
		printf("#   %s\n", why.buf);
	}
	sb_release(&t);
	sb_release(&why);
}

TEST(baseline, every_truncation_and_corruption_of_a_report_is_safe)
{
	struct strbuf json = STRBUF_INIT, why = STRBUF_INIT;
	struct baseline *b;
	size_t cut, step, ok = 0, refused = 0;
	unsigned seed = 12345;
	int k;

	report_json(&json);
	/* cut at ~600 points: only the whole text is a report ... */
	step = json.len / 600 + 1;
	for (cut = 0; cut < json.len; cut += step) {
		b = NULL;
		if (load_text(json.buf, cut, &b, &why) == 0) {
			ok++;
			baseline_free(b);
		} else {
			refused++;
			CHECK(why.len > 0 && !strchr(why.buf, '\n'));
		}
	}
	/* ... apart from cuts in the trailing newline */
	CHECK(ok <= 1);
	CHECK(refused > 500);
	/* flip random bytes: loaded or refused, never a crash (the
	 * sanitizers watch) */
	for (k = 0; k < 400; k++) {
		struct strbuf m = STRBUF_INIT;
		int flips = 1 + k % 5, f;

		sb_add(&m, json.buf, json.len);
		for (f = 0; f < flips; f++) {
			seed = seed * 1103515245u + 12345u;
			m.buf[(seed >> 8) % m.len] = (char)(seed >> 20);
		}
		b = NULL;
		if (load_text(m.buf, m.len, &b, &why) == 0)
			baseline_free(b);
		else
			CHECK(why.len > 0);
		sb_release(&m);
	}
	sb_release(&json);
	sb_release(&why);
}

/* The reader under the baseline, on its own: typed getters skip a value
 * of another type, strings come back as UTF-8, errors say where. */
TEST(json, reader_walks_and_types)
{
	static const char doc[] = "\xef\xbb\xbf {\"n\": -1.5e2, \"s\": "
		"\"a\\u00e9\\ud83d\\ude00\", \"o\": {\"deep\": [1, [2]]},"
		" \"b\": true, \"c\": \"not a number\"}";
	FILE *f = fmemopen((void *)doc, sizeof(doc) - 1, "r");
	struct json_reader j;
	struct strbuf key = STRBUF_INIT;
	char *str = NULL;
	double n = 0;
	uint64_t c = 7;
	int first = 1, r, b = 0, seen = 0;

	json_reader_init(&j, f);
	CHECK_EQ_INT(json_enter_obj(&j), 1);
	while ((r = json_obj_next(&j, &first, &key)) > 0) {
		seen++;
		if (!strcmp(key.buf, "n"))
			CHECK_EQ_INT(json_get_num(&j, &n), 1);
		else if (!strcmp(key.buf, "s"))
			CHECK_EQ_INT(json_get_str(&j, &str), 1);
		else if (!strcmp(key.buf, "o"))
			CHECK_EQ_INT(json_enter_arr(&j), 0);	/* skipped */
		else if (!strcmp(key.buf, "b"))
			CHECK_EQ_INT(json_get_bool(&j, &b), 1);
		else
			CHECK_EQ_INT(json_get_count(&j, &c), 0);
	}
	CHECK_EQ_INT(r, 0);
	CHECK_EQ_INT(seen, 5);
	CHECK(n == -150.0);
	CHECK_EQ_STR(str, "a\xc3\xa9\xf0\x9f\x98\x80");
	CHECK_EQ_INT(b, 1);
	CHECK_EQ_INT(c, 7);
	CHECK(!j.failed);
	free(str);
	sb_release(&key);
	json_reader_release(&j);
	fclose(f);
}

TEST(json, reader_errors_say_where)
{
	static const char doc[] = "{\n  \"a\": [1, 2,, 3]}";
	FILE *f = fmemopen((void *)doc, sizeof(doc) - 1, "r");
	struct json_reader j;

	json_reader_init(&j, f);
	CHECK_EQ_INT(json_skip(&j), -1);
	CHECK(j.failed);
	CHECK(strstr(j.msg.buf, "expected a JSON value, found ','") != NULL);
	CHECK(strstr(j.msg.buf, "at line 2, column 14") != NULL);
	/* failed stays failed */
	CHECK_EQ_INT(json_skip(&j), -1);
	json_reader_release(&j);
	fclose(f);
}

TEST(json, writer_helpers)
{
	struct strbuf sb = STRBUF_INIT;

	json_add_num(&sb, NAN);
	sb_addc(&sb, ' ');
	json_add_num(&sb, 2.0 / 3.0);
	sb_addc(&sb, ' ');
	json_add_str_or_null(&sb, NULL);
	sb_addc(&sb, ' ');
	json_add_str_or_null(&sb, "q\"");
	sb_addf(&sb, " %s %s", json_bool(1), json_bool(0));
	CHECK_EQ_STR(sb.buf, "0.000 0.667 null \"q\\\"\" true false");
	sb_release(&sb);
}
