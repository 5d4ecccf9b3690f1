/*
 * classify.c - the GIL state of each thread of a sample, from facts only
 * (see include/gilspy/gil.h for the rules).  No I/O here: the unit tests
 * feed it synthetic facts.
 */
#include <stddef.h>

#include "gilspy/gil.h"

/*
 * The woken-waiter rule compares a thread's CPU time with that of the
 * previous sample, and only over intervals of two scheduler ticks or more:
 * the kernel brings a running thread's CPU time up to date at ticks (4 ms
 * at HZ=250), so over shorter intervals a thread running flat out can show
 * none.
 */
#define WOKEN_CPU_SHARE 4
#define WOKEN_MIN_INTERVAL_NS 8000000ull	/* two ticks at HZ=250 */
/* More CPU time than a woken GIL waiter uses to get back into take_gil
 * (a few microseconds, and wake-ups from its timed waits) */
#define QUEUED_RAN_NS 100000ull

static const char *const state_names[GIL_NSTATES] = {
	"held", "waiting", "native", "idle", "running"
};

static const char *const evidence_names[EV_NSTATES] = {
	"gil-holder", "holds-gil-flag", "gil-requested-flag",
	"futex-on-gil", "os-running", "os-sleeping", "woken-waiter",
	"native-stack", "queued-for-cpu", "gil-not-created"
};

const char *gil_state_name(enum gil_state s)
{
	return (unsigned)s < GIL_NSTATES ? state_names[s] : "?";
}

const char *gil_evidence_name(enum gil_evidence e)
{
	return (unsigned)e < EV_NSTATES ? evidence_names[e] : "?";
}

static const struct gil_snapshot *gil_of(const struct gil_snapshot *gils,
					  int ngils, const struct gil_facts *f)
{
	return f->gil >= 0 && f->gil < ngils ? &gils[f->gil] : NULL;
}

static int is_holder(const struct gil_snapshot *g, const struct gil_facts *f)
{
	return g && g->locked == 1 && g->holder == f->tstate;
}

static void verdict(struct gil_verdict *v, enum gil_state s,
		    enum gil_evidence e)
{
	v->state = s;
	v->evidence = e;
}

void gil_classify(int free_threaded, const struct gil_snapshot *gils,
		  int ngils, const struct gil_facts *facts, int n,
		  struct gil_verdict *out)
{
	/* Which GILs have their holder among the threads read.  A tstate is
	 * read a little before the GIL, so its holds_gil flag can be stale
	 * after a hand-off: the flag only names the holder of a locked GIL
	 * whose last_holder is none of them (take_gil sets locked first). */
	uint8_t known[GIL_MAX] = { 0 };
	uint8_t flagged[GIL_MAX] = { 0 };

	if (ngils > GIL_MAX)
		ngils = GIL_MAX;
	for (int i = 0; i < n; i++)
		if (is_holder(gil_of(gils, ngils, &facts[i]), &facts[i]))
			known[facts[i].gil] = 1;
	for (int i = 0; i < n; i++) {
		const struct gil_facts *f = &facts[i];
		const struct gil_snapshot *g = gil_of(gils, ngils, f);
		struct gil_verdict *v = &out[i];

		v->os_state = f->os_state;
		if (free_threaded) {
			if (f->os_state == 'R')
				verdict(v, GIL_RUNNING, EV_OS_RUNNING);
			else
				verdict(v, GIL_IDLE, EV_OS_SLEEPING);
		} else if (is_holder(g, f)) {
			verdict(v, GIL_HELD, EV_HOLDER);
			v->os_state = 'R';
		} else if (g && g->locked == -1 && f->os_state == 'R') {
			/* 3.6 before a second thread: no GIL to take, and
			 * only one thread to run */
			verdict(v, GIL_HELD, EV_NO_GIL_YET);
		} else if (f->holds_flag && g && g->locked == 1 &&
			   !f->requested_flag && !known[f->gil] &&
			   !flagged[f->gil]) {
			/* last_holder not yet updated by take_gil */
			flagged[f->gil] = 1;
			verdict(v, GIL_HELD, EV_HOLDS_FLAG);
		} else if (f->requested_flag) {
			verdict(v, GIL_WAITING, EV_REQUESTED_FLAG);
		} else if (g && f->futex_on_gil) {
			verdict(v, GIL_WAITING, EV_FUTEX_COND);
		} else if (g && f->native_wait == GIL_STACK_TAKING) {
			verdict(v, GIL_WAITING, EV_NATIVE_STACK);
		} else if (f->os_state == 'R') {
			verdict(v, GIL_NATIVE, EV_OS_RUNNING);
		} else {
			verdict(v, GIL_IDLE, EV_OS_SLEEPING);
		}
	}
}

int gil_holder_cpu_needed(uint64_t period_ns)
{
	return !period_ns || 2 * period_ns >= WOKEN_MIN_INTERVAL_NS;
}

