/* test_pprof.c - the pprof renderer, read back with protobuf-c's own
 * unpacker after gunzipping: tables, labels, values, sanitized strings,
 * reproducible bytes. */
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "gilspy/output.h"
#include "gilspy/profile.h"
#include "harness.h"
#include "profile.pb-c.h"

/* Frame id i is "f<i>" in /srv/app/mod.py at line 10*i (first line
 * 10*i - 1); id 9 has a name and file that are not UTF-8. */
static const struct py_frame_info *pp_frame(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[32];

	(void)ctx;
	snprintf(name, sizeof(name), id == 9 ? "bad\xff%u" : "f%u", id);
	fi.name = name;
	fi.filename = id == 9 ? "/srv/\xfe.py" : "/srv/app/mod.py";
	fi.line = (int)id * 10;
	fi.firstlineno = (int)id * 10 - 1;
	return &fi;
}

static const char *pp_name(void *ctx, pid_t tid, uint64_t thread_id)
{
	(void)ctx;
	(void)thread_id;
	return tid == 100 ? "MainThread" : tid == 101 ? "worker\xc0" : NULL;
}

static void add(struct profile *p, struct py_sample *s, pid_t tid,
		enum gil_state st, int n, const uint32_t *ids)
{
	struct py_thread_sample *t = &s->threads[0];

	memset(s, 0, sizeof(*s));
	s->time_ns = 1000000;
	s->gil_locked = 1;
	s->nthreads = 1;
	t->tid = tid;
	t->thread_id = (uint64_t)tid;
	t->state = st;
	t->nframes = n;
	t->frames = s->pool;
	memcpy(s->pool, ids, (size_t)n * sizeof(*ids));
	profile_add(p, s);
}

/* The profile: MainThread holds the GIL in f1 <- f2 twice; the worker
 * waits in f3 <- f2 once and is idle in 9 once. */
static struct profile *pp_profile(void)
{
	struct profile_resolver r = { pp_frame, pp_name, NULL };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	const uint32_t a[] = { 1, 2 }, b[] = { 3, 2 }, c[] = { 9 };

	add(p, s, 100, GIL_HELD, 2, a);
	add(p, s, 100, GIL_HELD, 2, a);
	add(p, s, 101, GIL_WAITING, 2, b);
	add(p, s, 101, GIL_IDLE, 1, c);
	free(s);
	return p;
}

/* Gunzip and unpack; NULL when either fails. */
static Perftools__Profiles__Profile *decode(const struct strbuf *sb)
{
	Perftools__Profiles__Profile *pr = NULL;
	unsigned char *out = malloc(1 << 20);
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK)
		goto out;
	z.next_in = (unsigned char *)sb->buf;
	z.avail_in = (unsigned)sb->len;
	z.next_out = out;
	z.avail_out = 1 << 20;
	if (inflate(&z, Z_FINISH) == Z_STREAM_END)
		pr = perftools__profiles__profile__unpack(NULL, z.total_out, out);
	inflateEnd(&z);
out:
	free(out);
	return pr;
}

static const char *str(const Perftools__Profiles__Profile *pr, int64_t i)
{
	return i >= 0 && (size_t)i < pr->n_string_table ?
	       pr->string_table[i] : "(out of range)";
}

/* The value of label key in sample s, as text ("" when absent). */
static const char *label(const Perftools__Profiles__Profile *pr,
			 const Perftools__Profiles__Sample *s, const char *key)
{
	static char num[32];
	size_t i;

	for (i = 0; i < s->n_label; i++) {
		if (strcmp(str(pr, s->label[i]->key), key))
			continue;
		if (s->label[i]->str)
			return str(pr, s->label[i]->str);
		snprintf(num, sizeof(num), "%lld", (long long)s->label[i]->num);
		return num;
	}
	return "";
}

static const Perftools__Profiles__Function *
loc_func(const Perftools__Profiles__Profile *pr, uint64_t loc, int64_t *line)
{
	size_t i, j;

	for (i = 0; i < pr->n_location; i++) {
		if (pr->location[i]->id != loc || pr->location[i]->n_line != 1)
			continue;
		*line = pr->location[i]->line[0]->line;
		for (j = 0; j < pr->n_function; j++)
			if (pr->function[j]->id ==
			    pr->location[i]->line[0]->function_id)
				return pr->function[j];
	}
	return NULL;
}

