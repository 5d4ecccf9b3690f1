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
 *
 * Cheaper still, where it can be had: a PERF_COUNT_SW_DUMMY event with
 * context_switch set makes the kernel append a PERF_RECORD_SWITCH (in or
 * out) to a ring at every switch of the task.  Its head moves only when
 * the task is switched, so a thread that has not run since an earlier
 * look costs one memory read to recognise, and the last record says
 * whether it is on a CPU.  Each record carries the time of its switch
 * (sample_id_all with PERF_SAMPLE_TIME, on CLOCK_MONOTONIC like now_ns()):
 * a 16-byte record, the last one at head - 16.  Where the kernel refuses
 * the clock, the records are bare 8-byte headers and carry no time.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "gilspy/proc.h"
#include "gilspy/util.h"

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

int proc_task_watch(struct proc_task *t)
{
	struct perf_event_attr a;
	long page = sysconf(_SC_PAGESIZE);
	void *m;

	if (t->ring)
		return 0;
	/* (a tid of 0 would watch gilspy itself) */
	if (t->ring_fd == -2 || page <= 0 || t->tid <= 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_SOFTWARE;
	a.config = PERF_COUNT_SW_DUMMY;
	a.context_switch = 1;
	a.exclude_kernel = 1;
	a.exclude_hv = 1;
	a.sample_id_all = 1;
	a.sample_type = PERF_SAMPLE_TIME;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	t->ring_rec = 16;
	t->ring_fd = (int)syscall(SYS_perf_event_open, &a, t->tid, -1, -1,
				  PERF_FLAG_FD_CLOEXEC);
	if (t->ring_fd < 0 && errno == EINVAL) {
		a.sample_id_all = 0;
		a.sample_type = 0;
		a.use_clockid = 0;
		a.clockid = 0;
		t->ring_rec = 8;
		t->ring_fd = (int)syscall(SYS_perf_event_open, &a, t->tid, -1,
					  -1, PERF_FLAG_FD_CLOEXEC);
	}
	if (t->ring_fd < 0)
		goto fail;
	/* the header page and one page of records; PROT_READ only: the
	 * kernel overwrites old records rather than wait for us */
	m = mmap(NULL, 2 * (size_t)page, PROT_READ, MAP_SHARED, t->ring_fd, 0);
	if (m == MAP_FAILED) {
		close(t->ring_fd);
		goto fail;
	}
	t->ring = m;
	t->ring_len = 2 * (size_t)page;
	return 0;
fail:
	t->ring_fd = -2;
	return -1;
}

/* The data area of t's ring: 0 with *data and *size (a power of two),
 * -1 when the ring is not there or its header is not one we can use. */
static int ring_data(const struct proc_task *t, const uint8_t **data,
		     uint64_t *size)
{
	const struct perf_event_mmap_page *h = t->ring;
	uint64_t off;

	if (!h)
		return -1;
	off = h->data_offset ? h->data_offset : t->ring_len / 2;
	*size = h->data_size ? h->data_size : t->ring_len / 2;
	if (off + *size > t->ring_len || *size < 64 || (*size & (*size - 1)))
		return -1;
	*data = (const uint8_t *)t->ring + off;
	return 0;
}

/* The record of len (8 or 16) bytes at ring position at: 1 when it is a
 * switch, with *out (0 in, 1 out, 2 out preempted: still runnable) and *ns
 * its time (0 when records carry none); else 0.  Read as 8-byte words,
 * each wrapped on its own: a record may straddle the ring's end. */
static int switch_at(const uint8_t *data, uint64_t size, uint64_t at,
		     size_t len, int *out, uint64_t *ns)
{
	uint64_t words[2] = { 0, 0 };
	struct perf_event_header rec;

	for (size_t i = 0; i < len / 8; i++)
		memcpy(&words[i], data + ((at + 8 * i) & (size - 1)), 8);
	memcpy(&rec, &words[0], sizeof(rec));
	if (rec.type != PERF_RECORD_SWITCH || rec.size != len)
		return 0;
	*out = !(rec.misc & PERF_RECORD_MISC_SWITCH_OUT) ? 0 :
	       rec.misc & PERF_RECORD_MISC_SWITCH_OUT_PREEMPT ? 2 : 1;
	*ns = len == 16 ? words[1] : 0;
	return 1;
}

/* The ring's head, and its last record when it is a switch: 1, with *out
 * and *ns as switch_at() gives them; 0 when there is none; -1 when the
 * task is not watched. */
static int last_switch(const struct proc_task *t, uint64_t *head, int *out,
		       uint64_t *ns)
{
	const struct perf_event_mmap_page *h = t->ring;
	const uint8_t *data;
	uint64_t size;
	size_t len = (size_t)t->ring_rec;

	if (!h)
		return -1;
	*head = __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE);
	if ((len != 8 && len != 16) || *head < len ||
	    ring_data(t, &data, &size))
		return 0;
	return switch_at(data, size, *head - len, len, out, ns);
}

