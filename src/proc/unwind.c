/*
 * unwind.c - native stacks: a brief stop to copy registers and stack, then
 * an unwind from the copy with libunwind's remote API (see proc.h).
 *
 * The accessors given to libunwind answer from the copy: registers from
 * the register set, stack words from the copied slice (an address in the
 * stack mapping beyond the slice is an error, never a live read of a stack
 * that has moved on), and everything else - code, .eh_frame_hdr, .eh_frame
 * - from the files the target maps, which libelf keeps mapped here; only
 * writable memory is read live.  The FDE lookup is the binary search table
 * of .eh_frame_hdr, handed to libunwind's own table search.
 *
 * Files are cached by path for the life of the unwinder; the mappings are
 * re-read (at most once a walk) when an address falls in none of them,
 * e.g. after the target dlopen()s an extension.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include "gilspy/hashmap.h"
#include "gilspy/proc.h"
#include "gilspy/util.h"

/* Code addresses whose function start is remembered, at most (a return
 * address recurs sample after sample; asking libunwind again costs a
 * search, a parse of the FDE and two sigprocmask calls each time). */
#define STARTS_MAX (1u << 20)

/* libunwind's table search, exported but not declared by its headers
 * (perf's unwinder declares it the same way). */
extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as,
					      unw_word_t ip,
					      unw_dyn_info_t *di,
					      unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);


struct unw_file {
	char *path;
	const char *base;		/* into path */
	struct elf_image *elf;		/* NULL: could not be loaded */
	struct elf_image *dbg;		/* its debug file, for names; NULL */
	const uint8_t *bytes;		/* the file, mapped by libelf */
	size_t size;
};

struct unwinder {
	struct proc *p;
	unw_addr_space_t as;
	struct unw_file *files;
	size_t nfiles;
	unsigned generation;		/* maps re-read so many times */
	/* the last read-only file range read (libunwind reads .eh_frame a
	 * word at a time): target [lo, hi) is local bytes + (addr - lo) */
	uint64_t last_lo, last_hi;
	const uint8_t *last_bytes;
	int32_t *map_file;		/* per mapping of p: 1 + its file's
					   index, 0 not looked up yet */
	size_t nmap_file;
	const struct unwind_snap *cur;	/* the copy being unwound */
	int may_refresh;		/* the maps may be re-read (once a walk) */
	size_t used;			/* the walk's: stack bytes read */
	int overran;			/* it wanted more than the copy */
	int needs_regs;			/* a register the copy lacks */
	struct u64map starts;		/* pc -> 1 + (pc - its function's
					   start), 0 when not known */
	int sched_fd;			/* gilspy's /proc/thread-self/schedstat */
	uint64_t run_delay;		/* read from it by unwinder_round() */
};

/* The mapping holding addr (maps are sorted by address), or NULL. */
static const struct proc_map *map_at(const struct proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < p->nmaps && p->maps[lo].start <= addr)
		return &p->maps[lo];
	return NULL;
}

/* As map_at(), re-reading the maps if addr is in none of them, once per
 * walk: a library mapped since (an extension imported after we attached)
 * is then found at once, and a wild address costs one read of the maps. */
static const struct proc_map *map_find(struct unwinder *u, uint64_t addr)
{
	const struct proc_map *m = map_at(u->p, addr);

	if (m)
		return m;
	if (!u->may_refresh)
		return NULL;
	u->may_refresh = 0;
	if (proc_refresh_maps(u->p) != GS_OK)
		return NULL;
	unw_flush_cache(u->as, 0, 0);
	u64map_clear(&u->starts);
	free(u->map_file);
	u->map_file = NULL;
	u->nmap_file = 0;
	u->generation++;
	u->last_hi = 0;
	return map_at(u->p, addr);
}

static struct unw_file *file_for(struct unwinder *u, const char *path)
{
	struct unw_file *f;
	struct gs_error err;

