/* test_analysis.c - blame, hold intervals and the what-if speedup, on
 * synthetic timelines whose answers are known. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/analysis.h"
#include "gilspy/profile.h"
#include "harness.h"

/* Frame id i is function "f<i>" in "/srv/app/mod.py". */
static const struct py_frame_info *an_frame(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[32];

	(void)ctx;
	snprintf(name, sizeof(name), "f%u", id);
	fi.name = name;
	fi.filename = "/srv/app/mod.py";
	fi.line = (int)id * 10;
	fi.firstlineno = (int)id * 10 - 1;
	return &fi;
}

static const char *an_name(void *ctx, pid_t tid, uint64_t thread_id)
{
	(void)ctx;
	(void)thread_id;
	return tid == 100 ? "a" : tid == 101 ? "b" : "c";
}

/* The profile feeds its own analysis (profile_analysis()) every sample. */
struct fixture {
	struct profile *p;
	const struct analysis *a;
	struct py_sample *s;
	uint64_t sw;
};

static void fx_init(struct fixture *f)
{
	struct profile_resolver r = { an_frame, an_name, NULL };

	f->p = profile_new(&r);
	f->a = profile_analysis(f->p);
	f->s = calloc(1, sizeof(*f->s));
	f->sw = 1;
}

static void fx_release(struct fixture *f)
{
	profile_free(f->p);
	free(f->s);
}

/* One sample at t_ms: thread i (tid 100 + i) in state st[i] with the
 * single frame fr[i] (0: an empty stack), n threads. */
static void fx_add(struct fixture *f, double t_ms, int n,
		   const enum gil_state *st, const uint32_t *fr)
{
	struct py_sample *s = f->s;
	int i;

	memset(s, 0, sizeof(*s));
	s->time_ns = (uint64_t)(t_ms * 1e6);
	s->switch_number = f->sw;
	s->interval_us = 5000;
	s->nthreads = n;
	for (i = 0; i < n; i++) {
		struct py_thread_sample *t = &s->threads[i];

		t->tid = 100 + i;
		t->thread_id = 0x7f00 + (uint64_t)i;
		t->state = st[i];
		t->frames = &s->pool[s->pool_used];
		t->nframes = fr[i] ? 1 : 0;
		if (fr[i])
			s->pool[s->pool_used++] = fr[i];
		if (st[i] == GIL_HELD)
			s->gil_locked = 1;
	}
	profile_add(f->p, s);
}

static uint32_t func_of(struct fixture *f, uint32_t frame)
{
	return profile_frame(f->p, frame)->func;
}

TEST(analysis, blame_charges_the_holder_at_the_same_instant)
{
	struct fixture f;
	enum gil_state ab[2] = { GIL_HELD, GIL_WAITING };
	enum gil_state ba[2] = { GIL_WAITING, GIL_HELD };
	enum gil_state none[2] = { GIL_IDLE, GIL_WAITING };
	uint32_t fr1[2] = { 1, 2 }, fr2[2] = { 4, 3 };
	struct blame_row *rows;
	uint64_t waiting;
	size_t n;
	int i;

	fx_init(&f);
	for (i = 0; i < 10; i++)
		fx_add(&f, i, 2, ab, fr1);
	f.sw++;
	for (i = 10; i < 15; i++)
		fx_add(&f, i, 2, ba, fr2);
	fx_add(&f, 15, 2, none, fr1);	/* GIL in hand-off: no holder */
	rows = analysis_blame(f.a, &n, &waiting);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_INT(waiting, 16);
	/* b in f2 waited 10 samples for a in f1 */
	CHECK_EQ_INT(rows[0].samples, 10);
	CHECK_EQ_INT(rows[0].waiter_thread, 1);
	CHECK_EQ_INT(rows[0].waiter_func, func_of(&f, 2));
	CHECK_EQ_INT(rows[0].holder_thread, 0);
	CHECK_EQ_INT(rows[0].holder_func, func_of(&f, 1));
	/* a in f4 waited 5 for b in f3 */
	CHECK_EQ_INT(rows[1].samples, 5);
	CHECK_EQ_INT(rows[1].waiter_thread, 0);
	CHECK_EQ_INT(rows[1].waiter_func, func_of(&f, 4));
	CHECK_EQ_INT(rows[1].holder_thread, 1);
	CHECK_EQ_INT(rows[1].holder_func, func_of(&f, 3));
	/* and once with nobody holding */
	CHECK_EQ_INT(rows[2].samples, 1);
	CHECK_EQ_INT(rows[2].holder_thread, ANALYSIS_NONE);
	CHECK_EQ_INT(rows[2].holder_func, ANALYSIS_NONE);
	free(rows);
	fx_release(&f);
}

