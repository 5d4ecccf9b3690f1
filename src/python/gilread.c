/*
 * gilread.c - where each GIL lives in the target and what it says: locked,
 * last holder, switch number and interval, and the address ranges a thread
 * blocked taking it waits on.
 *
 * 3.6 keeps those in separate globals; 3.7-3.11 in one struct in
 * _PyRuntime; 3.12+ in one struct per interpreter (found through
 * interp->ceval.gil), so a sample can see several GILs.
 */
#include <string.h>
#include <sys/uio.h>

#include "gilspy/util.h"
#include "internal.h"

#define FUTEX_SYSCALL 202	/* x86-64 */

void gil_addrs_at(const struct py_layout *l, uint64_t base, struct gil_addrs *g)
{
	memset(g, 0, sizeof(*g));
	g->base = base;
	g->locked = base + (uint64_t)l->gil_locked;
	g->last_holder = base + (uint64_t)l->gil_last_holder;
	g->switch_number = base + (uint64_t)l->gil_switch_number;
	g->interval = base + (uint64_t)l->gil_interval;
	/* cond, mutex, switch_cond and switch_mutex are contiguous: any futex
	 * from cond to the end of the struct is a wait on the GIL. */
	g->wait_lo[0] = base + (uint64_t)l->gil_cond;
	g->wait_hi[0] = base + (uint64_t)l->gil_end;
	g->nwait = 1;
}


/* The ranges that read GIL g into raw (at most 4): one for a GIL struct,
 * or 3.6's separate globals at raw + 0, 8, 16, 24.  The first
 * gil_required() of them must be read; the others are optional. */
size_t pygil_iov(const struct py_layout *l, const struct gil_addrs *g,
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
	size_t n = pygil_iov(&t->layout, g, raw, local, remote);
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

int pygil_futex_on(const struct gil_addrs *g, const struct proc_task_state *st)
{
	if (st->syscall != FUTEX_SYSCALL)
		return 0;
	for (int i = 0; i < g->nwait; i++)
		if (st->arg0 >= g->wait_lo[i] && st->arg0 < g->wait_hi[i])
			return 1;
	return 0;
}

int pygil_index(const struct py_target *t, struct gil_set *gs, uint64_t base)
{
	for (int i = 0; i < gs->n; i++)
		if (gs->addrs[i].base == base)
			return i;
	if (gs->n == PY_MAX_INTERPRETERS)
		return -1;
	gil_addrs_at(&t->layout, base, &gs->addrs[gs->n]);
	return gs->n++;
}

int pygil_prefetched(const struct py_target *t, uint64_t base,
		     struct gil_snap *s)
{
	for (int k = 0; k < t->npf_gil; k++) {
		const struct pf_gil *pg = &t->pf_gil[k];
		size_t need = gil_required(&t->layout, &pg->addrs);

		if (pg->addrs.base != base || !base)
			continue;
		for (size_t i = 0; i < need; i++)
			if (!pg->ok[i])
				return -1;
		gil_parse(&t->layout, &pg->addrs, pg->raw, s);
		return 0;
	}
	return -1;
}

/* The first snapshot of every GIL: from the read-ahead where the previous
 * sample knew the GIL, else read now. */
enum gs_err pygil_first(struct py_target *t, struct gil_set *gs)
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
void pygil_second_iov(struct py_target *t, const struct gil_set *gs,
		      uint8_t *raw, uint8_t *ok, struct pf_set *pf)
{
	pf->n = 0;
	for (int i = 0; i < gs->n; i++) {
		struct iovec local[4], remote[4];
		size_t n = pygil_iov(&t->layout, &gs->addrs[i],
				   raw + (size_t)i * PF_GIL_RAW, local, remote);

		memset(raw + (size_t)i * PF_GIL_RAW, 0, PF_GIL_RAW);
		for (size_t k = 0; k < n; k++)
			pf_add(pf, local[k].iov_base,
			       (uint64_t)(uintptr_t)remote[k].iov_base,
			       local[k].iov_len, &ok[i * 4 + (int)k]);
	}
}

enum gs_err pygil_second_parse(struct py_target *t, struct gil_set *gs,
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

int pygil_same(const struct gil_set *a, const struct gil_set *b)
{
	for (int i = 0; i < a->n; i++)
		if (a->snap[i].locked != b->snap[i].locked ||
		    a->snap[i].holder != b->snap[i].holder ||
		    a->snap[i].switch_number != b->snap[i].switch_number)
			return 0;
	return 1;
}

