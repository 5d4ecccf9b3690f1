/*
 * proc.c - another process's memory and mappings.
 *
 * proc_read() is the one place where errno from process_vm_readv becomes a
 * gs_err (Austin's copy_memory is the model: one function, one mapping).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "gilspy/proc.h"
#include "gilspy/util.h"

#define MAX_MAPS 65536

/* Read a whole small file under /proc into buf (NUL-terminated). */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n, total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - (size_t)total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			total = -1;
			break;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	if (total >= 0)
		buf[total] = '\0';
	return total;
}

int proc_alive(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return 0;
	return p[2] != 'Z' && p[2] != 'X';
}

pid_t proc_tracer(pid_t pid)
{
	char path[64], buf[2048], *p;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strstr(buf, "\nTracerPid:");
	return p ? (pid_t)strtol(p + 11, NULL, 10) : 0;
}

static enum gs_err parse_maps(struct proc *p)
{
	char path[64], *line = NULL;
	size_t cap = 0, n = 0, alloc = 0;
	struct proc_map *maps = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)p->pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? GS_EGONE :
		       errno == EACCES ? GS_EPERM : GS_EIO;
	while (getline(&line, &cap, f) > 0 && n < MAX_MAPS) {
		unsigned long long start, end, off;
		char perms[8];
		int pathpos = 0;
		struct proc_map *m;
		char *nl;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end,
			   perms, &off, &pathpos) < 4)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 256;
			maps = xrealloc(maps, alloc * sizeof(*maps));
		}
		m = &maps[n++];
		m->start = start;
		m->end = end;
		m->offset = off;
		m->prot = (perms[0] == 'r' ? PROT_READ : 0) |
			  (perms[1] == 'w' ? PROT_WRITE : 0) |
			  (perms[2] == 'x' ? PROT_EXEC : 0);
		m->path = NULL;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if (pathpos > 0 && line[pathpos] == '/')
			m->path = xstrdup(line + pathpos);
	}
	free(line);
	fclose(f);
	for (size_t i = 0; i < p->nmaps; i++)
		free(p->maps[i].path);
	free(p->maps);
	p->maps = maps;
	p->nmaps = n;
	return n ? GS_OK : GS_EGONE;
}

enum gs_err proc_refresh_maps(struct proc *p)
{
	return parse_maps(p);
}

enum gs_err proc_open(pid_t pid, struct proc **out, struct gs_error *err)
{
	char path[64], buf[4096];
	struct proc *p;
	enum gs_err rc;
	ssize_t n;
	uint64_t probe;

	*out = NULL;
	if (kill(pid, 0) < 0 && errno == ESRCH)
		return gs_error_set(err, GS_ENOPROC,
				    "no process with pid %d; check the pid "
				    "with 'ps' or 'pgrep python'", (int)pid);
	if (!proc_alive(pid))
		return gs_error_set(err, GS_ENOPROC,
				    "process %d has exited (it is a zombie or "
				    "gone)", (int)pid);
	p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0) {
		rc = errno == ENOENT ? GS_EGONE : GS_EPERM;
		goto fail_perm;
	}
	buf[n] = '\0';
	p->exe = xstrdup(buf);
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_small(path, p->comm, sizeof(p->comm)) > 0)
		p->comm[strcspn(p->comm, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small(path, buf, sizeof(buf));
	if (n > 0) {
		for (ssize_t i = 0; i < n - 1; i++)
			if (!buf[i])
				buf[i] = ' ';
		p->cmdline = xstrdup(buf);
	} else {
		p->cmdline = xstrdup(p->comm);
	}
	rc = parse_maps(p);
	if (rc == GS_EPERM)
		goto fail_perm;
	if (rc != GS_OK) {
		gs_error_set(err, rc, "process %d exited while gilspy attached",
			     (int)pid);
		proc_free(p);
		return rc;
	}
	/* Probe that process_vm_readv is allowed, on the first readable map. */
	for (size_t i = 0; i < p->nmaps; i++) {
		if (!(p->maps[i].prot & PROT_READ))
			continue;
		rc = proc_read(p, p->maps[i].start, &probe, sizeof(probe));
		if (rc == GS_EPERM)
			goto fail_perm;
		if (rc == GS_EGONE) {
			gs_error_set(err, rc, "process %d exited while gilspy "
				     "attached", (int)pid);
			proc_free(p);
			return rc;
		}
		break;
	}
	*out = p;
	return GS_OK;
fail_perm:
	proc_free(p);
	if (rc == GS_EGONE)
		return gs_error_set(err, GS_EGONE, "process %d exited while "
				    "gilspy attached", (int)pid);
	return gs_error_set(err, GS_EPERM,
			    "cannot read memory of pid %d: permission denied "
			    "(run as root or as the process's owner with "
			    "kernel.yama.ptrace_scope=0, or add CAP_SYS_PTRACE "
			    "in containers)", (int)pid);
}

void proc_free(struct proc *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nmaps; i++)
		free(p->maps[i].path);
	free(p->maps);
	free(p->exe);
	free(p->cmdline);
	free(p);
}

