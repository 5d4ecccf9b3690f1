/* test_gates.c - --fail-if expressions: grammar, parse errors, every
 * operator, thread selectors and the figures they are checked against, on
 * profiles built from synthetic samples. */
#include <stdlib.h>
#include <string.h>

#include "gilspy/baseline.h"
#include "gilspy/gates.h"
#include "harness.h"

static const struct py_frame_info *gt_frame(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[32];

	(void)ctx;
	snprintf(name, sizeof(name), "f%u", id);
	fi.name = name;
	fi.filename = "/srv/app/gates.py";
	fi.line = (int)id;
	fi.firstlineno = (int)id;
	return &fi;
}

static const char *gt_thread(void *ctx, pid_t tid, uint64_t thread_id)
{
	(void)ctx;
	(void)thread_id;
	switch (tid) {
	case 100: return "MainThread";
	case 101: return "worker-1";
	case 102: return "worker-2";
	case 103: return "bad\nname\x1b|";
	default: return NULL;
	}
}

static void gt_set(struct py_sample *s, int i, pid_t tid, enum gil_state st)
{
	static const uint32_t ids[] = { 3, 2, 1 };
	struct py_thread_sample *t = &s->threads[i];

	t->tid = tid;
	t->thread_id = 0x7f0000000000ull + (uint64_t)tid;
	t->tstate = 0x5000 + (uint64_t)tid;
	t->state = st;
	t->evidence = st == GIL_HELD ? EV_HOLDER : EV_OS_RUNNING;
	t->nframes = 3;
	t->frames = &s->pool[s->pool_used];
	memcpy(t->frames, ids, sizeof(ids));
	s->pool_used += 3;
	if (i >= s->nthreads)
		s->nthreads = i + 1;
}

/*
 * Ten ticks, 10 ms apart:
 *   MainThread idle throughout
 *   worker-1   held 0-5, waiting 6-9           held 6, waiting 4
 *   worker-2   waiting 0-3, native 4-5, held 6-7, native 8-9
 *                                              waiting 4, native 4, held 2
 * Busy thread samples: 20 (held 8, waiting 8, native 4); idle 10 of 30.
 * So held 40 %, waiting 40 %, native 20 %, idle 33.3 %; utilisation 80 %
 * (a holder in ticks 0-7), contention 80 % (a waiter in ticks 0-3 and
 * 6-9), mean waiters 0.8, 3 switches per tick.  One more failed tick: 1
 * error in 11.
 */
static struct profile *gt_profile(void)
{
	struct profile_resolver r = { gt_frame, gt_thread, NULL };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	int i;

	for (i = 0; i < 10; i++) {
		s->nthreads = 0;
		s->pool_used = 0;
		s->time_ns = 1000000000ull + (uint64_t)i * 10000000ull;
		s->gil_locked = i < 8;
		s->switch_number = 1000 + 3 * (uint64_t)i;
		s->interval_us = 5000;
		gt_set(s, 0, 100, GIL_IDLE);
		gt_set(s, 1, 101, i < 6 ? GIL_HELD : GIL_WAITING);
		gt_set(s, 2, 102, i < 4 ? GIL_WAITING : i < 6 ? GIL_NATIVE :
			       i < 8 ? GIL_HELD : GIL_NATIVE);
		profile_add(p, s);
	}
	profile_add_failed(p, 1000000000ull + 10 * 10000000ull);
	free(s);
	return p;
}

static uint64_t gt_wall_ns = 1000000000ull;	/* the recording's length */

/* Parse expr into a fresh set and check it; returns the crossed count
 * (-1 if it did not parse) and leaves the lines in out. */
static int run_base(const struct profile *p, const struct baseline *base,
		    const char *expr, struct strbuf *out)
{
	struct gates *g = gates_new();
	struct strbuf why = STRBUF_INIT;
	struct record_info ri = { .pid = 1, .wall_ns = gt_wall_ns,
				  .exit_code = -1, .cores = 2 };
	int n;

	sb_reset(out);
	if (gates_parse(g, expr, &why)) {
		printf("#   '%s' did not parse: %s\n", expr, why.buf);
		n = -1;
	} else {
		n = gates_check(g, p, &ri, base, out);
	}
	sb_release(&why);
	gates_free(g);
	return n;
}

