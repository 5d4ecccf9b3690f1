/*
 * tasks.c - the OS side of each thread of a sample: /proc/PID/task/TID/
 * schedstat (time on a CPU, times switched in) and syscall (the call it is
 * blocked in, and its first argument: the futex a GIL waiter sleeps on).
 *
 * Cost (the sampler may run 10000 samples a second, over hundreds of
 * threads): what tells which threads have run since their last syscall
 * read is, where perf events can be had, each thread's context-switch ring
 * (src/proc/oncpu.c: one memory read, no system call), else one pread of
 * schedstat per thread but the holder.  Only threads that have run get
 * their syscall file read again; one that has not keeps its state and its
 * stack, so an idle thread costs next to nothing.
 */
#include "gilspy/util.h"
#include "internal.h"

/*
 * Before anything else of a sample: the switch-ring mark (or, without a
 * ring, schedstat) of the threads of the last sample but its GIL holder.
 * A thread still in the state its obs recorded has not run since, so its
 * Python stack is the one kept at a sample where it already was
 * (thread_entry.frames): its pages need not be read again.
 */
void pytask_preread(struct py_target *t)
{
	t->guesses = 0;
	if (!t->opt.with_syscall || t->free_threaded)
		return;
	for (size_t i = 0; i < t->nthreads; i++) {
		struct thread_entry *e = &t->threads[i];

		e->stack_reuse = 0;
		e->wait_guess = 0;
		e->hold_guess = 0;
		if (e->last_seen + 1 != t->seq)
			continue;
		/* the last holder: guessed to hold still, with no hand-off
		 * since (pytask_ts_kept(), pytask_guess_check()) */
		if (e->held_seq + 1 == t->seq && e->held_gil) {
			e->hold_guess = 1;
			t->guesses++;
		}
		if (e->watched) {
			e->pre_ok = 0;
			e->pre_seq = t->seq;
			proc_task_switches(&e->task, &e->pre_mark,
					   &e->pre_on_cpu);
			/* (the mark of last sample's holder too: see
			 * held_through()) */
			if (e->held_seq + 1 == t->seq)
				continue;
			e->stack_reuse = e->obs_ok && e->stack_ok &&
					 e->pre_mark == e->obs_mark;
			/* it ran, but it may still be in take_gil: its
			 * stack stands if so (pytask_guess_check()) */
			if (!e->stack_reuse && e->obs_ok && e->stack_ok &&
			    !e->obs_idle && e->wait_seq + 1 == t->seq)
				e->stack_reuse = e->wait_guess = 1;
			t->guesses += e->wait_guess;
			continue;
		}
		if (e->held_seq + 1 == t->seq)
			continue;
		e->pre_ok = proc_task_cputime(&e->task, &e->pre_cpu_ns,
					      &e->pre_switches) == GS_OK;
		e->pre_seq = t->seq;
		e->stack_reuse = e->pre_ok && e->obs_ok && e->stack_ok &&
				 e->pre_switches &&
				 e->pre_switches == e->obs_switches &&
				 e->pre_cpu_ns == e->obs_cpu_ns;
	}
}

/*
 * Whether thread state i of the last sample cannot have changed since it
 * was read, so that its copy (t->tsbufs) stands.  A thread state is written
 * by its own thread, but for its link to the next one: CPython unlinks a
 * thread state from the list in the exiting thread itself, which sets its
 * predecessor's next.  So a state is kept when its thread has not run
 * since (its kept stack stands: stack_reuse, from the switch ring or
 * schedstat) and neither has the next thread of that sample's list.
 * Hundreds of idle threads then cost no read at all.  Every TS_REFRESH
 * samples all are read again anyway.
 *
 * The next thread may also be the last sample's GIL holder, on a guess
 * (hold_guess) checked against the GIL of the same read-ahead: that it
 * holds the GIL still and the switch number has not moved.  Then no other
 * thread took the GIL since, and that thread, if it unlinked itself, did
 * so holding the GIL, which it has not let go since: its state is not
 * freed yet and still links to its own next, so the list read through the
 * kept link is the list of an instant before, whole.  A wrong guess reads
 * the state kept on it in one more call (pytask_guess_check()).
 */
#define TS_REFRESH 64

static const struct thread_entry *entry_of(const struct py_target *t,
					   size_t i)
{
	const struct thread_entry *e;

	if (i >= t->nprefetch || t->hint[i] >= t->nthreads)
		return NULL;
	e = &t->threads[t->hint[i]];
	return e->tstate == t->prefetched[i] ? e : NULL;
}

