/*
 * ptrace.c - brief, seize-based stops of single threads (see proc.h).
 *
 * Only PTRACE_SEIZE + PTRACE_INTERRUPT are used: the stop they make is a
 * ptrace-stop, which the kernel ends when the tracer goes away, so a
 * gilspy killed at any moment never leaves a thread of the target stopped.
 * Which threads to stop, and for how long, is the caller's policy.
 */
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "gilspy/proc.h"

/* Wait for tid's stop after PTRACE_INTERRUPT.  1 if stopped, 0 if the
 * thread is gone.  A signal that stopped it first is kept for detach (its
 * pending interrupt is cleared by the kernel at detach). */
static int wait_stop(pid_t tid, int *sig)
{
	int st;

	for (;;) {
		pid_t r = waitpid(tid, &st, __WALL);

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
			*sig = WSTOPSIG(st);	/* signal-delivery-stop */
		return 1;
	}
}

enum gs_err proc_ptrace_stop(pid_t tid, int *sig)
{
	*sig = 0;
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0)
		return errno == ESRCH ? GS_EGONE : GS_EPERM;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0 ||
	    !wait_stop(tid, sig)) {
		ptrace(PTRACE_DETACH, tid, NULL, NULL);
		return GS_EGONE;
	}
	return GS_OK;
}

void proc_ptrace_detach(pid_t tid, int sig)
{
	ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)sig);
}
