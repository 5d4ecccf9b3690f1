/*
 * interp.c - the interpreters of the target and the thread states of each.
 *
 * The list is followed from _PyRuntime's interpreters.head (3.6: the
 * interp_head global), each interpreter's threads from its tstate head.
 * Both walks are bounded (PY_MAX_INTERPRETERS, PY_MAX_THREADS) and stop at
 * an address seen before, so a cycle in torn memory ends them.
 */
#include <string.h>
#include <sys/uio.h>

#include "internal.h"

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
size_t pyinterp_iov(const struct py_layout *l, uint64_t interp,
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
			n = pyinterp_iov(l, interp, raw, local, remote);
			interp_parse(l, pi->raw, n, f);
			return GS_OK;
		}
	}
	n = pyinterp_iov(l, interp, raw, local, remote);
	if ((rc = proc_readv(t->proc, local, remote, n, ok)))
		return rc;
	for (size_t i = 0; i < n; i++)
		if (!ok[i])
			return GS_EFAULT;
	interp_parse(l, raw, n, f);
	return GS_OK;
}


/* The thread-state flags a classifier may use (3.13+ holds_gil, 3.15+
 * gil_requested), from the tstate's bytes ts. */
static void read_flags(const struct py_layout *l, const uint8_t *ts,
		       struct gil_facts *f)
{
	switch (l->tflag_kind) {
	case PY_TFLAG_STATUS_BIT:
		f->holds_flag = (rd_u32(ts, l->ts_status) >>
				 l->ts_holds_gil_bit) & 1;
		break;
	case PY_TFLAG_INT:
		f->holds_flag = rd_u32(ts, l->ts_holds_gil) != 0;
		if (l->ts_gil_requested != OFF_NONE)
			f->requested_flag = rd_u32(ts, l->ts_gil_requested) != 0;
		break;
	case PY_TFLAG_NONE:
		break;
	}
}

/* Whether this walk of a thread list met tstate already (a cycle), and
 * note it: an open-addressed set, O(1) a thread where comparing with
 * every thread seen was O(n) and showed at hundreds of threads.  It holds
 * up to PY_MAX_THREADS, half its slots. */
static int seen_before(struct py_scratch *sc, uint64_t tstate)
{
	size_t n = sizeof(sc->seen) / sizeof(sc->seen[0]);
	size_t k = (size_t)((tstate >> 4) * 0x9e3779b97f4a7c15ull) & (n - 1);

	_Static_assert(((2 * PY_MAX_THREADS) & (2 * PY_MAX_THREADS - 1)) == 0,
		       "the seen set needs a power of two slots");
	while (sc->seen_gen[k] == sc->gen) {
		if (sc->seen[k] == tstate)
			return 1;
		k = (k + 1) & (n - 1);
	}
	sc->seen_gen[k] = sc->gen;
	sc->seen[k] = tstate;
	return 0;
}

/* The thread states of one interpreter (fields f, the ninterp'th), from
 * the read-ahead where it still matches, else read now; an unreadable one
 * ends this interpreter's list and counts an error. */
static void read_threads(struct py_target *t, const struct interp_fields *f,
			int ninterp, int gil_idx, struct py_sample *s)
{
	const struct py_layout *l = &t->layout;
	struct py_scratch *sc = t->scratch;
	uint64_t tstate = f->tstate;

	if (++sc->gen == 0) {	/* wrapped: forget every stamp */
		memset(sc->seen_gen, 0, sizeof(sc->seen_gen));
		sc->gen = 1;
	}
	while (tstate && s->nthreads < PY_MAX_THREADS) {
		struct py_thread_sample *th = &s->threads[s->nthreads];
		struct gil_facts *ft = &sc->facts[s->nthreads];
		uint8_t *ts;

		if (seen_before(sc, tstate))
			break;
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
		sc->ts[s->nthreads] = ts;
		memset(th, 0, sizeof(*th));
		memset(ft, 0, sizeof(*ft));
		th->tstate = tstate;
		th->interp_id = f->id == UINT64_MAX ? -ninterp :
				(int)(f->id & 0x7fffffff);
		th->thread_id = rd_u64(ts, l->ts_thread_id);
		th->tid = pythread_tid(t, ts);
		ft->tstate = tstate;
		ft->gil = gil_idx;
		read_flags(l, ts, ft);
		s->nthreads++;
		tstate = rd_u64(ts, l->ts_next);
	}
}

enum gs_err pyinterp_walk(struct py_target *t, uint64_t interp,
			  struct py_sample *s, struct gil_set *gs,
			  int *main_gil, int *ninterp_out)
{
	const struct py_layout *l = &t->layout;
	uint64_t seen_interp[PY_MAX_INTERPRETERS];
	int ninterp = 0;
	enum gs_err rc = GS_OK;

	*main_gil = 0;
	while (interp && ninterp < PY_MAX_INTERPRETERS) {
		struct interp_fields f;
		int gil_idx = gs->n ? 0 : -1, dup = 0;

		for (int i = 0; i < ninterp; i++)
			dup |= seen_interp[i] == interp;
		if (dup)
			break;
		seen_interp[ninterp++] = interp;
		if ((rc = read_interp(t, interp, &f)))
			break;
		if (l->gil_kind == PY_GIL_INTERP)
			gil_idx = f.gil ? pygil_index(t, gs, f.gil) : -1;
		/* The main interpreter (id 0, the last in the list) owns the
		 * GIL the sample reports. */
		if (f.id == 0 || f.id == UINT64_MAX)
			*main_gil = gil_idx;
		read_threads(t, &f, ninterp, gil_idx, s);
		interp = f.next;
	}
	*ninterp_out = ninterp;
	t->head = ninterp ? seen_interp[0] : 0;
	t->head_static = !rc && ninterp == 1 && t->runtime_size &&
			 seen_interp[0] >= t->runtime &&
			 seen_interp[0] < t->runtime + t->runtime_size;
	if (rc)
		return rc;
	for (int i = 0; i < s->nthreads; i++)
		t->prefetched[i] = s->threads[i].tstate;
	t->nprefetch = (size_t)s->nthreads;
	t->npf_interp = ninterp < PF_INTERPS ? ninterp : PF_INTERPS;
	for (int i = 0; i < t->npf_interp; i++)
		t->pf_interp[i].addr = seen_interp[i];
	return GS_OK;
}
