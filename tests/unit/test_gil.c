/*
 * test_gil.c - the GIL classifier (src/gil/classify.c) on synthetic facts:
 * every evidence rule, the priorities between them, and the woken-waiter
 * rule with its history.
 */
#include <string.h>

#include "gilspy/gil.h"
#include "harness.h"

#define TS_A 0x1000
#define TS_B 0x2000
#define TS_C 0x3000

static struct gil_facts fact(uint64_t tstate, int gil, char os)
{
	struct gil_facts f;

	memset(&f, 0, sizeof(f));
	f.tstate = tstate;
	f.gil = gil;
	f.os_state = os;
	return f;
}

/* Classify n facts against one GIL locked by holder (0: unlocked). */
static void run1(uint64_t holder, const struct gil_facts *f, int n,
		 struct gil_verdict *v)
{
	struct gil_snapshot g = { holder ? 1 : 0, holder };

	gil_classify(0, &g, 1, f, n, v);
}

#define CHECK_VERDICT(v, st, ev)                                             \
	do {                                                                 \
		CHECK_EQ_STR(gil_state_name((v).state), gil_state_name(st)); \
		CHECK_EQ_STR(gil_evidence_name((v).evidence),                \
			     gil_evidence_name(ev));                         \
	} while (0)

TEST(gil, names)
{
	CHECK_EQ_STR(gil_state_name(GIL_HELD), "held");
	CHECK_EQ_STR(gil_state_name(GIL_RUNNING), "running");
	CHECK_EQ_STR(gil_state_name(GIL_NSTATES), "?");
	CHECK_EQ_STR(gil_evidence_name(EV_HOLDER), "gil-holder");
	CHECK_EQ_STR(gil_evidence_name(EV_WOKEN_WAITER), "woken-waiter");
	CHECK_EQ_STR(gil_evidence_name(EV_QUEUED), "queued-for-cpu");
	CHECK_EQ_STR(gil_evidence_name(EV_NO_GIL_YET), "gil-not-created");
	CHECK_EQ_STR(gil_evidence_name(EV_NSTATES), "?");
	for (int e = 0; e < EV_NSTATES; e++)
		CHECK(strcmp(gil_evidence_name((enum gil_evidence)e), "?"));
}

TEST(gil, holder)
{
	struct gil_facts f[2] = { fact(TS_A, 0, 'S'), fact(TS_B, 0, 'R') };
	struct gil_verdict v[2];

	run1(TS_A, f, 2, v);
	CHECK_VERDICT(v[0], GIL_HELD, EV_HOLDER);
	CHECK_EQ_INT(v[0].os_state, 'R');	/* the holder is running */
	CHECK_VERDICT(v[1], GIL_NATIVE, EV_OS_RUNNING);
	CHECK_EQ_INT(v[1].os_state, 'R');
}

TEST(gil, unlocked_gil_has_no_holder)
{
	struct gil_snapshot g = { 0, TS_A };	/* released, last_holder A */
	struct gil_facts f = fact(TS_A, 0, 'S');
	struct gil_verdict v;

	gil_classify(0, &g, 1, &f, 1, &v);
	CHECK_VERDICT(v, GIL_IDLE, EV_OS_SLEEPING);
	g.locked = -1;				/* torn or not created */
	gil_classify(0, &g, 1, &f, 1, &v);
	CHECK_VERDICT(v, GIL_IDLE, EV_OS_SLEEPING);
}

TEST(gil, no_gil_yet_the_running_thread_holds)
{
	/* 3.6 creates its GIL when a second thread starts: until then its
	 * one thread runs Python as the holder would */
	struct gil_snapshot g = { -1, 0 };
	struct gil_facts f = fact(TS_A, 0, 'R');
	struct gil_verdict v;

	gil_classify(0, &g, 1, &f, 1, &v);
	CHECK_VERDICT(v, GIL_HELD, EV_NO_GIL_YET);
	f.os_state = 'S';			/* and sleeps as anyone does */
	gil_classify(0, &g, 1, &f, 1, &v);
	CHECK_VERDICT(v, GIL_IDLE, EV_OS_SLEEPING);
	g.locked = 2;				/* torn: nothing said */
	f.os_state = 'R';
	gil_classify(0, &g, 1, &f, 1, &v);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
}

