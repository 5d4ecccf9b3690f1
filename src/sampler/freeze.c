/* freeze.c - seize-based ptrace stops of every thread, for --blocking. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

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

/* Wait for tid's stop after PTRACE_INTERRUPT.  Returns 1 if stopped,
 * 0 if the thread is gone.  A signal that stopped it first is kept for
 * detach (its pending interrupt is cleared by the kernel at detach). */
static int wait_stop(struct freeze_task *t)
{
	int st;

	for (;;) {
		pid_t r = waitpid(t->tid, &st, __WALL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return 0;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return 0;
		if (!WIFSTOPPED(st))
			continue;
		if ((st >> 16) == 0 && WSTOPSIG(st) != SIGTRAP)
			t->sig = WSTOPSIG(st);	/* signal-delivery-stop */
		return 1;
	}
}

/* Seize and interrupt the threads not yet stopped; returns how many were
 * added, or -1 with err set. */
static int stop_new(struct freezer *f, struct gs_error *err)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int added = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)f->pid);
	d = opendir(path);
	if (!d) {
		gs_error_set(err, GS_EGONE, "process %d has exited", (int)f->pid);
		return -1;
	}
	while ((de = readdir(d))) {
		struct freeze_task *t;
		long tid = strtol(de->d_name, NULL, 10);

		if (tid <= 0 || have(f, (pid_t)tid))
			continue;
		if (ptrace(PTRACE_SEIZE, (pid_t)tid, NULL, NULL) < 0) {
			if (errno == ESRCH)
				continue;	/* exited meanwhile */
			closedir(d);
			gs_error_set(err, GS_EPERM,
				     "cannot stop thread %ld of pid %d with ptrace: %s "
				     "(run as root, set kernel.yama.ptrace_scope=0, or "
				     "drop --blocking)", tid, (int)f->pid,
				     strerror(errno));
			return -1;
		}
		if (f->ntasks == f->alloc) {
			f->alloc = f->alloc ? f->alloc * 2 : 16;
			f->tasks = xrealloc(f->tasks, (size_t)f->alloc *
					    sizeof(*f->tasks));
		}
		t = &f->tasks[f->ntasks];
		t->tid = (pid_t)tid;
		t->sig = 0;
		if (ptrace(PTRACE_INTERRUPT, t->tid, NULL, NULL) < 0 ||
		    !wait_stop(t)) {
			ptrace(PTRACE_DETACH, t->tid, NULL, NULL);
			continue;
		}
		f->ntasks++;
		added++;
	}
	closedir(d);
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
		ptrace(PTRACE_DETACH, f->tasks[i].tid, NULL,
		       (void *)(long)f->tasks[i].sig);
	f->ntasks = 0;
}