	for (size_t i = 0; i < u->nfiles; i++)
		if (!strcmp(u->files[i].path, path))
			return &u->files[i];
	u->files = xrealloc(u->files, (u->nfiles + 1) * sizeof(*u->files));
	f = &u->files[u->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = xstrdup(path);
	f->base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
	if (elf_load(u->p, path, &f->elf, &err) == GS_OK) {
		f->bytes = elf_file_bytes(f->elf, &f->size);
		/* stripped: the names of static functions may be in a
		 * debug package (libc6-dbg, python3.11-dbg) */
		if (!elf_has_symtab(f->elf))
			f->dbg = elf_load_debug(u->p, f->elf);
	}
	return f;
}

/* The file of mapping m (which has a path), looked up once per mapping. */
static struct unw_file *file_of(struct unwinder *u, const struct proc_map *m)
{
	size_t i = (size_t)(m - u->p->maps);

	if (!u->map_file) {
		u->nmap_file = u->p->nmaps;
		u->map_file = xcalloc(u->nmap_file ? u->nmap_file : 1,
				      sizeof(*u->map_file));
	}
	if (i >= u->nmap_file)
		return file_for(u, m->path);
	if (!u->map_file[i])
		u->map_file[i] = (int32_t)(file_for(u, m->path) - u->files) + 1;
	return &u->files[u->map_file[i] - 1];
}

/* len bytes at addr from the file mapped there; 0 when they are not in a
 * read-only file mapping (or past the file's end). */
static int file_read(struct unwinder *u, uint64_t addr, void *buf, size_t len)
{
	const struct proc_map *m;
	struct unw_file *f;
	uint64_t off;

	if (addr >= u->last_lo && addr + len <= u->last_hi && addr + len > addr) {
		memcpy(buf, u->last_bytes + (addr - u->last_lo), len);
		return 1;
	}
	m = map_find(u, addr);
	if (!m || !m->path || (m->prot & PROT_WRITE) || addr + len > m->end)
		return 0;
	f = file_of(u, m);
	if (!f->bytes)
		return 0;
	off = addr - m->start + m->offset;
	if (off + len > f->size || off + len < off)
		return 0;
	memcpy(buf, f->bytes + off, len);
	/* remember the part of the mapping the file covers */
	u->last_lo = m->start;
	u->last_hi = m->start + (f->size - m->offset < m->end - m->start ?
				 f->size - m->offset : m->end - m->start);
	u->last_bytes = f->bytes + m->offset;
	return 1;
}

/* --- libunwind's accessors ------------------------------------------------ */

static int acc_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val,
		   int write, void *arg)
{
	struct unwinder *u = arg;
	const struct unwind_snap *s = u->cur;

	(void)as;
	if (write)
		return -UNW_EINVAL;
	if (addr >= s->sp && addr + sizeof(*val) <= s->sp + s->len &&
	    addr + sizeof(*val) > addr) {
		memcpy(val, s->stack + (addr - s->sp), sizeof(*val));
		if (addr + sizeof(*val) - s->sp > u->used)
			u->used = addr + sizeof(*val) - s->sp;
		return 0;
	}
	if (addr >= s->stack_lo && addr < s->stack_hi) {
		if (addr >= s->sp)
			u->overran = 1;
		return -UNW_EINVAL;	/* the stack beyond the copy */
	}
	if (file_read(u, addr, val, sizeof(*val)))
		return 0;
	return proc_read(u->p, addr, val, sizeof(*val)) == GS_OK ?
	       0 : -UNW_EINVAL;
}

static int acc_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val,
		   int write, void *arg)
{
	struct unwinder *u = arg;

	(void)as;
	if (write || reg < 0 || reg > UNW_X86_64_RIP)
		return -UNW_EBADREG;
	/* (libunwind asks for a register only when a rule needs its value) */
	if (u->cur->partial && reg != UNW_X86_64_RSP &&
	    reg != UNW_X86_64_RIP) {
		u->needs_regs = 1;
		return -UNW_EBADREG;
	}
	*val = u->cur->regs[reg];
	return 0;
}

static int acc_fpreg(unw_addr_space_t as, unw_regnum_t reg,
		     unw_fpreg_t *val, int write, void *arg)
{
	(void)as; (void)reg; (void)val; (void)write; (void)arg;
	return -UNW_EBADREG;
}