TEST(gil, holds_flag_when_holder_unknown)
{
	/* locked, last_holder is none of the threads read: take_gil has
	 * set locked but not yet last_holder; the flag names the holder,
	 * and only one thread per GIL. */
	struct gil_facts f[3] = { fact(TS_A, 0, 'R'), fact(TS_B, 0, 'R'),
				  fact(TS_C, 0, 'S') };
	struct gil_verdict v[3];

	f[0].holds_flag = 1;
	f[1].holds_flag = 1;
	run1(0x9000, f, 3, v);
	CHECK_VERDICT(v[0], GIL_HELD, EV_HOLDS_FLAG);
	CHECK_VERDICT(v[1], GIL_NATIVE, EV_OS_RUNNING);
	CHECK_VERDICT(v[2], GIL_IDLE, EV_OS_SLEEPING);
}

TEST(gil, holds_flag_ignored_when_holder_known)
{
	/* a stale flag after a hand-off: last_holder names B */
	struct gil_facts f[2] = { fact(TS_A, 0, 'S'), fact(TS_B, 0, 'R') };
	struct gil_verdict v[2];

	f[0].holds_flag = 1;
	run1(TS_B, f, 2, v);
	CHECK_VERDICT(v[0], GIL_IDLE, EV_OS_SLEEPING);
	CHECK_VERDICT(v[1], GIL_HELD, EV_HOLDER);
	/* and on an unlocked GIL */
	run1(0, f, 1, v);
	CHECK_VERDICT(v[0], GIL_IDLE, EV_OS_SLEEPING);
	/* and without a GIL at all */
	f[0].gil = -1;
	run1(0x9000, f, 1, v);
	CHECK_VERDICT(v[0], GIL_IDLE, EV_OS_SLEEPING);
}

TEST(gil, requested_flag)
{
	struct gil_facts f[2] = { fact(TS_A, 0, 'R'), fact(TS_B, 0, 'S') };
	struct gil_verdict v[2];

	f[0].requested_flag = 1;
	run1(TS_B, f, 2, v);
	CHECK_VERDICT(v[0], GIL_WAITING, EV_REQUESTED_FLAG);
	/* holds_gil and gil_requested both set, holder unknown: it asked
	 * and has not got it, so it waits */
	f[0].holds_flag = 1;
	run1(0x9000, f, 1, v);
	CHECK_VERDICT(v[0], GIL_WAITING, EV_REQUESTED_FLAG);
}

TEST(gil, holder_wins_over_requested)
{
	/* 3.15: gil_requested can lag a hand-off; last_holder decides */
	struct gil_facts f = fact(TS_A, 0, 'R');
	struct gil_verdict v;

	f.requested_flag = 1;
	f.futex_on_gil = 1;
	run1(TS_A, &f, 1, &v);
	CHECK_VERDICT(v, GIL_HELD, EV_HOLDER);
}

TEST(gil, futex_on_gil)
{
	struct gil_facts f[2] = { fact(TS_A, 0, 'S'), fact(TS_B, -1, 'S') };
	struct gil_verdict v[2];

	f[0].futex_on_gil = 1;
	f[1].futex_on_gil = 1;		/* no GIL known: not evidence */
	run1(0x9000, f, 2, v);
	CHECK_VERDICT(v[0], GIL_WAITING, EV_FUTEX_COND);
	CHECK_VERDICT(v[1], GIL_IDLE, EV_OS_SLEEPING);
	/* requested comes before the futex */
	f[0].requested_flag = 1;
	run1(0x9000, f, 1, v);
	CHECK_VERDICT(v[0], GIL_WAITING, EV_REQUESTED_FLAG);
}

