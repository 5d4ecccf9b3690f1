/*
 * sample.c - pyt_sample(): one snapshot of a live interpreter, every
 * thread's stack and its GIL state.
 *
 * The order of the reads is what makes the states true together:
 *   1. the read-ahead (prefetch.c): the interpreter list head and all the
 *      previous sample read, in one process_vm_readv;
 *   2. the interpreters and their thread states (interp.c);
 *   3. a first snapshot of every GIL (gilread.c);
 *   4. the OS state of every thread but the holder (tasks.c);
 *   5. the stacks (stack.c), with a second snapshot of the GILs riding on
 *      the walk's first read;
 *   6. if a hand-off happened between the two snapshots, the second
 *      becomes the first and the OS states are read again (up to twice),
 *      so that holder and waiters describe the same instant;
 *   7. src/gil/ classifies each thread from those facts, then applies the
 *      woken-waiter rule with the threads' CPU times.
 * A thread that has not been on a CPU since an earlier /proc read is still
 * in the state read then; when no thread needed a new read, every state
 * holds at the first GIL read and the second is not made.
 */
#include <string.h>

#include "gilspy/util.h"
#include "internal.h"

/* Keep the stack of each thread whose state was its obs (off CPU since
 * before this sample's reads), or was read afresh off CPU and whose switch
 * ring has not moved since, the walk included: while it stays there, the
 * stack stays. */
static int still_off(struct thread_entry *e)
{
	uint64_t mark;
	int on;

	return e->watched && e->obs_ok &&
	       !proc_task_switches(&e->task, &mark, &on) &&
	       mark == e->obs_mark;
}

static void keep_stacks(struct py_target *t, const struct py_sample *s)
{
	for (int i = 0; i < s->nthreads; i++) {
		const struct py_thread_sample *th = &s->threads[i];
		struct thread_entry *e;

		if (!(e = t->scratch->tentry[i]))
			continue;
		e->stack_ok = (t->scratch->reused[i] || still_off(e)) &&
			      !th->incomplete;
		if (!e->stack_ok || e->stack_reuse)
			continue;
		e->frames = xrealloc(e->frames, ((size_t)th->nframes + 1) *
					       sizeof(*e->frames));
		memcpy(e->frames, th->frames,
		       (size_t)th->nframes * sizeof(*e->frames));
		e->nframes = th->nframes;
	}
}

/* Steps 3 to 6: the GILs, the OS states and the stacks, consistent. */
static enum gs_err read_consistent(struct py_target *t, struct py_sample *s,
				   struct gil_set *gs)
{
	struct py_scratch *sc = t->scratch;
	struct gil_set after;
	int fresh, walked;
	enum gs_err rc;

	if ((rc = pygil_first(t, gs)))
		return rc;
	fresh = pytask_read(t, s, gs, 1);
	sc->second.n = 0;
	if (fresh)
		pygil_second_iov(t, gs, sc->second_raw, sc->second_ok,
				 &sc->second);
	/* (a kept stack has no entry marks for the native merge) */
	for (int i = 0; i < s->nthreads; i++)
		sc->reuse[i] = !t->native && sc->reused[i] && sc->tentry[i] &&
			       sc->tentry[i]->stack_reuse;
	walked = pystack_walk(t, s, fresh ? &sc->second : NULL, sc->reuse);
	keep_stacks(t, s);
	for (int i = 0; i < s->nthreads; i++)
		s->errors += s->threads[i].incomplete;
	s->pool_used = s->nthreads * PY_MAX_DEPTH;
	for (int attempt = 0; fresh; attempt++) {
		after = *gs;
		if (!walked && (rc = pf_read(t, &sc->second)))
			return rc;
		walked = 0;
		if ((rc = pygil_second_parse(t, &after, sc->second_raw,
					     sc->second_ok)))
			return rc;
		if (pygil_same(gs, &after) || attempt == 2)
			break;
		*gs = after;
		fresh = pytask_read(t, s, gs, 0);
	}
	return GS_OK;
}

/* --native: the C stacks, copied after the GILs were read, with each
 * thread's OS state as its registers show it at the stop; a hand-off
 * while they were copied makes the GILs be read again and the stacks
 * copied again (up to twice), so a thread found holding the GIL is not
 * shown in take_gil, nor the other way round. */
static enum gs_err native_consistent(struct py_target *t, struct py_sample *s,
				     struct gil_set *gs)
{
	struct py_scratch *sc = t->scratch;
	struct gil_set after;
	enum gs_err rc;

