/*
 * nativecopy.c - --native's copies of each thread's registers and stack
 * (see native.h), made as close as can be to the instant the GIL was read.
 *
 * A thread blocked in a system call - a waiter in the GIL's futex, a
 * sleeper, the main thread in join() - is copied without a stop: the
 * kernel says where it is (proc_task_blocked()), and while its switch
 * count stands it has not run, so its stack is as it was.  Any other
 * thread is stopped with ptrace for the copy (proc_unwind_capture()).
 * The walks come after all the copies (pynative_merge()); a copy made
 * without a stop that lacked a register the walk needed is made again
 * with one.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/util.h"
#include "native.h"

/* How much of a thread's stack to copy next time: what this walk read
 * with room to grow (copying is most of a stop's cost, and most C stacks
 * under Python are a few KB), all of it again after an overrun. */
void pynative_copy_size(struct thread_entry *e, const struct unwind_snap *s)
{
	size_t want = s->used * 2 > s->used + COPY_MIN ? s->used * 2 :
		      s->used + COPY_MIN;

	if (s->overran || want > UNWIND_STACK_MAX)
		want = UNWIND_STACK_MAX;
	e->native_copy = (uint32_t)((want + 4095) & ~(size_t)4095);
}

static void note_stop(struct py_native *n, uint64_t ns)
{
	uint64_t b = ns / 1000;

	n->stop_hist[b < STOP_BUCKETS ? b : STOP_BUCKETS - 1]++;
	n->stops++;
	if (ns > n->max_ns)
		n->max_ns = ns;
}

/* Is thread i of the sample likely on a CPU right now?  The GIL's holder
 * is (or is about to be: its OS state is not read), and so is a thread
 * its switch ring shows on one; without a GIL, any runnable thread.
 * Other runnable threads are mostly waiters queued for a CPU, where a
 * poll for their stop would only burn the CPU they need. */
static int likely_on_cpu(const struct py_target *t, const struct gil_set *gs,
			 int i)
{
	const struct py_scratch *sc = t->scratch;
	const struct gil_facts *f = &sc->facts[i];
	struct thread_entry *e = sc->tentry[i];
	uint64_t mark;
	int on;

	if (f->on_cpu == GIL_CPU_ON)
		return 1;
	if (t->free_threaded)
		return sc->st[i].state == 'R';
	if (f->gil < 0 || f->gil >= gs->n || gs->snap[f->gil].locked != 1 ||
	    gs->snap[f->gil].holder != f->tstate)
		return 0;
	/* a holder its ring shows preempted is not polled for */
	return !e || !e->watched ||
	       proc_task_switches(&e->task, &mark, &on) < 0 || on != 0;
}

/* A count that moves whenever the thread is switched onto a CPU: its
 * switch ring's mark (no system call), else schedstat's; the top bit says
 * which (1: the ring), so that counts of the two kinds never compare
 * equal. */
#define MARK_RING (1ULL << 63)

static int switch_count(struct thread_entry *e, int ring, uint64_t *c)
{
	uint64_t ns, v;
	int on;

	if (ring ? proc_task_switches(&e->task, &v, &on) != 0 :
		   proc_task_cputime(&e->task, &ns, &v) != GS_OK)
		return -1;
	*c = (ring ? MARK_RING : 0) | (v & ~MARK_RING);
	return 0;
}

/* Copy thread e into snap without stopping it: 1 done.  That is when it
 * is blocked in a system call, or was at an earlier look and has not been
 * switched in since (woken and queued for a CPU: runnable, but with the
 * same registers and stack), and it stays so until the copy is made.  A
 * thread blocked where an earlier such copy of it could not be unwound is
 * left to the stop. */
static int copy_unstopped(struct py_native *n, struct thread_entry *e,
			  struct unwind_snap *snap, uint64_t *mark)
{
	struct proc_task_blocked b;
	uint64_t before, after;
	int ring = e->watched, r;

	if (switch_count(e, ring, &before) < 0)
		return 0;
	r = proc_task_blocked(&e->task, &b);
	if (r == 1) {
		e->blocked = b;
		e->blocked_mark = before;
		e->blocked_ok = 1;
	} else if (r == 0 && e->blocked_ok && e->blocked_mark == before) {
		b = e->blocked;		/* woken, not yet run */
	} else {
		e->blocked_ok = 0;
		return 0;
	}
	if ((e->needs_regs_pc && e->needs_regs_pc == b.pc) ||
	    proc_unwind_copy_blocked(n->unw, &b, e->task.tid, e->native_copy,
				     snap) != 1 ||
	    switch_count(e, ring, &after) < 0 || after != before)
		return 0;
	snap->in_syscall = r == 1;
	*mark = before;
	return 1;
}

/* Does the walk of thread e's last copy made with no stop still stand:
 * has its switch ring not moved since (it has not run)?  (Asked only of
 * a ring: schedstat would cost a system call, as the copy does.) */
static int walk_stands(struct thread_entry *e)
{
	uint64_t mark;

	return e->nat_mark && e->watched && e->task.tid > 0 &&
	       switch_count(e, 1, &mark) == 0 && mark == e->nat_mark;
}

/* Is thread e still as copied unstopped (mark)? */
static int still_blocked(struct thread_entry *e, uint64_t mark)
{
	uint64_t now;

	return switch_count(e, !!(mark & MARK_RING), &now) == 0 && now == mark;
}