static int acc_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as; (void)c; (void)arg;
	return -UNW_EINVAL;
}

static int acc_dyn_list(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	(void)as; (void)addr; (void)arg;
	return -UNW_ENOINFO;
}

static int acc_proc_name(unw_addr_space_t as, unw_word_t ip, char *buf,
			 size_t len, unw_word_t *off, void *arg)
{
	(void)as; (void)ip; (void)buf; (void)len; (void)off; (void)arg;
	return -UNW_ENOINFO;
}

static void acc_put_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	/* libunwind frees the table-format info it made itself */
	(void)as; (void)pi; (void)arg;
}

/* The FDE of ip through the .eh_frame_hdr search table of its file:
 * version 1, a 4-byte eh_frame pointer, a udata4 count and a table of
 * datarel sdata4 pairs, which is what every linker writes. */
static int acc_find_info(unw_addr_space_t as, unw_word_t ip,
			 unw_proc_info_t *pi, int need, void *arg)
{
	struct unwinder *u = arg;
	const struct proc_map *m = map_find(u, ip);
	struct unw_file *f;
	unw_dyn_info_t di;
	uint64_t hdr, start, end;
	uint8_t h[12];
	uint32_t count;

	if (!m || !m->path || !(m->prot & PROT_EXEC))
		return -UNW_ENOINFO;
	start = m->start;
	end = m->end;
	f = file_of(u, m);
	if (!f->elf || !(hdr = elf_eh_frame_hdr(f->elf, NULL)) ||
	    !file_read(u, hdr, h, sizeof(h)))
		return -UNW_ENOINFO;
	if (h[0] != 1 || (h[1] & 0x0f) != 0x0b || h[2] != 0x03 || h[3] != 0x3b)
		return -UNW_ENOINFO;
	memcpy(&count, h + 8, 4);
	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = start;
	di.end_ip = end;
	di.u.rti.segbase = hdr;
	di.u.rti.table_data = hdr + 12;
	di.u.rti.table_len = count * 8 / sizeof(unw_word_t);
	return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need, arg);
}

static unw_accessors_t accessors = {
	.find_proc_info = acc_find_info,
	.put_unwind_info = acc_put_info,
	.get_dyn_info_list_addr = acc_dyn_list,
	.access_mem = acc_mem,
	.access_reg = acc_reg,
	.access_fpreg = acc_fpreg,
	.resume = acc_resume,
	.get_proc_name = acc_proc_name,
};

/* --- the unwinder ----------------------------------------------------------- */

struct unwinder *unwinder_new(pid_t pid, struct gs_error *err)
{
	struct unwinder *u = xcalloc(1, sizeof(*u));

	u64map_init(&u->starts);
	if (proc_open(pid, &u->p, err) != GS_OK) {
		free(u);
		return NULL;
	}
	u->as = unw_create_addr_space(&accessors, 0);
	if (!u->as) {
		gs_error_set(err, GS_ENOMEM, "libunwind cannot make an "
			     "address space");
		proc_free(u->p);
		free(u);
		return NULL;
	}
	u->sched_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	/* per thread, not global: the global cache blocks signals around
	 * every lookup (two sigprocmask calls), and gilspy unwinds from
	 * one thread.  (Debian's libunwind 1.6 still makes some: strace
	 * counts about 24 a thread a sample once start_of() caches what
	 * unw_get_proc_info() answered, 88 before.) */
	unw_set_caching_policy(u->as, UNW_CACHE_PER_THREAD);
	return u;
}

void unwinder_free(struct unwinder *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nfiles; i++) {
		elf_free(u->files[i].elf);
		elf_free(u->files[i].dbg);
		free(u->files[i].path);
	}
	free(u->files);
	free(u->map_file);
	u64map_release(&u->starts);
	unw_destroy_addr_space(u->as);
	if (u->sched_fd >= 0)
		close(u->sched_fd);
	proc_free(u->p);
	free(u);
}

void unwinder_round(struct unwinder *u)
{
	u->run_delay = proc_run_delay(u->sched_fd);
}

