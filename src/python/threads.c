/*
 * threads.c - what is known of each thread across samples: its entry in
 * the target's thread table, its native tid and its name.
 *
 * The table is keyed by (tid, pthread_t): a tid reused by a new thread
 * with another pthread_t is a new entry.  Entries not seen for 64 samples
 * are dropped when a new one is made, so the table stays small.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/util.h"
#include "internal.h"

/* glibc's struct pthread keeps the kernel tid at this offset on x86-64
 * (nptl/descr.h, checked on glibc 2.36); other libcs are found by scan. */
#define GLIBC_PTHREAD_TID_OFF 720

/*
 * The target's tasks by both ids (proc_task_ids()): the ids it stores are
 * its own, which are ours unless it lives in a pid namespace of its own.
 * Listed when a tid is looked up that the list lacks (a new thread), at
 * most once per lookup: *listed says it was this time.  A target in our
 * namespace needs no list to map a tid, only to check one found by scan.
 */
static const struct proc_tid *tid_find(struct py_target *t, int *listed,
				       int32_t tid)
{
	if (tid <= 0)
		return NULL;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < t->ntidmap; i++)
			if (t->tidmap[i].inner == tid)
				return &t->tidmap[i];
		if (*listed)
			return NULL;
		free(t->tidmap);
		t->ntidmap = proc_task_ids(t->proc->pid, t->pidns_nested,
					   &t->tidmap);
		if (t->ntidmap < 0)
			t->ntidmap = 0;
		*listed = 1;
	}
	return NULL;
}

/* Our id of the target's thread tid, 0 when no task of it has that id.
 * An id the list holds may be of a thread gone since, its id reused by
 * a new one: the task's own status says, else the list is made again. */
static pid_t host_tid(struct py_target *t, pid_t tid)
{
	const struct proc_tid *p;
	int listed = 0;

	if (!t->pidns_nested)
		return tid;
	for (int pass = 0; pass < 2; pass++) {
		if (!(p = tid_find(t, &listed, tid)))
			return 0;
		if (proc_task_inner(t->proc->pid, p->host) == tid)
			return p->host;
		if (listed)
			return 0;
		t->ntidmap = 0;		/* stale: list again */
	}
	return 0;
}

pid_t pythread_tid(struct py_target *t, const uint8_t *ts)
{
	const struct py_layout *l = &t->layout;
	uint64_t pthread = rd_u64(ts, l->ts_thread_id);
	uint8_t buf[1024];
	int32_t v;
	int listed = 0;

	if (l->ts_native_thread_id != OFF_NONE)
		return (pid_t)rd_u64(ts, l->ts_native_thread_id);
	/* <=3.10: the tstate only has pthread_self(); read the tid from the
	 * C library's thread descriptor it points to.  It is checked against
	 * the target's tasks by the ids the target knows them by. */
	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].thread_id == pthread && t->threads[i].tid)
			return t->threads[i].tid;
	if (!pthread || proc_read(t->proc, pthread, buf, sizeof(buf)))
		return 0;
	if (t->pthread_tid_off >= 0) {
		v = (int32_t)rd_u32(buf, t->pthread_tid_off);
		if (tid_find(t, &listed, v))
			return v;
	}
	v = (int32_t)rd_u32(buf, GLIBC_PTHREAD_TID_OFF);
	if (tid_find(t, &listed, v)) {
		t->pthread_tid_off = GLIBC_PTHREAD_TID_OFF;
		return v;
	}
	for (int off = 0; off + 4 <= (int)sizeof(buf); off += 4) {
		v = (int32_t)rd_u32(buf, off);
		if (v > 1 && v < (1 << 22) && tid_find(t, &listed, v)) {
			t->pthread_tid_off = off;
			return v;
		}
	}
	return 0;
}

struct thread_entry *pythread_entry(struct py_target *t, pid_t tid,
				    uint64_t thread_id)
{
	struct thread_entry *e;

	for (size_t i = 0; i < t->nthreads; i++) {
		e = &t->threads[i];
		if (e->tid == tid && e->thread_id == thread_id) {
			e->last_seen = t->seq;
			return e;
		}
	}
	/* Forget threads gone for a while, so the table stays small. */
	for (size_t i = 0; i < t->nthreads;) {
		if (t->seq - t->threads[i].last_seen > 64) {
			proc_task_release(&t->threads[i].task);
			free(t->threads[i].frames);
			free(t->threads[i].nat_walk);
			t->threads[i] = t->threads[--t->nthreads];
		} else {
			i++;
		}
	}
	if (t->nthreads == t->athreads) {
		t->athreads = t->athreads ? t->athreads * 2 : 16;
		t->threads = xrealloc(t->threads, t->athreads * sizeof(*t->threads));
	}
	e = &t->threads[t->nthreads++];
	memset(e, 0, sizeof(*e));
	e->tid = tid;
	e->thread_id = thread_id;
	e->last_seen = t->seq;
	proc_task_init(&e->task, t->proc->pid, host_tid(t, tid));
	return e;
}

