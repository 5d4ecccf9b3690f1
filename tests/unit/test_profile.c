/* test_profile.c - the profile model (stack trie, counts, timeline, totals)
 * and the collapsed/JSON/summary renderers, fed with synthetic samples. */
#include <stdlib.h>
#include <string.h>

#include "gilspy/output.h"
#include "gilspy/profile.h"
#include "harness.h"

/* Frame id i is function "f<i>" in "/srv/app/mod.py" at line 10*i, first
 * line 10*i - 1; id 7 lives in the standard library. */
static const struct py_frame_info *fake_frame(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[32];

	(void)ctx;
	snprintf(name, sizeof(name), "f%u", id);
	fi.name = name;
	fi.filename = id == 7 ? "/usr/lib/python3.12/json/decoder.py" :
				"/srv/app/mod.py";
	fi.line = (int)id * 10;
	fi.firstlineno = (int)id * 10 - 1;
	return &fi;
}

static const char *fake_name(void *ctx, pid_t tid, uint64_t thread_id)
{
	(void)ctx;
	(void)thread_id;
	return tid == 100 ? "MainThread" : tid == 101 ? "worker;1" : NULL;
}

static struct profile *new_profile(void)
{
	struct profile_resolver r = { fake_frame, fake_name, NULL };

	return profile_new(&r);
}

static struct py_sample *new_sample(void)
{
	return calloc(1, sizeof(struct py_sample));
}

/* Set thread i of s: tid, state, then nframes ids innermost first. */
static void set_thread(struct py_sample *s, int i, pid_t tid,
		       enum gil_state st, int nframes, const uint32_t *ids)
{
	struct py_thread_sample *t = &s->threads[i];

	t->tid = tid;
	t->thread_id = 0x7f0000000000ull + (uint64_t)tid;
	t->tstate = 0x5000 + (uint64_t)tid;
	t->state = st;
	t->evidence = st == GIL_HELD ? EV_HOLDER : EV_OS_RUNNING;
	t->nframes = nframes;
	t->frames = &s->pool[s->pool_used];
	memcpy(t->frames, ids, (size_t)nframes * sizeof(*ids));
	s->pool_used += nframes;
	if (i >= s->nthreads)
		s->nthreads = i + 1;
}

static void reset(struct py_sample *s, uint64_t t_ns)
{
	s->nthreads = 0;
	s->pool_used = 0;
	s->errors = 0;
	s->time_ns = t_ns;
	s->gil_locked = -1;
}

TEST(profile, stacks_are_interned_in_a_trie)
{
	struct profile *p = new_profile();
	struct py_sample *s = new_sample();
	const uint32_t a[] = { 3, 2, 1 }, b[] = { 4, 2, 1 };
	struct profile_count *c;
	size_t n;

	reset(s, 1000);
	set_thread(s, 0, 100, GIL_HELD, 3, a);
	set_thread(s, 1, 101, GIL_WAITING, 3, b);
	profile_add(p, s);
	profile_add(p, s);
	/* root + 1 + 2 shared, then 3 and 4 */
	CHECK_EQ_INT(profile_nstacks(p), 5);
	c = profile_counts(p, &n);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(c[0].thread, 0);
	CHECK_EQ_INT(c[0].state, GIL_HELD);
	CHECK_EQ_INT(c[0].count, 2);
	CHECK_EQ_INT(profile_stack_depth(p, c[0].stack), 3);
	CHECK_EQ_INT(profile_stack_frame(p, c[0].stack), 3);
	CHECK_EQ_INT(profile_stack_parent(p, c[0].stack),
		     profile_stack_parent(p, c[1].stack));
	CHECK_EQ_INT(profile_stack_frame(p, c[1].stack), 4);
	CHECK_EQ_STR(profile_frame(p, 3)->name, "f3");
	CHECK_EQ_INT(profile_frame(p, 3)->line, 30);
	CHECK(profile_frame(p, 9) == NULL);
	free(c);
	free(s);
	profile_free(p);
}

/* The count of (thread, state, stack) whatever the order they came in. */
static uint64_t count_of(struct profile *p, uint32_t thread, int state,
			 uint32_t frame, int depth)
{
	struct profile_count *c;
	size_t n;
	uint64_t v = 0;

	c = profile_counts(p, &n);
	for (size_t i = 0; i < n; i++)
		if (c[i].thread == thread && (int)c[i].state == state &&
		    (int)profile_stack_depth(p, c[i].stack) == depth &&
		    (!depth || profile_stack_frame(p, c[i].stack) == frame))
			v += c[i].count;
	free(c);
	return v;
}