TEST(analysis, blame_of_a_torn_stack_has_no_function)
{
	struct fixture f;
	enum gil_state ab[2] = { GIL_HELD, GIL_WAITING };
	uint32_t fr[2] = { 1, 0 };
	struct blame_row *rows;
	size_t n;

	fx_init(&f);
	fx_add(&f, 0, 2, ab, fr);
	rows = analysis_blame(f.a, &n, NULL);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(rows[0].waiter_func, ANALYSIS_NONE);
	CHECK_EQ_INT(rows[0].holder_func, func_of(&f, 1));
	free(rows);
	fx_release(&f);
}

static int near(double got, double want, double rel)
{
	return fabs(got - want) <= rel * want;
}

TEST(analysis, holds_follow_holder_and_switch_number)
{
	struct fixture f;
	enum gil_state ab[2] = { GIL_HELD, GIL_WAITING };
	enum gil_state ba[2] = { GIL_WAITING, GIL_HELD };
	uint32_t fr[2] = { 1, 2 };
	struct hold_row *rows;
	size_t n;
	int i;

	fx_init(&f);
	/* a holds 0..9 ms, b 10..14, a again 15..44 (one sample a ms) */
	for (i = 0; i < 10; i++)
		fx_add(&f, i, 2, ab, fr);
	f.sw++;
	for (i = 10; i < 15; i++)
		fx_add(&f, i, 2, ba, fr);
	f.sw++;
	for (i = 15; i < 45; i++)
		fx_add(&f, i, 2, ab, fr);
	CHECK(near(analysis_resolution_ms(f.a), 1.0, 1e-9));
	rows = analysis_holds(f.a, &n);
	CHECK_EQ_INT(n, 2);
	/* a: 10 ms and 30 ms (spans of 9 and 29 plus a period); longest
	 * p95 first */
	CHECK_EQ_INT(rows[0].thread, 0);
	CHECK_EQ_INT(rows[0].func, func_of(&f, 1));
	CHECK_EQ_INT(rows[0].count, 2);
	CHECK(near(rows[0].p50_ms, 10.0, 0.06));
	CHECK(near(rows[0].p95_ms, 30.0, 0.06));
	CHECK(near(rows[0].max_ms, 30.0, 1e-9));
	CHECK_EQ_INT(rows[0].over_interval, 2);
	/* b: one hold of 5 ms, whose 4 ms span is not over 5 ms */
	CHECK_EQ_INT(rows[1].thread, 1);
	CHECK_EQ_INT(rows[1].count, 1);
	CHECK(near(rows[1].p50_ms, 5.0, 0.06));
	CHECK_EQ_INT(rows[1].over_interval, 0);
	free(rows);
	fx_release(&f);
}

/* A holder's histogram is sparse for its first 16 buckets and dense
 * after: the percentiles are the same either way.  a holds 1, 2, ... 40
 * ms in turn with b's 2 ms holds between. */
