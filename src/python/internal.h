/*
 * internal.h - the inside of struct py_target, private to src/python/
 * (everything else uses include/gilspy/python.h).
 *
 * Who does what, one job per file:
 *   target.c   attach: version, layout, _PyRuntime, the static GIL
 *   prefetch.c the read-ahead made at the start of each sample
 *   interp.c   the interpreter list and each one's thread states
 *   gilread.c  where a GIL lives and what it says (locked, holder, ...)
 *   tasks.c    the OS side of each thread (/proc schedstat and syscall)
 *   sample.c   pyt_sample(): the above in order, then src/gil/ classifies
 *   stack.c    the frame walk of every thread at once
 *   code.c     the code object cache and the interned frames
 *   pystr.c    str objects as UTF-8
 *   threads.c  the thread table, native tids and thread names
 *   names.c    threading.Thread.name, read from the target's memory
 *   native.c   --native: each thread's C stack, merged with its Python one
 *   nativemap.c  the file mappings native frames are in
 * Everything a sample needs as scratch is in struct py_scratch, allocated
 * once at attach: no hidden per-thread buffers.
 */
#ifndef GILSPY_PY_INTERNAL_H
#define GILSPY_PY_INTERNAL_H

#include <sys/uio.h>

#include "gilspy/gil.h"
#include "gilspy/hashmap.h"
#include "gilspy/proc.h"
#include "gilspy/python.h"
#include "gilspy/pylayout.h"

/* Where one GIL lives in the target, as absolute addresses.  For 3.6 these
 * are separate globals; otherwise base + the layout's relative offsets. */
struct gil_addrs {
	uint64_t base;			/* struct start, 0 for 3.6 */
	uint64_t locked, last_holder, switch_number, interval;
	uint64_t wait_lo[3], wait_hi[3];	/* cond, mutex, switch_cond+mutex:
						   a futex in [lo, hi) waits */
	int nwait;
};

struct stack_walk;
struct walk_snap;

struct code_entry {
	uint64_t addr;
	const char *filename, *name;	/* pooled */
	int firstlineno;
	int is_code;			/* 0: not a code object (3.13+ shims) */
	uint8_t *lines;			/* copied line table */
	size_t nlines;
	/* what identifies the object at addr, to notice when it was freed
	 * and the address reused by another code object */
	uint64_t sig[4];		/* ob_type, filename, name, linetable */
	uint64_t created_ns, checked_ns;
	/* read ahead for a recheck (code.c: pycode_prefetch) */
	uint64_t used_seq;		/* last sample whose walk used it */
	uint64_t pf_seq;		/* sample whose prefetch read it */
	int pf_slot;			/* its copy in t->code_pfbuf */
	uint8_t pf_ok;
};

