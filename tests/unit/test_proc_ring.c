/* test_proc_ring.c - CPU time from a task's context-switch ring
 * (src/proc/oncpu.c: proc_task_ring_cputime): on a ring laid out by hand,
 * and on a real one the kernel fills for a thread of this process, checked
 * against the thread's schedstat. */
#include <linux/perf_event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "gilspy/proc.h"
#include "gilspy/util.h"
#include "harness.h"

#define PAGE 4096

struct fake_ring {
	struct perf_event_mmap_page *h;
	uint8_t *data;
};

static void put(struct fake_ring *r, int out, uint64_t ns)
{
	struct perf_event_header rec = {
		.type = PERF_RECORD_SWITCH,
		.misc = out ? PERF_RECORD_MISC_SWITCH_OUT : 0,
		.size = 16,
	};
	uint64_t at = r->h->data_head;

	memcpy(r->data + (at & (PAGE - 1)), &rec, 8);
	memcpy(r->data + ((at + 8) & (PAGE - 1)), &ns, 8);
	r->h->data_head = at + 16;
}

TEST(proc, ring_cputime_sums_spans)
{
	struct proc_task t;
	struct fake_ring r;
	void *mem = NULL;
	uint64_t ns0, ins0, ns, ins, base, bad;

	CHECK(posix_memalign(&mem, PAGE, 2 * PAGE) == 0);
	memset(mem, 0, 2 * PAGE);
	r.h = mem;
	r.data = (uint8_t *)mem + PAGE;
	r.h->data_offset = PAGE;
	r.h->data_size = PAGE;
	/* schedstat of this very thread starts the sum */
	proc_task_init(&t, getpid(), (pid_t)syscall(SYS_gettid));
	t.ring = mem;
	t.ring_len = 2 * PAGE;
	t.ring_rec = 16;
	/* no record yet: nothing to go by */
	CHECK(proc_task_ring_cputime(&t, now_ns(), &ns, &ins) == -1);
	put(&r, 0, 100);
	put(&r, 1, 300);
	put(&r, 0, 1000);	/* on a CPU since */
	CHECK(proc_task_ring_cputime(&t, now_ns(), &ns0, &ins0) == 0);
	CHECK(ns0 > 0);
	/* the spans from the start of the sum: out 5 us after, in again
	 * 3 us later, out 1 us after that, and 11 us off since */
	base = t.rc_in;
	put(&r, 1, base + 5000);
	put(&r, 0, base + 8000);
	put(&r, 1, base + 9000);
	CHECK(proc_task_ring_cputime(&t, base + 20000, &ns, &ins) == 0);
	CHECK(ns == ns0 + 6000);
	CHECK(ins == ins0 + 1);
	/* on a CPU at the look: the time up to now counts */
	put(&r, 0, base + 30000);
	CHECK(proc_task_ring_cputime(&t, base + 30500, &ns, &ins) == 0);
	CHECK(ns == ns0 + 6500);
	CHECK(ins == ins0 + 2);
	/* a record that is not a switch: not summed, and the sum starts over
	 * at the next look */
	bad = r.h->data_head;
	put(&r, 1, base + 31000);
	memset(r.data + (bad & (PAGE - 1)), 0xff, 8);
	CHECK(proc_task_ring_cputime(&t, base + 32000, &ns, &ins) == -1);
	CHECK(!t.rc_ok);
	/* more records than the ring holds since the last look: the sum
	 * starts over from schedstat, not from records written over */
	put(&r, 1, base + 33000);
	CHECK(proc_task_ring_cputime(&t, now_ns(), &ns, &ins) == 0);
	CHECK(t.rc_ok);
	base = t.rc_tail;
	r.h->data_head += PAGE;
	put(&r, 0, now_ns());
	CHECK(proc_task_ring_cputime(&t, now_ns(), &ns, &ins) == 0);
	CHECK(t.rc_tail == r.h->data_head);
	CHECK(t.rc_tail != base + 16);
	t.ring = NULL;		/* not an mmap: not ours to unmap */
	proc_task_release(&t);
	free(mem);
}

/* A thread of this process that, at each 'g' on a pipe, runs 20 bursts
 * of 1 ms of CPU (its own CPU clock: a loaded machine stretches them, it
 * does not shorten them) with a short sleep after each, says 'd' on a
 * second pipe, and waits on the first again; 'q' ends it. */
static int ring_pipe[2], done_pipe[2];
static volatile pid_t ring_tid;

static uint64_t thread_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *bursts(void *arg)
{
	struct timespec nap = { 0, 500000 };
	char c;

	(void)arg;
	ring_tid = (pid_t)syscall(SYS_gettid);
	while (read(ring_pipe[0], &c, 1) == 1 && c == 'g') {
		for (int i = 0; i < 20; i++) {
			uint64_t end = thread_cpu() + 1000000;

			while (thread_cpu() < end)
				;
			nanosleep(&nap, NULL);
		}
		if (write(done_pipe[1], "d", 1) != 1)
			break;
	}
	return NULL;
}