void pynative_capture(struct py_target *t, struct py_sample *s,
		      const struct gil_set *gs)
{
	struct py_native *n = t->native;
	struct py_scratch *sc = t->scratch;

	/* All the threads are copied first and unwound after, so that the
	 * copies are as close as can be to the instant the GIL was read. */
	if (n->boost && proc_sched_boost() < 0)
		n->boost = 0;	/* refused: not asked again */
	unwinder_round(n->unw);
	if ((size_t)s->nthreads > n->nsnaps) {
		n->snaps = xrealloc(n->snaps, (size_t)s->nthreads *
					      sizeof(*n->snaps));
		n->marks = xrealloc(n->marks, (size_t)s->nthreads *
					      sizeof(*n->marks));
		n->kept = xrealloc(n->kept, (size_t)s->nthreads);
		for (size_t i = n->nsnaps; i < (size_t)s->nthreads; i++)
			n->snaps[i] = xmalloc(sizeof(*n->snaps[i]));
		n->nsnaps = (size_t)s->nthreads;
	}
	for (int i = 0; i < s->nthreads; i++) {
		struct py_thread_sample *th = &s->threads[i];
		struct thread_entry *e;
		int on_cpu;

		sc->facts[i].native_wait = GIL_STACK_UNREAD;
		n->snaps[i]->len = 0;
		n->kept[i] = 0;
		if (!th->tid)
			continue;
		/* ptrace takes our id of it (the task's), not the target's */
		e = pythread_entry(t, th->tid, th->thread_id);
		on_cpu = likely_on_cpu(t, gs, i);
		if (!on_cpu && walk_stands(e)) {
			/* no copy: the OS state is the one read for this
			 * sample (tasks.c), else the one at that copy */
			n->kept[i] = 1;
			n->unstopped++;
			n->kept_walks++;
			if (sc->st[i].state == '?') {
				sc->st[i] = e->nat_st;
				sc->reused[i] = 0;
			}
			continue;
		}
		e->nat_mark = 0;
		if (e->task.tid > 0 && !on_cpu &&
		    copy_unstopped(n, e, n->snaps[i], &n->marks[i])) {
			n->unstopped++;
		} else if (e->task.tid <= 0 ||
			   proc_unwind_capture(n->unw, e->task.tid, &e->task,
					       e->native_copy,
					       on_cpu ? STOP_SPIN_NS : 0,
					       n->snaps[i]) != GS_OK) {
			n->snaps[i]->len = 0;
			n->failed++;
			continue;
		} else {
			note_stop(n, n->snaps[i]->stop_ns);
		}
		/* The registers say whether it was blocked in a syscall at
		 * the stop: that is its OS state, exact and of the same
		 * instant as its stack.  (Read from /proc after the stop it
		 * would often be R: restarting the call the stop cut.) */
		sc->st[i].state = n->snaps[i]->in_syscall ? 'S' : 'R';
		sc->st[i].syscall = n->snaps[i]->in_syscall ?
				    n->snaps[i]->syscall : -1;
		sc->st[i].arg0 = n->snaps[i]->arg0;
		sc->reused[i] = 0;
	}
	if (n->boost)
		proc_sched_restore(&n->sched);
}

/* Keep the walk of thread e's copy i made with no stop, for as long as
 * its ring's mark at the copy stands. */
static void keep_walk(struct py_native *n, struct thread_entry *e, int i,
		      int nn, int trunc)
{
	const struct unwind_snap *snap = n->snaps[i];

	/* no ring: nothing cheap to check it by; a copy too short for its
	 * walk: the next one is longer (pynative_copy_size()) */
	if (!(n->marks[i] & MARK_RING) || nn <= 0 || snap->overran)
		return;
	if (nn > e->nat_cap) {
		e->nat_walk = xrealloc(e->nat_walk, 2 * (size_t)nn *
						    sizeof(*e->nat_walk));
		e->nat_cap = nn;
	}
	memcpy(e->nat_walk, n->ips, (size_t)nn * sizeof(*n->ips));
	memcpy(e->nat_walk + nn, n->starts, (size_t)nn * sizeof(*n->starts));
	e->nat_n = nn;
	e->nat_trunc = trunc;
	e->nat_mark = n->marks[i];
	e->nat_st.state = snap->in_syscall ? 'S' : 'R';
	e->nat_st.syscall = snap->in_syscall ? snap->syscall : -1;
	e->nat_st.arg0 = snap->arg0;
}

/* Unwind snap i of thread e into n->ips (a kept walk is copied there).
 * A copy made without a stop that needed a register it lacks is made again
 * with a stop, if the thread is still blocked where it was copied (then
 * the two copies are of the same instant); the place is remembered, and
 * the thread is stopped there from then on.  (Per thread: other threads
 * blocked at the same pc, in the same libc wait, may well have come
 * another way that needs no register.) */
int pynative_walk(struct py_native *n, struct thread_entry *e, int i,
		  int *trunc)
{
	struct unwind_snap *snap = n->snaps[i];
	int nn;

	if (n->kept[i]) {
		nn = e->nat_n;
		memcpy(n->ips, e->nat_walk, (size_t)nn * sizeof(*n->ips));
		memcpy(n->starts, e->nat_walk + nn,
		       (size_t)nn * sizeof(*n->starts));
		*trunc = e->nat_trunc;
		return nn;
	}
	nn = proc_unwind_walk(n->unw, snap, n->ips, n->starts,
			      UNWIND_MAX_FRAMES, trunc);
	if (!snap->partial)
		return nn;
	if (!snap->needs_regs) {
		keep_walk(n, e, i, nn, *trunc);
		return nn;
	}
	e->needs_regs_pc = snap->regs[UNWIND_RIP];
	if (!still_blocked(e, n->marks[i]) ||
	    proc_unwind_capture(n->unw, e->task.tid, &e->task,
				e->native_copy, 0,
				snap) != GS_OK)
		return nn;	/* the walk so far, [truncated] */
	n->restopped++;
	note_stop(n, snap->stop_ns);
	return proc_unwind_walk(n->unw, snap, n->ips, n->starts,
				UNWIND_MAX_FRAMES, trunc);
}