/* What we know about a thread across samples. */
struct thread_entry {
	uint64_t thread_id;		/* pthread_t */
	pid_t tid;
	struct proc_task task;
	const char *name;		/* pooled; NULL until looked up */
	uint64_t name_ns;		/* when name was last looked up */
	int name_is_python;		/* name is threading's, not the OS's */
	uint64_t last_seen;		/* sample sequence */
	struct gil_history gil;		/* the classifier's (src/gil/) */
	/* The last state read from /proc/.../syscall in which the thread
	 * was off CPU, and its schedstat read just before: while schedstat
	 * shows the same run time and switch count, it has not been on a
	 * CPU since, so it is still in that state (tasks.c). */
	struct proc_task_state obs;
	uint64_t obs_cpu_ns, obs_switches;
	int obs_ok;
	/* With a context-switch ring (proc_task_watch()), the ring's mark
	 * read just before obs was read stands in for schedstat: the same
	 * mark, no switch since, and no system call to know it. */
	int watched;			/* the ring is open */
	int obs_idle;			/* obs is not a wait for the GIL */
	/* the last schedstat read and the ring's mark before it */
	uint64_t cpu_mark, cpu_cached, switches_cached;
	int cpu_marked;
	uint64_t seen_mark;		/* the mark last seen, and the */
	uint64_t ran_seq;		/* sample it was first seen at */
	uint64_t obs_mark;
	uint64_t pre_mark;		/* read at the start of pre_seq */
	int pre_on_cpu;
	uint64_t held_seq;		/* last sample it held the GIL */
	uint64_t held_gil, held_switch;	/* that GIL, and its switch number */
	/* The mark at which its syscall file said "running" while its ring
	 * showed it switched out: woken and not yet run, which it stays until
	 * switched in (tasks.c); 0 when not so. */
	uint64_t woken_mark;
	int hold_guess;		/* guessed still holding it, no hand-off
				   since (pytask_ts_kept()) */
	/* The last sample that found it blocked on a GIL's futex (obs), and
	 * that GIL then: until the GIL's switch number moves, no thread but
	 * its holder took it, so this one is still in take_gil (tasks.c) */
	uint64_t wait_seq, wait_gil, wait_switch, wait_holder;
	int wait_guess;		/* stack_reuse on that, before the GIL read */
	int wait_redo;		/* a wrong guess: its pages are read late */
	uint64_t tstate;		/* at the last sample (resolve) */
	/* schedstat read at the start of sample pre_seq (tasks.c) */
	uint64_t pre_seq, pre_cpu_ns, pre_switches;
	int pre_ok;
	/* The Python stack walked while the thread was in obs, and whether
	 * it is still in obs (so the stack cannot have changed) this sample */
	uint32_t *frames;		/* malloc'ed, nframes ids */
	int nframes, stack_ok, stack_reuse;
	uint32_t native_copy;		/* --native: stack bytes to copy, 0
					   the most (native.c) */
	/* --native: where it was last found blocked in a system call, and
	 * its switch count then (while that stands, it has not run since:
	 * woken or not, its registers are those) */
	struct proc_task_blocked blocked;
	uint64_t blocked_mark;
	int blocked_ok;
	uint64_t needs_regs_pc;		/* blocked there, it must be stopped */
	/* --native: the walk of its last copy made with no stop, which
	 * stands while its switch ring's mark (nat_mark; 0: none) does: a
	 * thread that has not run has the same stack (nativecopy.c) */
	uint64_t *nat_walk;		/* malloc'ed: nat_n pcs, nat_n starts */
	int nat_n, nat_trunc, nat_cap;
	uint64_t nat_mark;
	struct proc_task_state nat_st;	/* its OS state at that copy */
};

/*
 * Read-ahead (prefetch.c).  What a sample reads - the interpreter list
 * head, interpreters, thread states, GIL structs, the pages the stack walks
 * needed, code objects due for a recheck - is mostly at the addresses the
 * previous sample read, so all of those are read in one process_vm_readv
 * at the start of a sample and used wherever the address still matches.
 */
#define PF_MAX (PY_MAX_THREADS + 1024)	/* iovecs in the read-ahead: every
					   tstate and more (proc_readv()
					   cuts it in IOV_MAX calls) */
#define PF_INTERPS 8
#define HEAD_EVERY_NS 10000000ull	/* 10 ms: see pf_prefetch() */
#define PF_GILS 8
#define PF_CODES 64
#define PF_INTERP_RAW 1024	/* bytes of an interpreter's fields */
#define PF_GIL_RAW 256		/* bytes of a GIL struct */

struct pf_set {
	struct iovec local[PF_MAX], remote[PF_MAX];
	uint8_t *okp[PF_MAX];		/* where to say whether it was read */
	uint8_t ok[PF_MAX];
	size_t n;
};

/* Add a range to read into buf; *okp is 0 until the read succeeds.
 * A full set or a null address leaves *okp 0. */
static inline void pf_add(struct pf_set *pf, void *buf, uint64_t addr,
			  size_t len, uint8_t *okp)
{
	*okp = 0;
	if (pf->n == PF_MAX || addr < 4096 || !len)
		return;
	pf->local[pf->n].iov_base = buf;
	pf->local[pf->n].iov_len = len;
	pf->remote[pf->n].iov_base = (void *)(uintptr_t)addr;
	pf->remote[pf->n].iov_len = len;
	pf->okp[pf->n++] = okp;
}