int pytask_ts_kept(const struct py_target *t, size_t i)
{
	const struct thread_entry *e = entry_of(t, i), *next;

	if (!e || !e->stack_reuse || t->seq - t->ts_full_seq >= TS_REFRESH)
		return 0;
	if (i + 1 == t->nprefetch)
		return 1;
	next = entry_of(t, i + 1);
	return next && (next->stack_reuse || next->hold_guess);
}

/*
 * A thread's CPU time: from its switch ring's timed records where it has
 * them (proc_task_ring_cputime(): no system call at all); else from
 * schedstat, or, when its switch ring has not moved since the last read,
 * that read's: a thread that has not been
 * switched in has not run (a waiter in the GIL's futex, sample after
 * sample, costs no system call).  The mark is taken before the read, so a
 * switch during it leaves a mark that will not match.
 */
enum gs_err pytask_cputime(const struct py_target *t, struct thread_entry *e,
			   struct gil_facts *f)
{
	uint64_t mark = 0;
	int on, marked = 0;
	enum gs_err rc;

	/* timed records: the ring itself says how long it ran, up to the
	 * sample's time (which the rules measure elapsed time by) */
	if (e->watched && !proc_task_ring_cputime(&e->task, t->now_ns,
						  &f->cpu_ns, &f->switches))
		return GS_OK;
	if (e->watched) {
		proc_task_switches(&e->task, &mark, &on);
		marked = 1;
		if (e->cpu_marked && mark == e->cpu_mark) {
			f->cpu_ns = e->cpu_cached;
			f->switches = e->switches_cached;
			return GS_OK;
		}
	}
	rc = proc_task_cputime(&e->task, &f->cpu_ns, &f->switches);
	e->cpu_marked = marked && rc == GS_OK;
	e->cpu_mark = mark;
	e->cpu_cached = f->cpu_ns;
	e->switches_cached = f->switches;
	return rc;
}

/*
 * Whether threads are queued for a CPU on this machine right now (more
 * runnable than CPUs, gilspy not counted), asked once a sample: then an
 * idle thread that has not been switched in since it fell asleep may be
 * woken and queued on its way to the GIL rather than still asleep, and
 * only its state read tells.  Where nothing queues, a woken thread runs
 * at once, so "not switched in since" means "still asleep".
 */
static int queueing(struct py_target *t, int first)
{
	if (first || t->queueing_seq != t->seq) {
		t->queueing_seq = t->seq;
		t->queueing = proc_runqueue_busy(&t->loadavg_fd);
	}
	return t->queueing;
}

/* Whether an idle thread ran lately enough (RECENT_SAMPLES) that it may
 * well wake again: only those are worth a state read while threads queue.
 * One idle for longer (a pool's idle worker) that is woken and queued reads
 * as idle until it first runs - an error bounded by its rare wake-ups -
 * and hundreds of them cost no system call a sample. */
#define RECENT_SAMPLES 64

static int recent(const struct py_target *t, const struct thread_entry *e)
{
	return e->ran_seq && t->seq - e->ran_seq <= RECENT_SAMPLES;
}

/*
 * A thread found blocked on the GIL's futex at the previous sample is still
 * inside take_gil when the GIL's switch number and last holder are what
 * they were then, or when the switch number moved by one and the last
 * holder is another thread: take_gil leaves only with the GIL, and a GIL
 * taken by a thread other than its last holder moves the switch number by
 * one (so by two at least, for this thread to have had it in between).
 * It may have run meanwhile - the timed waits of take_gil wake it every
 * switch interval to ask for the GIL - but it is waiting all the same, and
 * it held no GIL, so its Python stack has not changed.  Its state is its
 * obs, the futex wait, with no read.
 */
static int taking_by(const struct thread_entry *e, const struct gil_snap *g)
{
	if (g->switch_number == e->wait_switch)
		return g->holder == e->wait_holder;
	/* one hand-off since, to a thread other than this one */
	return g->switch_number == e->wait_switch + 1 &&
	       g->holder != e->tstate && g->holder != e->wait_holder;
}

static int still_taking(const struct py_target *t,
			const struct thread_entry *e, const struct gil_set *gs,
			const struct gil_facts *f)
{
	if (!e->wait_seq || e->wait_seq + 1 != t->seq || !e->obs_ok ||
	    e->obs_idle || f->gil < 0 || f->gil >= gs->n ||
	    gs->addrs[f->gil].base != e->wait_gil)
		return 0;
	return taking_by(e, &gs->snap[f->gil]);
}

enum gs_err pytask_guess_check(struct py_target *t)
{
	struct pf_set *pf = &t->scratch->pf;
	struct gil_snap g;
	int wrong = 0;