TEST(analysis, hold_percentiles_sparse_then_dense)
{
	struct fixture f;
	enum gil_state ab[2] = { GIL_HELD, GIL_WAITING };
	enum gil_state ba[2] = { GIL_WAITING, GIL_HELD };
	uint32_t fr[2] = { 1, 2 };
	struct hold_row *rows;
	size_t n;
	int i, k, t = 0;

	fx_init(&f);
	for (k = 1; k <= 40; k++) {
		for (i = 0; i < k; i++)
			fx_add(&f, t++, 2, ab, fr);
		f.sw++;
		for (i = 0; i < 2; i++)
			fx_add(&f, t++, 2, ba, fr);
		f.sw++;
		if (k != 10 && k != 40)
			continue;
		rows = analysis_holds(f.a, &n);
		CHECK_EQ_INT(n, 2);
		CHECK_EQ_INT(rows[0].thread, 0);
		CHECK_EQ_INT(rows[0].count, k);
		/* nearest rank: the k/2-th and the ceil(0.95 k)-th hold,
		 * within a bucket (6 %) */
		CHECK(near(rows[0].p50_ms, k / 2, 0.06 * k / 2));
		CHECK(near(rows[0].p95_ms, k == 10 ? 10 : 38,
			   0.06 * (k == 10 ? 10 : 38)));
		CHECK(near(rows[0].max_ms, k, 1e-9));
		CHECK_EQ_INT(rows[1].thread, 1);
		CHECK(near(rows[1].p50_ms, 2.0, 0.12));
		free(rows);
	}
	fx_release(&f);
}

TEST(analysis, a_switch_back_to_the_same_holder_is_a_new_hold)
{
	struct fixture f;
	enum gil_state ab[2] = { GIL_HELD, GIL_WAITING };
	uint32_t fr[2] = { 1, 2 };
	struct hold_row *rows;
	size_t n;
	int i;

	fx_init(&f);
	/* b held briefly between two samples: the counter moved by two */
	for (i = 0; i < 4; i++)
		fx_add(&f, i, 2, ab, fr);
	f.sw += 2;
	for (i = 4; i < 8; i++)
		fx_add(&f, i, 2, ab, fr);
	rows = analysis_holds(f.a, &n);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(rows[0].count, 2);
	CHECK(near(rows[0].max_ms, 4.0, 1e-9));
	free(rows);
	fx_release(&f);
}

TEST(analysis, a_failed_sample_leaves_a_hold_to_the_next_one)
{
	struct fixture f;
	enum gil_state held[1] = { GIL_HELD };
	uint32_t fr[1] = { 1 };
	struct hold_row *rows;
	size_t n;
	int i;

	fx_init(&f);
	/* same holder, same switch number on both sides: one hold, 0..5 ms
	 * seen, cut by the recording at both ends (half the mean period of
	 * the samples read, 1.25 ms, at each) */
	for (i = 0; i < 3; i++)
		fx_add(&f, i, 1, held, fr);
	profile_add_failed(f.p, 3000000);
	for (i = 4; i < 6; i++)
		fx_add(&f, i, 1, held, fr);
	rows = analysis_holds(f.a, &n);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(rows[0].count, 1);
	CHECK(near(analysis_resolution_ms(f.a), 1.25, 1e-9));
	CHECK(near(rows[0].max_ms, 6.25, 1e-9));
	free(rows);
	/* a hand-off hidden by the failed sample: two holds */
	profile_add_failed(f.p, 6000000);
	f.sw += 2;
	for (i = 7; i < 9; i++)
		fx_add(&f, i, 1, held, fr);
	rows = analysis_holds(f.a, &n);
	CHECK_EQ_INT(rows[0].count, 2);
	free(rows);
	fx_release(&f);
}

