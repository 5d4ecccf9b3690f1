/*
 * target.h - the inside of struct py_target, shared by src/python/ and
 * src/gil/ only (everything else uses include/gilspy/python.h).
 */
#ifndef GILSPY_PY_TARGET_H
#define GILSPY_PY_TARGET_H

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
};

/* What we know about a thread across samples. */
struct thread_entry {
	uint64_t thread_id;		/* pthread_t */
	pid_t tid;
	struct proc_task task;
	const char *name;		/* pooled; NULL until looked up */
	uint64_t name_ns;		/* when name was last looked up */
	uint64_t last_seen;		/* sample sequence */
	/* for the woken-waiter test (src/gil/gil.c) */
	int last_state;			/* enum gil_state at last_seq */
	int last_evidence;		/* enum gil_evidence at last_seq */
	uint64_t last_seq;
	uint64_t cpu_ns, cpu_at_ns;	/* CPU time at last_seq, and when */
	uint64_t switches_in;		/* times scheduled in, at last_seq */
};

/* src/python/names.c: where each interpreter's threading._active is. */
#define PYNAME_INTERPS 8

struct pyname_interp {
	uint64_t interp;
	uint64_t active;		/* the _active dict, 0 if not found */
	uint64_t tried_ns;		/* last search for it */
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
	struct pyname_cache names;	/* names.c */
};

/* Absolute addresses of a GIL struct at base (3.7+ layouts). */
void gil_addrs_at(const struct py_layout *l, uint64_t base, struct gil_addrs *g);

/* src/python/walk.c: walk the stacks of all s->nthreads threads at once
 * (tsbufs[i]: the bytes of thread i's tstate), filling frames, nframes and
 * incomplete of each. */
void pyt_walk_stacks(struct py_target *t, struct py_sample *s,
		     const uint8_t *const *tsbufs);
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