	if (!t->guesses)
		return GS_OK;
	for (size_t i = 0; i < t->nthreads; i++) {
		struct thread_entry *e = &t->threads[i];

		e->wait_redo = 0;
		if (e->hold_guess) {
			if (pygil_prefetched(t, e->held_gil, &g) ||
			    g.locked != 1 || g.holder != e->tstate ||
			    g.switch_number != e->held_switch) {
				e->hold_guess = 0;
				wrong = 1;
			}
			continue;
		}
		if (!e->wait_guess)
			continue;
		if (!pygil_prefetched(t, e->wait_gil, &g) && taking_by(e, &g))
			continue;
		e->wait_guess = e->stack_reuse = 0;
		e->wait_redo = wrong = 1;
	}
	if (!wrong)
		return GS_OK;
	/* what a wrong guess kept from the read-ahead, read now in one go:
	 * those threads' stack pages, and the thread states kept with them */
	pf->n = 0;
	pystack_prefetch(t, pf, 1);
	for (size_t i = 0; i < t->nprefetch && i < PY_MAX_THREADS; i++)
		if (t->ts_kept[i] && !pytask_ts_kept(t, i))
			pf_add(pf, t->tsbufs + i * TS_MAX, t->prefetched[i],
			       (size_t)t->layout.ts_size, &t->ts_ok[i]);
	return pf->n ? pf_read(t, pf) : GS_OK;
}

/*
 * Whether a state just read held already at the first GIL snapshot: the
 * thread was off CPU when this sample began (its mark read then, before
 * the read-ahead took the GILs), and its mark had not moved when its state
 * was read off CPU, so it did not run in between.  Such a read needs no
 * second snapshot of the GILs to agree with the first.
 */
static int held_through(const struct py_target *t,
			const struct thread_entry *e,
			const struct proc_task_state *st, uint64_t mark,
			int first)
{
	return first && e->watched && e->pre_seq == t->seq &&
	       e->pre_on_cpu == 0 && mark == e->pre_mark &&
	       st->syscall != -2 && st->state != 'R' && st->state != '?';
}

/*
 * The OS side of each thread but the GIL holder.  With /proc/.../syscall
 * (the default): its switch ring's mark (or schedstat) first; when the
 * thread was off CPU at an earlier syscall read and the mark is the one
 * read just before it (or schedstat shows the same run time and switch
 * count), it has not been on a CPU since - a sleeping thread can only run
 * after being switched in - so it is still blocked in that same call (or
 * woken and not yet run; see queueing()) and the syscall file is not read
 * again.  The kernel answers "running" rather than a syscall unless the
 * thread stayed off CPU while it looked, so a state read there was a real
 * sleep.  Returns how many threads were read afresh after the first GIL
 * snapshot (held_through() tells those whose state held at it already).
 * A reused state held from that earlier read until the mark (or
 * schedstat) read, just before the first GIL snapshot; a GIL that changed
 * hands since the last sample leaves its former holder among the threads
 * read afresh (it ran), so the second snapshot is then taken, unless that
 * thread was already off CPU when the sample began.
 */