TEST(gil, native_and_idle)
{
	struct gil_facts f[3] = { fact(TS_A, 0, 'R'), fact(TS_B, 0, 'D'),
				  fact(TS_C, 0, '?') };
	struct gil_verdict v[3];

	run1(0, f, 3, v);
	CHECK_VERDICT(v[0], GIL_NATIVE, EV_OS_RUNNING);
	CHECK_VERDICT(v[1], GIL_IDLE, EV_OS_SLEEPING);
	CHECK_EQ_INT(v[1].os_state, 'D');
	CHECK_VERDICT(v[2], GIL_IDLE, EV_OS_SLEEPING);
	CHECK_EQ_INT(v[2].os_state, '?');
}

TEST(gil, free_threaded)
{
	/* no GIL: flags and futexes say nothing, the OS state decides */
	struct gil_facts f[2] = { fact(TS_A, -1, 'R'), fact(TS_B, -1, 'S') };
	struct gil_verdict v[2];

	f[0].holds_flag = 1;
	f[1].futex_on_gil = 1;
	gil_classify(1, NULL, 0, f, 2, v);
	CHECK_VERDICT(v[0], GIL_RUNNING, EV_OS_RUNNING);
	CHECK_VERDICT(v[1], GIL_IDLE, EV_OS_SLEEPING);
}

TEST(gil, per_interpreter_gils)
{
	/* two GILs: each has its own holder, and the holds_gil fallback
	 * applies per GIL */
	struct gil_snapshot g[2] = { { 1, TS_A }, { 1, 0x9000 } };
	struct gil_facts f[4] = { fact(TS_A, 0, 'R'), fact(TS_B, 0, 'R'),
				  fact(TS_C, 1, 'R'), fact(0x4000, 1, 'R') };
	struct gil_verdict v[4];

	f[1].holds_flag = 1;	/* GIL 0's holder is known: stale */
	f[2].holds_flag = 1;	/* GIL 1's holder is not: names it */
	f[3].holds_flag = 1;	/* only one per GIL */
	gil_classify(0, g, 2, f, 4, v);
	CHECK_VERDICT(v[0], GIL_HELD, EV_HOLDER);
	CHECK_VERDICT(v[1], GIL_NATIVE, EV_OS_RUNNING);
	CHECK_VERDICT(v[2], GIL_HELD, EV_HOLDS_FLAG);
	CHECK_VERDICT(v[3], GIL_NATIVE, EV_OS_RUNNING);
	/* an index past the GILs given is a thread without a GIL */
	f[0].gil = 5;
	gil_classify(0, g, 2, f, 1, v);
	CHECK_VERDICT(v[0], GIL_NATIVE, EV_OS_RUNNING);
}

TEST(gil, needs_cpu)
{
	struct gil_verdict held = { GIL_HELD, EV_HOLDER, 'R' };
	struct gil_verdict idle = { GIL_IDLE, EV_OS_SLEEPING, 'S' };
	struct gil_verdict native = { GIL_NATIVE, EV_OS_RUNNING, 'R' };

	CHECK(!gil_needs_cpu(&idle, 1));
	CHECK(gil_needs_cpu(&native, 0));
	CHECK(gil_needs_cpu(&held, 1));
	CHECK(!gil_needs_cpu(&held, 0));
	CHECK(gil_holder_cpu_needed(0));		/* period unknown */
	CHECK(gil_holder_cpu_needed(10000000));		/* 100 Hz */
	CHECK(gil_holder_cpu_needed(4000000));		/* 250 Hz: 2 x 4 ms */
	CHECK(!gil_holder_cpu_needed(1000000));		/* 1 kHz */
}

/* One sample of one thread through classify + woken, as pyt_sample does. */
static struct gil_verdict step(struct gil_history *h, uint64_t seq,
			       uint64_t time_ns, struct gil_facts f,
			       uint64_t holder)
{
	struct gil_verdict v;

	run1(holder, &f, 1, &v);
	gil_woken(h, seq, time_ns, &f, &v);
	return v;
}