int proc_task_switches(const struct proc_task *t, uint64_t *mark, int *on_cpu)
{
	uint64_t ns;
	int out, r = last_switch(t, mark, &out, &ns);

	*on_cpu = r == 1 ? !out : -1;
	return r < 0 ? -1 : 0;
}

int proc_task_preempted(const struct proc_task *t)
{
	uint64_t head, ns;
	int out;

	/* PERF_RECORD_MISC_SWITCH_OUT_PREEMPT: switched out runnable */
	return last_switch(t, &head, &out, &ns) == 1 && out == 2;
}

int proc_task_switched_out(const struct proc_task *t, uint64_t *ns)
{
	uint64_t head;
	int out;

	if (last_switch(t, &head, &out, ns) != 1 || !out || !*ns)
		return -1;
	return 0;
}

int proc_runqueue_busy(int *fd)
{
	char buf[128], *p;
	ssize_t n;
	long running;

	if (*fd < 0)
		*fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return 1;
	n = pread(*fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* "0.50 0.40 0.30 RUNNING/TOTAL LASTPID" */
	p = strchr(buf, '/');
	if (!p)
		return 1;
	while (p > buf && p[-1] >= '0' && p[-1] <= '9')
		p--;
	running = strtol(p, NULL, 10);
	return running - 1 > sysconf(_SC_NPROCESSORS_ONLN);
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

	if (t->clock_fd == -2 || t->tid <= 0)
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

/*
 * CPU time from the ring.  Records are summed from rc_tail up to the head
 * as the ring is read; a record the kernel may have overwritten while it
 * was copied (the head moved past it by a whole ring) is not trusted, and
 * the sum starts again from schedstat.  A schedstat read counts the time
 * run up to about the read (a tick behind at most, for a running task),
 * so spans are counted only from the moment just after it.
 */
static int ring_resync(struct proc_task *t, uint64_t head, const uint8_t *data,
		       uint64_t size)
{
	uint64_t ns, ins, at_ns;
	int out;

	if (proc_task_cputime(t, &ns, &ins) != GS_OK ||
	    !switch_at(data, size, head - 16, 16, &out, &at_ns))
		return -1;
	t->rc_acc = ns;
	t->rc_ins = ins;
	t->rc_in = now_ns();
	t->rc_on = !out;
	t->rc_tail = head;
	t->rc_ok = 1;
	return 0;
}

int proc_task_ring_cputime(struct proc_task *t, uint64_t now, uint64_t *ns,
			   uint64_t *switches_in)
{
	const struct perf_event_mmap_page *h = t->ring;
	const uint8_t *data;
	uint64_t head, again, size, at, acc, ins, in, when;
	int on, out;

	if (!h || t->ring_rec != 16)
		return -1;
	head = __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE);
	if (head < 16 || (head & 15) || ring_data(t, &data, &size))
		return -1;
	if (!t->rc_ok || head < t->rc_tail || head - t->rc_tail > size - 32) {
		if (ring_resync(t, head, data, size))
			return -1;
		head = t->rc_tail;
	}
	acc = t->rc_acc;
	ins = t->rc_ins;
	in = t->rc_in;
	on = t->rc_on;
	/* (at most size / 16 records: the check above) */
	for (at = t->rc_tail; at < head; at += 16) {
		if (!switch_at(data, size, at, 16, &out, &when)) {
			t->rc_ok = 0;	/* not ours to read: start over */
			return -1;
		}
		if (!out) {
			if (!on) {
				ins++;
				in = when > in ? when : in;
			}
			on = 1;
		} else {
			if (on && when > in)
				acc += when - in;
			on = 0;
		}
	}
	/* the records copied must not have been written over meanwhile */
	again = __atomic_load_n(&h->data_head, __ATOMIC_ACQUIRE);
	if (again - t->rc_tail > size - 32) {
		t->rc_ok = 0;
		return -1;
	}
	t->rc_acc = acc;
	t->rc_ins = ins;
	t->rc_in = in;
	t->rc_on = on;
	t->rc_tail = head;
	*ns = acc + (on && now > in ? now - in : 0);
	*switches_in = ins;
	return 0;
}
