/*
 * gil.c - one snapshot of a live interpreter: every thread's stack and its
 * GIL state (held / waiting / native / idle).
 *
 * Evidence per state (DESIGN.md), strongest first:
 *   held     gil.locked && gil.last_holder == tstate; 3.13+ holds_gil flag
 *            as a tie-break when the struct is mid-update
 *   waiting  3.15 gil_requested; else a futex wait on the GIL's cond or
 *            mutex (or, during a forced hand-off, switch_cond/switch_mutex)
 *            seen in /proc/PID/task/TID/syscall
 *            or a thread that held or waited for the GIL at the previous
 *            sample and is now runnable without it but has not really run
 *            since (woken in take_gil or after a forced hand-off, queued
 *            for a core: not doing work; see woken_waiters())
 *   native   not the holder, not waiting, OS state R
 *   idle     everything else
 * The GIL fields are read before and after the per-thread /proc reads; if
 * a hand-off happened in between, the thread states are read again (up to
 * twice) so holder and waiters describe the same instant.
 */
#include <string.h>
#include <sys/uio.h>

#include "gilspy/util.h"
#include "../python/target.h"

#define FUTEX_SYSCALL 202	/* x86-64 */
#define TS_MAX 1024		/* bytes of a tstate we may copy */

struct gil_snap {
	int32_t locked;
	uint64_t holder, switch_number, interval;
};

static const char *const state_names[GIL_NSTATES] = {
	"held", "waiting", "native", "idle", "running"
};

static const char *const evidence_names[EV_NSTATES] = {
	"gil-holder", "holds-gil-flag", "gil-requested-flag",
	"futex-on-gil", "os-running", "os-sleeping", "woken-waiter"
};

const char *gil_state_name(enum gil_state s)
{
	return (unsigned)s < GIL_NSTATES ? state_names[s] : "?";
}

const char *gil_evidence_name(enum gil_evidence e)
{
	return (unsigned)e < EV_NSTATES ? evidence_names[e] : "?";
}

static enum gs_err read_gil(struct py_target *t, const struct gil_addrs *g,
			    struct gil_snap *s)
{
	const struct py_layout *l = &t->layout;
	uint8_t buf[256];
	enum gs_err rc;

	memset(s, 0, sizeof(*s));
	if (g->base && l->gil_end > 0 && (size_t)l->gil_cond <= sizeof(buf)) {
		/* one read for locked, last_holder, switch_number, interval */
		rc = proc_read(t->proc, g->base, buf, (size_t)l->gil_cond);
		if (rc)
			return rc;
		s->locked = (int32_t)rd_u32(buf, l->gil_locked);
		s->holder = rd_u64(buf, l->gil_last_holder);
		s->switch_number = rd_u64(buf, l->gil_switch_number);
		s->interval = rd_u64(buf, l->gil_interval);
		return GS_OK;
	}
	/* 3.6: separate globals */
	if ((rc = proc_read(t->proc, g->locked, &s->locked, 4)) ||
	    (rc = rd_ptr(t->proc, g->last_holder, &s->holder)))
		return rc;
	if (g->switch_number)
		rd_ptr(t->proc, g->switch_number, &s->switch_number);
	if (g->interval)
		rd_ptr(t->proc, g->interval, &s->interval);
	return GS_OK;
}

static int futex_on_gil(const struct gil_addrs *g, const struct proc_task_state *st)
{
	if (st->syscall != FUTEX_SYSCALL)
		return 0;
	for (int i = 0; i < g->nwait; i++)
		if (st->arg0 >= g->wait_lo[i] && st->arg0 < g->wait_hi[i])
			return 1;
	return 0;
}

/* Per-thread facts gathered during the walk, beyond struct py_thread_sample. */
struct thread_facts {
	int gil_idx;		/* which GIL (per-interpreter GILs, 3.12+) */
	int holds_flag, requested_flag;
	struct proc_task_state st;
};

struct gil_set {
	struct gil_addrs addrs[PY_MAX_INTERPRETERS];
	struct gil_snap snap[PY_MAX_INTERPRETERS];
	int n;
};