/* Up to want bytes of stack from s->sp into s; the slice ends with the
 * stack's mapping (a partial read stops at the first page that is not
 * mapped, should the maps be stale). */
static void copy_stack(struct unwinder *u, size_t want, struct unwind_snap *s)
{
	const struct proc_map *m = map_at(u->p, s->sp);

	if (!want || want > UNWIND_STACK_MAX)
		want = UNWIND_STACK_MAX;
	if (m && m->end - s->sp < want)
		want = (size_t)(m->end - s->sp);
	s->len = proc_read_partial(u->p, s->sp, s->stack, want);
	s->stack_lo = m ? m->start : s->sp;
	s->stack_hi = m ? m->end : s->sp + s->len;
}

enum gs_err proc_unwind_capture(struct unwinder *u, pid_t tid,
				const struct proc_task *task, size_t want,
				uint64_t spin_ns, struct unwind_snap *s)
{
	struct user_regs_struct r;
	struct iovec io = { &r, sizeof(r) };
	uint64_t t0, asked = now_ns(), out;
	enum gs_err rc;
	int sig, e = 0;

	s->tid = tid;
	s->len = 0;
	/* Between the stop and the detach: two system calls, the registers
	 * and one read of the stack (everything else is before or after). */
	if ((rc = proc_ptrace_stop_timed(tid, spin_ns, u->sched_fd,
					 u->run_delay, &sig, &t0)))
		return rc;
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &io) < 0) {
		e = errno;
		proc_ptrace_detach(tid, sig);
		s->stop_ns = now_ns() - t0;
		return e == ESRCH ? GS_EGONE : GS_EFAULT;
	}
	/* The registers are read once it is off its CPU, so its switch out
	 * into the stop is in its ring by now: the stop's exact start (the
	 * wait before, queued for a CPU to stop on, was no stop).  A record
	 * older than the interrupt is not this stop's. */
	if (task && proc_task_switched_out(task, &out) == 0 && out >= asked &&
	    out <= now_ns())
		t0 = out;
	/* libunwind's numbering (UNW_X86_64_*) */
	s->regs[0] = r.rax; s->regs[1] = r.rdx; s->regs[2] = r.rcx;
	s->regs[3] = r.rbx; s->regs[4] = r.rsi; s->regs[5] = r.rdi;
	s->regs[6] = r.rbp; s->regs[7] = r.rsp;
	s->regs[8] = r.r8; s->regs[9] = r.r9; s->regs[10] = r.r10;
	s->regs[11] = r.r11; s->regs[12] = r.r12; s->regs[13] = r.r13;
	s->regs[14] = r.r14; s->regs[15] = r.r15; s->regs[16] = r.rip;
	s->sp = r.rsp;
	s->partial = 0;
	/* Stopped in a syscall, the kernel has set it up to restart (rax
	 * -ERESTART*): the thread was blocked there, not running. */
	s->in_syscall = (long)r.orig_rax >= 0 && (long)r.rax >= -516 &&
			(long)r.rax <= -512;
	s->syscall = (int)r.orig_rax;
	s->arg0 = r.rdi;
	copy_stack(u, want, s);
	proc_ptrace_detach(tid, sig);
	s->stop_ns = now_ns() - t0;
	return s->len ? GS_OK : GS_EFAULT;
}

int proc_unwind_copy_blocked(struct unwinder *u,
			     const struct proc_task_blocked *b, pid_t tid,
			     size_t want, struct unwind_snap *s)
{
	s->tid = tid;
	memset(s->regs, 0, sizeof(s->regs));
	s->regs[UNW_X86_64_RSP] = b->sp;
	s->regs[UNW_X86_64_RIP] = b->pc;
	s->sp = b->sp;
	s->partial = 1;
	s->stop_ns = 0;
	s->in_syscall = 1;
	s->syscall = b->syscall;
	s->arg0 = b->arg0;
	copy_stack(u, want, s);
	return s->len ? 1 : -1;
}

/* Is ip in code? A frame-pointer guess by libunwind past the end of the
 * unwind info can land anywhere; a pc outside executable mappings ends
 * the walk. */