int gil_needs_cpu(const struct gil_verdict *v, int holder_cpu_needed)
{
	return v->state != GIL_IDLE &&
	       (v->state != GIL_HELD || holder_cpu_needed);
}

/*
 * A thread woken from its wait for the GIL (or just forced to hand it over)
 * shows as runnable ('R') until it has run far enough to block in take_gil
 * again or take the GIL; on a busy machine that can be milliseconds.  Tell
 * it from a thread running native code by its CPU time:
 *  - blocked on the GIL's futex at the previous sample and not scheduled
 *    onto a CPU since (same count of switches in): it can only have been
 *    woken, it has not run;
 *  - holding or waiting for the GIL at the previous sample, at least two
 *    scheduler ticks ago, and on a CPU under a quarter of the time since:
 *    it is queued, not working.
 * A thread running without a break is never switched in, so the switch
 * count alone says nothing about it: rule one needs the futex evidence.
 * Both rules compare with CPU times read at the previous sample.
 */
static int was_native(const struct gil_history *h, uint64_t seq)
{
	return h->last_seq && h->last_seq + 1 == seq && h->last == GIL_NATIVE;
}

/* Whether the thread ran more than QUEUED_RAN_NS of CPU since sample
 * seq - 1 (0 when either CPU time is missing). */
static int ran_since(const struct gil_history *h, uint64_t seq,
		     const struct gil_facts *f)
{
	return f->have_cpu && h->cpu_seq && h->cpu_seq + 1 == seq &&
	       f->cpu_ns - h->cpu_ns > QUEUED_RAN_NS;
}

/*
 * A thread found queued for a CPU at sample seq: waiting on its way to the
 * GIL, or native code preempted?
 *  - no sample seq - 1 to go by: say nothing (native, as read);
 *  - held at seq - 1: it let the GIL go (a forced switch) and is on its
 *    way back into take_gil: waiting;
 *  - native at seq - 1 and doing native work then (h->native_work: it had
 *    run more than a woken waiter does), or having run that much since
 *    seq - 1: native code, preempted - a pure-Python thread that takes the
 *    GIL keeps it for a switch interval and would be the holder now;
 *  - otherwise (idle, waiting, or on a CPU only a moment, as a woken
 *    thread is on its way into take_gil): waiting.
 * The schedstat read now is exact (the thread is off a CPU); one made at
 * seq - 1 while it ran may lag by a tick, which only adds to "ran".
 */
static int queued_waiting(const struct gil_history *h, uint64_t seq,
			  const struct gil_facts *f)
{
	if (!h->last_seq || h->last_seq + 1 != seq)
		return 0;
	if (h->last == GIL_HELD)
		return 1;
	if (h->last == GIL_NATIVE && h->native_work)
		return 0;
	return !ran_since(h, seq, f);
}

int gil_oncpu_needed(const struct gil_history *h, uint64_t seq)
{
	return !was_native(h, seq);
}

void gil_woken(struct gil_history *h, uint64_t seq, uint64_t time_ns,
	       const struct gil_facts *f, struct gil_verdict *v)
{
	int prev;

	prev = h->seq && h->seq + 1 == seq && h->cpu_seq == h->seq;
	/* A C stack that was read and is not taking the GIL is the better
	 * evidence: the thread is doing what its stack says. */
	if (v->state != GIL_NATIVE || f->on_cpu == GIL_CPU_ON ||
	    f->native_wait == GIL_STACK_ELSEWHERE) {
		/* as read */
	} else if (f->on_cpu == GIL_CPU_QUEUED) {
		if (queued_waiting(h, seq, f))
			verdict(v, GIL_WAITING, EV_QUEUED);
	} else if (f->on_cpu == GIL_CPU_UNKNOWN && f->have_cpu && prev) {
		uint64_t elapsed = time_ns - h->cpu_at_ns;

		if ((h->evidence == EV_FUTEX_COND &&
		     f->switches == h->switches) ||
		    ((h->state == GIL_WAITING || h->state == GIL_HELD) &&
		     elapsed >= WOKEN_MIN_INTERVAL_NS &&
		     (f->cpu_ns - h->cpu_ns) * WOKEN_CPU_SHARE < elapsed))
			verdict(v, GIL_WAITING, EV_WOKEN_WAITER);
	}
	/* native work: it ran a while since the last sample, or there was
	 * none to go by and native was taken as read */
	if (v->state != GIL_NATIVE)
		h->native_work = 0;
	else if (ran_since(h, seq, f) || !h->last_seq ||
		 h->last_seq + 1 != seq)
		h->native_work = 1;
	h->last = v->state;
	h->last_seq = seq;
	if (v->state == GIL_IDLE)
		return;
	if (f->have_cpu) {
		h->cpu_ns = f->cpu_ns;
		h->switches = f->switches;
		h->cpu_at_ns = time_ns;
		h->cpu_seq = seq;
	}
	h->state = v->state;
	h->evidence = v->evidence;
	h->seq = seq;
}