static int gil_index(struct py_target *t, struct gil_set *gs, uint64_t base)
{
	for (int i = 0; i < gs->n; i++)
		if (gs->addrs[i].base == base)
			return i;
	if (gs->n == PY_MAX_INTERPRETERS)
		return -1;
	gil_addrs_at(&t->layout, base, &gs->addrs[gs->n]);
	return gs->n++;
}

static enum gs_err read_gils(struct py_target *t, struct gil_set *gs)
{
	for (int i = 0; i < gs->n; i++) {
		enum gs_err rc = read_gil(t, &gs->addrs[i], &gs->snap[i]);

		if (rc)
			return rc;
	}
	return GS_OK;
}

static void read_tasks(struct py_target *t, struct py_sample *s,
		       struct thread_facts *facts, const struct gil_set *gs)
{
	for (int i = 0; i < s->nthreads; i++) {
		struct py_thread_sample *th = &s->threads[i];
		const struct gil_snap *g = facts[i].gil_idx >= 0 ?
					   &gs->snap[facts[i].gil_idx] : NULL;
		struct thread_entry *e;
		int holder = g && g->locked == 1 && g->holder == th->tstate;

		facts[i].st.state = '?';
		facts[i].st.syscall = -2;
		if (!th->tid || (holder && !t->free_threaded))
			continue;	/* the holder needs no /proc evidence */
		e = pyt_thread_entry(t, th->tid, th->thread_id);
		proc_task_read(&e->task, t->opt.with_syscall, &facts[i].st);
	}
}

static void classify(struct py_target *t, struct py_sample *s,
		     const struct thread_facts *facts, const struct gil_set *gs)
{
	/* Which GILs have their holder among the threads read.  A tstate is
	 * read a little before the GIL, so its holds_gil flag can be stale
	 * after a hand-off: the flag only names the holder of a locked GIL
	 * whose last_holder is none of them (take_gil sets locked first). */
	int known[PY_MAX_INTERPRETERS] = { 0 }, flagged[PY_MAX_INTERPRETERS] = { 0 };

	for (int i = 0; i < s->nthreads; i++) {
		int gi = facts[i].gil_idx;

		if (gi >= 0 && gs->snap[gi].locked == 1 &&
		    gs->snap[gi].holder == s->threads[i].tstate)
			known[gi] = 1;
	}
	for (int i = 0; i < s->nthreads; i++) {
		struct py_thread_sample *th = &s->threads[i];
		const struct thread_facts *f = &facts[i];
		const struct gil_snap *g = f->gil_idx >= 0 ?
					   &gs->snap[f->gil_idx] : NULL;

		th->os_state = f->st.state;
		if (t->free_threaded) {
			th->state = f->st.state == 'R' ? GIL_RUNNING : GIL_IDLE;
			th->evidence = f->st.state == 'R' ? EV_OS_RUNNING :
							    EV_OS_SLEEPING;
			continue;
		}
		if (g && g->locked == 1 && g->holder == th->tstate) {
			th->state = GIL_HELD;
			th->evidence = EV_HOLDER;
			th->os_state = 'R';
		} else if (f->holds_flag && g && g->locked == 1 &&
			   !f->requested_flag && !known[f->gil_idx] &&
			   !flagged[f->gil_idx]) {
			/* last_holder not yet updated by take_gil */
			flagged[f->gil_idx] = 1;
			th->state = GIL_HELD;
			th->evidence = EV_HOLDS_FLAG;
		} else if (f->requested_flag) {
			th->state = GIL_WAITING;
			th->evidence = EV_REQUESTED_FLAG;
		} else if (f->gil_idx >= 0 &&
			   futex_on_gil(&gs->addrs[f->gil_idx], &f->st)) {
			th->state = GIL_WAITING;
			th->evidence = EV_FUTEX_COND;
		} else if (f->st.state == 'R') {
			th->state = GIL_NATIVE;
			th->evidence = EV_OS_RUNNING;
		} else {
			th->state = GIL_IDLE;
			th->evidence = EV_OS_SLEEPING;
		}
	}
}