/* A slot showing what it showed last is counted through its memo: the
 * counts must be those of a walk every time, whatever changes between
 * two samples - the frames, their number, the state, the thread in the
 * slot, none at all, or a torn stack in between. */
TEST(profile, repeated_slots_count_as_walked)
{
	struct profile *p = new_profile();
	struct py_sample *s = new_sample();
	const uint32_t a[] = { 3, 2, 1 }, b[] = { 4, 2, 1 }, c2[] = { 2, 1 };
	int k;

	for (k = 0; k < 3; k++) {	/* a, a, a */
		reset(s, 1000 + (uint64_t)k);
		set_thread(s, 0, 100, GIL_IDLE, 3, a);
		profile_add(p, s);
	}
	reset(s, 2000);			/* other innermost frame */
	set_thread(s, 0, 100, GIL_IDLE, 3, b);
	profile_add(p, s);
	reset(s, 2001);			/* shallower */
	set_thread(s, 0, 100, GIL_IDLE, 2, c2);
	profile_add(p, s);
	reset(s, 2002);			/* same frames, other state */
	set_thread(s, 0, 100, GIL_WAITING, 2, c2);
	profile_add(p, s);
	reset(s, 2003);			/* no frames, twice */
	set_thread(s, 0, 100, GIL_WAITING, 0, a);
	profile_add(p, s);
	profile_add(p, s);
	reset(s, 2004);			/* another thread in slot 0 */
	set_thread(s, 0, 101, GIL_WAITING, 2, c2);
	profile_add(p, s);
	reset(s, 2005);			/* torn, then the same as before it */
	set_thread(s, 0, 101, GIL_WAITING, 2, c2);
	s->threads[0].incomplete = 1;
	profile_add(p, s);
	s->threads[0].incomplete = 0;
	profile_add(p, s);
	reset(s, 2006);			/* back to the first thread and a */
	set_thread(s, 0, 100, GIL_IDLE, 3, a);
	profile_add(p, s);

	CHECK_EQ_INT(count_of(p, 0, GIL_IDLE, 3, 3), 4);
	CHECK_EQ_INT(count_of(p, 0, GIL_IDLE, 4, 3), 1);
	CHECK_EQ_INT(count_of(p, 0, GIL_IDLE, 2, 2), 1);
	CHECK_EQ_INT(count_of(p, 0, GIL_WAITING, 2, 2), 1);
	CHECK_EQ_INT(count_of(p, 0, GIL_WAITING, 0, 0), 2);
	CHECK_EQ_INT(count_of(p, 1, GIL_WAITING, 2, 2), 2);
	CHECK_EQ_INT(profile_stats(p)->samples, 12);
	free(s);
	profile_free(p);
}

TEST(profile, totals_per_tick)
{
	struct profile *p = new_profile();
	struct py_sample *s = new_sample();
	const uint32_t a[] = { 1 };
	const struct profile_stats *st;
	struct output_figures fig;
	int i;

	for (i = 0; i < 10; i++) {
		reset(s, 1000000000ull + (uint64_t)i * 10000000ull);
		set_thread(s, 0, 100, i < 6 ? GIL_HELD : GIL_IDLE, 1, a);
		set_thread(s, 1, 101, i < 3 ? GIL_WAITING : GIL_IDLE, 1, a);
		set_thread(s, 2, 102, i < 3 ? GIL_WAITING : GIL_NATIVE, 1, a);
		s->switch_number = 100 + (uint64_t)i * 2;
		s->interval_us = 5000;
		profile_add(p, s);
	}
	profile_add_failed(p, 1000000000ull + 10 * 10000000ull);
	st = profile_stats(p);
	CHECK_EQ_INT(st->ticks, 11);
	CHECK_EQ_INT(st->samples, 10);
	CHECK_EQ_INT(st->failed, 1);
	CHECK_EQ_INT(st->held_ticks, 6);
	CHECK_EQ_INT(st->contended_ticks, 3);
	CHECK_EQ_INT(st->waiter_sum, 6);
	CHECK_EQ_INT(st->switches, 18);
	CHECK_EQ_INT(st->interval_us, 5000);
	CHECK_EQ_INT(st->evidence[GIL_HELD][EV_HOLDER], 6);
	CHECK_EQ_INT(profile_nthreads(p), 3);
	CHECK_EQ_STR(profile_thread(p, 0)->name, "MainThread");
	CHECK_EQ_STR(profile_thread(p, 2)->name, "102");
	CHECK_EQ_INT(profile_thread(p, 2)->state[GIL_NATIVE], 7);
	output_figures(p, NULL, &fig);
	CHECK(fig.duration_s > 0.0999 && fig.duration_s < 0.1001);
	CHECK(fig.achieved_hz > 99.9 && fig.achieved_hz < 100.1);
	CHECK_EQ_INT((int)(fig.utilisation_pct + 0.5), 60);
	CHECK_EQ_INT((int)(fig.contention_pct + 0.5), 30);
	CHECK_EQ_INT(fig.errors, 1);
	free(s);
	profile_free(p);
}

