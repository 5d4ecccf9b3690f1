/*
 * native.h - what the two halves of --native share (src/python/ only):
 * nativecopy.c copies each thread's registers and stack, with a stop or
 * without one, and unwinds the copies; native.c names the frames and
 * merges them with the Python stacks.  struct py_native is owned by the
 * target (pynative_init(), pynative_release()).
 */
#ifndef GILSPY_PYTHON_NATIVE_H
#define GILSPY_PYTHON_NATIVE_H

#include "internal.h"

#define STOP_BUCKETS 20000		/* 1 us each; above goes in the last */
/* The least stack copied past what a walk read (nativecopy.c) */
#define COPY_MIN (16 * 1024)

/* How long to poll for the stop of a thread that was running (it stops
 * in a few microseconds, unless it waits for a CPU: then block). */
#define STOP_SPIN_NS (20 * 1000)

enum {
	NF_EVAL = 1,			/* an eval-loop call */
	NF_INTERP = 2,			/* in the interpreter's binary */
	NF_GIL = 4,			/* takes or drops the GIL */
	NF_TAKE = 8,			/* take_gil itself */
	NF_ENTRY = 16,			/* an exported GIL-taking entry */
	NF_LIBC = 32,			/* libc, libpthread, the loader */
	NF_NONAME = 64,
	NF_LOCKWAIT = 128,		/* libc's condvar, mutex or futex wait */
	NF_GLUE = 256,			/* the interpreter's calling machinery */
};

struct nframe {
	uint32_t id;
	uint16_t flags;
};

struct py_native {
	struct unwinder *unw;
	struct unwind_snap *snap;	/* the probe's */
	struct unwind_snap **snaps;	/* one per thread of a sample */
	size_t nsnaps;
	struct u64map by_key;		/* (file, function) -> frame id */
	struct u64map by_ip;		/* return address -> frame id */
	unsigned generation;		/* the unwinder's, when by_ip was good */
	uint16_t *fflags;		/* NF_* by frame id (native ones) */
	uint32_t nfflags;
	uint32_t truncated_id;		/* "[truncated]" */
	struct pymap_table maps;	/* where native frames are (nativemap.c) */
	const char *interp_base[2];	/* libpython and the executable */
	uint64_t ips[UNWIND_MAX_FRAMES], starts[UNWIND_MAX_FRAMES];
	struct nframe nf[UNWIND_MAX_FRAMES];
	uint32_t merged[PY_MAX_DEPTH];
	uint32_t *stop_hist;		/* STOP_BUCKETS */
	uint64_t stops, max_ns, truncated, failed;
	uint64_t unstopped;		/* copied while blocked, no stop */
	uint64_t restopped;		/* of those, stopped after all */
	uint64_t *marks;		/* per snap: its switch count when
					   copied unstopped */
	uint8_t *kept;			/* per snap: the thread's last walk
					   stands (thread_entry.nat_walk) */
	uint64_t kept_walks;		/* walks so kept, in unstopped too */
	struct proc_sched sched;	/* gilspy's own scheduling policy */
	int boost;			/* raise it while stopping threads */
};

/* Unwind snap i of the sample (thread e) into n->ips and n->starts; its
 * frame count, *trunc set when it stopped short. */
int pynative_walk(struct py_native *n, struct thread_entry *e, int i,
		  int *trunc);
/* Size thread e's next copy after the walk of s. */
void pynative_copy_size(struct thread_entry *e, const struct unwind_snap *s);

#endif