TEST(pprof, format_names_and_extensions)
{
	enum output_format f;

	CHECK(output_format_parse("pprof", &f) == 0 && f == OUT_PPROF);
	CHECK(output_format_from_path("out.pb.gz", &f) == 0 && f == OUT_PPROF);
	CHECK(output_format_from_path("a/out.pprof", &f) == 0 &&
	      f == OUT_PPROF);
	CHECK(output_format_from_path("out.gz", &f) == -1);
	CHECK_EQ_STR(output_format_name(OUT_PPROF), "pprof");
}

TEST(pprof, samples_labels_and_tables)
{
	struct profile *p = pp_profile();
	struct output_options o;
	struct record_info ri = { .pid = 100, .python = "3.12.1",
				  .requested_hz = 100, .wall_ns = 2000000000,
				  .exit_code = -1 };
	struct strbuf sb = STRBUF_INIT;
	Perftools__Profiles__Profile *pr;
	const Perftools__Profiles__Function *fn;
	int64_t line = 0;
	size_t i;

	output_options_init(&o);	/* idle left out */
	output_pprof(&sb, p, &o, &ri);
	pr = decode(&sb);
	CHECK(pr != NULL);
	if (!pr)
		goto out;
	CHECK_EQ_STR(str(pr, 0), "");
	CHECK_EQ_INT(pr->n_sample_type, 2);
	CHECK_EQ_STR(str(pr, pr->sample_type[0]->type), "samples");
	CHECK_EQ_STR(str(pr, pr->sample_type[0]->unit), "count");
	CHECK_EQ_STR(str(pr, pr->sample_type[1]->type), "wall");
	CHECK_EQ_STR(str(pr, pr->sample_type[1]->unit), "nanoseconds");
	CHECK(pr->period_type != NULL);
	CHECK_EQ_INT(pr->period, 10000000);
	CHECK_EQ_INT(pr->duration_nanos, 2000000000);
	CHECK_EQ_INT(pr->time_nanos, 0);
	CHECK_EQ_INT(pr->n_mapping, 1);
	CHECK_EQ_INT(pr->n_sample, 2);
	for (i = 0; i < pr->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr->sample[i];

		CHECK_EQ_INT(s->n_value, 2);
		CHECK_EQ_INT(s->value[1], s->value[0] * 10000000);
		CHECK_EQ_INT(s->n_location_id, 2);
		CHECK_EQ_INT(s->n_label, 4);
		CHECK_EQ_STR(label(pr, s, "pid"), "100");
	}
	/* sorted by thread, then state: MainThread's held stack first */
	CHECK_EQ_INT(pr->sample[0]->value[0], 2);
	CHECK_EQ_STR(label(pr, pr->sample[0], "gil_state"), "held");
	CHECK_EQ_STR(label(pr, pr->sample[0], "thread"), "MainThread");
	CHECK_EQ_STR(label(pr, pr->sample[0], "tid"), "100");
	fn = loc_func(pr, pr->sample[0]->location_id[0], &line);
	CHECK(fn != NULL);
	if (fn) {
		CHECK_EQ_STR(str(pr, fn->name), "f1");	/* leaf first */
		CHECK_EQ_STR(str(pr, fn->filename), "/srv/app/mod.py");
		CHECK_EQ_INT(fn->start_line, 9);
		CHECK_EQ_INT(fn->system_name, 0);
		CHECK_EQ_INT(line, 10);
	}
	CHECK_EQ_INT(pr->sample[1]->value[0], 1);
	CHECK_EQ_STR(label(pr, pr->sample[1], "gil_state"), "waiting");
	CHECK_EQ_STR(label(pr, pr->sample[1], "thread"), "worker\xef\xbf\xbd");
	CHECK_EQ_STR(label(pr, pr->sample[1], "tid"), "101");
	/* the two stacks share f2's location */
	CHECK_EQ_INT(pr->sample[0]->location_id[1],
		     pr->sample[1]->location_id[1]);
	perftools__profiles__profile__free_unpacked(pr, NULL);
out:
	sb_release(&sb);
	profile_free(p);
}

