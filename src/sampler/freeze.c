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
	proc_task_init(&f->main, pid, pid);
	f->tasks = NULL;
	f->ntasks = f->alloc = 0;
}

void freeze_release(struct freezer *f)
{
	freeze_resume(f);
	proc_task_release(&f->main);
	free(f->tasks);
	f->tasks = NULL;
	f->alloc = 0;
}

/* Whether a task is in a job-control stop ('T'; a ptrace stop is 't'). */
static int job_stopped(struct proc_task *task)
{
	struct proc_task_state st;

	return proc_task_read(task, 0, &st) == GS_OK && st.state == 'T';
}

static int tid_job_stopped(pid_t pid, pid_t tid)
{
	struct proc_task task;
	int r;

	proc_task_init(&task, pid, tid);
	r = job_stopped(&task);
	proc_task_release(&task);
	return r;
}

static int have(const struct freezer *f, pid_t tid)
{
	int i;

	for (i = 0; i < f->ntasks; i++)
		if (f->tasks[i].tid == tid)
			return 1;
	return 0;
}

/* Stop the threads not yet stopped (stopped: the main thread is in a
 * job-control stop, so look at each one's state first); returns how many
 * were added, or -1 with err set. */
static int stop_new(struct freezer *f, int stopped, struct gs_error *err)
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
		if (stopped && tid_job_stopped(f->pid, tids[i])) {
			rc = GS_OK;
			sig = -1;
		} else {
			rc = proc_ptrace_stop(tids[i], &sig);
		}
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
		t->seized = sig >= 0;
		t->sig = sig < 0 ? 0 : sig;
		added++;
	}
	free(tids);
	return added;
}

enum gs_err freeze_stop(struct freezer *f, struct gs_error *err)
{
	int round, n, stopped = job_stopped(&f->main);

	f->ntasks = 0;
	/* Threads started while we stop the others are caught by a second
	 * look; a process that spawns threads faster than that is read as
	 * it is after a few rounds. */
	for (round = 0; round < 4; round++) {
		n = stop_new(f, stopped, err);
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
		if (f->tasks[i].seized)
			proc_ptrace_detach(f->tasks[i].tid, f->tasks[i].sig);
	f->ntasks = 0;
}