/*
 * A thread woken from its wait for the GIL (or just forced to hand it over)
 * shows as runnable ('R') until it has run far enough to block in take_gil
 * again or take the GIL; on a busy machine that can be milliseconds.  Tell
 * it from a thread running native code with /proc/.../schedstat (one pread
 * per busy thread):
 *  - blocked on the GIL's futex at the previous sample and not scheduled
 *    onto a CPU since (same count of switches in): it can only have been
 *    woken, it has not run;
 *  - holding or waiting for the GIL at the previous sample, at least two
 *    scheduler ticks ago, and on a CPU under a quarter of the time since:
 *    it is queued, not working.  The kernel brings a running thread's CPU
 *    time up to date at ticks (4 ms at HZ=250), so over shorter intervals a
 *    thread running flat out can show none, and the test is not made.
 * A thread running without a break is never switched in, so the switch
 * count alone says nothing about it: rule one needs the futex evidence.
 */
#define WOKEN_CPU_SHARE 4
#define WOKEN_MIN_INTERVAL_NS 8000000ull	/* two ticks at HZ=250 */

static void woken_waiters(struct py_target *t, struct py_sample *s)
{
	for (int i = 0; i < s->nthreads; i++) {
		struct py_thread_sample *th = &s->threads[i];
		struct thread_entry *e;
		uint64_t cpu, sw, elapsed;
		int prev;

		if (!th->tid || th->state == GIL_IDLE)
			continue;
		e = pyt_thread_entry(t, th->tid, th->thread_id);
		if (proc_task_cputime(&e->task, &cpu, &sw) != GS_OK)
			continue;
		elapsed = s->time_ns - e->cpu_at_ns;
		prev = e->last_seq && e->last_seq + 1 == t->seq;
		if (th->state == GIL_NATIVE && prev &&
		    ((e->last_evidence == EV_FUTEX_COND && sw == e->switches_in) ||
		     ((e->last_state == GIL_WAITING || e->last_state == GIL_HELD) &&
		      elapsed >= WOKEN_MIN_INTERVAL_NS &&
		      (cpu - e->cpu_ns) * WOKEN_CPU_SHARE < elapsed))) {
			th->state = GIL_WAITING;
			th->evidence = EV_WOKEN_WAITER;
		}
		e->cpu_ns = cpu;
		e->switches_in = sw;
		e->cpu_at_ns = s->time_ns;
		e->last_state = th->state;
		e->last_evidence = th->evidence;
		e->last_seq = t->seq;
	}
}

static int same_gils(const struct gil_set *a, const struct gil_set *b)
{
	for (int i = 0; i < a->n; i++)
		if (a->snap[i].locked != b->snap[i].locked ||
		    a->snap[i].holder != b->snap[i].holder ||
		    a->snap[i].switch_number != b->snap[i].switch_number)
			return 0;
	return 1;
}

/* next, the first thread, the id and (3.12+) the GIL pointer of an
 * interpreter: one read when the fields are close together, as they are up
 * to 3.12. */
struct interp_fields {
	uint64_t next, tstate, id, gil;
};

static enum gs_err read_interp(struct py_target *t, uint64_t interp,
			       struct interp_fields *f)
{
	const struct py_layout *l = &t->layout;
	int64_t offs[4] = {
		l->is_next, l->is_tstate_head,
		l->is_id != OFF_NONE ? l->is_id : l->is_next,
		l->gil_kind == PY_GIL_INTERP ? l->is_ceval_gil : l->is_next
	};
	uint64_t *outs[4] = { &f->next, &f->tstate, &f->id, &f->gil };
	int64_t lo = offs[0], hi = offs[0];
	uint8_t buf[1024];
	enum gs_err rc;

