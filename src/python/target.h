/*
 * target.h - the inside of struct py_target, shared by src/python/ and
 * src/gil/ only (everything else uses include/gilspy/python.h).
 */
#ifndef GILSPY_PY_TARGET_H
#define GILSPY_PY_TARGET_H

#include <sys/uio.h>

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
	/* read ahead for a recheck (walk.c: pyt_code_prefetch) */
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
	/* for the woken-waiter test (src/gil/gil.c) */
	int last_state;			/* enum gil_state at last_seq */
	int last_evidence;		/* enum gil_evidence at last_seq */
	uint64_t last_seq;
	uint64_t cpu_ns, cpu_at_ns;	/* CPU time at last_seq, and when */
	uint64_t switches_in;		/* times scheduled in, at last_seq */
	uint64_t cpu_seq;		/* sample of cpu_ns, switches_in */
	/* The last state read from /proc/.../syscall in which the thread
	 * was off CPU, and its schedstat read just before: while schedstat
	 * shows the same run time and switch count, it has not been on a
	 * CPU since, so it is still in that state (src/gil/gil.c). */
	struct proc_task_state obs;
	uint64_t obs_cpu_ns, obs_switches;
	int obs_ok;
	uint64_t held_seq;		/* last sample it held the GIL */
	/* schedstat read at the start of sample pre_seq (gil.c) */
	uint64_t pre_seq, pre_cpu_ns, pre_switches;
	int pre_ok;
	/* The Python stack walked while the thread was in obs, and whether
	 * it is still in obs (so the stack cannot have changed) this sample */
	uint32_t *frames;		/* malloc'ed, nframes ids */
	int nframes, stack_ok, stack_reuse;
};

/*
 * Read-ahead (src/gil/gil.c).  What a sample reads - the interpreter list
 * head, interpreters, thread states, GIL structs, the pages the stack walks
 * needed, code objects due for a recheck - is mostly at the addresses the
 * previous sample read, so all of those are read in one process_vm_readv
 * at the start of a sample and used wherever the address still matches.
 */
#define PF_MAX 1024		/* iovecs in the read-ahead (IOV_MAX) */
#define PF_INTERPS 8
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
	uint64_t interp_head_addr;	/* where the interpreter list head is */
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
	uint64_t seq;
	uint64_t now_ns;		/* time of the sample being taken */
	struct stack_walk *walks;	/* scratch for pyt_walk_stacks */
	size_t nwalks;
	uint8_t *tsbufs;		/* PY_MAX_THREADS tstate copies */
	uint64_t prefetched[PY_MAX_THREADS];	/* tstates of the last sample,
						   read ahead by the next */
	size_t nprefetch;
	uint8_t ts_ok[PY_MAX_THREADS];	/* which of those were read */
	struct pf_interp pf_interp[PF_INTERPS];	/* last sample's interps */
	int npf_interp;
	struct pf_gil pf_gil[PF_GILS];		/* and GILs */
	int npf_gil;
	size_t nwalks_last;		/* walks of the last sample */
	uint32_t code_used[PF_CODES];	/* code objects the walks used */
	int ncode_used;
	uint8_t *code_pfbuf;		/* PF_CODES read-ahead headers */
	uint64_t period_ns;		/* pyt_set_period(), 0 unknown */
	struct pyname_cache names;	/* names.c */
};

/* Absolute addresses of a GIL struct at base (3.7+ layouts). */
void gil_addrs_at(const struct py_layout *l, uint64_t base, struct gil_addrs *g);

/* src/python/walk.c: walk the stacks of all s->nthreads threads at once
 * (tsbufs[i]: the bytes of thread i's tstate), filling frames, nframes and
 * incomplete of each.  extra (may be NULL): ranges to read with the first
 * process_vm_readv the walk makes, if it makes one; returns 1 when it did
 * (their *okp then say which were read), 0 when it read nothing.  reuse
 * (may be NULL): reuse[i] set means thread i has not run since its stack
 * was kept in its thread entry (frames), which is then copied, not read. */
int pyt_walk_stacks(struct py_target *t, struct py_sample *s,
		    const uint8_t *const *tsbufs, struct pf_set *extra,
		    const uint8_t *reuse);
/* Add to pf the pages the last walk used (but for the threads whose
 * thread entry says stack_reuse), and the headers of the code objects it
 * used that are due for a recheck at t->now_ns (walk.c). */
void pyt_walk_prefetch(struct py_target *t, struct pf_set *pf);
/* The native tid of a thread (3.11+: from the tstate; before: glibc's
 * struct pthread), 0 if unknown. */
pid_t pyt_native_tid(struct py_target *t, const uint8_t *ts);
struct thread_entry *pyt_thread_entry(struct py_target *t, pid_t tid,
				      uint64_t thread_id);
/* src/python/walk.c: a str object as UTF-8, interned in t->strings (at
 * most PY_MAX_STR characters); NULL if unreadable or not a str. */
const char *read_str(struct py_target *t, uint64_t addr);

/* src/python/names.c: threading.Thread.name of the thread whose
 * tstate->thread_id is thread_id, interned in t->strings; NULL when the
 * target has no such Thread or its memory cannot be followed.  Costs a
 * dozen reads: callers cache it (pyt_thread_name()). */
const char *pyt_python_thread_name(struct py_target *t, uint64_t thread_id);

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