static int run(const struct profile *p, const char *expr, struct strbuf *out)
{
	return run_base(p, NULL, expr, out);
}

static void expect_base(const struct profile *p, const struct baseline *base,
			const char *expr, int crossed, const char *line)
{
	struct strbuf out = STRBUF_INIT;
	int n = run_base(p, base, expr, &out);

	if (n != crossed)
		printf("#   '%s': %d crossed, expected %d (%s)\n", expr, n,
		       crossed, out.buf ? out.buf : "");
	CHECK_EQ_INT(n, crossed);
	if (line)
		CHECK_EQ_STR(out.buf, line);
	sb_release(&out);
}

static void expect(const struct profile *p, const char *expr, int crossed,
		   const char *line)
{
	expect_base(p, NULL, expr, crossed, line);
}

TEST(gates, every_operator_at_and_around_the_value)
{
	struct profile *p = gt_profile();

	/* waiting is exactly 40.0 % */
	expect(p, "waiting>40%", 0, NULL);
	expect(p, "waiting>39.9%", 1, NULL);
	expect(p, "waiting>=40", 1, NULL);
	expect(p, "waiting>=40.1", 0, NULL);
	expect(p, "waiting<40", 0, NULL);
	expect(p, "waiting<40.1%", 1, NULL);
	expect(p, "waiting<=40", 1, NULL);
	expect(p, "waiting<=39.9", 0, NULL);
	expect(p, "waiting==40", 1, NULL);
	expect(p, "waiting==40.0%", 1, NULL);
	expect(p, "waiting==39", 0, NULL);
	expect(p, "waiting!=40", 0, NULL);
	expect(p, "waiting!=39", 1, NULL);
	profile_free(p);
}

TEST(gates, thread_states_are_shares_of_busy_samples)
{
	struct profile *p = gt_profile();

	/* the idle MainThread does not dilute them */
	expect(p, "waiting > 20%", 1,
	       "threshold crossed: waiting 40.0% > 20% (all threads)\n");
	expect(p, "held<50%", 1,
	       "threshold crossed: held 40.0% < 50% (all threads)\n");
	expect(p, "native==20", 1, NULL);
	/* idle is a share of all thread samples: 10 of 30 */
	expect(p, "idle>33.3%", 0, NULL);
	expect(p, "idle>=33.3%", 1,
	       "threshold crossed: idle 33.3% >= 33.3% (all threads)\n");
	expect(p, "WAITING>20", 1, NULL);	/* names are case-blind */
	profile_free(p);
}

TEST(gates, thread_selectors)
{
	struct profile *p = gt_profile();

	expect(p, "held[worker-1]>=60", 1,
	       "threshold crossed: held[worker-1] 60.0% >= 60% "
	       "(thread 'worker-1', tid 101)\n");
	expect(p, "held[101]>=60", 1, NULL);		/* by tid */
	expect(p, "held[102]==20", 1, NULL);
	expect(p, "waiting[worker-*]>39", 1,
	       "threshold crossed: waiting[worker-*] 40.0% > 39% "
	       "(2 threads match 'worker-*')\n");
	expect(p, "native[worker-[2]]==40", 1, NULL);	/* glob class */
	expect(p, "native[worker-[!2]]==0", 1, NULL);
	expect(p, "waiting[MainThread]>0", 0, NULL);	/* never busy */
	expect(p, "held[MainThread]<1", 1,
	       "threshold crossed: held[MainThread] 0.0% < 1% "
	       "(thread 'MainThread', tid 100, never busy)\n");
	expect(p, "idle[MainThread]==100", 1, NULL);
	profile_free(p);
}

TEST(gates, a_selector_matching_nothing_fails_safe)
{
	struct profile *p = gt_profile();

	expect(p, "waiting[nobody]>99", 1,
	       "threshold crossed: waiting[nobody] > 99%: no thread matches "
	       "'nobody' (threads: 'MainThread', 'worker-1', 'worker-2')\n");
	expect(p, "held[99]>=0", 1, NULL);
	profile_free(p);
}