	for (int i = 1; i < 4; i++) {
		lo = offs[i] < lo ? offs[i] : lo;
		hi = offs[i] > hi ? offs[i] : hi;
	}
	if (hi + 8 - lo <= (int64_t)sizeof(buf)) {
		rc = proc_read(t->proc, interp + (uint64_t)lo, buf, (size_t)(hi + 8 - lo));
		if (rc)
			return rc;
		for (int i = 0; i < 4; i++)
			*outs[i] = rd_u64(buf, offs[i] - lo);
	} else {	/* 3.13+: far apart, but still one call */
		struct iovec local[4], remote[4];

		for (int i = 0; i < 4; i++) {
			local[i].iov_base = outs[i];
			local[i].iov_len = 8;
			remote[i].iov_base = (void *)(uintptr_t)(interp + (uint64_t)offs[i]);
			remote[i].iov_len = 8;
		}
		t->proc->reads++;
		if (process_vm_readv(t->proc->pid, local, 4, remote, 4, 0) != 32) {
			for (int i = 0; i < 4; i++)
				if ((rc = rd_ptr(t->proc, interp + (uint64_t)offs[i], outs[i])))
					return rc;
		}
	}
	if (l->gil_kind != PY_GIL_INTERP)
		f->gil = 0;
	if (l->is_id == OFF_NONE)
		f->id = UINT64_MAX;	/* 3.6: numbered by position below */
	return GS_OK;
}

/*
 * Thread states change address only when threads come and go, so the ones
 * of the previous sample are read ahead in one call together with the
 * interpreter list head; the walk below still follows the real pointers and
 * uses a prefetched copy only where the address matches.
 */
static enum gs_err prefetch(struct py_target *t, uint64_t *head)
{
	const struct py_layout *l = &t->layout;
	static __thread struct iovec local[PY_MAX_THREADS + 1], remote[PY_MAX_THREADS + 1];
	size_t n = t->nprefetch + 1, done = 0;

	local[0].iov_base = head;
	local[0].iov_len = 8;
	remote[0].iov_base = (void *)(uintptr_t)t->interp_head_addr;
	remote[0].iov_len = 8;
	for (size_t i = 1; i < n; i++) {
		local[i].iov_base = t->tsbufs + (i - 1) * TS_MAX;
		local[i].iov_len = (size_t)l->ts_size;
		remote[i].iov_base = (void *)(uintptr_t)t->prefetched[i - 1];
		remote[i].iov_len = (size_t)l->ts_size;
	}
	while (done < n) {
		ssize_t r = process_vm_readv(t->proc->pid, local + done, n - done,
					     remote + done, n - done, 0);
		size_t got = r > 0 ? (size_t)r : 0, k = done;

		t->proc->reads++;
		while (k < n && got >= local[k].iov_len)
			got -= local[k++].iov_len;
		if (k == 0)	/* the head itself: a real failure */
			return rd_ptr(t->proc, t->interp_head_addr, head);
		if (k < n)	/* that thread state is gone: not prefetched */
			t->prefetched[k - 1] = 0;
		done = k + 1;
	}
	return GS_OK;
}

enum gs_err pyt_sample(struct py_target *t, struct py_sample *s)
{
	const struct py_layout *l = &t->layout;
	static __thread struct thread_facts facts[PY_MAX_THREADS];
	struct gil_set gs, after;
	static __thread const uint8_t *tsbufs[PY_MAX_THREADS];
	uint64_t interp, seen_interp[PY_MAX_INTERPRETERS];
	uint8_t *ts;
	int ninterp = 0, main_gil = 0;
	enum gs_err rc;

