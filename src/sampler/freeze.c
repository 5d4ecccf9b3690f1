/*
 * freeze.c - the policy of --blocking's stops: every thread of the target,
 * threads started meanwhile caught by another look, all let go together.
 * The stops themselves are proc_ptrace_stop() (src/proc/ptrace.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/proc.h"
#include "gilspy/util.h"
#include "freeze.h"

void freeze_init(struct freezer *f, pid_t pid)
{
	f->pid = pid;
	f->tasks = NULL;
	f->ntasks = f->alloc = 0;
}

void freeze_release(struct freezer *f)
{
	freeze_resume(f);
	free(f->tasks);
	f->tasks = NULL;
	f->alloc = 0;
}

static int have(const struct freezer *f, pid_t tid)
{
	int i;

	for (i = 0; i < f->ntasks; i++)
		if (f->tasks[i].tid == tid)
			return 1;
	return 0;
}

/* Stop the threads not yet stopped; returns how many were added, or -1
 * with err set. */
static int stop_new(struct freezer *f, struct gs_error *err)
{
	pid_t *tids = NULL;
	int n, i, added = 0;

	n = proc_tasks(f->pid, &tids);
	if (n < 0) {
		gs_error_set(err, GS_EGONE, "process %d has exited", (int)f->pid);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct freeze_task *t;
		enum gs_err rc;
		int sig;

		if (have(f, tids[i]))
			continue;
		rc = proc_ptrace_stop(tids[i], &sig);
		if (rc == GS_EGONE)
			continue;	/* exited meanwhile */
		if (rc != GS_OK) {
			gs_error_set(err, GS_EPERM,
				     "cannot stop thread %d of pid %d with ptrace: %s "
				     "(run as root, set kernel.yama.ptrace_scope=0, or "
				     "drop --blocking)", (int)tids[i], (int)f->pid,
				     strerror(errno));
			free(tids);
			return -1;
		}
		if (f->ntasks == f->alloc) {
			f->alloc = f->alloc ? f->alloc * 2 : 16;
			f->tasks = xrealloc(f->tasks, (size_t)f->alloc *
					    sizeof(*f->tasks));
		}
		t = &f->tasks[f->ntasks++];
		t->tid = tids[i];
		t->sig = sig;
		added++;
	}
	free(tids);
	return added;
}

enum gs_err freeze_stop(struct freezer *f, struct gs_error *err)
{
	int round, n;

	f->ntasks = 0;
	/* Threads started while we stop the others are caught by a second
	 * look; a process that spawns threads faster than that is read as
	 * it is after a few rounds. */
	for (round = 0; round < 4; round++) {
		n = stop_new(f, err);
		if (n < 0) {
			freeze_resume(f);
			return err->code;
		}
		if (n == 0 && round > 0)
			break;
	}
	if (!f->ntasks)
		return gs_error_set(err, GS_EGONE, "process %d has exited",
				    (int)f->pid);
	return GS_OK;
}

void freeze_resume(struct freezer *f)
{
	int i;

	for (i = 0; i < f->ntasks; i++)
		proc_ptrace_detach(f->tasks[i].tid, f->tasks[i].sig);
	f->ntasks = 0;
}