TEST(gates, process_figures)
{
	struct profile *p = gt_profile();

	expect(p, "utilisation==80%", 1, NULL);
	expect(p, "utilization>79", 1, NULL);
	expect(p, "contention<80", 0, NULL);
	expect(p, "contention==80%", 1, NULL);
	expect(p, "waiters>0.79", 1,
	       "threshold crossed: waiters 0.80 > 0.79\n");
	expect(p, "waiters>0.8", 0, NULL);
	/* 27 hand-offs in the 1 s the record_info says */
	expect(p, "switches>=27", 1,
	       "threshold crossed: switches 27.0/s >= 27/s\n");
	expect(p, "switches>27", 0, NULL);
	/* 1 failed tick of 11: 9.1 % */
	expect(p, "errors>9%", 1,
	       "threshold crossed: errors 9.1% > 9%\n");
	expect(p, "errors==9.1", 1, NULL);
	expect(p, "samples<11", 1,
	       "threshold crossed: samples 10 < 11\n");
	expect(p, "samples==10", 1, NULL);
	/* what-if on 2 cores: 100 ms recorded, 60 ms of work in each busy
	 * thread and nothing idle: 60 ms, 1.67x */
	expect(p, "speedup>1.66", 1,
	       "threshold crossed: speedup 1.67x > 1.66x\n");
	expect(p, "speedup>1.67", 0, NULL);
	expect(p, "speedup>=1.67", 1, NULL);
	profile_free(p);
}

TEST(gates, speedup_is_a_factor)
{
	struct profile *p = gt_profile();
	struct gates *g = gates_new();
	struct strbuf why = STRBUF_INIT;
	struct baseline b;

	CHECK_EQ_INT(gates_parse(g, "speedup>1.5%", &why), -1);
	CHECK(why.buf && strstr(why.buf, "a factor, not a percentage"));
	CHECK_EQ_INT(gates_parse(g, "speedup[worker-*]>1.5", &why), -1);
	memset(&b, 0, sizeof(b));
	b.has = BASE_SPEEDUP;
	b.no_gil_speedup = 1.2;
	expect_base(p, &b, "speedup>base*1.3", 1, NULL);	/* 1.67 > 1.56 */
	expect_base(p, &b, "speedup>base*1.4", 0, NULL);	/* 1.67 < 1.68 */
	expect_base(p, &b, "speedup>base+0.5", 0, NULL);
	b.has = 0;
	expect_base(p, &b, "speedup>base", 1, "threshold crossed: speedup > "
		    "base: the base report has no 'speedup' figure\n");
	sb_release(&why);
	gates_free(g);
	profile_free(p);
}

TEST(gates, several_expressions_and_repeated_arguments)
{
	struct profile *p = gt_profile();
	struct gates *g = gates_new();
	struct strbuf why = STRBUF_INIT, out = STRBUF_INIT;

	CHECK_EQ_INT(gates_count(g), 0);
	CHECK_EQ_INT(gates_check(g, p, NULL, NULL, &out), 0);
	CHECK_EQ_INT(gates_parse(g, "waiting>20%, held<10%,samples<1", &why),
		     0);
	CHECK_EQ_INT(gates_parse(g, "waiting[worker-*,x]>1", &why), 0);
	CHECK_EQ_INT(gates_count(g), 4);
	/* waiting crosses; the selector (a glob with a comma) matches no
	 * thread and so crosses too */
	CHECK_EQ_INT(gates_check(g, p, NULL, NULL, &out), 2);
	CHECK(strstr(out.buf, "threshold crossed: waiting 40.0% > 20%"));
	CHECK(strstr(out.buf, "no thread matches 'worker-*,x'"));
	/* a bad argument adds none of its expressions */
	CHECK_EQ_INT(gates_parse(g, "held<1,bogus<1", &why), -1);
	CHECK_EQ_INT(gates_count(g), 4);
	sb_release(&why);
	sb_release(&out);
	gates_free(g);
	gates_free(NULL);
	CHECK_EQ_INT(gates_check(NULL, p, NULL, NULL, &out), 0);
	profile_free(p);
}