TEST(analysis, a_late_sample_at_either_end_widens_the_hold)
{
	struct fixture f;
	enum gil_state ab[2] = { GIL_HELD, GIL_WAITING };
	enum gil_state ba[2] = { GIL_WAITING, GIL_HELD };
	uint32_t fr[2] = { 1, 2 };
	struct hold_row *rows;
	size_t n;
	int i;

	fx_init(&f);
	/* b holds at 0..9 ms; the sampler is 10 ms late before a's hold
	 * (seen at 20..29) and 10 ms late after it (b again at 40..49): a
	 * began between 9 and 20, ended between 29 and 40 */
	for (i = 0; i < 10; i++)
		fx_add(&f, i, 2, ba, fr);
	f.sw++;
	for (i = 20; i < 30; i++)
		fx_add(&f, i, 2, ab, fr);
	f.sw++;
	for (i = 40; i < 50; i++)
		fx_add(&f, i, 2, ba, fr);
	rows = analysis_holds(f.a, &n);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(rows[0].thread, 0);
	CHECK_EQ_INT(rows[0].count, 1);
	/* 9 ms seen, plus half of each 11 ms gap */
	CHECK(near(rows[0].max_ms, 20.0, 1e-9));
	free(rows);
	fx_release(&f);
}

TEST(analysis, what_if_two_spinners_double_on_two_cores)
{
	struct fixture f;
	enum gil_state ab[3] = { GIL_HELD, GIL_WAITING, GIL_IDLE };
	enum gil_state ba[3] = { GIL_WAITING, GIL_HELD, GIL_IDLE };
	uint32_t fr[3] = { 1, 2, 3 };
	struct what_if w;
	int i;

	fx_init(&f);
	/* a joining main thread (idle) and two threads taking turns */
	for (i = 0; i < 100; i++)
		fx_add(&f, i, 3, (i / 5) % 2 ? ba : ab, fr);
	analysis_what_if(f.a, 2, &w);
	CHECK(near(w.recorded_s, 0.100, 1e-9));
	CHECK(near(w.work_s, 0.100, 1e-9));
	CHECK(near(w.longest_s, 0.050, 1e-9));
	CHECK(near(w.predicted_s, 0.050, 1e-9));
	CHECK(near(w.speedup, 2.0, 1e-9));
	CHECK_EQ_INT(w.cores, 2);
	analysis_what_if(f.a, 1, &w);
	CHECK(near(w.speedup, 1.0, 1e-9));
	fx_release(&f);
}

TEST(analysis, what_if_is_capped_by_cores_and_keeps_idle_time)
{
	struct fixture f;
	enum gil_state st[3][3] = {
		{ GIL_HELD, GIL_WAITING, GIL_WAITING },
		{ GIL_WAITING, GIL_HELD, GIL_WAITING },
		{ GIL_WAITING, GIL_WAITING, GIL_HELD },
	};
	enum gil_state none[3] = { GIL_IDLE, GIL_IDLE, GIL_IDLE };
	uint32_t fr[3] = { 1, 2, 3 };
	struct what_if w;
	int i;

	fx_init(&f);
	for (i = 0; i < 90; i++)
		fx_add(&f, i, 3, st[i % 3], fr);
	for (i = 90; i < 120; i++)	/* nothing busy: stays as it is */
		fx_add(&f, i, 3, none, fr);
	analysis_what_if(f.a, 2, &w);
	CHECK(near(w.idle_s, 0.030, 1e-9));
	/* 90 ms of work on 2 cores, 30 ms the longest thread: 30 + 45 */
	CHECK(near(w.predicted_s, 0.075, 1e-9));
	CHECK(near(w.speedup, 120.0 / 75.0, 1e-9));
	analysis_what_if(f.a, 8, &w);	/* then the longest thread */
	CHECK(near(w.predicted_s, 0.060, 1e-9));
	fx_release(&f);
}

TEST(analysis, what_if_native_work_gains_nothing)
{
	struct fixture f;
	enum gil_state st[2] = { GIL_NATIVE, GIL_NATIVE };
	enum gil_state st2[2] = { GIL_HELD, GIL_NATIVE };
	uint32_t fr[2] = { 1, 2 };
	struct what_if w;
	int i;

	fx_init(&f);
	for (i = 0; i < 50; i++)
		fx_add(&f, i, 2, i % 10 ? st : st2, fr);
	analysis_what_if(f.a, 2, &w);
	CHECK(near(w.speedup, 1.0, 1e-9));
	fx_release(&f);
}

