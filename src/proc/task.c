/*
 * task.c - one thread of another process, through its files under
 * /proc/PID/task/TID/ (see proc.h): kept open once read, and parsed by
 * hand, since they are read once per thread per sample.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gilspy/proc.h"
#include "gilspy/util.h"

void proc_task_init(struct proc_task *t, pid_t pid, pid_t tid)
{
	t->pid = pid;
	t->tid = tid;
	t->stat_fd = t->syscall_fd = t->schedstat_fd = -1;
	t->clock_fd = t->ring_fd = -1;
	t->ring = NULL;
	t->ring_len = 0;
	t->ring_rec = 0;
	t->rc_ok = 0;
}

void proc_task_release(struct proc_task *t)
{
	if (t->stat_fd >= 0)
		close(t->stat_fd);
	if (t->syscall_fd >= 0)
		close(t->syscall_fd);
	if (t->schedstat_fd >= 0)
		close(t->schedstat_fd);
	if (t->clock_fd >= 0)
		close(t->clock_fd);
	if (t->ring)
		munmap(t->ring, t->ring_len);
	if (t->ring_fd >= 0)
		close(t->ring_fd);
	t->stat_fd = t->syscall_fd = t->schedstat_fd = -1;
	t->clock_fd = t->ring_fd = -1;
	t->ring = NULL;
	t->ring_len = 0;
	t->ring_rec = 0;
	t->rc_ok = 0;
}

/* pread a /proc file kept open in *fd (opened on first use). */
static ssize_t task_pread(struct proc_task *t, int *fd, const char *name,
			  char *buf, size_t len)
{
	ssize_t n;

	if (*fd < 0) {
		char path[96];

		if (t->tid <= 0)
			return -1;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)t->pid,
			 (int)t->tid, name);
		*fd = open(path, O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			return -1;
	}
	do
		n = pread(*fd, buf, len - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* Parse an unsigned number in base 10 or, after "0x", 16; *end past it.
 * Returns 0 when there are no digits.  These files are read once per
 * thread per sample, and sscanf was a visible share of a sample's CPU. */
static int parse_ull(const char *s, const char **end, unsigned long long *v)
{
	unsigned long long x = 0;
	const char *p = s;
	int base = 10;

	while (*p == ' ')
		p++;
	if (p[0] == '0' && p[1] == 'x') {
		base = 16;
		p += 2;
	}
	s = p;
	for (;; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else
			break;
		x = x * (unsigned)base + d;
	}
	*end = p;
	*v = x;
	return p > s;
}

enum gs_err proc_task_cputime(struct proc_task *t, uint64_t *ns,
			      uint64_t *switches_in)
{
	char buf[128];
	const char *p = buf;
	unsigned long long v, delay, pcount;

	if (task_pread(t, &t->schedstat_fd, "schedstat", buf, sizeof(buf)) <= 0 ||
	    !parse_ull(p, &p, &v) || !parse_ull(p, &p, &delay) ||
	    !parse_ull(p, &p, &pcount))
		return proc_alive(t->pid) ? GS_EFAULT : GS_EGONE;
	*ns = v;
	*switches_in = pcount;
	return GS_OK;
}

/* Parse /proc/PID/task/TID/syscall: "running", "-1 SP PC" (blocked outside
 * a syscall), or "NR 0xARG0 ...". */
static void parse_syscall(const char *buf, struct proc_task_state *st)
{
	unsigned long long nr, a0;
	const char *p = buf;

	if (!strncmp(buf, "running", 7)) {
		st->syscall = -1;
		st->state = 'R';
	} else if (buf[0] == '-' && buf[1] == '1' && buf[2] == ' ') {
		st->syscall = -1;
		st->state = 'S';
	} else if (parse_ull(p, &p, &nr) && nr < 4096) {
		st->syscall = (int)nr;
		st->state = 'S';
		if (*p == ' ' && p[1] == '0' && parse_ull(p, &p, &a0))
			st->arg0 = a0;
	}
}

int proc_task_blocked(struct proc_task *t, struct proc_task_blocked *b)
{
	char buf[256];
	const char *p = buf;
	unsigned long long v[9];

	if (task_pread(t, &t->syscall_fd, "syscall", buf, sizeof(buf)) <= 0)
		return -1;
	/* "running", "-1 SP PC" (blocked outside a call: a fault, a stop),
	 * or the call's number, its six arguments, SP and PC */
	if (buf[0] < '0' || buf[0] > '9')
		return 0;
	for (int i = 0; i < 9; i++)
		if (!parse_ull(p, &p, &v[i]))
			return 0;
	if (v[0] >= 4096 || !v[7] || !v[8])
		return 0;
	b->syscall = (int)v[0];
	b->arg0 = v[1];
	b->sp = v[7];
	b->pc = v[8];
	return 1;
}

enum gs_err proc_task_read(struct proc_task *t, int with_syscall,
			   struct proc_task_state *st)
{
	char buf[1024], *p, *q;
	unsigned long long utime = 0, stime = 0;
	size_t len;

	st->state = '?';
	st->syscall = -2;
	st->arg0 = 0;
	st->comm[0] = '\0';
	/* The syscall file alone answers both questions the sampler asks (on
	 * CPU? blocked on which futex?) in one pread: "running" means the task
	 * is runnable (state R).  stat is the fallback when it is unreadable. */
	if (with_syscall && task_pread(t, &t->syscall_fd, "syscall", buf, 128) > 0) {
		parse_syscall(buf, st);
		if (st->state != '?')
			return GS_OK;
	}
	if (task_pread(t, &t->stat_fd, "stat", buf, sizeof(buf)) <= 0)
		return proc_alive(t->pid) ? GS_EFAULT : GS_EGONE;
	/* comm may hold spaces and parens: it ends at the last ')'. */
	p = strchr(buf, '(');
	q = strrchr(buf, ')');
	if (!p || !q || q < p || q[1] != ' ')
		return GS_EBADDATA;
	len = (size_t)(q - p - 1);
	if (len >= sizeof(st->comm))
		len = sizeof(st->comm) - 1;
	memcpy(st->comm, p + 1, len);
	st->comm[len] = '\0';
	st->state = q[2];
	/* after state: ppid pgrp session tty_nr tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	if (sscanf(q + 3, "%*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
		   &utime, &stime) == 2) {
		st->utime = utime;
		st->stime = stime;
	}
	return GS_OK;
}
