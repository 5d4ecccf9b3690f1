/*
 * sample_cost.c - where the CPU of one sampling round goes, for
 * bench/record.sh: attach to a running pid, sample it at RATE Hz for SECS
 * seconds with the real sampler's pacing (absolute deadlines), and print
 * per round: CPU inside pyt_sample(), CPU of the whole round (pyt_sample +
 * the sleep and wake-up), process_vm_readv calls and read()/pread() calls;
 * then, for as long, the same paced loop with no sample at all: the CPU a
 * bare sleep and wake-up at RATE costs on this machine (the floor of any
 * sampler that wakes at that rate).
 *
 *   sample_cost PID RATE SECS
 *   sample_cost 0 RATE SECS     the bare loop only (a waker that samples
 *                               nothing: what waking alone costs a target)
 *
 * Output (one line):
 *   "rounds N sample_us X round_us Y pvr P preads Q floor_us F bytes B"
 * Built by bench/record.sh from the library's objects; not part of gilspy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gilspy/python.h"
#include "gilspy/util.h"

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* read() and pread() calls this process has made (/proc/self/io syscr). */
static unsigned long long read_calls(void)
{
	unsigned long long v = 0;
	char line[128];
	FILE *f = fopen("/proc/self/io", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "syscr: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	struct pyt_options opt = { .with_syscall = 1, .with_lines = 1 };
	static struct py_sample s;
	struct py_target *t;
	struct gs_error err;
	uint64_t period, start, end, d, in_sample = 0, cpu0, c, rounds = 0;
	uint64_t reads0, bytes0;
	unsigned long long r0;
	struct timespec ts;
	double floor_us;

	if (argc != 4) {
		fprintf(stderr, "usage: sample_cost PID RATE SECS\n");
		return 2;
	}
	memset(&err, 0, sizeof(err));
	if (!atoi(argv[1])) {
		uint64_t p = (uint64_t)(1e9 / atof(argv[2])), n = 0;
		uint64_t c0 = thread_cpu_ns(), t0 = now_ns();
		uint64_t t1 = t0 + (uint64_t)(atof(argv[3]) * 1e9);

		for (d = t0; d < t1; d += p) {
			ts.tv_sec = (time_t)(d / 1000000000ull);
			ts.tv_nsec = (long)(d % 1000000000ull);
			if (now_ns() < d)
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						&ts, NULL);
			n++;
		}
		printf("floor_us %.2f\n", n ? (double)(thread_cpu_ns() - c0) /
		       1e3 / (double)n : 0.0);
		return 0;
	}
	if (pyt_attach((pid_t)atoi(argv[1]), &opt, &t, &err)) {
		fprintf(stderr, "sample_cost: cannot attach: %s\n", err.msg);
		return 1;
	}
	period = (uint64_t)(1e9 / atof(argv[2]));
	pyt_set_period(t, period);	/* as the sampler does */
	/* warm the caches (code objects, thread entries) first */
	for (int i = 0; i < 20; i++)
		pyt_sample(t, &s);
	reads0 = pyt_proc(t)->reads;
	bytes0 = pyt_proc(t)->read_bytes;
	r0 = read_calls();
	cpu0 = thread_cpu_ns();
	start = now_ns();
	end = start + (uint64_t)(atof(argv[3]) * 1e9);
	for (d = start; d < end; d += period) {
		ts.tv_sec = (time_t)(d / 1000000000ull);
		ts.tv_nsec = (long)(d % 1000000000ull);
		if (now_ns() < d)
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		c = thread_cpu_ns();
		if (pyt_sample(t, &s) == GS_EGONE)
			break;
		in_sample += thread_cpu_ns() - c;
		rounds++;
	}
	c = thread_cpu_ns() - cpu0;
	if (!rounds)
		return 1;
	{
		uint64_t bare = 0, cpu1 = thread_cpu_ns(), b0 = now_ns();
		uint64_t b1 = b0 + (end - start);

		for (d = b0; d < b1; d += period) {
			ts.tv_sec = (time_t)(d / 1000000000ull);
			ts.tv_nsec = (long)(d % 1000000000ull);
			if (now_ns() < d)
				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME,
						&ts, NULL);
			bare++;
		}
		floor_us = bare ? (double)(thread_cpu_ns() - cpu1) / 1e3 /
			(double)bare : 0;
	}
	printf("rounds %llu sample_us %.2f round_us %.2f pvr %.2f preads %.2f "
	       "floor_us %.2f bytes %.0f\n",
	       (unsigned long long)rounds, (double)in_sample / 1e3 / (double)rounds,
	       (double)c / 1e3 / (double)rounds,
	       (double)(pyt_proc(t)->reads - reads0) / (double)rounds,
	       /* minus the two reads of /proc/self/io itself */
	       (double)(read_calls() - r0 - 1) / (double)rounds, floor_us,
	       (double)(pyt_proc(t)->read_bytes - bytes0) / (double)rounds);
	pyt_free(t);
	return 0;
}
