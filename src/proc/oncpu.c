/*
 * oncpu.c - whether a task is on a CPU right now, from its task-clock
 * perf counter.
 *
 * /proc's state R means "runnable": on a CPU, or waiting in a run queue.
 * On a machine with more runnable threads than CPUs the two differ a lot,
 * and for the GIL they mean different things (a thread queued on its way
 * into take_gil is waiting, not running native code).  /proc/.../schedstat
 * cannot tell them apart: its run time lags by up to a scheduler tick for
 * a running task, and its switch-in count undercounts with EEVDF's delayed
 * dequeue (kernel 6.x).  A PERF_COUNT_SW_TASK_CLOCK counter can: reading
 * the counter of a task that is running makes its CPU update the count to
 * the present (by an IPI), while a task off CPU keeps the count it had when
 * it was switched out.  So two reads a few microseconds apart differ only
 * while the task runs.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gilspy/proc.h"

static int clock_open(pid_t tid)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_TASK_CLOCK;
	/* a counting event, never sampled: the target is not interrupted,
	 * and excluding the kernel and hypervisor keeps it allowed at
	 * perf_event_paranoid 2 (the task clock counts all the same) */
	return (int)syscall(SYS_perf_event_open, &a, tid, -1, -1,
			    PERF_FLAG_FD_CLOEXEC);
}

static int clock_read(int fd, uint64_t *v)
{
	ssize_t n;

	do
		n = read(fd, v, sizeof(*v));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*v) ? 0 : -1;
}

int proc_task_oncpu(struct proc_task *t)
{
	uint64_t a, b;

	if (t->clock_fd == -2)
		return -1;
	if (t->clock_fd < 0) {
		t->clock_fd = clock_open(t->tid);
		if (t->clock_fd < 0) {
			t->clock_fd = -2;
			return -1;
		}
	}
	if (clock_read(t->clock_fd, &a) || clock_read(t->clock_fd, &b))
		return -1;
	return b != a;
}
