/*
 * python.h - a live CPython process seen from outside.
 *
 * pyt_attach() finds the interpreter (version, layout, _PyRuntime, GIL) in
 * a process; pyt_sample() takes one snapshot of every thread: its Python
 * stack as interned frame ids, its GIL state, and the GIL's holder and
 * switch counter.  Code objects are cached by address and frames are
 * interned in a table owned by the target, so a sample is a few integers per
 * frame and turning ids back into text is a lookup (pyt_frame()).
 *
 * The GIL states and their evidence are gil.h's; pyt_sample() gathers the
 * facts and lets src/gil/ decide.
 *
 * With pyt_options.native each thread's C stack is merged in (native.c):
 * C frames are interned in the same table, flagged native, so every
 * consumer of frame ids shows them without knowing about them.
 *
 * Invariants: every walk is bounded (PY_MAX_THREADS, PY_MAX_DEPTH, string
 * lengths) and cycle-checked; a torn read marks one thread's stack as
 * incomplete and counts an error, it never fails the whole sample unless
 * the interpreter itself cannot be read.
 */
#ifndef GILSPY_PYTHON_H
#define GILSPY_PYTHON_H

#include <stdint.h>
#include <sys/types.h>

#include "gilspy/error.h"
#include "gilspy/gil.h"
#include "gilspy/proc.h"
#include "gilspy/pylayout.h"

#define PY_MAX_THREADS 2048
#define PY_MAX_DEPTH 512
#define PY_MAX_INTERPRETERS 64
#define PY_MAX_STR 1024

/* The file mapping a native frame's code is in, as the target maps it
 * (what pprof calls a Mapping).  Owned by the target's tables. */
struct py_native_object {
	const char *path;	/* as /proc/PID/maps names it */
	const char *build_id;	/* hex, NULL when the file has none */
	uint64_t start, limit;	/* the mapping: [start, limit) */
	uint64_t offset;	/* where it starts in the file */
};

/* One interned frame: a code object at a line. */
struct py_frame_info {
	const char *filename;	/* owned by the target's tables */
	const char *name;	/* qualname where the version has one */
	int line;		/* 0 when unknown (and for native frames) */
	int firstlineno;
	int native;		/* a C function: name is its symbol (or 0xADDR),
				   filename the base name of its file */
	/* Native frames only: the function's address in the target, and the
	 * mapping it is in (NULL when in none, and for [truncated]). */
	uint64_t addr;
	const struct py_native_object *object;
};

struct py_thread_sample {
	uint64_t tstate;
	uint64_t thread_id;	/* pthread_t, what threading.get_ident() says */
	pid_t tid;		/* native thread id, 0 if unknown */
	int interp_id;		/* interpreter index (0 = main) */
	enum gil_state state;
	enum gil_evidence evidence;
	char os_state;		/* from /proc: 'R', 'S', ... or '?' */
	int incomplete;		/* the stack walk hit a torn read or a bound */
	int nframes;
	uint32_t *frames;	/* interned ids, innermost first; points into
				   the sample's frame pool */
};

struct py_sample {
	uint64_t time_ns;		/* CLOCK_MONOTONIC at the start */
	int gil_locked;			/* -1 not created, 0, 1 */
	uint64_t gil_holder;		/* tstate, 0 if none */
	uint64_t switch_number;
	uint64_t interval_us;
	int nthreads;
	int errors;			/* torn reads in this sample */
	int running;			/* a thread was seen on a CPU, or queued
					   for one, at this sample: the process
					   was not stopped then (0: not known) */
	struct py_thread_sample threads[PY_MAX_THREADS];
	uint32_t pool[PY_MAX_THREADS * PY_MAX_DEPTH];	/* frame ids */
	int pool_used;
};

struct py_target;

struct pyt_options {
	int with_syscall;	/* read /proc/TID/syscall to detect waiters (1) */
	int with_lines;		/* decode line numbers (1) */
	int native;		/* native stacks merged in: 0 none, PYT_NATIVE
				   (the C frames that matter) or PYT_NATIVE_ALL */
};

#define PYT_NATIVE 1
#define PYT_NATIVE_ALL 2

/* How native stacks went (--native): thread stops and their length. */
struct pyt_native_stats {
	uint64_t stops;			/* threads stopped and copied */
	uint64_t median_ns, p99_ns, max_ns;	/* stop time per thread */
	uint64_t truncated;		/* stacks that ended in [truncated] */
	uint64_t failed;		/* threads whose stop or copy failed */
	uint64_t unstopped;		/* taken with no stop (blocked) */
	uint64_t kept;			/* of those, the walk of an earlier
					   copy (the thread had not run) */
};

/* Attach to pid (no ptrace stop is done).  Fills err on failure:
 * ENOPROC, EPERM, ENOTPY ("which binary was found"), EVERSION; with
 * opt->native, EPERM also when ptrace is not allowed (err says what to
 * do: CAP_SYS_PTRACE, kernel.yama.ptrace_scope). */
enum gs_err pyt_attach(pid_t pid, const struct pyt_options *opt,
		       struct py_target **out, struct gs_error *err);
void pyt_free(struct py_target *t);

/* Take one snapshot into s.  GS_EGONE when the process has exited;
 * GS_EFAULT/GS_EBADDATA when the interpreter could not be read at all
 * (counted as an error sample by callers); GS_OK otherwise, with
 * s->errors counting per-thread torn reads. */
enum gs_err pyt_sample(struct py_target *t, struct py_sample *s);

/* The interval the caller means to sample at (0: unknown, the default).
 * Evidence that only matters over longer intervals is then not read at
 * every sample; the states reported do not change. */
void pyt_set_period(struct py_target *t, uint64_t period_ns);

/* Native stack figures so far; 0 when native stacks are off. */
int pyt_native_stats(const struct py_target *t, struct pyt_native_stats *out);

/* Interned frame by id; NULL if out of range. */
const struct py_frame_info *pyt_frame(const struct py_target *t, uint32_t id);
uint32_t pyt_nframes(const struct py_target *t);

/* Facts about the target. */
const char *pyt_version(const struct py_target *t);	/* "3.12.1" */
unsigned long pyt_hexversion(const struct py_target *t);
const struct py_layout *pyt_layout(const struct py_target *t);
int pyt_free_threaded(const struct py_target *t);
int pyt_debug_build(const struct py_target *t);
struct proc *pyt_proc(struct py_target *t);
pid_t pyt_pid(const struct py_target *t);
const char *pyt_binary(const struct py_target *t);	/* exe or libpython */

/* Thread name for a native tid: the Python name when known, else the OS
 * name from /proc/PID/task/TID/comm.  Cached; refreshed when a tid is new. */
const char *pyt_thread_name(struct py_target *t, pid_t tid, uint64_t thread_id);

/* --- resolver callbacks (src/python/resolve.c) -------------------------- */

/* pyt_frame() and pyt_thread_name() for callers that take a void *ctx
 * (struct profile_resolver): target is the struct py_target the sample
 * came from.  What they return is owned by the target, as above. */
const struct py_frame_info *pyt_resolve_frame(void *target, uint32_t id);
const char *pyt_resolve_thread_name(void *target, pid_t tid,
				    uint64_t thread_id);

#endif