TEST(pprof, invalid_utf8_and_reproducible_bytes)
{
	struct profile *p = pp_profile();
	struct output_options o;
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	Perftools__Profiles__Profile *pr;
	size_t i, bad = 0;
	int found = 0;

	output_options_init(&o);
	o.states |= 1u << GIL_IDLE;
	o.lineno = 0;
	output_pprof(&a, p, &o, NULL);
	output_pprof(&b, p, &o, NULL);
	CHECK(a.len == b.len && !memcmp(a.buf, b.buf, a.len));
	CHECK(a.len > 10 && !memcmp(a.buf, "\x1f\x8b\x08", 3));
	CHECK(a.len > 10 && !memcmp(a.buf + 4, "\0\0\0\0", 4));	/* mtime */
	pr = decode(&a);
	CHECK(pr != NULL);
	if (!pr)
		goto out;
	CHECK_EQ_INT(pr->n_sample, 3);
	for (i = 0; i < pr->n_string_table; i++) {
		const unsigned char *s =
			(const unsigned char *)pr->string_table[i];
		size_t n;

		for (; *s; s += n)
			if (!(n = utf8_seq(s))) {
				bad++;
				break;
			}
		if (!strcmp(pr->string_table[i], "bad\xef\xbf\xbd" "9"))
			found = 1;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK(found);
	for (i = 0; i < pr->n_location; i++)	/* --nolineno */
		CHECK_EQ_INT(pr->location[i]->line[0]->line, 0);
	CHECK_EQ_INT(pr->period, 0);	/* no rate, one tick: unknown */
	for (i = 0; i < pr->n_sample; i++)	/* no pid known: no label */
		CHECK_EQ_STR(label(pr, pr->sample[i], "pid"), "");
	perftools__profiles__profile__free_unpacked(pr, NULL);
out:
	sb_release(&a);
	sb_release(&b);
	profile_free(p);
}

TEST(pprof, empty_profile)
{
	struct profile_resolver r = { pp_frame, pp_name, NULL };
	struct profile *p = profile_new(&r);
	struct output_options o;
	struct strbuf sb = STRBUF_INIT;
	Perftools__Profiles__Profile *pr;

	output_options_init(&o);
	output_pprof(&sb, p, &o, NULL);
	pr = decode(&sb);
	CHECK(pr != NULL);
	if (pr) {
		CHECK_EQ_INT(pr->n_sample, 0);
		CHECK_EQ_INT(pr->n_location, 0);
		CHECK_EQ_STR(str(pr, 0), "");
		perftools__profiles__profile__free_unpacked(pr, NULL);
	}
	sb_release(&sb);
	profile_free(p);
}

/* Two processes in one profile: pid labels, a `process PID (...)` root
 * on every stack, the Python functions shared. */
TEST(pprof, several_processes)
{
	struct profile *a = pp_profile(), *b = pp_profile();
	struct output_process procs[2] = {
		{ 4001, "python3 app.py --serve", a },
		{ 4002, NULL, b },
	};
	struct output_options o;
	struct strbuf sb = STRBUF_INIT;
	Perftools__Profiles__Profile *pr;
	const Perftools__Profiles__Function *fn;
	int64_t line;
	size_t i, nf1 = 0;

	output_options_init(&o);
	output_pprof_processes(&sb, procs, 2, &o, NULL);
	pr = decode(&sb);
	CHECK(pr != NULL);
	if (!pr)
		goto out;
	CHECK_EQ_INT(pr->n_sample, 4);
	for (i = 0; i < pr->n_sample; i++) {
		const Perftools__Profiles__Sample *s = pr->sample[i];
		const char *want = i < 2 ? "process 4001 (python3 app.py --serve)" :
					   "process 4002";

		CHECK_EQ_STR(label(pr, s, "pid"), i < 2 ? "4001" : "4002");
		CHECK_EQ_INT(s->n_location_id, 3);
		fn = loc_func(pr, s->location_id[s->n_location_id - 1], &line);
		CHECK(fn && !strcmp(str(pr, fn->name), want));
	}
	for (i = 0; i < pr->n_function; i++)
		nf1 += !strcmp(str(pr, pr->function[i]->name), "f1");
	CHECK_EQ_INT(nf1, 1);
	/* the same Python stack in both: the same locations */
	CHECK_EQ_INT(pr->sample[0]->location_id[0], pr->sample[2]->location_id[0]);
	CHECK_EQ_INT(pr->n_mapping, 1);
	perftools__profiles__profile__free_unpacked(pr, NULL);
out:
	sb_release(&sb);
	profile_free(a);
	profile_free(b);
}