enum gs_err proc_read(struct proc *p, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!len)
		return GS_OK;
	if (addr < 4096 || addr + len < addr) {
		p->faults++;
		return GS_EFAULT;
	}
	if (p->image && !p->image->capture) {
		p->reads++;
		if (proc_image_read(p->image, addr, buf, len)) {
			p->faults++;
			return GS_EFAULT;
		}
		return GS_OK;
	}
	n = process_vm_readv(p->pid, &local, 1, &remote, 1, 0);
	if (p->image && n == (ssize_t)len)
		proc_image_capture(p->image, addr, buf, len);
	p->reads++;
	if (n == (ssize_t)len) {
		p->read_bytes += len;
		return GS_OK;
	}
	if (n >= 0) {
		p->faults++;
		return GS_EFAULT;	/* partial: crosses into unmapped memory */
	}
	switch (errno) {
	case ESRCH:
		return GS_EGONE;
	case EPERM:
	case EACCES:
		return GS_EPERM;
	case ENOMEM:
		return GS_ENOMEM;
	default:		/* EFAULT and anything odd: a torn read */
		p->faults++;
		return GS_EFAULT;
	}
}

/* proc_read_partial() a page at a time, through proc_read() (images, and
 * the captures that record every read). */
static size_t read_pages(struct proc *p, uint64_t addr, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		uint64_t a = addr + done;
		size_t chunk = 4096 - (a & 4095);

		if (chunk > len - done)
			chunk = len - done;
		if (proc_read(p, a, (char *)buf + done, chunk) != GS_OK)
			break;
		done += chunk;
	}
	return done;
}

size_t proc_read_partial(struct proc *p, uint64_t addr, void *buf, size_t len)
{
	/* One system call whatever the length (a stack copy is read while
	 * the thread is stopped), with one remote piece per page so that a
	 * range running into unmapped memory still yields its readable
	 * prefix: the kernel copies the pieces in order and stops at the
	 * first it cannot read. */
	struct iovec local[64], remote[64];
	size_t done = 0;

	if (p->image || addr < 4096 || addr + len < addr)
		return read_pages(p, addr, buf, len);
	while (done < len) {
		size_t n = 0, want = 0;
		ssize_t r;

		while (n < 64 && done + want < len) {
			uint64_t a = addr + done + want;
			size_t chunk = 4096 - (a & 4095);

			if (chunk > len - done - want)
				chunk = len - done - want;
			local[n].iov_base = (char *)buf + done + want;
			local[n].iov_len = chunk;
			remote[n].iov_base = (void *)(uintptr_t)a;
			remote[n].iov_len = chunk;
			want += chunk;
			n++;
		}
		r = process_vm_readv(p->pid, local, n, remote, n, 0);
		p->reads++;
		if (r <= 0)
			break;
		p->read_bytes += (size_t)r;
		done += (size_t)r;
		if ((size_t)r < want) {
			p->faults++;
			break;
		}
	}
	return done;
}

/* proc_readv() against an image: range by range, through proc_read()
 * (which reads the image, or the process and captures). */
static enum gs_err image_readv(struct proc *p, const struct iovec *local,
			       const struct iovec *remote, size_t n,
			       uint8_t *ok)
{
	for (size_t k = 0; k < n; k++) {
		enum gs_err e = proc_read(p, (uint64_t)(uintptr_t)remote[k].iov_base,
					  local[k].iov_base, local[k].iov_len);

		if (e == GS_EGONE || e == GS_EPERM)
			return e;
		if (ok)
			ok[k] = e == GS_OK;
	}
	return GS_OK;
}