TEST(profile, torn_stack_is_dropped_but_state_counts)
{
	struct profile *p = new_profile();
	struct py_sample *s = new_sample();
	const uint32_t a[] = { 1, 2 };
	size_t n;
	struct profile_count *c;

	reset(s, 5);
	set_thread(s, 0, 100, GIL_HELD, 2, a);
	s->threads[0].incomplete = 1;
	set_thread(s, 1, 101, GIL_IDLE, 0, a);
	profile_add(p, s);
	c = profile_counts(p, &n);
	CHECK_EQ_INT(n, 1);		/* only the empty idle stack */
	CHECK_EQ_INT(c[0].stack, 0);
	CHECK_EQ_INT(profile_stats(p)->torn_stacks, 1);
	CHECK_EQ_INT(profile_stats(p)->torn_ticks, 1);
	CHECK_EQ_INT(profile_thread(p, 0)->state[GIL_HELD], 1);
	free(c);
	free(s);
	profile_free(p);
}

/* A thread seen for a few ticks late in a long recording keeps only the
 * buckets it was seen in, through merges, with its counts where they
 * belong: thread churn must not cost a whole timeline per thread. */
TEST(profile, short_thread_keeps_only_its_buckets)
{
	struct profile *p = new_profile();
	struct py_sample *s = new_sample();
	const uint32_t a[] = { 1 };
	const struct profile_thread *t;
	uint64_t span, sum = 0;
	size_t nb, i;
	int k;

	for (k = 0; k < 5000; k++) {
		reset(s, (uint64_t)k * 1000);
		set_thread(s, 0, 100, GIL_HELD, 1, a);
		if (k >= 3000 && k < 3005)
			set_thread(s, 1, 200, GIL_WAITING, 1, a);
		profile_add(p, s);
	}
	profile_timeline(p, &nb, &span);
	t = profile_thread(p, 1);
	CHECK(t->tl_n <= 2);
	CHECK_EQ_INT(t->tl_first, 3000 / span);
	for (i = 0; i < nb; i++)
		sum += profile_thread_bucket(t, i)[GIL_WAITING];
	CHECK_EQ_INT(sum, 5);
	CHECK_EQ_INT(profile_thread_bucket(t, 3000 / span)[GIL_WAITING], 5);
	CHECK_EQ_INT(profile_thread_bucket(t, 0)[GIL_WAITING], 0);
	free(s);
	profile_free(p);
}

/* A thread in one state for thousands of samples is one pending run, not
 * one flush per bucket: its counts per bucket must still be exact, read
 * while the run is pending, across merges, and after it ends; a thread
 * missing from some samples starts a new run when seen again. */
