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
 * twice) so holder and waiters describe the same instant.  A thread that
 * has not been on a CPU since an earlier /proc read is still in the state
 * read then (read_tasks()); when no thread needed a new read, every state
 * holds at the first GIL read and the second is not made.
 *
 * Cost (the sampler may run this 10000 times a second): one
 * process_vm_readv reads ahead everything the previous sample read (see
 * prefetch()), one pread of schedstat per thread but the holder tells
 * which threads have run since, and only those get their syscall file read
 * and their stack walked; a thread that has not run keeps its stack.
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

/* The ranges that read GIL g into raw (at most 4): one for a GIL struct,
 * or 3.6's separate globals at raw + 0, 8, 16, 24.  The first
 * gil_required() of them must be read; the others are optional. */
static size_t gil_iov(const struct py_layout *l, const struct gil_addrs *g,
		      uint8_t *raw, struct iovec *local, struct iovec *remote)
{
	uint64_t addr[4] = { g->locked, g->last_holder, g->switch_number,
			     g->interval };
	size_t len[4] = { 4, 8, 8, 8 }, n = 0;

	if (g->base && l->gil_end > 0 && (size_t)l->gil_cond <= PF_GIL_RAW) {
		/* locked, last_holder, switch_number, interval: one range */
		local[0].iov_base = raw;
		local[0].iov_len = (size_t)l->gil_cond;
		remote[0].iov_base = (void *)(uintptr_t)g->base;
		remote[0].iov_len = (size_t)l->gil_cond;
		return 1;
	}
	for (int i = 0; i < 4; i++) {
		if (!addr[i])
			continue;
		local[n].iov_base = raw + 8 * i;
		local[n].iov_len = len[i];
		remote[n].iov_base = (void *)(uintptr_t)addr[i];
		remote[n].iov_len = len[i];
		n++;
	}
	return n;
}

static size_t gil_required(const struct py_layout *l, const struct gil_addrs *g)
{
	return g->base && l->gil_end > 0 && (size_t)l->gil_cond <= PF_GIL_RAW ? 1 : 2;
}

static void gil_parse(const struct py_layout *l, const struct gil_addrs *g,
		      const uint8_t *raw, struct gil_snap *s)
{
	if (g->base && l->gil_end > 0 && (size_t)l->gil_cond <= PF_GIL_RAW) {
		s->locked = (int32_t)rd_u32(raw, l->gil_locked);
		s->holder = rd_u64(raw, l->gil_last_holder);
		s->switch_number = rd_u64(raw, l->gil_switch_number);
		s->interval = rd_u64(raw, l->gil_interval);
	} else {
		s->locked = (int32_t)rd_u32(raw, 0);
		s->holder = rd_u64(raw, 8);
		s->switch_number = rd_u64(raw, 16);
		s->interval = rd_u64(raw, 24);
	}
}

static enum gs_err read_gil(struct py_target *t, const struct gil_addrs *g,
			    struct gil_snap *s)
{
	struct iovec local[4], remote[4];
	uint8_t raw[PF_GIL_RAW] = { 0 }, ok[4];
	size_t n = gil_iov(&t->layout, g, raw, local, remote);
	enum gs_err rc;