TEST(gates, parse_errors_name_the_expression_and_the_problem)
{
	static const struct {
		const char *arg, *why;
	} bad[] = {
		{ "waiting 20%", "bad expression 'waiting 20%': expected one "
		  "of > >= < <= == != after 'waiting'" },
		{ "waiting=>20", "expected one of > >= < <= == != after "
		  "'waiting'" },
		{ "waiting=20", "expected one of > >= < <= == !=" },
		{ "held[w]", "expected one of > >= < <= == != after "
		  "'held[...]'" },
		{ "wait>20", "bad expression 'wait>20': unknown metric 'wait' "
		  "(known: held, waiting" },
		{ ">20", "expected a metric name at the start" },
		{ "", "empty expression" },
		{ "  ", "empty expression" },
		{ "waiting>20,", "bad expression '': empty expression" },
		{ "waiting>", "expected a number (0 or more, e.g. 20 or 2.5) "
		  "after '>'" },
		{ "waiting>-5", "expected a number" },
		{ "waiting>.5", "expected a number" },
		{ "waiting>abc", "expected a number" },
		{ "waiting>1e3", "unexpected 'e3' after the number" },
		{ "waiting>20%%", "unexpected '%' after the number" },
		{ "waiting>20 and held<3", "unexpected 'and held<3' after the "
		  "number" },
		{ "samples>10%", "'samples' is a count, not a percentage: "
		  "drop the '%'" },
		{ "switches>10%", "'switches' is a rate per second" },
		{ "waiters>1%", "'waiters' is a mean number of threads" },
		{ "utilisation[main]>5", "'utilisation' is a figure of the "
		  "whole process and takes no [thread]" },
		{ "waiting[main>5", "missing ']' after the thread name" },
		{ "waiting[]>5", "empty thread name in '[]'" },
		{ "waiting>base%", "expected +, - or * after 'base'" },
		{ "waiting>base 5", "expected +, - or * after 'base'" },
		{ "waiting>base+", "expected a number (0 or more, e.g. 20 or "
		  "2.5) after 'base+'" },
		{ "waiting>base-x", "after 'base-'" },
		{ "waiting>base*", "after 'base*'" },
		{ "waiting>base*1.2%", "a factor takes no '%': base*1.2 is 20% "
		  "more than the base" },
		{ "samples>base+5%", "'samples' is a count, not a percentage" },
		{ "waiting>base+5 x", "unexpected 'x' after the number" },
		{ "waiting>1234567890123456789012345678901234567890"
		  "123456789012345678901234567890", "the number is too long" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		struct gates *g = gates_new();
		struct strbuf why = STRBUF_INIT;
		int r = gates_parse(g, bad[i].arg, &why);

		CHECK_EQ_INT(r, -1);
		CHECK_EQ_INT(gates_count(g), 0);
		if (!why.buf || !strstr(why.buf, bad[i].why)) {
			printf("#   '%s': got \"%s\", expected \"%s\"\n",
			       bad[i].arg, why.buf ? why.buf : "(none)",
			       bad[i].why);
			unit_failed = 1;
		}
		/* one line */
		CHECK(why.buf && !strchr(why.buf, '\n'));
		sb_release(&why);
		gates_free(g);
	}
}

TEST(gates, hostile_names_stay_on_one_line)
{
	struct profile *p = gt_profile();
	struct py_sample *s = calloc(1, sizeof(*s));
	struct strbuf out = STRBUF_INIT;
	char *nl;

	s->time_ns = 2000000000ull;
	gt_set(s, 0, 103, GIL_HELD);
	profile_add(p, s);
	CHECK_EQ_INT(run(p, "held[bad*]<50", &out), 0);
	CHECK_EQ_INT(run(p, "held[bad*]>50", &out), 1);
	CHECK_EQ_STR(out.buf, "threshold crossed: held[bad*] 100.0% > 50% "
		     "(thread 'bad?name?|', tid 103)\n");
	CHECK_EQ_INT(run(p, "held[x\x01y]>50", &out), 1);
	nl = strchr(out.buf, '\n');
	CHECK(nl && !nl[1]);
	CHECK(strstr(out.buf, "'bad?name?|'"));
	CHECK(strstr(out.buf, "held[x?y]"));
	sb_release(&out);
	free(s);
	profile_free(p);
}

TEST(gates, nothing_sampled_fails_safe)
{
	struct profile_resolver r = { gt_frame, gt_thread, NULL };
	struct profile *p = profile_new(&r);

	expect(p, "waiting>20%", 1,
	       "threshold crossed: waiting > 20%: no thread was sampled\n");
	expect(p, "samples<1", 1, "threshold crossed: samples 0 < 1\n");
	expect(p, "utilisation>1", 0, NULL);
	profile_free(p);
}

/*
 * A base branch's report, as baseline_load() would give it:
 *   all threads: held 10, waiting 5, native 5, idle 10 -> held 50 %,
 *   waiting 25 %, native 25 %, idle 33.3 %; utilisation 70 %; 8 samples;
 *   worker-1: held 8, waiting 2 (held 80 %); worker-2 without counts
 *   (an older report with percentages only); no switches figure.
 */
/* A run checked against its own JSON report agrees, though the report
 * carries 3 decimals: 27 switches in 1.99262 s are 13.5499995/s, shown
 * 13.5, and the report's "13.550" read back shows 13.6. */
TEST(gates, base_from_its_own_json_agrees_at_a_rounding_edge)
{
	struct profile *p = gt_profile();
	struct baseline b;

	memset(&b, 0, sizeof(b));
	b.has = BASE_SWITCHES;
	b.switches_per_s = 13.550;	/* json_add_num(13.5499995) */
	gt_wall_ns = 1992620000ull;
	expect_base(p, &b, "switches!=base", 0, NULL);
	expect_base(p, &b, "switches<base", 0, NULL);
	expect_base(p, &b, "switches>=base", 1, "threshold crossed: "
		    "switches 13.6/s >= base 13.6/s\n");
	gt_wall_ns = 1000000000ull;
	profile_free(p);
}

TEST(gates, base_expressions_compare_with_the_baseline)
{
	struct profile *p = gt_profile();
	struct baseline_thread th[2];
	struct baseline b;
	struct gates *g = gates_new();
	struct strbuf why = STRBUF_INIT;

	memset(&b, 0, sizeof(b));
	memset(th, 0, sizeof(th));
	b.has = BASE_STATES | BASE_THREADS | BASE_UTILISATION | BASE_SAMPLES;
	b.state_total[GIL_HELD] = 10;
	b.state_total[GIL_WAITING] = 5;
	b.state_total[GIL_NATIVE] = 5;
	b.state_total[GIL_IDLE] = 10;
	b.utilisation_pct = 70;
	b.samples = 8;
	th[0].name = "worker-1";
	th[0].tid = 501;
	th[0].has_counts = 1;
	th[0].count[GIL_HELD] = 8;
	th[0].count[GIL_WAITING] = 2;
	th[1].name = "worker-2";
	th[1].tid = 502;
	th[1].has_pct = 1;
	th[1].pct[GIL_HELD] = 20;
	b.threads = th;
	b.nthreads = 2;

	/* the profile: waiting 40 %, held 40 %, worker-1 held 60 % */
	expect_base(p, &b, "waiting>base+10", 1, "threshold crossed: waiting "
		    "40.0% > base 25.0% + 10% = 35.0% (all threads)\n");
	expect_base(p, &b, "waiting>base+15%", 0, NULL);
	expect_base(p, &b, "waiting>=base+15%", 1, NULL);
	expect_base(p, &b, "held<base-5", 1, "threshold crossed: held 40.0% "
		    "< base 50.0% - 5% = 45.0% (all threads)\n");
	expect_base(p, &b, "held < base - 10 %", 0, NULL);
	expect_base(p, &b, "held[worker-1]<base*0.8", 1, "threshold crossed: "
		    "held[worker-1] 60.0% < base 80.0% * 0.8 = 64.0% (thread "
		    "'worker-1', tid 101)\n");
	expect_base(p, &b, "held[worker-1]<base*0.75", 0, NULL);
	expect_base(p, &b, "idle!=BASE", 0, NULL);
	expect_base(p, &b, "utilisation>base+5", 1, "threshold crossed: "
		    "utilisation 80.0% > base 70.0% + 5% = 75.0%\n");
	expect_base(p, &b, "samples>base", 1,
		    "threshold crossed: samples 10 > base 8\n");
	expect_base(p, &b, "samples>base*1.25", 0, NULL);
	/* what the base cannot answer counts as crossed, and says why */
	expect_base(p, &b, "held[worker-*]<base", 1, "threshold crossed: "
		    "held[worker-*] < base: the base report has no state "
		    "counts for thread 'worker-2'\n");
	expect_base(p, &b, "held[Main*]>base", 1, "threshold crossed: "
		    "held[Main*] > base: no thread of the base matches "
		    "'Main*'\n");
	expect_base(p, &b, "switches>base*2", 1, "threshold crossed: "
		    "switches > base*2: the base report has no 'switches' "
		    "figure\n");
	expect_base(p, NULL, "waiting>base+5%", 1, "threshold crossed: "
		    "waiting > base+5%: no base to compare with (give "
		    "--baseline)\n");
	/* a selector the profile cannot match says so first */
	expect_base(p, &b, "held[nobody]>base", 1, NULL);

	CHECK_EQ_INT(gates_needs_baseline(NULL), 0);
	CHECK_EQ_INT(gates_parse(g, "waiting>20%,held<base", &why), 0);
	CHECK_EQ_INT(gates_needs_baseline(g), 1);
	gates_free(g);
	g = gates_new();
	CHECK_EQ_INT(gates_parse(g, "waiting>20%", &why), 0);
	CHECK_EQ_INT(gates_needs_baseline(g), 0);
	/* "base" is a word: a metric or a number cannot start with it */
	CHECK_EQ_INT(gates_parse(g, "waiting>basement", &why), -1);
	CHECK(why.buf && strstr(why.buf, "expected a number"));
	sb_release(&why);
	gates_free(g);
	profile_free(p);
}

/* A second process: five ticks, worker-1 holding, worker-2 waiting. */
static struct profile *gt_profile_worker(void)
{
	struct profile_resolver r = { gt_frame, gt_thread, NULL };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	int i;

	for (i = 0; i < 5; i++) {
		s->nthreads = 0;
		s->pool_used = 0;
		s->time_ns = 2000000000ull + (uint64_t)i * 10000000ull;
		s->gil_locked = 1;
		s->switch_number = 50;
		s->interval_us = 5000;
		gt_set(s, 0, 101, GIL_HELD);
		gt_set(s, 1, 102, GIL_WAITING);
		profile_add(p, s);
	}
	free(s);
	return p;
}

static void expect_procs(const struct profile *p, const struct record_info *ri,
			 const char *expr, int crossed, const char *line)
{
	struct gates *g = gates_new();
	struct strbuf why = STRBUF_INIT, out = STRBUF_INIT;
	int n = -1;

	if (gates_parse(g, expr, &why))
		printf("#   '%s' did not parse: %s\n", expr, why.buf);
	else
		n = gates_check(g, p, ri, NULL, &out);
	if (n != crossed)
		printf("#   '%s': %d crossed, expected %d (%s)\n", expr, n,
		       crossed, out.buf ? out.buf : "");
	CHECK_EQ_INT(n, crossed);
	if (line)
		CHECK_EQ_STR(out.buf, line);
	sb_release(&why);
	sb_release(&out);
	gates_free(g);
}

TEST(gates, process_selectors_parse)
{
	static const struct {
		const char *arg, *why;
	} bad[] = {
		{ "held{pid=x}>5", "'{pid=...}' takes a process id" },
		{ "held{pid=0}>5", "'{pid=...}' takes a process id" },
		{ "held{pid=}>5", "expected {*}, {pid=N} or {cmd=GLOB}" },
		{ "held{foo}>5", "expected {*}, {pid=N} or {cmd=GLOB} as the "
		  "process selector" },
		{ "held{}>5", "expected {*}, {pid=N} or {cmd=GLOB}" },
		{ "held{*>5", "missing '}' after the process selector" },
		{ "held{*}>base+5", "a process selector cannot be compared "
		  "with 'base'" },
		{ "held{*}", "expected one of > >= < <= == != after "
		  "'held{...}'" },
		{ "utilisation{*}[main]>5", "takes no [thread]" },
	};
	struct gates *g = gates_new();
	struct strbuf why = STRBUF_INIT;
	size_t i;

	CHECK_EQ_INT(gates_parse(g, "held{*}>50", &why), 0);
	CHECK_EQ_INT(gates_parse(g, "held{pid=1234}[worker-*]>=60%", &why), 0);
	CHECK_EQ_INT(gates_parse(g, "waiting{cmd=*worker*}>20%", &why), 0);
	CHECK_EQ_INT(gates_parse(g, " utilisation {*} < 80 ", &why), 0);
	CHECK_EQ_INT(gates_count(g), 4);
	/* a comma inside braces belongs to the glob */
	CHECK_EQ_INT(gates_parse(g, "held{cmd=a,b}>5,waiting{*}>5", &why), 0);
	CHECK_EQ_INT(gates_count(g), 6);
	CHECK(!gates_needs_baseline(g));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		sb_reset(&why);
		CHECK_EQ_INT(gates_parse(g, bad[i].arg, &why), -1);
		if (!why.buf || !strstr(why.buf, bad[i].why))
			printf("#   '%s': got '%s'\n", bad[i].arg,
			       why.buf ? why.buf : "");
		CHECK(why.buf && strstr(why.buf, bad[i].why));
	}
	CHECK_EQ_INT(gates_count(g), 6);
	sb_release(&why);
	gates_free(g);
}