int pytask_read(struct py_target *t, struct py_sample *s,
		const struct gil_set *gs, int first)
{
	struct py_scratch *sc = t->scratch;
	int fresh = 0, holder_cpu = gil_holder_cpu_needed(t->period_ns);

	for (int i = 0; i < s->nthreads; i++) {
		struct py_thread_sample *th = &s->threads[i];
		struct gil_facts *f = &sc->facts[i];
		struct proc_task_state *st = &sc->st[i];
		const struct gil_snap *g = f->gil >= 0 ? &gs->snap[f->gil] : NULL;
		struct thread_entry *e;
		int holder = g && g->locked == 1 && g->holder == th->tstate;
		uint64_t mark = 0, now_mark;
		int on = -1, now_on = -1, ringed = 0;

		st->state = '?';
		st->syscall = -2;
		f->have_cpu = 0;
		f->on_cpu = GIL_CPU_UNKNOWN;
		sc->reused[i] = 0;
		if (!(e = sc->tentry[i]))
			continue;
		if (holder && !t->free_threaded) {
			/* the holder needs no /proc evidence */
			e->held_seq = t->seq;
			e->held_gil = gs->addrs[f->gil].base;
			e->held_switch = g->switch_number;
			if (holder_cpu && pytask_cputime(t, e, f) == GS_OK)
				f->have_cpu = 1;
			/* on a CPU or queued: the process is not stopped
			 * (the mapped ring, no system call) */
			if (!s->running && e->watched &&
			    !proc_task_switches(&e->task, &now_mark, &on) &&
			    (on == 1 ||
			     (on == 0 && proc_task_preempted(&e->task))))
				s->running = 1;
			continue;
		}
		if (t->opt.with_syscall && !t->free_threaded &&
		    (e->watched || !proc_task_watch(&e->task))) {
			/* the ring's mark before the state: unchanged, the
			 * thread has not run since its obs */
			e->watched = 1;
			if (first && e->pre_seq == t->seq) {
				mark = e->pre_mark;
				on = e->pre_on_cpu;
			} else {
				proc_task_switches(&e->task, &mark, &on);
			}
			/* ran_seq: 0 until it is first seen to switch */
			if (mark != e->seen_mark) {
				e->seen_mark = mark;
				e->ran_seq = t->seq;
			}
			if (e->obs_ok && mark == e->obs_mark &&
			    (!e->obs_idle || !recent(t, e) ||
			     !queueing(t, first))) {
				*st = e->obs;
				sc->reused[i] = 1;
				continue;
			}
			if (still_taking(t, e, gs, f)) {
				/* in obs's wait at this mark: as if read now */
				*st = e->obs;
				e->obs_mark = mark;
				sc->reused[i] = 1;
				continue;
			}
		} else if (t->opt.with_syscall) {
			if (first && e->pre_seq == t->seq) {
				/* read by prepytask_read() a moment ago */
				f->have_cpu = e->pre_ok;
				f->cpu_ns = e->pre_cpu_ns;
				f->switches = e->pre_switches;
			} else {
				f->have_cpu = proc_task_cputime(&e->task,
						&f->cpu_ns, &f->switches) == GS_OK;
			}
			if (f->have_cpu && e->obs_ok && f->switches &&
			    f->switches == e->obs_switches &&
			    f->cpu_ns == e->obs_cpu_ns) {
				*st = e->obs;
				sc->reused[i] = 1;
				continue;
			}
		}
		/* (the ring again: the mark above may be from before the
		 * read-ahead) */
		if (e->watched && t->opt.with_syscall &&
		    !proc_task_switches(&e->task, &now_mark, &now_on) &&
		    (now_on == 1 ||
		     (now_on == 0 && proc_task_preempted(&e->task)) ||
		     (now_on == 0 && e->woken_mark &&
		      now_mark == e->woken_mark && mark == e->woken_mark))) {
			/* on a CPU at its last switch, or switched out
			 * runnable (preempted, queued), or woken and not yet
			 * run since the syscall file said so: the file could
			 * only say "running" */
			st->state = 'R';
			st->syscall = -1;
			st->arg0 = 0;
			st->comm[0] = '\0';
			ringed = 1;
			/* no switch since the sample began: so it was at
			 * the first GIL snapshot too (woken: since the read
			 * that saw it, and mark is from before that
			 * snapshot) */
			if (!(first && e->pre_seq == t->seq &&
			      now_mark == e->pre_mark) &&
			    !(first && now_on == 0 && e->woken_mark &&
			      now_mark == e->woken_mark &&
			      mark == e->woken_mark))
				fresh++;
		} else {
			proc_task_read(&e->task, t->opt.with_syscall, st);
			if (!held_through(t, e, st, mark, first))
				fresh++;
		}
		if (st->state == 'R')
			s->running = 1;
		/* runnable: on a CPU, or queued for one (oncpu.c); the
		 * ring knows it from its last switch (looked at again: the
		 * state read took a while), else ask the clock */
		if (st->state == 'R' && !t->free_threaded &&
		    (e->watched || gil_oncpu_needed(&e->gil, t->seq))) {
			if (ringed) {
				on = now_on;	/* just looked at */
			} else if (e->watched &&
				   !proc_task_switches(&e->task, &now_mark,
						       &on) &&
				   on == 0 && mark && now_mark == mark) {
				/* switched out blocking before the read and
				 * after it, yet "running": woken, not yet
				 * run, until the ring moves */
				e->woken_mark = mark;
			}
			if (!e->watched || on < 0)
				on = proc_task_oncpu(&e->task);
			f->on_cpu = on < 0 ? GIL_CPU_UNKNOWN :
				    on ? GIL_CPU_ON : GIL_CPU_QUEUED;
		}
		e->obs_ok = (f->have_cpu || e->watched) &&
			    st->syscall != -2 && st->state != 'R' &&
			    st->state != '?';
		/* a new obs after the walk: the stack kept is older */
		if (!first)
			e->stack_ok = 0;
		if (e->obs_ok) {
			e->obs_idle = !(f->gil >= 0 &&
					pygil_futex_on(&gs->addrs[f->gil], st));
			e->obs = *st;
			e->obs_cpu_ns = f->cpu_ns;
			e->obs_switches = f->switches;
			e->obs_mark = mark;
		}
	}
	return fresh;
}