/* Run one round of bursts and return once the thread is blocked on the
 * pipe again (its ring's last record a switch out, not a preemption). */
static int one_round(struct proc_task *t)
{
	char c = 'g';
	uint64_t mark;
	int on;

	if (write(ring_pipe[1], &c, 1) != 1 || read(done_pipe[0], &c, 1) != 1)
		return -1;
	for (int i = 0; i < 2000; i++) {
		if (!proc_task_switches(t, &mark, &on) && on == 0 &&
		    !proc_task_preempted(t))
			return 0;
		usleep(500);
	}
	return -1;
}

TEST(proc, ring_cputime_agrees_with_schedstat)
{
	struct proc_task t;
	pthread_t th;
	uint64_t r0, r1, s0, s1, i0, i1, si0, si1, dr, ds, diff;
	char c = 'q';

	CHECK(pipe(ring_pipe) == 0);
	CHECK(pipe(done_pipe) == 0);
	CHECK(pthread_create(&th, NULL, bursts, NULL) == 0);
	while (!ring_tid)
		usleep(1000);
	proc_task_init(&t, getpid(), ring_tid);
	if (proc_task_watch(&t) || t.ring_rec != 16) {
		CHECK(write(ring_pipe[1], &c, 1) == 1);
		pthread_join(th, NULL);
		proc_task_release(&t);
		SKIP("no timed context-switch ring here (perf events refused)");
	}
	/* a first round, for records to start the sum by; both looks are
	 * made with the thread asleep, where schedstat is exact */
	CHECK(one_round(&t) == 0);
	CHECK(proc_task_ring_cputime(&t, now_ns(), &r0, &i0) == 0);
	CHECK(proc_task_cputime(&t, &s0, &si0) == GS_OK);
	CHECK(one_round(&t) == 0);
	CHECK(proc_task_ring_cputime(&t, now_ns(), &r1, &i1) == 0);
	CHECK(proc_task_cputime(&t, &s1, &si1) == GS_OK);
	CHECK(write(ring_pipe[1], &c, 1) == 1);
	pthread_join(th, NULL);
	dr = r1 - r0;
	ds = s1 - s0;
	diff = dr > ds ? dr - ds : ds - dr;
	/* 20 ms run each way, so the two agree to within the switches' own
	 * cost; at least one switch in after each of the 20 sleeps */
	CHECK(ds > 15000000);
	CHECK(diff < ds / 50 + 100000);
	CHECK(i1 - i0 >= 20);
	proc_task_release(&t);
	close(ring_pipe[0]);
	close(ring_pipe[1]);
	close(done_pipe[0]);
	close(done_pipe[1]);
}

/* proc_readv() reads ranges that lie close together as one remote range
 * (src/proc/proc.c: merged_read), and a range that cannot be read costs
 * only itself: here on this very process. */
TEST(proc, readv_merges_close_ranges)
{
	struct proc *p = NULL;
	struct gs_error err = { 0 };
	uint8_t *m, a[16], b[16], c[16], ok[3];
	struct iovec local[3], remote[3];
	uint64_t reads;

	if (proc_open(getpid(), &p, &err) != GS_OK)
		SKIP("cannot open this process with proc_open()");
	m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	for (int i = 0; i < 2 * PAGE; i++)
		m[i] = (uint8_t)(i * 7);
	/* three ranges, given out of order, 100 and 300 bytes apart */
	local[0] = (struct iovec){ b, 16 };
	remote[0] = (struct iovec){ m + 116, 16 };
	local[1] = (struct iovec){ a, 16 };
	remote[1] = (struct iovec){ m, 16 };
	local[2] = (struct iovec){ c, 16 };
	remote[2] = (struct iovec){ m + PAGE - 8, 16 };	/* over the edge */
	reads = p->reads;
	CHECK(proc_readv(p, local, remote, 3, ok) == GS_OK);
	CHECK(ok[0] && ok[1] && ok[2]);
	CHECK(p->reads == reads + 1);
	CHECK(!memcmp(a, m, 16) && !memcmp(b, m + 116, 16) &&
	      !memcmp(c, m + PAGE - 8, 16));
	/* the second page gone: the range over the edge fails, alone */
	CHECK(munmap(m + PAGE, PAGE) == 0);
	memset(a, 0, 16);
	memset(b, 0, 16);
	CHECK(proc_readv(p, local, remote, 3, ok) == GS_OK);
	CHECK(ok[0] && ok[1] && !ok[2]);
	CHECK(!memcmp(a, m, 16) && !memcmp(b, m + 116, 16));
	munmap(m, PAGE);
	proc_free(p);
}