struct pf_interp {
	uint64_t addr;
	uint8_t ok[4];
	uint8_t raw[PF_INTERP_RAW];
};

struct pf_gil {
	struct gil_addrs addrs;
	uint8_t ok[4];
	uint8_t raw[PF_GIL_RAW];
};

/* src/python/names.c: where each interpreter's threading._active is. */
#define PYNAME_INTERPS 8

struct pyname_interp {
	uint64_t interp;
	uint64_t active;		/* the _active dict, 0 if not found */
	uint64_t tried_ns;		/* last search for it */
	uint64_t retry_ns;		/* wait before the next (backs off) */
};

struct pyname_cache {
	int have_types;
	uint64_t dict_type, long_type, str_type, module_type;	/* 0: unknown */
	uint64_t key_threading, key_active, key_name;	/* interned keys */
	struct pyname_interp interp[PYNAME_INTERPS];
	int ninterp;
};

/* One GIL as read: the classifier's view plus the counters a sample
 * reports. */
struct gil_snap {
	int32_t locked;
	uint64_t holder, switch_number, interval;
};

/* The GILs of one sample: one for 3.6-3.11, one per interpreter after. */
struct gil_set {
	struct gil_addrs addrs[PY_MAX_INTERPRETERS];
	struct gil_snap snap[PY_MAX_INTERPRETERS];
	int n;
};

#define TS_MAX 1024		/* bytes of a tstate we may copy */
#define STACK_IOV (PY_MAX_THREADS + PF_MAX)	/* ranges of one walk round */

_Static_assert(PY_MAX_INTERPRETERS <= GIL_MAX,
	       "the classifier must see every interpreter's GIL");

/*
 * Scratch memory of one sample, allocated with the target (struct
 * py_target.scratch) and reused by every sample; index i is the sample's
 * thread i.  Nothing here outlives a sample.
 */
struct py_scratch {
	struct gil_facts facts[PY_MAX_THREADS];	/* for src/gil/ */
	struct gil_verdict verdicts[PY_MAX_THREADS];
	struct proc_task_state st[PY_MAX_THREADS];	/* OS state (tasks.c) */
	uint8_t reused[PY_MAX_THREADS];	/* st is the thread's obs */
	uint8_t reuse[PY_MAX_THREADS];	/* its kept stack is valid */
	const uint8_t *ts[PY_MAX_THREADS];	/* its tstate's bytes (in tsbufs) */
	struct pf_set pf;			/* the read-ahead (prefetch.c) */
	struct pf_set second;			/* the second GIL read */
	uint8_t second_raw[PY_MAX_INTERPRETERS * PF_GIL_RAW];
	uint8_t second_ok[PY_MAX_INTERPRETERS * 4];
	/* one round of the stack walk (stack.c) */
	struct iovec local[STACK_IOV], remote[STACK_IOV];
	uint8_t ok[STACK_IOV];
	struct stack_walk *need[PY_MAX_THREADS];
	int need_win[PY_MAX_THREADS];
	/* entry[i * PY_MAX_DEPTH + k]: frame k of thread i is the outermost
	 * its eval-loop call ran (stack.c; native.c merges by it) */
	uint8_t entry[PY_MAX_THREADS * PY_MAX_DEPTH];
	/* each thread's entry in t->threads, NULL without a tid: resolved
	 * once per sample (pythread_resolve()), valid until the next */
	struct thread_entry *tentry[PY_MAX_THREADS];
	/* the cycle check of the thread list (interp.c): an open-addressed
	 * set of the tstates seen, valid where seen_gen is this walk's */
	uint64_t seen[2 * PY_MAX_THREADS];
	uint32_t seen_gen[2 * PY_MAX_THREADS];
	uint32_t gen;
};

struct py_target {
	struct proc *proc;
	struct elf_image *elf;		/* the file holding _PyRuntime */
	struct elf_image *exe_elf;	/* the executable, if different */
	struct py_layout layout;
	struct pyt_options opt;