TEST(profile, long_runs_count_per_bucket)
{
	struct profile *p = new_profile();
	struct py_sample *s = new_sample();
	const uint32_t a[] = { 1 };
	const struct profile_bucket *b;
	const struct profile_thread *t0, *t1;
	uint64_t span, w = 0, h = 0, gap = 0;
	size_t nb, i;
	int k, bad = 0;

	for (k = 0; k < 6000; k++) {
		reset(s, (uint64_t)k * 1000);
		/* thread 0: idle for 4000 samples, then held */
		set_thread(s, 0, 100, k < 4000 ? GIL_IDLE : GIL_HELD, 1, a);
		/* thread 1: waiting, but missing from every 700th sample */
		if (k % 700)
			set_thread(s, 1, 200, GIL_WAITING, 1, a);
		profile_add(p, s);
		if (k == 2999) {	/* a read while the runs are pending */
			b = profile_timeline(p, &nb, &span);
			t0 = profile_thread(p, 0);
			for (i = 0; i < nb; i++)
				bad += profile_thread_bucket(t0, i)[GIL_IDLE] !=
				       b[i].ticks;
		}
	}
	CHECK_EQ_INT(bad, 0);
	b = profile_timeline(p, &nb, &span);
	CHECK_EQ_INT(span, 8);
	t0 = profile_thread(p, 0);
	t1 = profile_thread(p, 1);
	for (i = 0; i < nb; i++) {
		const uint32_t *c0 = profile_thread_bucket(t0, i);
		uint64_t lo = i * span, hi = lo + span, missing = 0, j;

		/* bucket i holds samples [lo, hi) */
		bad += c0[GIL_IDLE] != (hi <= 4000 ? span : lo >= 4000 ? 0 :
					4000 - lo);
		bad += c0[GIL_IDLE] + c0[GIL_HELD] != b[i].ticks;
		h += c0[GIL_HELD];
		for (j = lo; j < hi && j < 6000; j++)
			missing += j % 700 == 0;
		bad += profile_thread_bucket(t1, i)[GIL_WAITING] !=
		       b[i].ticks - missing;
		w += profile_thread_bucket(t1, i)[GIL_WAITING];
		gap += missing;
	}
	CHECK_EQ_INT(bad, 0);
	CHECK_EQ_INT(h, 2000);
	CHECK_EQ_INT(w + gap, 6000);
	CHECK_EQ_INT(t1->state[GIL_WAITING], w);
	free(s);
	profile_free(p);
}

TEST(profile, timeline_merges_and_keeps_totals)
{
	struct profile *p = new_profile();
	struct py_sample *s = new_sample();
	const uint32_t a[] = { 1 };
	const struct profile_bucket *b;
	uint64_t span, ticks = 0, held = 0, th = 0;
	size_t nb, i;
	int k;

	for (k = 0; k < 5000; k++) {
		reset(s, (uint64_t)k * 1000);
		set_thread(s, 0, 100, k % 2 ? GIL_HELD : GIL_WAITING, 1, a);
		profile_add(p, s);
	}
	b = profile_timeline(p, &nb, &span);
	CHECK_EQ_INT(span, 8);			/* 1024 * 4 < 5000 <= 1024 * 8 */
	CHECK_EQ_INT(nb, (5000 + 7) / 8);
	for (i = 0; i < nb; i++) {
		ticks += b[i].ticks;
		held += b[i].held;
		th += profile_thread_bucket(profile_thread(p, 0), i)[GIL_HELD];
	}
	CHECK_EQ_INT(ticks, 5000);
	CHECK_EQ_INT(held, 2500);
	CHECK_EQ_INT(th, 2500);
	CHECK_EQ_INT(b[0].ticks, 8);
	CHECK_EQ_INT(b[1].t_ns, 8000);
	free(s);
	profile_free(p);
}

TEST(profile, memory_is_flat_over_many_samples)
{
	struct profile *p = new_profile();
	struct py_sample *s = new_sample();
	uint32_t st[3][4] = { { 1, 2, 3, 4 }, { 5, 2, 3, 4 }, { 6, 3, 4, 8 } };
	size_t after_warmup = 0;
	int k, i;

	for (k = 0; k < 300000; k++) {
		reset(s, (uint64_t)k * 1000000);
		for (i = 0; i < 10; i++)
			set_thread(s, i, 100 + i, (enum gil_state)((k + i) % 4),
				   4, st[(k + i) % 3]);
		profile_add(p, s);
		if (k == 10000)
			after_warmup = profile_memory(p);
	}
	CHECK(after_warmup > 0);
	CHECK_EQ_INT(profile_memory(p), after_warmup);
	CHECK(profile_memory(p) < 1024 * 1024);
	free(s);
	profile_free(p);
}