/* The index of thread i's entry, trying where it was last sample first;
 * -1 when it has none. */
static long find_at(struct py_target *t, int i, pid_t tid, uint64_t thread_id)
{
	uint32_t h = t->hint[i];

	if (h < t->nthreads && t->threads[h].tid == tid &&
	    t->threads[h].thread_id == thread_id)
		return h;
	for (size_t k = 0; k < t->nthreads; k++)
		if (t->threads[k].tid == tid &&
		    t->threads[k].thread_id == thread_id)
			return (long)k;
	return -1;
}

void pythread_resolve(struct py_target *t, const struct py_sample *s)
{
	struct thread_entry **out = t->scratch->tentry;
	long k;

	/* first make the missing entries (which may move others), then
	 * take the addresses */
	for (int i = 0; i < s->nthreads; i++)
		if (s->threads[i].tid &&
		    find_at(t, i, s->threads[i].tid, s->threads[i].thread_id) < 0)
			pythread_entry(t, s->threads[i].tid, s->threads[i].thread_id);
	for (int i = 0; i < s->nthreads; i++) {
		out[i] = NULL;
		if (!s->threads[i].tid)
			continue;
		k = find_at(t, i, s->threads[i].tid, s->threads[i].thread_id);
		if (k < 0)
			continue;
		t->hint[i] = (uint32_t)k;
		out[i] = &t->threads[k];
		out[i]->last_seen = t->seq;
		out[i]->tstate = s->threads[i].tstate;
	}
}

/* A Python name is looked up again after a second (threads are renamed);
 * an OS name stands in until threading has registered the thread, which
 * is tried again sooner.  A lookup reads a few objects of the target, so
 * hundreds of threads would cost a burst of them every second: looking a
 * known name up again takes one of NAME_LOOKUPS_PER_S tokens, and without
 * one the name kept stands a little longer (a new thread's first lookup
 * is never held back). */
#define NAME_REFRESH_NS 1000000000ull
#define NAME_RETRY_NS 50000000ull
#define NAME_LOOKUPS_PER_S 200.0

static int name_token(struct py_target *t, uint64_t now)
{
	double add = (double)(now - t->name_tokens_ns) * 1e-9 *
		     NAME_LOOKUPS_PER_S;

	if (!t->name_tokens_ns || add >= NAME_LOOKUPS_PER_S)
		add = NAME_LOOKUPS_PER_S;
	t->name_tokens_ns = now;
	t->name_tokens += add;
	if (t->name_tokens > NAME_LOOKUPS_PER_S)
		t->name_tokens = NAME_LOOKUPS_PER_S;
	if (t->name_tokens < 1.0)
		return 0;
	t->name_tokens -= 1.0;
	return 1;
}

/* The entry of (tid, thread_id): callers ask for the threads in the same
 * order sample after sample, so the search starts where the last one
 * ended and most often ends at once. */
static struct thread_entry *entry_for(struct py_target *t, pid_t tid,
				      uint64_t thread_id)
{
	for (size_t k = 0; k < t->nthreads; k++) {
		size_t i = (t->name_cursor + k) % t->nthreads;

		if (t->threads[i].tid == tid &&
		    t->threads[i].thread_id == thread_id) {
			t->name_cursor = i + 1;
			return &t->threads[i];
		}
	}
	return NULL;
}

const char *pyt_thread_name(struct py_target *t, pid_t tid, uint64_t thread_id)
{
	struct thread_entry *e;
	struct proc_task_state st;
	const char *name;
	uint64_t now = now_ns();

	e = entry_for(t, tid, thread_id);
	if (e && e->name && (now - e->name_ns <
	    (e->name_is_python ? NAME_REFRESH_NS : NAME_RETRY_NS) ||
	    !name_token(t, now)))
		return e->name;
	if (!e) {
		if (!tid)
			return "?";
		e = pythread_entry(t, tid, thread_id);
	}
	e->name_ns = now;
	name = pyname_thread(t, thread_id);
	if (name) {
		e->name = name;
		e->name_is_python = 1;
	} else if (!e->name && proc_task_read(&e->task, 0, &st) == GS_OK) {
		e->name = strpool_intern(&t->strings, st.comm, strlen(st.comm));
	}
	return e->name ? e->name : "?";
}