	char version[32];
	unsigned long hexversion;
	int free_threaded, debug_build;

	uint64_t runtime;		/* _PyRuntime, 0 on 3.6 */
	uint64_t runtime_size;		/* its size, 0 if unknown */
	uint64_t interp_head_addr;	/* where the interpreter list head is */
	/* The head the last sample walked from, and when it was read: while
	 * the one interpreter is the main one, inside _PyRuntime (never
	 * freed), the head is read every HEAD_EVERY_NS only (prefetch.c). */
	uint64_t head, head_ns;
	int head_static;
	uint64_t code_type;		/* &PyCode_Type, 0 if unknown */
	struct gil_addrs gil;		/* static GIL (3.6 .. 3.11) */

	/* caches */
	struct strpool strings;
	struct u64map code_index;	/* code addr -> index in codes */
	struct code_entry *codes;
	size_t ncodes, acodes;
	struct u64map frame_by_addr;	/* (code idx, instr addr) -> frame id */
	struct u64map frame_by_line;	/* (code idx, line) -> frame id */
	struct py_frame_info *frames;
	uint32_t nframes, aframes;

	struct thread_entry *threads;
	size_t nthreads, athreads;
	int pthread_tid_off;		/* glibc struct pthread.tid, or -1 */
	/* A target in a pid namespace of its own knows its threads by other
	 * ids than our /proc does: its tasks by both (threads.c), listed
	 * again when a thread the list lacks shows up. */
	int pidns_nested;
	struct proc_tid *tidmap;
	int ntidmap;
	uint64_t seq;
	uint32_t hint[PY_MAX_THREADS];	/* t->threads index of sample
					   thread i at the last sample */
	uint64_t now_ns;		/* time of the sample being taken */
	struct stack_walk *walks;	/* kept across samples (stack.c) */
	struct walk_snap *walk_snap;	/* torn walks' pages (stack.c) */
	size_t nwalks;
	uint8_t *tsbufs;		/* PY_MAX_THREADS tstate copies */
	uint64_t prefetched[PY_MAX_THREADS];	/* tstates of the last sample,
						   read ahead by the next */
	size_t nprefetch;
	uint8_t ts_ok[PY_MAX_THREADS];	/* which of those were read (or
					   kept: pytask_ts_kept()) */
	uint8_t ts_kept[PY_MAX_THREADS];	/* which this one kept */
	uint64_t ts_full_seq;		/* last sample that read them all */
	int guesses;			/* thread_entry.wait_guess and
					   hold_guess set */
	struct pf_interp pf_interp[PF_INTERPS];	/* last sample's interps */
	int npf_interp;
	struct pf_gil pf_gil[PF_GILS];		/* and GILs */
	int npf_gil;
	size_t nwalks_last;		/* walks of the last sample */
	uint32_t code_used[PF_CODES];	/* code objects the walks used */
	int ncode_used;
	uint8_t *code_pfbuf;		/* PF_CODES read-ahead headers */
	uint64_t period_ns;		/* pyt_set_period(), 0 unknown */
	int loadavg_fd;			/* for proc_runqueue_busy(), -1 */
	uint64_t queueing_seq;		/* sample queueing was asked at */
	int queueing;			/* its answer (tasks.c) */
	struct pyname_cache names;	/* names.c */
	size_t name_cursor;		/* threads index after the last name
					   asked for (threads.c) */
	double name_tokens;		/* Python name lookups allowed now */
	uint64_t name_tokens_ns;	/* when they were last topped up */
	struct py_native *native;	/* native.c; NULL without --native */
	struct py_scratch *scratch;	/* one sample's scratch */
};

/* --- gilread.c --- */
/* Absolute addresses of a GIL struct at base (3.7+ layouts). */
void gil_addrs_at(const struct py_layout *l, uint64_t base, struct gil_addrs *g);
/* The ranges that read GIL g into raw (at most 4; PF_GIL_RAW bytes). */
size_t pygil_iov(const struct py_layout *l, const struct gil_addrs *g,
		 uint8_t *raw, struct iovec *local, struct iovec *remote);
