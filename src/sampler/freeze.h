/*
 * freeze.h - stop all threads of a process for one consistent read, with
 * ptrace seize-based stops (internal to src/sampler/; the stops themselves
 * are proc_ptrace_stop() in src/proc/ptrace.c, this is the policy).
 *
 * Invariant: between freeze_stop() and freeze_resume() every listed thread
 * is in a ptrace-stop; outside of them gilspy is attached to nothing.  A
 * seize-based stop (PTRACE_INTERRUPT) is undone by the kernel when the
 * tracer exits, so a killed gilspy never leaves the target stopped.
 * Signals that arrive while a thread is held are passed on at detach.
 */
#ifndef GILSPY_SAMPLER_FREEZE_H
#define GILSPY_SAMPLER_FREEZE_H

#include <sys/types.h>

#include "gilspy/error.h"

struct freeze_task {
	pid_t tid;
	int sig;		/* signal to deliver at detach, 0 for none */
};

struct freezer {
	pid_t pid;
	struct freeze_task *tasks;
	int ntasks, alloc;
};

void freeze_init(struct freezer *f, pid_t pid);
void freeze_release(struct freezer *f);

/* Stop every thread of f->pid.  GS_EGONE when the process has gone,
 * GS_EPERM when ptrace is not permitted (err says how to allow it).
 * Threads that exit meanwhile are skipped.  On failure nothing is left
 * attached.  err must not be NULL. */
enum gs_err freeze_stop(struct freezer *f, struct gs_error *err);
/* Detach from every thread stopped by freeze_stop(). */
void freeze_resume(struct freezer *f);

#endif
