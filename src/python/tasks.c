/*
 * tasks.c - the OS side of each thread of a sample: /proc/PID/task/TID/
 * schedstat (time on a CPU, times switched in) and syscall (the call it is
 * blocked in, and its first argument: the futex a GIL waiter sleeps on).
 *
 * Cost (the sampler may run 10000 samples a second): one pread of
 * schedstat per thread but the holder tells which threads have run since
 * their last syscall read, and only those get it read again; a thread that
 * has not run keeps its state and its stack.
 */
#include "gilspy/util.h"
#include "target.h"

/*
 * Before anything else of a sample: schedstat of the threads of the last
 * sample but its GIL holder.  A thread still in the state its obs recorded
 * has not run since, so its Python stack is the one kept at a sample where
 * it already was (thread_entry.frames): its pages need not be read again.
 */
void pytask_preread(struct py_target *t)
{
	if (!t->opt.with_syscall || t->free_threaded)
		return;
	for (size_t i = 0; i < t->nthreads; i++) {
		struct thread_entry *e = &t->threads[i];

		e->stack_reuse = 0;
		if (e->last_seen + 1 != t->seq || e->held_seq + 1 == t->seq)
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
 * The OS side of each thread but the GIL holder.  With /proc/.../syscall
 * (the default): schedstat first; when the thread was off CPU at an
 * earlier syscall read and schedstat shows the same run time and switch
 * count as just before that read, it has not been on a CPU since - a
 * sleeping thread can only run after being switched in - so it is still
 * blocked in that same call (or woken and not yet run) and the syscall
 * file is not read again.  The kernel answers "running" rather than a
 * syscall unless the thread stayed off CPU while it looked, so a state
 * read there was a real sleep.  Returns how many threads were read afresh.
 * A reused state held from that earlier read until the schedstat read,
 * just before the first GIL snapshot; a GIL that changed hands since the
 * last sample leaves its former holder among the threads read afresh (it
 * ran), so the second snapshot is then taken.
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

		st->state = '?';
		st->syscall = -2;
		f->have_cpu = 0;
		f->on_cpu = GIL_CPU_UNKNOWN;
		sc->reused[i] = 0;
		if (!(e = sc->entry[i]))
			continue;
		if (holder && !t->free_threaded) {
			/* the holder needs no /proc evidence */
			e->held_seq = t->seq;
			if (holder_cpu &&
			    proc_task_cputime(&e->task, &f->cpu_ns,
					      &f->switches) == GS_OK)
				f->have_cpu = 1;
			continue;
		}
		if (t->opt.with_syscall) {
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
		proc_task_read(&e->task, t->opt.with_syscall, st);
		fresh++;
		/* runnable: on a CPU, or queued for one (oncpu.c) */
		if (st->state == 'R' && !t->free_threaded &&
		    gil_oncpu_needed(&e->gil, t->seq)) {
			int on = proc_task_oncpu(&e->task);

			f->on_cpu = on < 0 ? GIL_CPU_UNKNOWN :
				    on ? GIL_CPU_ON : GIL_CPU_QUEUED;
		}
		e->obs_ok = f->have_cpu && st->syscall != -2 &&
			    st->state != 'R' && st->state != '?';
		if (e->obs_ok) {
			e->obs = *st;
			e->obs_cpu_ns = f->cpu_ns;
			e->obs_switches = f->switches;
		}
	}
	return fresh;
}