/* Index of the GIL at base in gs, added if new; -1 when gs is full. */
int pygil_index(const struct py_target *t, struct gil_set *gs, uint64_t base);
/* The first snapshot of every GIL in gs (from the read-ahead if it has
 * them), and note them for the next read-ahead. */
enum gs_err pygil_first(struct py_target *t, struct gil_set *gs);
/* The ranges of the second snapshot of every GIL, into raw and ok (the
 * scratch's second_raw and second_ok). */
void pygil_second_iov(struct py_target *t, const struct gil_set *gs,
		      uint8_t *raw, uint8_t *ok, struct pf_set *pf);
enum gs_err pygil_second_parse(struct py_target *t, struct gil_set *gs,
			       const uint8_t *raw, const uint8_t *ok);
/* Do two snapshots of the same GILs say the same? */
int pygil_same(const struct gil_set *a, const struct gil_set *b);
/* Is a thread in state st blocked in a futex on GIL g? */
int pygil_futex_on(const struct gil_addrs *g, const struct proc_task_state *st);

/* --- prefetch.c --- */
/* Read the ranges of pf in one call (or as few as the kernel allows) and
 * say through each *okp whether it was read. */
enum gs_err pf_read(struct py_target *t, struct pf_set *pf);
/* The read-ahead at the start of a sample; *head: the interpreter list. */
enum gs_err pf_prefetch(struct py_target *t, uint64_t *head);

/* --- interp.c --- */
/* The ranges that read interp's fields into raw (PF_INTERP_RAW bytes). */
size_t pyinterp_iov(const struct py_layout *l, uint64_t interp,
		    uint8_t *raw, struct iovec *local, struct iovec *remote);
/* Walk the interpreter list from head: fill s->threads (tstate, ids,
 * interp_id), the scratch's tsbufs and facts (gil, flags) and gs.
 * *main_gil: the main interpreter's GIL index; *ninterp: interpreters. */
enum gs_err pyinterp_walk(struct py_target *t, uint64_t head,
			  struct py_sample *s, struct gil_set *gs,
			  int *main_gil, int *ninterp);

/* --- tasks.c --- */
/* Before anything else of a sample: schedstat of the threads that may
 * have kept their stack. */
void pytask_preread(struct py_target *t);
/* The OS state of each thread but the GIL holder; returns how many were
 * read afresh (first: the first time in this sample). */
int pytask_read(struct py_target *t, struct py_sample *s,
		const struct gil_set *gs, int first);

/* The CPU time and switch count of thread e into f (schedstat, or the
 * last read when its switch ring says it has not run since). */
enum gs_err pytask_cputime(const struct py_target *t, struct thread_entry *e,
			   struct gil_facts *f);
/* After the read-ahead: whether the threads whose stacks were kept on the
 * guess that they are still taking the GIL are, by the GIL just read; for
 * those that are not, no stack is kept, and their thread states (and
 * those of the threads before them) are read now. */
enum gs_err pytask_guess_check(struct py_target *t);
/* The snapshot of the GIL at base in the read-ahead: 0, or -1 when it
 * was not read there. */
int pygil_prefetched(const struct py_target *t, uint64_t base,
		     struct gil_snap *s);

/* Whether thread state i of the last sample may be kept as it was read
 * then rather than read again (prefetch.c). */
int pytask_ts_kept(const struct py_target *t, size_t i);

/* --- stack.c --- */
/* Walk the stacks of all s->nthreads threads at once (the scratch's
 * ts[i]: the bytes of thread i's tstate), filling frames, nframes and
 * incomplete of each.  extra (may be NULL): ranges to read with the first
 * process_vm_readv the walk makes, if it makes one; returns 1 when it did
 * (their *okp then say which were read), 0 when it read nothing.  reuse
 * (may be NULL): reuse[i] set means thread i has not run since its stack
 * was kept in its thread entry (frames), which is then copied, not read. */
int pystack_walk(struct py_target *t, struct py_sample *s,
		 struct pf_set *extra, const uint8_t *reuse);