static int is_code(struct unwinder *u, uint64_t ip)
{
	const struct proc_map *m = map_find(u, ip);

	return m && (m->prot & PROT_EXEC);
}

/* The start of the function ip is in, as its unwind info says; 0 when it
 * has none: then libunwind makes some up, [ip, ip + 1), and steps by
 * guesswork (the caller keeps the frame, not the guess). */
static uint64_t start_of(struct unwinder *u, unw_cursor_t *c, uint64_t ip)
{
	unw_proc_info_t pi;
	uint64_t start = 0;
	uint32_t v;

	if (u64map_get(&u->starts, ip, &v))
		return v ? ip - (v - 1) : 0;
	if (unw_get_proc_info(c, &pi) == 0 && pi.end_ip != pi.start_ip + 1 &&
	    pi.start_ip <= ip && ip - pi.start_ip < UINT32_MAX - 1)
		start = pi.start_ip;
	if (u->starts.len < STARTS_MAX)
		u64map_put(&u->starts, ip,
			   start ? (uint32_t)(ip - start) + 1 : 0);
	return start;
}

int proc_unwind_walk(struct unwinder *u, struct unwind_snap *s,
		     uint64_t *ips, uint64_t *starts, int max, int *truncated)
{
	unw_cursor_t c;
	int n = 0;

	*truncated = 0;
	u->cur = s;
	u->may_refresh = 1;
	u->used = 0;
	u->overran = 0;
	u->needs_regs = 0;
	s->needs_regs = 0;
	if (max <= 0)
		return 0;
	if (unw_init_remote(&c, u->as, u) < 0) {
		starts[n] = 0;
		ips[n++] = s->regs[UNW_X86_64_RIP];
		*truncated = 1;
		return n;
	}
	for (;;) {
		unw_word_t ip;
		int r;

		if (unw_get_reg(&c, UNW_REG_IP, &ip) < 0 || !ip)
			break;
		if (!is_code(u, ip)) {
			*truncated = 1;
			break;
		}
		if (n == max) {
			*truncated = 1;
			break;
		}
		starts[n] = start_of(u, &c, ip);
		ips[n++] = ip;
		if (!starts[n - 1]) {
			*truncated = 1;
			break;
		}
		r = unw_step(&c);
		if (r == 0)
			break;	/* unwind info marks the end (_start, clone3) */
		if (r < 0) {
			*truncated = 1;
			break;
		}
	}
	u->cur = NULL;
	s->used = u->used;
	s->overran = u->overran;
	s->needs_regs = u->needs_regs;
	return n;
}

int unwinder_symbol(struct unwinder *u, uint64_t ip, int call, uint64_t fstart,
		    const char **name, const char **lib, uint64_t *start,
		    uint64_t *vaddr)
{
	uint64_t a = call && ip ? ip - 1 : ip;
	const struct proc_map *m = map_find(u, a);
	struct unw_file *f;

	*name = NULL;
	*lib = NULL;
	*start = fstart && fstart <= a ? fstart : ip;
	*vaddr = *start;
	if (!m || !m->path)
		return -1;
	f = file_of(u, m);
	*lib = f->base;
	if (f->dbg)
		*name = elf_symbol_at(f->dbg, a, start);
	if (f->elf) {
		if (!*name)
			*name = elf_symbol_at(f->elf, a, start);
		*vaddr = *start - elf_bias(f->elf);
	}
	return (int)(f - u->files);
}

unsigned unwinder_generation(const struct unwinder *u)
{
	return u->generation;
}

int unwinder_object(struct unwinder *u, uint64_t addr, struct unwind_object *o)
{
	const struct proc_map *m = map_find(u, addr);
	struct unw_file *f;

	memset(o, 0, sizeof(*o));
	if (!m || !m->path)
		return -1;
	f = file_of(u, m);
	o->path = f->path;
	o->start = m->start;
	o->end = m->end;
	o->offset = m->offset;
	if (f->elf)
		o->build_id = elf_build_id(f->elf, &o->build_id_len);
	return 0;
}