TEST(analysis, memory_does_not_grow_with_samples)
{
	struct fixture f;
	enum gil_state ab[2] = { GIL_HELD, GIL_WAITING };
	enum gil_state ba[2] = { GIL_WAITING, GIL_HELD };
	uint32_t fr[2] = { 1, 2 };
	size_t m1;
	int i;

	fx_init(&f);
	for (i = 0; i < 1000; i++) {
		if (i % 5 == 0)
			f.sw++;
		fx_add(&f, i, 2, (i / 5) % 2 ? ba : ab, fr);
	}
	m1 = analysis_memory(f.a);
	for (i = 1000; i < 100000; i++) {
		if (i % 5 == 0)
			f.sw++;
		fx_add(&f, i, 2, (i / 5) % 2 ? ba : ab, fr);
	}
	CHECK_EQ_INT(analysis_memory(f.a), m1);
	fx_release(&f);
}

TEST(analysis, empty_recording)
{
	struct fixture f;
	struct what_if w;
	size_t n;
	uint64_t waiting = 7;

	fx_init(&f);
	free(analysis_blame(f.a, &n, &waiting));
	CHECK_EQ_INT(n, 0);
	CHECK_EQ_INT(waiting, 0);
	free(analysis_holds(f.a, &n));
	CHECK_EQ_INT(n, 0);
	analysis_what_if(f.a, 2, &w);
	CHECK(w.speedup == 1.0);
	CHECK(analysis_resolution_ms(f.a) == 0);
	fx_release(&f);
}

TEST(analysis, blame_by_stack_keeps_the_waiters_whole_stack)
{
	struct fixture f;
	enum gil_state ab[2] = { GIL_HELD, GIL_WAITING };
	struct py_sample *s;
	struct blame_stack_row *rows;
	struct blame_row *fr;
	uint32_t fr1[2] = { 1, 2 };
	size_t n;
	int i;

	fx_init(&f);
	for (i = 0; i < 3; i++)
		fx_add(&f, i, 2, ab, fr1);
	/* b waits in f2 again, called from f5: another stack, same leaf */
	s = f.s;
	memset(s, 0, sizeof(*s));
	s->time_ns = 3000000;
	s->switch_number = f.sw;
	s->nthreads = 2;
	s->gil_locked = 1;
	s->threads[0].tid = 100;
	s->threads[0].thread_id = 0x7f00;
	s->threads[0].state = GIL_HELD;
	s->threads[0].frames = &s->pool[0];
	s->threads[0].nframes = 1;
	s->pool[0] = 1;
	s->threads[1].tid = 101;
	s->threads[1].thread_id = 0x7f01;
	s->threads[1].state = GIL_WAITING;
	s->threads[1].frames = &s->pool[1];
	s->threads[1].nframes = 2;
	s->pool[1] = 2;
	s->pool[2] = 5;
	s->pool_used = 3;
	profile_add(f.p, s);

	rows = analysis_blame_stacks(f.a, &n);
	CHECK_EQ_INT(n, 2);
	CHECK(rows[0].waiter_stack != rows[1].waiter_stack);
	CHECK_EQ_INT(rows[0].samples + rows[1].samples, 4);
	CHECK_EQ_INT(profile_stack_depth(f.p, rows[0].waiter_stack) +
		     profile_stack_depth(f.p, rows[1].waiter_stack), 3);
	free(rows);
	/* by function, the two stacks are one row */
	fr = analysis_blame(f.a, &n, NULL);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(fr[0].samples, 4);
	CHECK_EQ_INT(fr[0].waiter_func, func_of(&f, 2));
	free(fr);
	fx_release(&f);
}