/* Free the walks' memory kept across samples (at detach). */
void pystack_release(struct py_target *t);
/* Add to pf the pages the last walk used (but for the threads whose
 * thread entry says stack_reuse), and the code objects due a recheck. */
void pystack_prefetch(struct py_target *t, struct pf_set *pf, int redo);

/* --- code.c --- */
/* The index of the cached code object at addr in t->codes; -1 on a torn
 * read. */
int64_t pycode_get(struct py_target *t, uint64_t addr);
/* The interned frame id of code idx at instruction byte offset instr (-1
 * when unknown). */
uint32_t pycode_frame(struct py_target *t, uint32_t idx, int64_t instr);
/* Add to pf the headers of the code objects the last sample used that are
 * due for a recheck at t->now_ns. */
void pycode_prefetch(struct py_target *t, struct pf_set *pf);

/* --- native.c --- */
/* Start native stacks (opt.native): the unwinder and its tables.  GS_EPERM
 * with err saying what to do when ptrace is refused. */
enum gs_err pynative_init(struct py_target *t, struct gs_error *err);
void pynative_release(struct py_target *t);
/* Copy the registers and stack of every thread of s (a brief stop each). */
void pynative_capture(struct py_target *t, struct py_sample *s,
		      const struct gil_set *gs);
/* Unwind those copies and merge each with its thread's Python frames in
 * place (th->frames); fills the facts' native_wait. */
void pynative_merge(struct py_target *t, struct py_sample *s);

/* --- nativemap.c --- */
/* The file mappings native frames are in, each interned once (stable
 * pointers, owned by the table; strings in t->strings). */
struct pymap_table {
	struct py_native_object **v;
	size_t n, alloc;
	struct u64map by_start;		/* mapping start -> index in v */
};
void pymap_init(struct pymap_table *tab);
void pymap_release(struct pymap_table *tab);
/* Give native frame id its address, addr, and the mapping u says holds
 * it (none when addr is in no file, or the table is full). */
void pymap_locate(struct py_target *t, struct pymap_table *tab,
		  struct unwinder *u, uint32_t id, uint64_t addr);

/* --- pystr.c --- */
/* A str object as UTF-8, interned in t->strings (at most PY_MAX_STR
 * characters); NULL if unreadable or not a str. */
const char *pystr_read(struct py_target *t, uint64_t addr);

/* --- threads.c --- */
/* The native tid of a thread as the target knows it (3.11+: from the
 * tstate; before: glibc's struct pthread), 0 if unknown.  In a pid
 * namespace of its own that is not ours: its entry's task has ours. */
pid_t pythread_tid(struct py_target *t, const uint8_t *ts);
/* The entry of a thread, made when new; marks it seen at this sample.
 * Making one may move the others: pointers to entries are only good
 * until the next call. */
struct thread_entry *pythread_entry(struct py_target *t, pid_t tid,
				    uint64_t thread_id);
/* Fill the scratch's entry[i] of every thread of s (after the walk of
 * the thread list): each in O(1) when the threads come in the order of
 * the last sample, as they do. */
void pythread_resolve(struct py_target *t, const struct py_sample *s);

/* --- names.c --- */
/* threading.Thread.name of the thread whose tstate->thread_id is
 * thread_id, interned in t->strings; NULL when the target has no such
 * Thread or its memory cannot be followed.  Costs a dozen reads: callers
 * cache it (pyt_thread_name()). */
const char *pyname_thread(struct py_target *t, uint64_t thread_id);

/* Little-endian field access on a buffer read from the target. */
static inline uint64_t rd_u64(const uint8_t *b, int64_t off)
{
	uint64_t v;

	__builtin_memcpy(&v, b + off, 8);
	return v;
}

static inline uint32_t rd_u32(const uint8_t *b, int64_t off)
{
	uint32_t v;

	__builtin_memcpy(&v, b + off, 4);
	return v;
}

/* Read a pointer-sized value from the target. */
static inline enum gs_err rd_ptr(struct proc *p, uint64_t addr, uint64_t *out)
{
	return proc_read(p, addr, out, sizeof(*out));
}

#endif