	s->time_ns = now_ns();
	t->now_ns = s->time_ns;
	s->nthreads = 0;
	s->errors = 0;
	s->pool_used = 0;
	s->gil_locked = -1;
	s->gil_holder = 0;
	s->switch_number = 0;
	s->interval_us = 0;
	t->seq++;
	gs.n = 0;
	if (l->gil_kind != PY_GIL_INTERP) {
		gs.addrs[0] = t->gil;
		gs.n = 1;
	}
	if (l->ts_size > TS_MAX)
		return GS_EBADDATA;
	if (!t->tsbufs)
		t->tsbufs = xmalloc((size_t)PY_MAX_THREADS * TS_MAX);
	rc = prefetch(t, &interp);
	if (rc)
		goto fail;
	while (interp && ninterp < PY_MAX_INTERPRETERS) {
		uint64_t tstate, seen_ts[PY_MAX_THREADS];
		struct interp_fields f;
		int gil_idx = gs.n ? 0 : -1, nseen = 0;

		for (int i = 0; i < ninterp; i++)
			if (seen_interp[i] == interp)
				goto interps_done;
		seen_interp[ninterp++] = interp;
		if ((rc = read_interp(t, interp, &f)))
			goto fail;
		tstate = f.tstate;
		if (l->gil_kind == PY_GIL_INTERP)
			gil_idx = f.gil ? gil_index(t, &gs, f.gil) : -1;
		/* The main interpreter (id 0, the last in the list) owns the
		 * GIL the sample reports. */
		if (f.id == 0 || f.id == UINT64_MAX)
			main_gil = gil_idx;
		while (tstate && s->nthreads < PY_MAX_THREADS) {
			struct py_thread_sample *th = &s->threads[s->nthreads];
			struct thread_facts *ft = &facts[s->nthreads];
			int dup = 0;

			for (int i = 0; i < nseen; i++)
				dup |= seen_ts[i] == tstate;
			if (dup)
				break;
			seen_ts[nseen++] = tstate;
			ts = t->tsbufs + (size_t)s->nthreads * TS_MAX;
			if ((size_t)s->nthreads >= t->nprefetch ||
			    t->prefetched[s->nthreads] != tstate) {
				/* not read ahead: read it now, and forget the
				 * prefetched copies from here on */
				t->nprefetch = (size_t)s->nthreads;
				if (proc_read(t->proc, tstate, ts, (size_t)l->ts_size)) {
					s->errors++;
					break;
				}
			}
			tsbufs[s->nthreads] = ts;
			memset(th, 0, sizeof(*th));
			memset(ft, 0, sizeof(*ft));
			th->tstate = tstate;
			th->interp_id = f.id == UINT64_MAX ? -ninterp :
					(int)(f.id & 0x7fffffff);
			th->thread_id = rd_u64(ts, l->ts_thread_id);
			th->tid = pyt_native_tid(t, ts);
			ft->gil_idx = gil_idx;
			switch (l->tflag_kind) {
			case PY_TFLAG_STATUS_BIT:
				ft->holds_flag = (rd_u32(ts, l->ts_status) >>
						  l->ts_holds_gil_bit) & 1;
				break;
			case PY_TFLAG_INT:
				ft->holds_flag = rd_u32(ts, l->ts_holds_gil) != 0;
				if (l->ts_gil_requested != OFF_NONE)
					ft->requested_flag =
						rd_u32(ts, l->ts_gil_requested) != 0;
				break;
			case PY_TFLAG_NONE:
				break;
			}
			s->nthreads++;
			tstate = rd_u64(ts, l->ts_next);
		}
		interp = f.next;
	}
interps_done:
	for (int i = 0; i < s->nthreads; i++)
		t->prefetched[i] = s->threads[i].tstate;
	t->nprefetch = (size_t)s->nthreads;
	pyt_walk_stacks(t, s, tsbufs);
	for (int i = 0; i < s->nthreads; i++)
		s->errors += s->threads[i].incomplete;
	s->pool_used = s->nthreads * PY_MAX_DEPTH;
	if (gs.n == 0 && !t->free_threaded)
		return GS_EBADDATA;
	/* Consistent GIL view: snapshot, task states, snapshot again. */
	for (int attempt = 0;; attempt++) {
		if ((rc = read_gils(t, &gs)))
			goto fail;
		read_tasks(t, s, facts, &gs);
		after = gs;
		if ((rc = read_gils(t, &after)))
			goto fail;
		if (same_gils(&gs, &after) || attempt == 2)
			break;
	}
	classify(t, s, facts, &gs);
	if (!t->free_threaded)
		woken_waiters(t, s);
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