TEST(profile, function_stats_count_recursion_once)
{
	struct profile *p = new_profile();
	struct py_sample *s = new_sample();
	const uint32_t rec[] = { 2, 2, 2, 1 };
	struct profile_func_stats *fs;
	size_t n, i;

	reset(s, 1);
	set_thread(s, 0, 100, GIL_HELD, 4, rec);
	profile_add(p, s);
	profile_add(p, s);
	fs = profile_func_stats(p, &n);
	CHECK_EQ_INT(n, 2);
	for (i = 0; i < n; i++) {
		const struct profile_func *f = profile_func(p, fs[i].func);

		if (!strcmp(f->name, "f2")) {
			CHECK_EQ_INT(fs[i].self[GIL_HELD], 2);
			CHECK_EQ_INT(fs[i].total[GIL_HELD], 2);
		} else {
			CHECK_EQ_STR(f->name, "f1");
			CHECK_EQ_INT(fs[i].self[GIL_HELD], 0);
			CHECK_EQ_INT(fs[i].total[GIL_HELD], 2);
		}
	}
	free(fs);
	free(s);
	profile_free(p);
}

static struct profile *two_thread_profile(void)
{
	struct profile *p = new_profile();
	struct py_sample *s = new_sample();
	const uint32_t a[] = { 3, 1 }, b[] = { 7, 1 }, c[] = { 4, 1 };
	int k;

	for (k = 0; k < 4; k++) {
		reset(s, 1000 + (uint64_t)k);
		set_thread(s, 0, 100, GIL_HELD, 2, k < 3 ? a : c);
		set_thread(s, 1, 101, k < 2 ? GIL_WAITING : GIL_IDLE, 2, b);
		profile_add(p, s);
	}
	free(s);
	return p;
}

TEST(output, collapsed_default)
{
	struct profile *p = two_thread_profile();
	struct output_options o;
	struct strbuf sb = STRBUF_INIT;

	output_options_init(&o);
	output_collapsed(&sb, p, &o);
	CHECK_EQ_STR(sb.buf,
		"f1 (mod.py:10);f3 (mod.py:30);[GIL held] 3\n"
		"f1 (mod.py:10);f4 (mod.py:40);[GIL held] 1\n"
		"f1 (mod.py:10);f7 (json/decoder.py:70);[waiting for GIL] 2\n");
	sb_release(&sb);
	profile_free(p);
}

TEST(output, collapsed_filters_and_options)
{
	struct profile *p = two_thread_profile();
	struct output_options o;
	struct strbuf sb = STRBUF_INIT;

	output_options_init(&o);
	o.states = 1u << GIL_WAITING | 1u << GIL_IDLE;
	o.threads = 1;
	output_collapsed(&sb, p, &o);
	CHECK_EQ_STR(sb.buf,
		"thread worker:1 (101);f1 (mod.py:10);f7 (json/decoder.py:70);[idle] 2\n"
		"thread worker:1 (101);f1 (mod.py:10);f7 (json/decoder.py:70);[waiting for GIL] 2\n");

	/* no line numbers and no state frames: f3 and f4 stay apart, the
	 * held and waiting stacks of f7 merge */
	sb_reset(&sb);
	output_options_init(&o);
	o.states = 1u << GIL_HELD;
	o.lineno = 0;
	o.state_frames = 0;
	output_collapsed(&sb, p, &o);
	CHECK_EQ_STR(sb.buf, "f1 (mod.py);f3 (mod.py) 3\nf1 (mod.py);f4 (mod.py) 1\n");

	sb_reset(&sb);
	output_options_init(&o);
	o.function = 1;
	o.states = 1u << GIL_HELD;
	output_collapsed(&sb, p, &o);
	CHECK_EQ_STR(sb.buf,
		"f1 (mod.py:9);f3 (mod.py:29);[GIL held] 3\n"
		"f1 (mod.py:9);f4 (mod.py:39);[GIL held] 1\n");
	sb_release(&sb);
	profile_free(p);
}

TEST(output, formats_from_names_and_paths)
{
	enum output_format f;

	CHECK(output_format_from_path("out.json", &f) == 0 && f == OUT_JSON);
	CHECK(output_format_from_path("a.b/out.folded", &f) == 0 &&
	      f == OUT_COLLAPSED);
	CHECK(output_format_from_path("out.svg", &f) == 0 && f == OUT_SVG);
	CHECK(output_format_from_path("a.b/out", &f) == -1);
	CHECK(output_format_parse("html", &f) == -1);
	CHECK_EQ_STR(output_state_frame(GIL_HELD), "[GIL held]");
	CHECK_EQ_STR(output_state_frame(GIL_WAITING), "[waiting for GIL]");
	CHECK_EQ_STR(output_state_frame(GIL_NATIVE), "[running without GIL]");
	CHECK_EQ_STR(output_state_frame(GIL_IDLE), "[idle]");
}