/*
 * Each remote range costs process_vm_readv a lookup of its mapping and a
 * pin of its pages: some 0.6 us on this kind of VM, as much as copying a
 * few kilobytes.  So ranges that lie within MERGE_GAP bytes of each other
 * (the interpreter and its GIL on 3.12, say) are read as one remote range,
 * the bytes between them going to a scratch buffer; the local side may be
 * cut into any number of pieces at no such cost.  All at once or not at
 * all: a short read (one range gone) reads them again one by one, and the
 * next MERGE_BACKOFF calls do not merge (a range that stays gone would
 * otherwise cost every call twice).
 */
#define MERGE_BACKOFF 64
#define MERGE_GAP 1024
#define MERGE_MAX 128		/* ranges considered for merging */

static int merged_read(struct proc *p, const struct iovec *local,
		       const struct iovec *remote, size_t n, uint8_t *ok)
{
	static uint8_t sink[MERGE_GAP];
	struct iovec lv[2 * MERGE_MAX], rv[MERGE_MAX];
	uint16_t order[MERGE_MAX];
	size_t nl = 0, nr = 0, total = 0;
	uint64_t end = 0;
	ssize_t r;

	if (n < 2 || n > MERGE_MAX)
		return 0;
	if (p->merge_off) {
		p->merge_off--;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {	/* by address: few ranges */
		size_t at = i;
		uint64_t a = (uint64_t)(uintptr_t)remote[i].iov_base;

		while (at > 0 &&
		       (uint64_t)(uintptr_t)remote[order[at - 1]].iov_base > a) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = (uint16_t)i;
	}
	for (size_t j = 0; j < n; j++) {
		const struct iovec *l = &local[order[j]], *rm = &remote[order[j]];
		uint64_t a = (uint64_t)(uintptr_t)rm->iov_base;

		if (rm->iov_len != l->iov_len || !l->iov_len)
			return 0;
		if (nr && a >= end && a - end <= MERGE_GAP) {
			if (a > end) {
				lv[nl].iov_base = sink;
				lv[nl++].iov_len = (size_t)(a - end);
				total += (size_t)(a - end);
			}
			rv[nr - 1].iov_len += (size_t)(a - end) + rm->iov_len;
		} else {
			/* far, or overlapping the last: a range of its own */
			rv[nr++] = *rm;
		}
		lv[nl++] = *l;
		total += l->iov_len;
		end = a + rm->iov_len;
	}
	if (nr == n)
		return 0;	/* nothing to merge */
	r = process_vm_readv(p->pid, lv, nl, rv, nr, 0);
	p->reads++;
	if (r < 0 || (size_t)r != total) {
		if (r < 0 && errno == ESRCH)
			return 0;	/* (gone: the loop says so) */
		p->merge_off = MERGE_BACKOFF;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		p->read_bytes += local[i].iov_len;
		if (ok)
			ok[i] = 1;
	}
	return 1;
}

enum gs_err proc_readv(struct proc *p, const struct iovec *local,
		       const struct iovec *remote, size_t n, uint8_t *ok)
{
	size_t first = 0, k;

	if (ok)
		memset(ok, 0, n);
	if (p->image)
		return image_readv(p, local, remote, n, ok);
	if (merged_read(p, local, remote, n, ok))
		return GS_OK;
	while (first < n) {
		size_t cnt = n - first > IOV_MAX ? IOV_MAX : n - first;
		ssize_t r = process_vm_readv(p->pid, local + first, cnt,
					     remote + first, cnt, 0);
		size_t got;

		p->reads++;
		if (r < 0 && errno != EFAULT && errno != EINVAL) {
			if (errno == ESRCH)
				return GS_EGONE;
			if (errno == EPERM || errno == EACCES)
				return GS_EPERM;
			if (errno == ENOMEM)
				return GS_ENOMEM;
		}
		got = r > 0 ? (size_t)r : 0;
		for (k = first; k < first + cnt && got >= local[k].iov_len; k++) {
			got -= local[k].iov_len;
			p->read_bytes += local[k].iov_len;
			if (ok)
				ok[k] = 1;
		}
		if (k < first + cnt) {
			/* entry k failed (the kernel stops at the first iovec
			 * it cannot read whole): go on after it */
			p->faults++;
			k++;
		}
		first = k;
	}
	return GS_OK;
}

const struct proc_map *proc_find_map(const struct proc *p,
				     int (*pred)(const char *base, void *arg),
				     void *arg)
{
	for (size_t i = 0; i < p->nmaps; i++) {
		const char *path = p->maps[i].path, *base;

		if (!path)
			continue;
		base = strrchr(path, '/');
		base = base ? base + 1 : path;
		if (pred(base, arg))
			return &p->maps[i];
	}
	return NULL;
}

uint64_t proc_map_base(const struct proc *p, const char *path)
{
	uint64_t base = 0;

	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].path && !strcmp(p->maps[i].path, path) &&
		    (!base || p->maps[i].start - p->maps[i].offset < base))
			base = p->maps[i].start - p->maps[i].offset;
	return base;
}