TEST(gates, process_selectors_check_each_process)
{
	struct profile *p = gt_profile(), *w = gt_profile_worker();
	struct record_process procs[] = {
		{ .pid = 10, .cmdline = "python app.py", .prof = p },
		{ .pid = 11, .ppid = 10, .cmdline = "python worker.py",
		  .prof = w },
		{ .pid = 12, .ppid = 10, .cmdline = "sh -c worker",
		  .skip = "not Python" },
	};
	struct record_info ri = { .pid = 10, .wall_ns = 1000000000ull,
				  .exit_code = -1, .cores = 2,
				  .procs = procs, .nprocs = 3 };

	/* every process must pass: worker-1 holds 60 % in one, 100 % in
	 * the other */
	expect_procs(p, &ri, "held{*}[worker-1]>=60", 2,
		     "threshold crossed: held{*}[worker-1] 60.0% >= 60% "
		     "(process 10, thread 'worker-1', tid 101)\n"
		     "threshold crossed: held{*}[worker-1] 100.0% >= 60% "
		     "(process 11, thread 'worker-1', tid 101)\n");
	expect_procs(p, &ri, "held{*}[worker-1]>60", 1, NULL);
	expect_procs(p, &ri, "held{cmd=*worker*}==50", 1,
		     "threshold crossed: held{cmd=*worker*} 50.0% == 50% "
		     "(process 11, all threads)\n");
	expect_procs(p, &ri, "utilisation{pid=10}==80", 1,
		     "threshold crossed: utilisation{pid=10} 80.0% == 80% "
		     "(process 10)\n");
	expect_procs(p, &ri, "utilisation{pid=11}==100", 1, NULL);
	expect_procs(p, &ri, "samples{*}<10", 1, NULL);	/* the worker: 5 */
	/* without a selector: the root's figures, as before */
	expect_procs(p, &ri, "held[worker-1]==60", 1, NULL);
	/* the skipped process is never matched; nothing matched crosses */
	expect_procs(p, &ri, "held{cmd=sh *}>0", 1,
		     "threshold crossed: held{cmd=sh *} > 0%: no process "
		     "matches (10, 11, 12 recorded)\n");
	expect_procs(p, &ri, "utilisation{pid=99}>0", 1, NULL);
	expect_procs(p, &ri, "held{pid=11}[MainThread]>0", 1,
		     "threshold crossed: held{pid=11}[MainThread] > 0%: no "
		     "thread matches 'MainThread' (threads: 'worker-1', "
		     "'worker-2') in process 11\n");
	profile_free(p);
	profile_free(w);
}

TEST(gates, process_selectors_without_processes_match_the_target)
{
	struct profile *p = gt_profile();
	struct record_info ri = { .pid = 7, .cmdline = "python app.py",
				  .wall_ns = 1000000000ull, .exit_code = -1,
				  .cores = 2 };

	expect_procs(p, &ri, "utilisation{*}==80", 1,
		     "threshold crossed: utilisation{*} 80.0% == 80% "
		     "(process 7)\n");
	expect_procs(p, &ri, "switches{pid=7}>=27", 1, NULL);
	expect_procs(p, &ri, "held{cmd=*app.py}[worker-1]==60", 1, NULL);
	expect_procs(p, &ri, "held{pid=8}>0", 1,
		     "threshold crossed: held{pid=8} > 0%: no process "
		     "matches (7 recorded)\n");
	profile_free(p);
}