TEST(output, json_and_summary)
{
	struct profile *p = two_thread_profile();
	struct output_options o;
	struct record_info ri = { .pid = 100, .python = "3.12.1",
				  .requested_hz = 100, .stopped_by = "duration",
				  .exit_code = -1 };
	struct strbuf sb = STRBUF_INIT;

	output_options_init(&o);
	output_json(&sb, p, &o, &ri);
	CHECK(strstr(sb.buf, "\"version\": 1,") != NULL);
	CHECK(strstr(sb.buf, "\"name\": \"worker;1\", \"tid\": 101") != NULL);
	CHECK(strstr(sb.buf, "\"function\": \"f3 (mod.py:29)\"") != NULL);
	CHECK(strstr(sb.buf, "\"utilisation_pct\": 100.000") != NULL);
	CHECK(strstr(sb.buf, "\"contention_pct\": 50.000") != NULL);
	sb_reset(&sb);
	output_summary(&sb, p, &ri);
	CHECK(strstr(sb.buf, "pid 100, Python 3.12.1") != NULL);
	CHECK(strstr(sb.buf, "MainThread") != NULL);
	CHECK(strstr(sb.buf, "75.0%  f3 (mod.py:29)") != NULL);
	CHECK(strstr(sb.buf, "100.0%  f7 (json/decoder.py:69)") != NULL);
	sb_release(&sb);
	profile_free(p);
}

TEST(profile, shares_fold_running_into_native)
{
	uint64_t st[GIL_NSTATES] = { 0 };
	struct profile_shares sh;

	st[GIL_HELD] = 3;
	st[GIL_WAITING] = 5;
	st[GIL_NATIVE] = 7;
	st[GIL_RUNNING] = 11;
	st[GIL_IDLE] = 13;
	profile_shares_count(&sh, st);
	CHECK_EQ_INT(sh.held, 3);
	CHECK_EQ_INT(sh.waiting, 5);
	CHECK_EQ_INT(sh.native, 18);
	CHECK_EQ_INT(sh.idle, 13);
	CHECK_EQ_INT(sh.busy, 26);
	CHECK_EQ_INT(sh.all, 39);
	CHECK(profile_pct(1, 4) == 25.0);
	CHECK(profile_pct(0, 0) == 0.0);
	CHECK(profile_pct(5, 0) == 0.0);
}

TEST(profile, shares_total_sums_every_thread)
{
	struct profile *p = two_thread_profile();
	struct profile_shares sh;
	uint64_t all = 0;
	size_t i;

	profile_shares_total(p, &sh);
	for (i = 0; i < profile_nthreads(p); i++)
		all += profile_thread(p, i)->samples;
	CHECK_EQ_INT(sh.all, all);
	CHECK_EQ_INT(sh.held, profile_state_total(p, GIL_HELD));
	CHECK_EQ_INT(sh.busy + sh.idle, sh.all);
	profile_free(p);
}

TEST(profile, frame_text)
{
	struct profile_frame f = { .name = "run;it\n",
				   .file = "/usr/lib/python3.12/a/b.py",
				   .line = 42, .firstlineno = 40, .func = 1 };
	struct strbuf sb = STRBUF_INIT;

	profile_frame_text(&sb, &f, 1, 0);
	CHECK_EQ_STR(sb.buf, "run:it  (a/b.py:42)");
	sb_reset(&sb);
	profile_frame_text(&sb, &f, 1, 1);
	CHECK_EQ_STR(sb.buf, "run:it  (a/b.py:40)");
	sb_reset(&sb);
	profile_frame_text(&sb, &f, 0, 0);
	CHECK_EQ_STR(sb.buf, "run:it  (a/b.py)");
	sb_reset(&sb);
	profile_frame_text(&sb, NULL, 1, 0);
	CHECK_EQ_STR(sb.buf, "???");
	sb_release(&sb);
}
