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
 *
 * A thread already in a job-control stop (SIGSTOP, SIGTSTP: /proc state
 * 'T') is left alone: it cannot run, so it needs no stop of ours, and
 * seizing it would wake it to re-stop as a tracee and again at detach -
 * CPU time a stopped process should not spend.  Whether the target is
 * stopped is one read of its main thread's stat a sample; only then is
 * each thread's state read.
 */
#ifndef GILSPY_SAMPLER_FREEZE_H
#define GILSPY_SAMPLER_FREEZE_H

#include <sys/types.h>

#include "gilspy/error.h"
#include "gilspy/proc.h"

struct freeze_task {
	pid_t tid;
	int sig;		/* signal to deliver at detach, 0 for none */
	int seized;		/* 0: it was in a job-control stop, left alone */
};

struct freezer {
	pid_t pid;
	struct proc_task main;	/* the main thread's stat, kept open */
	struct freeze_task *tasks;
	int ntasks, alloc;
};

void freeze_init(struct freezer *f, pid_t pid);
void freeze_release(struct freezer *f);

/* Stop every thread of f->pid (but those in a job-control stop, which
 * stay as they are).  GS_EGONE when the process has gone,
 * GS_EPERM when ptrace is not permitted (err says how to allow it).
 * Threads that exit meanwhile are skipped.  On failure nothing is left
 * attached.  err must not be NULL. */
enum gs_err freeze_stop(struct freezer *f, struct gs_error *err);
/* Detach from every thread stopped by freeze_stop(). */
void freeze_resume(struct freezer *f);

#endif
