/*
 * ptrace.c - brief, seize-based stops of single threads (see proc.h).
 *
 * Only PTRACE_SEIZE + PTRACE_INTERRUPT are used: the stop they make is a
 * ptrace-stop, which the kernel ends when the tracer goes away, so a
 * gilspy killed at any moment never leaves a thread of the target stopped.
 * Which threads to stop, and for how long, is the caller's policy.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gilspy/proc.h"
#include "gilspy/util.h"

/* A blocking wait for a stop longer than this is looked into, and the
 * most a wake-up is taken to add to a stop (see proc_ptrace_stop_timed()). */
#define STOP_SLOW_NS (100 * 1000)

/* What waitpid() said of tid: 1 stopped, 0 not yet, -1 gone.  A signal
 * that stopped it first is kept for detach (its pending interrupt is
 * cleared by the kernel at detach). */
static int stop_status(pid_t tid, int flags, int *sig)
{
	int st;

	for (;;) {
		pid_t r = waitpid(tid, &st, __WALL | flags);

		if (r == 0)
			return 0;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return -1;
		if (!WIFSTOPPED(st))
			continue;
		if ((st >> 16) == 0 && WSTOPSIG(st) != SIGTRAP)
			*sig = WSTOPSIG(st);	/* signal-delivery-stop */
		return 1;
	}
}

uint64_t proc_run_delay(int fd)
{
	char buf[96];
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf) - 1, 0);
	unsigned long long on_cpu, delay;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return sscanf(buf, "%llu %llu", &on_cpu, &delay) == 2 ? delay : 0;
}

enum gs_err proc_ptrace_stop_timed(pid_t tid, uint64_t spin_ns, int sched_fd,
				   uint64_t rd, int *sig, uint64_t *since_ns)
{
	uint64_t t, end, woke;
	int r;

	*sig = 0;
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0)
		return errno == ESRCH ? GS_EGONE : GS_EPERM;
	/* the thread runs on until the interrupt: the stop starts after */
	t = now_ns();
	end = t + spin_ns;
	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) < 0)
		goto gone;
	/* A running thread stops within microseconds: polling for it keeps
	 * this CPU awake and gilspy on it, where a blocking wait would pay
	 * for both waking up again while the thread sits stopped.  Each
	 * poll that finds it still running moves the stop's known start. */
	while (spin_ns) {
		uint64_t before = now_ns();

		r = stop_status(tid, WNOHANG, sig);
		if (r < 0)
			goto gone;
		if (r > 0)
			goto out;
		t = before;
		if (before >= end)
			break;
	}
	if (stop_status(tid, 0, sig) <= 0)
		goto gone;
	/* A long wait is the thread queued for a CPU before it could stop
	 * (it was not stopped meanwhile), then gilspy queued after its stop
	 * woke it (its run delay since, d), after the wake-up itself, which
	 * no counter shows and which is taken to be at most STOP_SLOW_NS:
	 * the stop began at most d + STOP_SLOW_NS ago. */
	woke = now_ns();
	if (sched_fd >= 0 && rd && woke - t > STOP_SLOW_NS) {
		uint64_t d = proc_run_delay(sched_fd) - rd;

		if (d + STOP_SLOW_NS < woke - t)
			t = woke - d - STOP_SLOW_NS;
	}
	goto out;
gone:
	ptrace(PTRACE_DETACH, tid, NULL, NULL);
	return GS_EGONE;
out:
	if (since_ns)
		*since_ns = t;
	return GS_OK;
}

enum gs_err proc_ptrace_stop(pid_t tid, int *sig)
{
	return proc_ptrace_stop_timed(tid, 0, -1, 0, sig, NULL);
}

void proc_ptrace_detach(pid_t tid, int sig)
{
	ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)sig);
}

/* sched_setattr(2)'s argument (its first version); glibc before 2.41
 * declares neither. */
struct sched_attr_v0 {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
};

int proc_sched_save(struct proc_sched *s)
{
	struct sched_attr_v0 a;

	memset(&a, 0, sizeof(a));
	if (syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0) < 0)
		return -1;
	if (a.policy != SCHED_OTHER && a.policy != SCHED_BATCH &&
	    a.policy != SCHED_IDLE)
		return -1;	/* real-time already: keep it */
	s->policy = a.policy;
	s->priority = a.priority;
	s->nice = a.nice;
	s->flags = a.flags;
	return 0;
}

int proc_sched_boost(void)
{
	struct sched_attr_v0 a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.policy = SCHED_FIFO;
	a.priority = 1;
	a.flags = 1;		/* SCHED_FLAG_RESET_ON_FORK: not for children */
	return syscall(SYS_sched_setattr, 0, &a, 0) == 0 ? 0 : -1;
}

void proc_sched_restore(const struct proc_sched *s)
{
	struct sched_attr_v0 a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.policy = s->policy;
	a.priority = s->priority;
	a.nice = s->nice;
	a.flags = s->flags;
	/* runtime 0: the default slice (6.12+ reads back the slice in
	 * force, and writing it would pin it as a custom one) */
	syscall(SYS_sched_setattr, 0, &a, 0);
}