	for (int attempt = 0;; attempt++) {
		pynative_capture(t, s, gs);
		if (attempt == 2 || !gs->n)
			break;
		after = *gs;
		pygil_second_iov(t, gs, sc->second_raw, sc->second_ok,
				 &sc->second);
		if ((rc = pf_read(t, &sc->second)) ||
		    (rc = pygil_second_parse(t, &after, sc->second_raw,
					     sc->second_ok)))
			return rc;
		if (pygil_same(gs, &after))
			break;
		*gs = after;	/* (the copies give the OS states too) */
	}
	pynative_merge(t, s);
	return GS_OK;
}

/* Step 7: the facts to src/gil/, its verdicts to the sample. */
static void classify(struct py_target *t, struct py_sample *s,
		     const struct gil_set *gs)
{
	struct py_scratch *sc = t->scratch;
	struct gil_snapshot view[PY_MAX_INTERPRETERS];
	int holder_cpu = gil_holder_cpu_needed(t->period_ns);

	for (int k = 0; k < gs->n; k++) {
		view[k].locked = gs->snap[k].locked;
		view[k].holder = gs->snap[k].holder;
	}
	for (int i = 0; i < s->nthreads; i++) {
		struct gil_facts *f = &sc->facts[i];

		f->os_state = sc->st[i].state;
		f->futex_on_gil = f->gil >= 0 &&
				  pygil_futex_on(&gs->addrs[f->gil], &sc->st[i]);
	}
	gil_classify(t->free_threaded, view, gs->n, sc->facts, s->nthreads,
		     sc->verdicts);
	for (int i = 0; i < s->nthreads; i++) {
		struct py_thread_sample *th = &s->threads[i];
		struct gil_facts *f = &sc->facts[i];
		struct gil_verdict *v = &sc->verdicts[i];
		struct thread_entry *e;

		/* idle ones too: the rules look at the sample before */
		if (!t->free_threaded && sc->tentry[i]) {
			e = sc->tentry[i];
			if (!f->have_cpu && gil_needs_cpu(v, holder_cpu))
				f->have_cpu = pytask_cputime(t, e, f) == GS_OK;
			gil_woken(&e->gil, t->seq, s->time_ns, f, v);
			if (v->state == GIL_WAITING &&
			    v->evidence == EV_FUTEX_COND && e->obs_ok &&
			    !e->obs_idle) {
				const struct gil_snap *g = &gs->snap[f->gil];

				e->wait_seq = t->seq;
				e->wait_gil = gs->addrs[f->gil].base;
				e->wait_switch = g->switch_number;
				e->wait_holder = g->holder;
			}
		}
		th->state = v->state;
		th->evidence = v->evidence;
		th->os_state = v->os_state;
	}
}

static void start(struct py_target *t, struct py_sample *s, struct gil_set *gs)
{
	s->time_ns = now_ns();
	t->now_ns = s->time_ns;
	s->nthreads = 0;
	s->errors = 0;
	s->running = 0;
	s->pool_used = 0;
	s->gil_locked = -1;
	s->gil_holder = 0;
	s->switch_number = 0;
	s->interval_us = 0;
	t->seq++;
	gs->n = 0;
	if (t->layout.gil_kind != PY_GIL_INTERP) {
		gs->addrs[0] = t->gil;
		gs->n = 1;
	}
}

enum gs_err pyt_sample(struct py_target *t, struct py_sample *s)
{
	struct gil_set gs;
	uint64_t interp;
	int ninterp = 0, main_gil = 0;
	enum gs_err rc;

	start(t, s, &gs);
	if (t->layout.ts_size > TS_MAX)
		return GS_EBADDATA;
	pytask_preread(t);
	if ((rc = pf_prefetch(t, &interp)))
		goto fail;
	if ((rc = pyinterp_walk(t, interp, s, &gs, &main_gil, &ninterp)))
		goto fail;
	if (gs.n == 0 && !t->free_threaded)
		return GS_EBADDATA;
	pythread_resolve(t, s);
	if ((rc = read_consistent(t, s, &gs)))
		goto fail;
	if (t->native && (rc = native_consistent(t, s, &gs)))
		goto fail;
	classify(t, s, &gs);
	/* 3.6 has no interpreter ids: the main one is the oldest, the last
	 * in the list, and the others count down from -1 */
	for (int i = 0; i < s->nthreads; i++)
		if (s->threads[i].interp_id < 0)
			s->threads[i].interp_id = s->threads[i].interp_id + ninterp;
	if (main_gil < 0 || main_gil >= gs.n)
		main_gil = 0;
	if (gs.n) {
		const struct gil_snap *g = &gs.snap[main_gil];

		s->gil_locked = g->locked;
		s->gil_holder = g->locked == 1 ? g->holder : 0;
		s->switch_number = g->switch_number;
		s->interval_us = g->interval;
	}
	return GS_OK;
fail:
	if (!proc_alive(t->proc->pid))
		return GS_EGONE;
	return rc == GS_EPERM ? GS_EPERM : GS_EFAULT;
}