int proc_open_file(const struct proc *p, const char *path)
{
	char buf[PATH_MAX + 64];
	int fd;

	/* The target's own view first: containers and chroots. */
	snprintf(buf, sizeof(buf), "/proc/%d/root%s", (int)p->pid, path);
	fd = open(buf, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	/* A file deleted or replaced since it was mapped: map_files keeps it. */
	for (size_t i = 0; i < p->nmaps; i++) {
		if (!p->maps[i].path || strcmp(p->maps[i].path, path))
			continue;
		snprintf(buf, sizeof(buf), "/proc/%d/map_files/%llx-%llx",
			 (int)p->pid, (unsigned long long)p->maps[i].start,
			 (unsigned long long)p->maps[i].end);
		fd = open(buf, O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			return fd;
	}
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* --- tasks ------------------------------------------------------------- */

int proc_tasks(pid_t pid, pid_t **tids)
{
	char path[64];
	struct dirent *de;
	int n = 0, alloc = 0;
	pid_t *v = NULL;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		long t = strtol(de->d_name, &end, 10);

		if (*end || t <= 0)
			continue;
		if (n == alloc) {
			alloc = alloc ? alloc * 2 : 32;
			v = xrealloc(v, (size_t)alloc * sizeof(*v));
		}
		v[n++] = (pid_t)t;
	}
	closedir(d);
	*tids = v;
	return n;
}

/* The numbers of the NSpid line of a /proc status file: the first (the
 * id in our pid namespace) in *outer, the last (in the innermost one) in
 * *inner; returns how many there are, 0 when there is no such line. */
static int read_nspid(const char *path, long *outer, long *inner)
{
	char buf[2048], *p, *end;
	ssize_t n = read_small(path, buf, sizeof(buf));
	int k = 0;

	if (n <= 0 || !(p = strstr(buf, "\nNSpid:")))
		return 0;
	p += 7;
	for (;;) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		if (!k++)
			*outer = v;
		*inner = v;
		p = end;
	}
	return k;
}

int proc_pidns_nested(pid_t pid)
{
	char path[64];
	long outer = 0, inner = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	return read_nspid(path, &outer, &inner) > 1;
}

pid_t proc_task_inner(pid_t pid, pid_t tid)
{
	char path[96];
	long outer = 0, inner = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid,
		 (int)tid);
	if (read_nspid(path, &outer, &inner) < 1 || outer != tid)
		return 0;
	return (pid_t)inner;
}

/* A thread churning target can hold many; past this many its tasks are
 * listed without their inner ids (one status read each). */
#define NSPID_READS_MAX 4096

int proc_task_ids(pid_t pid, int nested, struct proc_tid **out)
{
	char path[96];
	pid_t *tids = NULL;
	struct proc_tid *v;
	long outer, inner;
	int n, k = 0;

	*out = NULL;
	n = proc_tasks(pid, &tids);
	if (n <= 0) {
		free(tids);
		return n;
	}
	v = xmalloc((size_t)n * sizeof(*v));
	for (int i = 0; i < n; i++) {
		v[k].host = v[k].inner = tids[i];
		if (nested) {
			v[k].inner = 0;
			snprintf(path, sizeof(path), "/proc/%d/task/%d/status",
				 (int)pid, (int)tids[i]);
			/* a task gone meanwhile has no line: left out */
			if (i >= NSPID_READS_MAX ||
			    read_nspid(path, &outer, &inner) < 2 ||
			    outer != tids[i] || inner <= 0)
				continue;
			v[k].inner = (pid_t)inner;
		}
		k++;
	}
	free(tids);
	*out = v;
	return k;
}