	memset(s, 0, sizeof(*s));
	if (!n)
		return GS_EFAULT;
	if ((rc = proc_readv(t->proc, local, remote, n, ok)))
		return rc;
	for (size_t i = 0; i < gil_required(&t->layout, g) && i < n; i++)
		if (!ok[i])
			return GS_EFAULT;
	for (size_t i = 0; i < n; i++)	/* optional ones unread: 0 */
		if (!ok[i])
			memset(local[i].iov_base, 0, local[i].iov_len);
	gil_parse(&t->layout, g, raw, s);
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
	int have_cpu;		/* cpu_ns, switches read this sample */
	uint64_t cpu_ns, switches;
	int reused;		/* st is the thread's obs (read_tasks()) */
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

/* The first snapshot of every GIL: from the read-ahead where the previous
 * sample knew the GIL, else read now. */
static enum gs_err first_gils(struct py_target *t, struct gil_set *gs)
{
	for (int i = 0; i < gs->n; i++) {
		const struct gil_addrs *g = &gs->addrs[i];
		const struct pf_gil *pg = NULL;
		enum gs_err rc;

		for (int k = 0; k < t->npf_gil && !pg; k++)
			if (t->pf_gil[k].addrs.base == g->base &&
			    t->pf_gil[k].addrs.locked == g->locked)
				pg = &t->pf_gil[k];
		if (pg) {
			size_t need = gil_required(&t->layout, g);

			for (size_t k = 0; k < need; k++)
				if (!pg->ok[k])
					pg = NULL;
		}
		if (pg) {
			gil_parse(&t->layout, g, pg->raw, &gs->snap[i]);
		} else if ((rc = read_gil(t, g, &gs->snap[i]))) {
			return rc;
		}
	}
	/* the next sample reads these ahead */
	t->npf_gil = gs->n < PF_GILS ? gs->n : PF_GILS;
	for (int i = 0; i < t->npf_gil; i++)
		t->pf_gil[i].addrs = gs->addrs[i];
	return GS_OK;
}

/* Ranges for the second snapshot of every GIL, into raw (PF_GIL_RAW bytes
 * per GIL), with ok flags. */
static void second_gils_iov(struct py_target *t, const struct gil_set *gs,
			    uint8_t *raw, uint8_t *ok, struct pf_set *pf)
{
	pf->n = 0;
	for (int i = 0; i < gs->n; i++) {
		struct iovec local[4], remote[4];
		size_t n = gil_iov(&t->layout, &gs->addrs[i],
				   raw + (size_t)i * PF_GIL_RAW, local, remote);

		memset(raw + (size_t)i * PF_GIL_RAW, 0, PF_GIL_RAW);
		for (size_t k = 0; k < n; k++)
			pf_add(pf, local[k].iov_base,
			       (uint64_t)(uintptr_t)remote[k].iov_base,
			       local[k].iov_len, &ok[i * 4 + (int)k]);
	}
}

static enum gs_err second_gils_parse(struct py_target *t, struct gil_set *gs,
				     const uint8_t *raw, const uint8_t *ok)
{
	for (int i = 0; i < gs->n; i++) {
		size_t need = gil_required(&t->layout, &gs->addrs[i]);

		for (size_t k = 0; k < need; k++)
			if (!ok[i * 4 + (int)k])
				return proc_alive(t->proc->pid) ? GS_EFAULT : GS_EGONE;
		gil_parse(&t->layout, &gs->addrs[i], raw + (size_t)i * PF_GIL_RAW,
			  &gs->snap[i]);
	}
	return GS_OK;
}

/*
 * The woken-waiter test (below) compares a thread's CPU time with that of
 * the previous sample, and only over intervals of two scheduler ticks or
 * more.  The GIL holder needs no other /proc read, so its CPU time is read
 * only when the sampler's period lets the next interval be that long.
 */
#define WOKEN_CPU_SHARE 4
#define WOKEN_MIN_INTERVAL_NS 8000000ull	/* two ticks at HZ=250 */

static int holder_cpu_needed(const struct py_target *t)
{
	return !t->period_ns || 2 * t->period_ns >= WOKEN_MIN_INTERVAL_NS;
}

/*
 * Before anything else of a sample: schedstat of the threads of the last
 * sample but its GIL holder.  A thread still in the state its obs recorded
 * has not run since, so its Python stack is the one kept at a sample where
 * it already was (thread_entry.frames): its pages need not be read again.
 */
static void preread_tasks(struct py_target *t)
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
static int read_tasks(struct py_target *t, struct py_sample *s,
		      struct thread_facts *facts, const struct gil_set *gs,
		      int first)
{
	int fresh = 0;

	for (int i = 0; i < s->nthreads; i++) {
		struct py_thread_sample *th = &s->threads[i];
		struct thread_facts *f = &facts[i];
		const struct gil_snap *g = f->gil_idx >= 0 ?
					   &gs->snap[f->gil_idx] : NULL;
		struct thread_entry *e;
		int holder = g && g->locked == 1 && g->holder == th->tstate;

		f->st.state = '?';
		f->st.syscall = -2;
		f->have_cpu = 0;
		f->reused = 0;
		if (!th->tid)
			continue;
		e = pyt_thread_entry(t, th->tid, th->thread_id);
		if (holder && !t->free_threaded) {
			/* the holder needs no /proc evidence */
			e->held_seq = t->seq;
			if (holder_cpu_needed(t) &&
			    proc_task_cputime(&e->task, &f->cpu_ns,
					      &f->switches) == GS_OK)
				f->have_cpu = 1;
			continue;
		}
		if (t->opt.with_syscall) {
			if (first && e->pre_seq == t->seq) {
				/* read by preread_tasks() a moment ago */
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
				f->st = e->obs;
				f->reused = 1;
				continue;
			}
		}
		proc_task_read(&e->task, t->opt.with_syscall, &f->st);
		fresh++;
		e->obs_ok = f->have_cpu && f->st.syscall != -2 &&
			    f->st.state != 'R' && f->st.state != '?';
		if (e->obs_ok) {
			e->obs = f->st;
			e->obs_cpu_ns = f->cpu_ns;
			e->obs_switches = f->switches;
		}
	}
	return fresh;
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
 * per busy thread, most already done by read_tasks()):
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
 * Both rules compare with CPU times read at the previous sample.
 */
static void woken_waiters(struct py_target *t, struct py_sample *s,
			  struct thread_facts *facts)
{
	for (int i = 0; i < s->nthreads; i++) {
		struct py_thread_sample *th = &s->threads[i];
		struct thread_facts *f = &facts[i];
		struct thread_entry *e;
		uint64_t elapsed;
		int prev;

		if (!th->tid || th->state == GIL_IDLE)
			continue;
		e = pyt_thread_entry(t, th->tid, th->thread_id);
		if (!f->have_cpu && (th->state != GIL_HELD || holder_cpu_needed(t)))
			f->have_cpu = proc_task_cputime(&e->task, &f->cpu_ns,
							&f->switches) == GS_OK;
		prev = e->last_seq && e->last_seq + 1 == t->seq &&
		       e->cpu_seq == e->last_seq;
		if (f->have_cpu && th->state == GIL_NATIVE && prev) {
			elapsed = s->time_ns - e->cpu_at_ns;
			if ((e->last_evidence == EV_FUTEX_COND &&
			     f->switches == e->switches_in) ||
			    ((e->last_state == GIL_WAITING ||
			      e->last_state == GIL_HELD) &&
			     elapsed >= WOKEN_MIN_INTERVAL_NS &&
			     (f->cpu_ns - e->cpu_ns) * WOKEN_CPU_SHARE < elapsed)) {
				th->state = GIL_WAITING;
				th->evidence = EV_WOKEN_WAITER;
			}
		}
		if (f->have_cpu) {
			e->cpu_ns = f->cpu_ns;
			e->switches_in = f->switches;
			e->cpu_at_ns = s->time_ns;
			e->cpu_seq = t->seq;
		}
		e->last_state = th->state;
		e->last_evidence = th->evidence;
		e->last_seq = t->seq;
	}
}

/* Keep the stack of each thread whose state was its obs (off CPU since
 * before this sample's reads): while it stays there, the stack stays. */
static void keep_stacks(struct py_target *t, const struct py_sample *s,
			const struct thread_facts *facts)
{
	for (int i = 0; i < s->nthreads; i++) {
		const struct py_thread_sample *th = &s->threads[i];
		struct thread_entry *e;

		if (!th->tid)
			continue;
		e = pyt_thread_entry(t, th->tid, th->thread_id);
		e->stack_ok = facts[i].reused && !th->incomplete;
		if (!e->stack_ok || e->stack_reuse)
			continue;
		e->frames = xrealloc(e->frames, ((size_t)th->nframes + 1) *
					       sizeof(*e->frames));
		memcpy(e->frames, th->frames,
		       (size_t)th->nframes * sizeof(*e->frames));
		e->nframes = th->nframes;
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
 * interpreter: one range when the fields are close together, as they are
 * up to 3.12, else four. */
struct interp_fields {
	uint64_t next, tstate, id, gil;
};

static void interp_offs(const struct py_layout *l, int64_t offs[4])
{
	offs[0] = l->is_next;
	offs[1] = l->is_tstate_head;
	offs[2] = l->is_id != OFF_NONE ? l->is_id : l->is_next;
	offs[3] = l->gil_kind == PY_GIL_INTERP ? l->is_ceval_gil : l->is_next;
}

/* The ranges that read interp's fields into raw (PF_INTERP_RAW bytes). */
static size_t interp_iov(const struct py_layout *l, uint64_t interp,
			 uint8_t *raw, struct iovec *local, struct iovec *remote)
{
	int64_t offs[4], lo, hi;

	interp_offs(l, offs);
	lo = hi = offs[0];
	for (int i = 1; i < 4; i++) {
		lo = offs[i] < lo ? offs[i] : lo;
		hi = offs[i] > hi ? offs[i] : hi;
	}
	if (hi + 8 - lo <= PF_INTERP_RAW) {
		local[0].iov_base = raw;
		local[0].iov_len = (size_t)(hi + 8 - lo);
		remote[0].iov_base = (void *)(uintptr_t)(interp + (uint64_t)lo);
		remote[0].iov_len = local[0].iov_len;
		return 1;
	}
	for (int i = 0; i < 4; i++) {	/* 3.13+: far apart */
		local[i].iov_base = raw + 8 * i;
		local[i].iov_len = 8;
		remote[i].iov_base = (void *)(uintptr_t)(interp + (uint64_t)offs[i]);
		remote[i].iov_len = 8;
	}
	return 4;
}

static void interp_parse(const struct py_layout *l, const uint8_t *raw,
			 size_t n, struct interp_fields *f)
{
	uint64_t *outs[4] = { &f->next, &f->tstate, &f->id, &f->gil };
	int64_t offs[4], lo;

	interp_offs(l, offs);
	lo = offs[0];
	for (int i = 1; i < 4; i++)
		lo = offs[i] < lo ? offs[i] : lo;
	for (int i = 0; i < 4; i++)
		*outs[i] = rd_u64(raw, n == 1 ? offs[i] - lo : 8 * i);
	if (l->gil_kind != PY_GIL_INTERP)
		f->gil = 0;
	if (l->is_id == OFF_NONE)
		f->id = UINT64_MAX;	/* 3.6: numbered by position below */
}

static enum gs_err read_interp(struct py_target *t, uint64_t interp,
			       struct interp_fields *f)
{
	const struct py_layout *l = &t->layout;
	struct iovec local[4], remote[4];
	uint8_t raw[PF_INTERP_RAW], ok[4];
	size_t n;
	enum gs_err rc;

	for (int k = 0; k < t->npf_interp; k++) {
		const struct pf_interp *pi = &t->pf_interp[k];

		if (pi->addr == interp && pi->ok[0] && pi->ok[1] && pi->ok[2] &&
		    pi->ok[3]) {
			n = interp_iov(l, interp, raw, local, remote);
			interp_parse(l, pi->raw, n, f);
			return GS_OK;
		}
	}
	n = interp_iov(l, interp, raw, local, remote);
	if ((rc = proc_readv(t->proc, local, remote, n, ok)))
		return rc;
	for (size_t i = 0; i < n; i++)
		if (!ok[i])
			return GS_EFAULT;
	interp_parse(l, raw, n, f);
	return GS_OK;
}

/* Read the ranges of pf in one call (or as few as the kernel allows) and
 * say through each *okp whether it was read. */
static enum gs_err pf_read(struct py_target *t, struct pf_set *pf)
{
	enum gs_err rc = proc_readv(t->proc, pf->local, pf->remote, pf->n, pf->ok);

	if (rc)
		return rc;
	for (size_t i = 0; i < pf->n; i++)
		*pf->okp[i] = pf->ok[i];
	return GS_OK;
}

/*
 * The read-ahead: the interpreter list head, and what the previous sample
 * read - interpreters, thread states, GILs, the walks' pages, code objects
 * due for a recheck - in one process_vm_readv.  Each part is used only
 * where this sample's pointers lead to the same address, so a stale entry
 * costs bytes, never a wrong answer.
 */
static enum gs_err prefetch(struct py_target *t, uint64_t *head)
{
	const struct py_layout *l = &t->layout;
	static __thread struct pf_set pf;
	uint8_t head_ok;
	enum gs_err rc;

	pf.n = 0;
	pf_add(&pf, head, t->interp_head_addr, 8, &head_ok);
	for (int k = 0; k < t->npf_interp; k++) {
		struct pf_interp *pi = &t->pf_interp[k];
		struct iovec local[4], remote[4];
		size_t n = interp_iov(l, pi->addr, pi->raw, local, remote);

		memset(pi->ok, 1, sizeof(pi->ok));
		for (size_t i = 0; i < n; i++)
			pf_add(&pf, local[i].iov_base,
			       (uint64_t)(uintptr_t)remote[i].iov_base,
			       local[i].iov_len, &pi->ok[i]);
	}
	for (size_t i = 0; i < t->nprefetch; i++)
		pf_add(&pf, t->tsbufs + i * TS_MAX, t->prefetched[i],
		       (size_t)l->ts_size, &t->ts_ok[i]);
	for (int k = 0; k < t->npf_gil; k++) {
		struct pf_gil *pg = &t->pf_gil[k];
		struct iovec local[4], remote[4];
		size_t n = gil_iov(l, &pg->addrs, pg->raw, local, remote);

		memset(pg->raw, 0, sizeof(pg->raw));
		memset(pg->ok, 1, sizeof(pg->ok));
		for (size_t i = 0; i < n; i++)
			pf_add(&pf, local[i].iov_base,
			       (uint64_t)(uintptr_t)remote[i].iov_base,
			       local[i].iov_len, &pg->ok[i]);
	}
	pyt_walk_prefetch(t, &pf);
	if ((rc = pf_read(t, &pf)))
		return rc;
	for (size_t i = 0; i < t->nprefetch; i++)
		if (!t->ts_ok[i])	/* that thread state is gone */
			t->prefetched[i] = 0;
	if (!head_ok)		/* the head itself: a real failure */
		return rd_ptr(t->proc, t->interp_head_addr, head);
	return GS_OK;
}

enum gs_err pyt_sample(struct py_target *t, struct py_sample *s)
{
	const struct py_layout *l = &t->layout;
	static __thread struct thread_facts facts[PY_MAX_THREADS];
	static __thread struct pf_set second;
	static __thread uint8_t second_raw[PY_MAX_INTERPRETERS * PF_GIL_RAW];
	static __thread uint8_t second_ok[PY_MAX_INTERPRETERS * 4];
	static __thread uint8_t reuse[PY_MAX_THREADS];
	struct gil_set gs, after;
	static __thread const uint8_t *tsbufs[PY_MAX_THREADS];
	uint64_t interp, seen_interp[PY_MAX_INTERPRETERS];
	uint8_t *ts;
	int ninterp = 0, main_gil = 0, fresh, walked;
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
	preread_tasks(t);
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
	t->npf_interp = ninterp < PF_INTERPS ? ninterp : PF_INTERPS;
	for (int i = 0; i < t->npf_interp; i++)
		t->pf_interp[i].addr = seen_interp[i];
	if (gs.n == 0 && !t->free_threaded)
		return GS_EBADDATA;
	/*
	 * Consistent GIL view: a snapshot (read ahead with the thread states),
	 * the threads' /proc state, a second snapshot.  The second is needed
	 * only when some thread was read afresh (read_tasks()), and rides with
	 * the stack walk's first read when the walk makes one.  If a hand-off
	 * happened in between, the second snapshot becomes the first and the
	 * threads are read again (up to twice) so that holder and waiters
	 * describe the same instant.
	 */
	if ((rc = first_gils(t, &gs)))
		goto fail;
	fresh = read_tasks(t, s, facts, &gs, 1);
	second.n = 0;
	if (fresh)
		second_gils_iov(t, &gs, second_raw, second_ok, &second);
	for (int i = 0; i < s->nthreads; i++) {
		const struct py_thread_sample *th = &s->threads[i];

		reuse[i] = facts[i].reused && th->tid &&
			   pyt_thread_entry(t, th->tid, th->thread_id)->stack_reuse;
	}
	walked = pyt_walk_stacks(t, s, tsbufs, fresh ? &second : NULL, reuse);
	keep_stacks(t, s, facts);
	for (int i = 0; i < s->nthreads; i++)
		s->errors += s->threads[i].incomplete;
	s->pool_used = s->nthreads * PY_MAX_DEPTH;
	for (int attempt = 0; fresh; attempt++) {
		after = gs;
		if (!walked && (rc = pf_read(t, &second)))
			goto fail;
		walked = 0;
		if ((rc = second_gils_parse(t, &after, second_raw, second_ok)))
			goto fail;
		if (same_gils(&gs, &after) || attempt == 2)
			break;
		gs = after;
		fresh = read_tasks(t, s, facts, &gs, 0);
	}
	classify(t, s, facts, &gs);
	if (!t->free_threaded)
		woken_waiters(t, s, facts);
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