static struct gil_facts with_cpu(struct gil_facts f, uint64_t cpu_ns,
				 uint64_t switches)
{
	f.have_cpu = 1;
	f.cpu_ns = cpu_ns;
	f.switches = switches;
	return f;
}

TEST(gil, woken_after_futex_not_switched_in)
{
	struct gil_history h = { 0 };
	struct gil_facts w = fact(TS_A, 0, 'S');
	struct gil_verdict v;

	w.futex_on_gil = 1;
	v = step(&h, 1, 1000000, with_cpu(w, 500, 7), TS_B);
	CHECK_VERDICT(v, GIL_WAITING, EV_FUTEX_COND);
	CHECK_EQ_INT(h.seq, 1);
	CHECK_EQ_INT(h.cpu_seq, 1);
	/* now R, same switch count: woken, not yet run - however short */
	v = step(&h, 2, 1100000, with_cpu(fact(TS_A, 0, 'R'), 500, 7), TS_B);
	CHECK_VERDICT(v, GIL_WAITING, EV_WOKEN_WAITER);
	CHECK_EQ_INT(h.state, GIL_WAITING);
	CHECK_EQ_INT(h.evidence, EV_WOKEN_WAITER);
}

TEST(gil, running_after_futex_and_switched_in)
{
	struct gil_history h = { 0 };
	struct gil_facts w = fact(TS_A, 0, 'S');
	struct gil_verdict v;

	w.futex_on_gil = 1;
	step(&h, 1, 1000000, with_cpu(w, 500, 7), TS_B);
	/* switched in since, short interval: native (rule two needs 8 ms) */
	v = step(&h, 2, 2000000, with_cpu(fact(TS_A, 0, 'R'), 600000, 8), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
}

TEST(gil, woken_by_cpu_share)
{
	struct gil_history h = { 0 };
	struct gil_verdict v;
	uint64_t t0 = 1000000000ull;

	/* held at seq 1, then R without the GIL 10 ms later having run
	 * 1 ms: under a quarter of the interval - queued, not working */
	step(&h, 1, t0, with_cpu(fact(TS_A, 0, 'R'), 0, 3), TS_A);
	CHECK_EQ_INT(h.state, GIL_HELD);
	v = step(&h, 2, t0 + 10000000, with_cpu(fact(TS_A, 0, 'R'), 1000000, 9),
		 TS_B);
	CHECK_VERDICT(v, GIL_WAITING, EV_WOKEN_WAITER);
	/* ran 5 ms of the next 10: working */
	v = step(&h, 3, t0 + 20000000, with_cpu(fact(TS_A, 0, 'R'), 6000000, 9),
		 TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
}

TEST(gil, woken_needs_min_interval_and_history)
{
	struct gil_history h = { 0 };
	struct gil_verdict v;
	uint64_t t0 = 1000000000ull;

	/* interval under two ticks: no verdict from CPU share */
	step(&h, 1, t0, with_cpu(fact(TS_A, 0, 'R'), 0, 3), TS_A);
	v = step(&h, 2, t0 + 4000000, with_cpu(fact(TS_A, 0, 'R'), 0, 3), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
	/* native at the previous sample: the rule does not apply */
	v = step(&h, 3, t0 + 20000000, with_cpu(fact(TS_A, 0, 'R'), 0, 3), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
	/* a gap in the samples: no previous sample to compare with */
	memset(&h, 0, sizeof(h));
	step(&h, 1, t0, with_cpu(fact(TS_A, 0, 'R'), 0, 3), TS_A);
	v = step(&h, 3, t0 + 20000000, with_cpu(fact(TS_A, 0, 'R'), 0, 3), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
	/* no CPU time at the previous sample */
	memset(&h, 0, sizeof(h));
	step(&h, 1, t0, fact(TS_A, 0, 'R'), TS_A);
	CHECK_EQ_INT(h.cpu_seq, 0);
	v = step(&h, 2, t0 + 20000000, with_cpu(fact(TS_A, 0, 'R'), 0, 3), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
	/* no CPU time now */
	v = step(&h, 3, t0 + 40000000, fact(TS_A, 0, 'R'), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
}

TEST(gil, woken_leaves_idle_and_others)
{
	struct gil_history h = { 0 };
	struct gil_facts w = fact(TS_A, 0, 'S');
	struct gil_verdict v;

	w.futex_on_gil = 1;
	step(&h, 1, 1000000, with_cpu(w, 500, 7), TS_B);
	/* idle now: no verdict change and no history update */
	v = step(&h, 2, 2000000, with_cpu(fact(TS_A, 0, 'S'), 500, 7), TS_B);
	CHECK_VERDICT(v, GIL_IDLE, EV_OS_SLEEPING);
	CHECK_EQ_INT(h.seq, 1);
	/* the holder is never turned into a waiter */
	memset(&h, 0, sizeof(h));
	step(&h, 1, 1000000, with_cpu(w, 500, 7), TS_B);
	v = step(&h, 2, 1100000, with_cpu(fact(TS_A, 0, 'R'), 500, 7), TS_A);
	CHECK_VERDICT(v, GIL_HELD, EV_HOLDER);
}

TEST(gil, native_stack_wait)
{
	struct gil_facts f[4] = { fact(TS_A, 0, 'R'), fact(TS_B, 0, 'R'),
				  fact(TS_C, 0, 'S'), fact(TS_C + 1, 0, 'R') };
	struct gil_verdict v[4];

	f[0].native_wait = GIL_STACK_TAKING;	/* the holder's cannot count */
	f[1].native_wait = GIL_STACK_TAKING;	/* R in take_gil: queued */
	f[2].native_wait = GIL_STACK_TAKING;	/* the futex rule saw it too */
	f[2].futex_on_gil = 1;
	f[3].native_wait = GIL_STACK_ELSEWHERE;	/* the /proc rule alone */
	run1(TS_A, f, 4, v);
	CHECK_VERDICT(v[0], GIL_HELD, EV_HOLDER);
	CHECK_VERDICT(v[1], GIL_WAITING, EV_NATIVE_STACK);
	CHECK_VERDICT(v[2], GIL_WAITING, EV_FUTEX_COND);
	CHECK_VERDICT(v[3], GIL_NATIVE, EV_OS_RUNNING);
	CHECK_EQ_STR(gil_evidence_name(EV_NATIVE_STACK), "native-stack");
}

TEST(gil, native_stack_elsewhere_is_not_a_woken_waiter)
{
	struct gil_history h = { 0 };
	struct gil_facts w = fact(TS_A, 0, 'S');
	struct gil_facts r = fact(TS_A, 0, 'R');
	struct gil_verdict v;

	w.futex_on_gil = 1;
	v = step(&h, 1, 1000000, with_cpu(w, 500, 7), TS_B);
	CHECK_VERDICT(v, GIL_WAITING, EV_FUTEX_COND);
	/* R with the same switch count would be a woken waiter, but its C
	 * stack was read and it is in deflate, not take_gil */
	r.native_wait = GIL_STACK_ELSEWHERE;
	v = step(&h, 2, 1100000, with_cpu(r, 500, 7), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
}

static struct gil_facts runnable(uint64_t cpu_ns, int on_cpu)
{
	struct gil_facts f = with_cpu(fact(TS_A, 0, 'R'), cpu_ns, 1);

	f.on_cpu = on_cpu;
	return f;
}

TEST(gil, queued_after_waiting_or_held)
{
	struct gil_history h = { 0 };
	struct gil_facts w = fact(TS_A, 0, 'S');
	struct gil_verdict v;

	/* no history yet: it may as well be native code, preempted */
	v = step(&h, 1, 1000000, runnable(500, GIL_CPU_QUEUED), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
	/* on a CPU: native, whatever the CPU-share rule would say */
	w.futex_on_gil = 1;
	memset(&h, 0, sizeof(h));
	step(&h, 1, 1000000, with_cpu(w, 500, 7), TS_B);
	v = step(&h, 2, 1100000, runnable(500, GIL_CPU_ON), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
	/* waiting in the futex, then queued, not having run: waiting */
	memset(&h, 0, sizeof(h));
	step(&h, 1, 1000000, with_cpu(w, 500, 7), TS_B);
	v = step(&h, 2, 2000000, runnable(500 + 20000, GIL_CPU_QUEUED), TS_B);
	CHECK_VERDICT(v, GIL_WAITING, EV_QUEUED);
	CHECK_EQ_INT(h.last, GIL_WAITING);
	/* held, then queued: dropped the GIL, on its way back */
	memset(&h, 0, sizeof(h));
	step(&h, 1, 1000000, with_cpu(fact(TS_A, 0, 'R'), 0, 3), TS_A);
	v = step(&h, 2, 2000000, runnable(900000, GIL_CPU_QUEUED), TS_B);
	CHECK_VERDICT(v, GIL_WAITING, EV_QUEUED);
	/* after idle too (a sleeper woken, queued to take the GIL) */
	memset(&h, 0, sizeof(h));
	step(&h, 1, 1000000, with_cpu(fact(TS_A, 0, 'S'), 500, 7), TS_B);
	CHECK_EQ_INT(h.last, GIL_IDLE);
	CHECK(gil_oncpu_needed(&h, 2));
	v = step(&h, 2, 2000000, runnable(500, GIL_CPU_QUEUED), TS_B);
	CHECK_VERDICT(v, GIL_WAITING, EV_QUEUED);
}

TEST(gil, queued_native_stays_native)
{
	struct gil_history h = { 0 };
	struct gil_facts w = fact(TS_A, 0, 'S');
	struct gil_verdict v;

	/* native on a CPU, then preempted having run: still in its
	 * native code */
	step(&h, 1, 1000000, runnable(500, GIL_CPU_ON), TS_B);
	CHECK(!gil_oncpu_needed(&h, 2));
	v = step(&h, 2, 2000000, runnable(900000, GIL_CPU_QUEUED), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
	/* still queued, not run since: native code still preempted */
	CHECK_EQ_INT(h.native_work, 1);
	v = step(&h, 3, 3000000, runnable(900000, GIL_CPU_QUEUED), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
	/* idle, on a CPU a moment (a woken sleeper in take_gil), then
	 * queued having barely run: waiting, not native */
	memset(&h, 0, sizeof(h));
	step(&h, 1, 1000000, with_cpu(fact(TS_A, 0, 'S'), 500, 7), TS_B);
	step(&h, 2, 2000000, runnable(500, GIL_CPU_ON), TS_B);
	CHECK_EQ_INT(h.native_work, 0);
	v = step(&h, 3, 3000000, runnable(520, GIL_CPU_QUEUED), TS_B);
	CHECK_VERDICT(v, GIL_WAITING, EV_QUEUED);
	/* native at its first sample (as read), then queued not having
	 * run (a one-shot dump's two samples): still native */
	memset(&h, 0, sizeof(h));
	step(&h, 1, 1000000, runnable(500, GIL_CPU_ON), TS_B);
	v = step(&h, 2, 11000000, runnable(500, GIL_CPU_QUEUED), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
	/* a gap in the samples: nothing to say it was not native */
	CHECK(gil_oncpu_needed(&h, 5));
	v = step(&h, 5, 5000000, runnable(900000, GIL_CPU_QUEUED), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
	/* waiting, then ran 0.5 ms without the GIL and was preempted:
	 * native code (a waiter running again would hold the GIL now) */
	w.futex_on_gil = 1;
	memset(&h, 0, sizeof(h));
	step(&h, 1, 1000000, with_cpu(w, 500, 7), TS_B);
	v = step(&h, 2, 2000000, runnable(500500, GIL_CPU_QUEUED), TS_B);
	CHECK_VERDICT(v, GIL_NATIVE, EV_OS_RUNNING);
}
