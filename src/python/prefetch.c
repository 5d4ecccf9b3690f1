/*
 * prefetch.c - the read-ahead at the start of each sample.
 *
 * What a sample reads - the interpreter list head, interpreters, thread
 * states, GIL structs, the pages the stack walks needed, code objects due
 * for a recheck - is mostly at the addresses the previous sample read, so
 * all of those are read in one process_vm_readv and used wherever this
 * sample's pointers lead to the same address: a stale entry costs bytes,
 * never a wrong answer.
 */
#include <string.h>
#include <sys/uio.h>

#include "internal.h"

/* Read the ranges of pf in one call (or as few as the kernel allows) and
 * say through each *okp whether it was read. */
enum gs_err pf_read(struct py_target *t, struct pf_set *pf)
{
	enum gs_err rc = proc_readv(t->proc, pf->local, pf->remote, pf->n, pf->ok);

	if (rc)
		return rc;
	for (size_t i = 0; i < pf->n; i++)
		*pf->okp[i] = pf->ok[i];
	return GS_OK;
}

/* Read the interpreter list head into *head, and with it everything the
 * previous sample read.  The head is left out (the last one stands) while
 * the previous sample found the main interpreter alone, inside _PyRuntime,
 * and the head was read less than HEAD_EVERY_NS ago: that interpreter is
 * never freed, and a subinterpreter is new, so at worst seen that late. */
enum gs_err pf_prefetch(struct py_target *t, uint64_t *head)
{
	const struct py_layout *l = &t->layout;
	struct pf_set *pf = &t->scratch->pf;
	/* the main interpreter alone, in _PyRuntime: a new one would be
	 * seen within HEAD_EVERY_NS (8 bytes, but a page of their own) */
	int skip_head = t->head_static && t->now_ns - t->head_ns < HEAD_EVERY_NS;
	uint8_t head_ok;
	size_t nkept;
	enum gs_err rc;

	pf->n = 0;
	if (skip_head) {
		*head = t->head;
		head_ok = 1;
	} else {
		pf_add(pf, head, t->interp_head_addr, 8, &head_ok);
		t->head_ns = t->now_ns;
	}
	for (int k = 0; k < t->npf_interp; k++) {
		struct pf_interp *pi = &t->pf_interp[k];
		struct iovec local[4], remote[4];
		size_t n = pyinterp_iov(l, pi->addr, pi->raw, local, remote);

		memset(pi->ok, 1, sizeof(pi->ok));
		for (size_t i = 0; i < n; i++)
			pf_add(pf, local[i].iov_base,
			       (uint64_t)(uintptr_t)remote[i].iov_base,
			       local[i].iov_len, &pi->ok[i]);
	}
	for (int k = 0; k < t->npf_gil; k++) {
		struct pf_gil *pg = &t->pf_gil[k];
		struct iovec local[4], remote[4];
		size_t n = pygil_iov(l, &pg->addrs, pg->raw, local, remote);

		memset(pg->raw, 0, sizeof(pg->raw));
		memset(pg->ok, 1, sizeof(pg->ok));
		for (size_t i = 0; i < n; i++)
			pf_add(pf, local[i].iov_base,
			       (uint64_t)(uintptr_t)remote[i].iov_base,
			       local[i].iov_len, &pg->ok[i]);
	}
	/* the stacks' pages before the thread states that point into
	 * them: stack.c, pystack_prefetch() */
	pystack_prefetch(t, pf, 0);
	nkept = 0;
	for (size_t i = 0; i < t->nprefetch; i++) {
		t->ts_kept[i] = (uint8_t)pytask_ts_kept(t, i);
		if (t->ts_kept[i]) {
			t->ts_ok[i] = 1;	/* its copy stands */
			nkept++;
			continue;
		}
		pf_add(pf, t->tsbufs + i * TS_MAX, t->prefetched[i],
		       (size_t)l->ts_size, &t->ts_ok[i]);
	}
	if (!nkept)
		t->ts_full_seq = t->seq;
	if ((rc = pf_read(t, pf)) || (rc = pytask_guess_check(t)))
		return rc;
	for (size_t i = 0; i < t->nprefetch; i++)
		if (!t->ts_ok[i])	/* that thread state is gone */
			t->prefetched[i] = 0;
	if (!head_ok)		/* the head itself: a real failure */
		return rd_ptr(t->proc, t->interp_head_addr, head);
	return GS_OK;
}
