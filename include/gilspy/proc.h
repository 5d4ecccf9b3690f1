/*
 * proc.h - access to another process: memory, mappings, per-task state,
 * the ELF symbols of the files it has mapped, brief ptrace stops, and its
 * threads' native stacks (unwound from a copy, see unwind.c below).
 *
 * Every read goes through proc_read(), which is the only place where errno
 * from process_vm_readv is turned into a gs_err.  Files of the target are
 * opened through /proc/PID/root (and /proc/PID/map_files as a fallback) so
 * that processes in containers and chroots resolve to their own binaries.
 */
#ifndef GILSPY_PROC_H
#define GILSPY_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "gilspy/error.h"
#include "gilspy/util.h"

struct proc_map {
	uint64_t start, end, offset;
	unsigned int prot;	/* PROT_READ | PROT_WRITE | PROT_EXEC */
	char *path;		/* owned by the proc; NULL for anonymous */
};

/*
 * A memory image in place of the process (src/proc/image.c): when a proc's
 * image is set and not capturing, proc_read()/proc_readv() copy from its
 * ranges (a read not inside one range whole faults) and never touch the
 * process; when capturing, they read the process and append each range
 * read whole to `captured`, in the serialised form proc_image_parse()
 * takes.  For the fuzz harness and its seeds; normal runs leave it NULL.
 */
struct proc_image_range {
	uint64_t addr;
	size_t len;
	const uint8_t *data;	/* borrowed from the parsed buffer */
};

struct proc_image {
	struct proc_image_range *r;
	size_t n;
	int capture;
	struct strbuf captured;
};

#define PROC_IMAGE_CAPTURE_MAX (4u << 20)

/* Ranges from data (u64 address, u32 length, bytes; little-endian, a cut
 * range ends the list); data must outlive the image. */
void proc_image_parse(struct proc_image *im, const uint8_t *data, size_t len);
void proc_image_release(struct proc_image *im);
/* 0 and buf filled, or -1 when no range holds it whole. */
int proc_image_read(const struct proc_image *im, uint64_t addr, void *buf,
		    size_t len);
void proc_image_capture(struct proc_image *im, uint64_t addr,
			const void *buf, size_t len);

struct proc {
	pid_t pid;
	struct proc_map *maps;
	size_t nmaps;
	char *exe;		/* readlink of /proc/PID/exe, owned */
	char comm[32];
	char *cmdline;		/* NUL bytes replaced by spaces, owned */
	uint64_t reads, read_bytes, faults;	/* counters for benchmarks */
	unsigned merge_off;	/* proc_readv(): calls left not merging */
	struct proc_image *image;	/* not owned; NULL: the process */
};

/* Open pid: checks existence and permission, reads maps, exe and cmdline.
 * On failure *out is NULL and err says why (ENOPROC, EPERM, EGONE). */
enum gs_err proc_open(pid_t pid, struct proc **out, struct gs_error *err);
void proc_free(struct proc *p);

/* Re-read /proc/PID/maps (after the target dlopen()s a library: the
 * native unwinder, unwind.c). */
enum gs_err proc_refresh_maps(struct proc *p);

/* Read len bytes at addr.  Returns GS_OK only if all len bytes were read;
 * GS_EFAULT for an unmapped or partial read, GS_EGONE when the process has
 * exited, GS_EPERM when not permitted. */
enum gs_err proc_read(struct proc *p, uint64_t addr, void *buf, size_t len);

/* Read n ranges (remote[i] into local[i], pairwise of equal length) in as
 * few process_vm_readv calls as the kernel allows: it stops at the first
 * range it cannot read whole, so reading goes on after that one.  ok[i]
 * (ok may be NULL) says whether range i was read whole; a failed range
 * counts as a fault.  GS_OK unless the process is gone (GS_EGONE) or may
 * not be read (GS_EPERM, GS_ENOMEM); ok then tells what was read before. */
enum gs_err proc_readv(struct proc *p, const struct iovec *local,
		       const struct iovec *remote, size_t n, uint8_t *ok);

/* Read up to len bytes; returns the count read (0 on error) - for strings
 * that may end near the end of a mapping. */
size_t proc_read_partial(struct proc *p, uint64_t addr, void *buf, size_t len);

/* Is the process still alive (and not a zombie)? */
int proc_alive(pid_t pid);
/* The pid tracing pid (a debugger, strace), 0 when none or unknown. */
pid_t proc_tracer(pid_t pid);

/* The first mapping whose file's base name matches pred(basename). */
const struct proc_map *proc_find_map(const struct proc *p,
				     int (*pred)(const char *base, void *arg),
				     void *arg);

/* Lowest start address of any mapping of path (the load base of that file
 * before the ELF's own first PT_LOAD vaddr is subtracted). */
uint64_t proc_map_base(const struct proc *p, const char *path);

/* Open a file as the target sees it (through /proc/PID/root); returns an fd
 * or -1. */
int proc_open_file(const struct proc *p, const char *path);

/* --- tasks (threads) ---------------------------------------------------- */

/* List the TIDs of the process. *tids is malloc'ed; returns count or -1. */
int proc_tasks(pid_t pid, pid_t **tids);

struct proc_task_state {
	char state;		/* 'R', 'S', 'D', ... from /proc/PID/task/TID/stat */
	int syscall;		/* -1 running, else the syscall number, or -2 unknown */
	uint64_t arg0;		/* first syscall argument when syscall >= 0 */
	uint64_t utime, stime;	/* clock ticks */
	char comm[32];
};

/* Whether pid lives in a pid namespace below ours (unshare --pid, a
 * container seen from the host): its threads then know themselves by
 * other numbers than ours.  0 when not, or when it cannot be told. */
int proc_pidns_nested(pid_t pid);

/* A task by its id in our pid namespace (host: what /proc, ptrace and
 * perf events here take) and in the target's innermost one (inner: what
 * the target itself stores, e.g. CPython's native_thread_id). */
struct proc_tid {
	pid_t host, inner;
};
/* The tasks of pid with both ids; inner is host unless nested (then one
 * status read per task, bounded; tasks gone meanwhile are left out).
 * *out is malloc'ed (NULL when none); returns the count, or -1. */
int proc_task_ids(pid_t pid, int nested, struct proc_tid **out);
/* The inner id of pid's task tid (ours), 0 when it has none (gone). */
pid_t proc_task_inner(pid_t pid, pid_t tid);

/* A task's /proc files, kept open so each sample costs one pread each. */
struct proc_task {
	pid_t pid, tid;		/* as our /proc names them (a target in a
				   pid namespace of its own knows its threads
				   by other numbers: proc_task_ids()); a tid
				   <= 0 is unknown, and every read fails */
	int stat_fd, syscall_fd, schedstat_fd;	/* -1 until first use */
	int clock_fd;		/* its task-clock counter (oncpu.c): -1 until
				   first use, -2 when it cannot be had */
	int ring_fd;		/* its context-switch ring (oncpu.c), same */
	void *ring;		/* the ring's mmap, ring_len bytes */
	size_t ring_len;
	int ring_rec;		/* bytes per record: 16 timed, 8 bare */
	/* CPU time from the ring's timed records (proc_task_ring_cputime):
	 * the ring position read up to, the time run up to there, switches
	 * in, and since when it is on a CPU (on: 1) */
	uint64_t rc_tail, rc_acc, rc_ins, rc_in;
	int rc_on, rc_ok;
};

void proc_task_init(struct proc_task *t, pid_t pid, pid_t tid);
void proc_task_release(struct proc_task *t);

/* The task's state.  with_syscall: from /proc/.../syscall alone (one pread:
 * "running" is state R, otherwise the syscall and its first argument; comm
 * and times are then not filled), falling back to stat when unreadable.
 * Without it: from stat (st->syscall == -2).  GS_EGONE when gone. */
enum gs_err proc_task_read(struct proc_task *t, int with_syscall,
			   struct proc_task_state *st);

/* Where a thread blocked in a system call is: the call, its first
 * argument, and the user stack and instruction pointers it will return
 * to.  The kernel answers only for a task off every CPU during the read. */
struct proc_task_blocked {
	int syscall;
	uint64_t arg0, sp, pc;
};
/* 1 when the task was blocked in a system call during the read (*b filled),
 * 0 when it was not (running, runnable, or stopped outside a call), -1
 * when the file cannot be read.  One pread of /proc/.../syscall. */
int proc_task_blocked(struct proc_task *t, struct proc_task_blocked *b);

/* From /proc/.../schedstat, one pread: CPU time the task has run, in ns
 * (updated by the kernel at context switches and scheduler ticks, so it can
 * lag by a tick for a running task), and how many times it was scheduled
 * onto a CPU. */
enum gs_err proc_task_cputime(struct proc_task *t, uint64_t *ns,
			      uint64_t *switches_in);

/* Is the task on a CPU at this instant (src/proc/oncpu.c)?  1 yes, 0 no
 * (sleeping, or runnable and queued behind other tasks), -1 unknown (no
 * perf events here, or not allowed).  Unlike /proc's state R, which also
 * covers a task waiting in a run queue, this tells running from queued:
 * it reads the task's task-clock counter twice, and reading the counter
 * of a running task brings it up to the present.  Costs two reads of a
 * perf event (an IPI each while the task runs, a few us); the event is
 * opened on first use and kept until proc_task_release(). */
int proc_task_oncpu(struct proc_task *t);

/* A ring of the task's context switches (oncpu.c): after proc_task_watch()
 * succeeds (0; -1 when perf events cannot be had, and then never again),
 * proc_task_switches() tells, with no system call, whether the task has
 * been switched onto or off a CPU since an earlier call (*mark changed:
 * it counts the switches) and whether it is on a CPU now (*on_cpu 1 or 0,
 * -1 before its first switch).  Returns -1 when the task is not watched.
 * The kernel appends to the ring at every switch of the task; it is read
 * only, so it never fills (old records are overwritten). */
int proc_task_watch(struct proc_task *t);
/* Whether more tasks are runnable on this machine than it has CPUs (the
 * caller not counted), from /proc/loadavg kept open in *fd (-1 at first;
 * the caller closes it); 1 when it cannot be read (assume the worst). */
int proc_runqueue_busy(int *fd);
int proc_task_switches(const struct proc_task *t, uint64_t *mark, int *on_cpu);
/* When the task was last switched off a CPU (CLOCK_MONOTONIC, as
 * now_ns()), if that is the ring's last record and records are timed: 0;
 * else -1.  For a task that is stopped, the start of its stop. */
int proc_task_switched_out(const struct proc_task *t, uint64_t *ns);
/* 1 when the ring's last record says the task was switched out while
 * runnable (preempted: it stays runnable, queued for a CPU, until it runs
 * again), else 0. */
int proc_task_preempted(const struct proc_task *t);
/* The task's CPU time up to now (now_ns()) and its switches in, as
 * proc_task_cputime() gives them, from the ring's timed records with no
 * system call: each record is a switch in or out with its time, so the
 * time run is the sum of the spans between.  The sum starts from one
 * schedstat read (at the first call, and again whenever records were
 * overwritten before they were summed: the ring holds 256), so the two
 * can be compared.  0, or -1 when the ring has no timed records yet (the
 * caller reads schedstat).  Exact where schedstat lags by up to a tick. */
int proc_task_ring_cputime(struct proc_task *t, uint64_t now,
			   uint64_t *ns, uint64_t *switches_in);

/* --- ELF ---------------------------------------------------------------- */

struct elf_image;	/* symbols and sections of one mapped file */

/* Load the ELF file mapped at path in p and compute its load bias. */
enum gs_err elf_load(const struct proc *p, const char *path,
		     struct elf_image **out, struct gs_error *err);
void elf_free(struct elf_image *e);

/* The separate debug file of e (/usr/lib/debug/.build-id/, else
 * .gnu_debuglink next to the file, in its .debug/ or under /usr/lib/debug,
 * checked by CRC), loaded with e's bias so its .symtab names e's code; NULL
 * when there is none with a .symtab. */
struct elf_image *elf_load_debug(const struct proc *p,
				 const struct elf_image *e);

/* Address in the target of a symbol (.dynsym first, then .symtab); 0 if
 * absent.  size (may be NULL) receives st_size. */
uint64_t elf_symbol(const struct elf_image *e, const char *name, uint64_t *size);

/* Address and size in the target of a section, 0 if absent. */
uint64_t elf_section(const struct elf_image *e, const char *name, uint64_t *size);

/* The file's GNU build id (the bytes of its .note.gnu.build-id, owned by
 * the image), *len of them; NULL when it has none. */
const uint8_t *elf_build_id(const struct elf_image *e, size_t *len);

/* Does the file have a .symtab (i.e. is it not stripped)? */
int elf_has_symtab(const struct elf_image *e);
const char *elf_path(const struct elf_image *e);
uint64_t elf_bias(const struct elf_image *e);

/* The function symbol (.dynsym or .symtab) whose [start, start + size)
 * holds addr, a target address; NULL when none does (a stripped static
 * function).  *start (may be NULL) receives its address in the target.
 * The name is owned by the image.  Sorts the tables on first use. */
const char *elf_symbol_at(struct elf_image *e, uint64_t addr, uint64_t *start);
/* Target address of .eh_frame_hdr (PT_GNU_EH_FRAME), 0 if none. */
uint64_t elf_eh_frame_hdr(const struct elf_image *e, uint64_t *size);
/* The whole file as mapped by libelf (owned by the image), NULL if not. */
const uint8_t *elf_file_bytes(const struct elf_image *e, size_t *size);

/* --- ptrace stops (src/proc/ptrace.c) ------------------------------------ */

/* Stop one thread with PTRACE_SEIZE + PTRACE_INTERRUPT and wait until it
 * is stopped.  GS_OK: stopped; *sig is a signal that arrived meanwhile, to
 * be delivered by proc_ptrace_detach().  GS_EGONE: the thread exited
 * (nothing is left attached).  GS_EPERM: ptrace refused; errno says why.
 * A seize-based stop is undone by the kernel if gilspy dies, so the target
 * is never left stopped. */
enum gs_err proc_ptrace_stop(pid_t tid, int *sig);
/* As proc_ptrace_stop(), polling for the stop for up to spin_ns (in
 * nanoseconds; a running thread stops within a few microseconds) before
 * blocking for it.  *since_ns (may be NULL): now_ns() of when the stop
 * can have begun: the last poll that found the thread running, or after a
 * long blocking wait, gilspy's run delay since rd (proc_run_delay(sched_fd)
 * read before, sched_fd the calling thread's open
 * /proc/thread-self/schedstat) plus 100 us for its wake-up before the end
 * of the wait, the rest of which the thread spent getting a CPU to stop on
 * (sched_fd -1 or rd 0: the wait counts whole). */
enum gs_err proc_ptrace_stop_timed(pid_t tid, uint64_t spin_ns, int sched_fd,
				   uint64_t rd, int *sig, uint64_t *since_ns);
/* How long the thread whose schedstat fd is open has waited for a CPU, in
 * ns (its run delay); 0 when unreadable. */
uint64_t proc_run_delay(int fd);
/* Let a thread stopped by proc_ptrace_stop() run on, delivering sig (0 for
 * none). */
void proc_ptrace_detach(pid_t tid, int sig);

/* While threads of the target are being stopped, gilspy runs before any
 * ordinary task: woken by a thread's stop, it takes a CPU at once, and is
 * not preempted before it lets the thread go, where otherwise the thread
 * could stay stopped for a scheduler tick or more behind other work.  The
 * caller saves its policy once (proc_sched_save: 0, or -1 when it cannot
 * be read or is real-time already, then leave it be), then around each
 * round of stops calls proc_sched_boost() (SCHED_FIFO at the lowest
 * priority, not inherited by children: 0, or -1 refused without
 * CAP_SYS_NICE; the stops are then longer now and then, never unsafe) and
 * proc_sched_restore().  gilspy sleeps while it waits for a stop, so this
 * takes no CPU from anyone for longer than the copies take. */
struct proc_sched {
	uint32_t policy, priority;
	int32_t nice;
	uint64_t flags;
};
int proc_sched_save(struct proc_sched *s);
int proc_sched_boost(void);
void proc_sched_restore(const struct proc_sched *s);

/* --- native stacks (src/proc/unwind.c) ----------------------------------- */

/*
 * A thread's native stack is taken in two steps so that it is stopped only
 * briefly: proc_unwind_capture() stops it (the seize-based stop above),
 * copies its registers and up to UNWIND_STACK_MAX bytes of stack from SP,
 * and lets it run on; proc_unwind_walk() then unwinds from that copy with
 * libunwind's remote API, reading code and unwind tables from the files the
 * target maps (cached per file).  Nothing of the target is written.
 *
 * A thread blocked in a system call need not be stopped at all: the kernel
 * tells its stack and instruction pointers (proc_task_blocked()), and
 * while it stays blocked its stack stays.  proc_unwind_copy_blocked()
 * copies such a thread; the caller checks that it was not switched in
 * meanwhile.  Only those two registers are known then: a walk that needs
 * another one before the stack has given it (a caller whose frame is
 * addressed from RBP, where no frame below saved RBP) stops there and says
 * so (needs_regs), and the thread is to be stopped instead.
 */
#define UNWIND_STACK_MAX (128 * 1024)
#define UNWIND_MAX_FRAMES 256
#define UNWIND_RIP 16		/* its index in unwind_snap.regs */

struct unwind_snap {
	pid_t tid;
	uint64_t regs[17];	/* libunwind's x86-64 numbering: rax .. r15, rip */
	uint64_t sp;		/* where stack[] starts in the target */
	size_t len;		/* bytes of stack[] copied */
	uint64_t stack_lo, stack_hi;	/* the mapping SP lies in */
	uint64_t stop_ns;	/* how long the thread was stopped */
	size_t used;		/* proc_unwind_walk(): bytes of stack[] it read */
	int overran;		/* it wanted stack beyond the copy */
	int partial;		/* only RSP and RIP are known (not stopped) */
	int needs_regs;		/* proc_unwind_walk() of a partial copy wanted
				   another register: it stopped there */
	int in_syscall;		/* it was blocked in syscall number syscall,
				   first argument arg0 (else running) */
	int syscall;
	uint64_t arg0;
	uint8_t stack[UNWIND_STACK_MAX];
};

struct unwinder;

/* An unwinder for process pid, with its own view of the mappings (it
 * re-reads them when a stack leads to code mapped since).  NULL, with err
 * filled, when the process cannot be opened or libunwind fails. */
struct unwinder *unwinder_new(pid_t pid, struct gs_error *err);
void unwinder_free(struct unwinder *u);	/* NULL is a no-op */

/* Stop task (tid, when task is NULL), copy its registers and up to want
 * bytes of stack (at most UNWIND_STACK_MAX) into s, resume it; spin_ns as
 * for proc_ptrace_stop_timed() (a thread likely running: poll for its
 * stop).  s->stop_ns runs from the start of the stop to the end of the
 * detach: the start is when the task's switch ring saw it leave its CPU
 * for the stop, else as proc_ptrace_stop_timed() bounds it.  GS_OK; GS_EGONE (thread gone),
 * GS_EPERM (ptrace refused: errno says why), GS_EFAULT (registers or stack
 * unreadable; the thread runs on). */
enum gs_err proc_unwind_capture(struct unwinder *u, pid_t tid,
				const struct proc_task *task, size_t want,
				uint64_t spin_ns, struct unwind_snap *s);
/* Copy thread tid, found blocked in a system call as b says, into s as
 * proc_unwind_capture() does, without stopping it: 1 copied (partial,
 * stop_ns 0), -1 the stack unreadable.  The copy stands only if the thread
 * was not switched onto a CPU from before b was read until after this call
 * (the caller's check: proc_task_switches() or schedstat's count). */
int proc_unwind_copy_blocked(struct unwinder *u,
			     const struct proc_task_blocked *b, pid_t tid,
			     size_t want, struct unwind_snap *s);
/* Call before each round of captures: the stops are timed against
 * gilspy's run delay read here (one read a round, not one a stop). */
void unwinder_round(struct unwinder *u);

/* Unwind s: up to max return addresses, innermost first, into ips (the
 * first is the current pc), and the start of the function each is in as
 * its unwind info says (0 when unknown) into starts.  *truncated: the walk
 * stopped before the outermost frame (no unwind info, the copied slice
 * ended, the bound). */
int proc_unwind_walk(struct unwinder *u, struct unwind_snap *s,
		     uint64_t *ips, uint64_t *starts, int max, int *truncated);

/* What code is at ip: *name the function symbol (NULL when stripped),
 * *lib the base name of the file mapped there (NULL when none); both owned
 * by the unwinder.  *start: the function's address (the symbol's, else
 * fstart, the unwind info's, else ip); *vaddr: that address as the file
 * numbers it (the same whatever the load address).  call: ip is a return
 * address (looked up at ip - 1).  Returns the file's index among the
 * unwinder's files (stable), or -1 when ip is in no file. */
int unwinder_symbol(struct unwinder *u, uint64_t ip, int call, uint64_t fstart,
		    const char **name, const char **lib, uint64_t *start,
		    uint64_t *vaddr);
/* Changes whenever the unwinder re-read the mappings (what an address
 * names may have changed: caches of unwinder_symbol() go stale). */
unsigned unwinder_generation(const struct unwinder *u);

/* The file mapping that holds a code address, for pprof's mappings: the
 * path as the target maps it, the mapping's bounds and file offset, and
 * the file's build id (NULL when none); path and build_id are owned by
 * the unwinder and live as long as it does. */
struct unwind_object {
	const char *path;
	uint64_t start, end, offset;
	const uint8_t *build_id;
	size_t build_id_len;
};
/* 0 and *o filled, or -1 when addr is in no file mapping. */
int unwinder_object(struct unwinder *u, uint64_t addr, struct unwind_object *o);

/* --- process trees (tree.c) ----------------------------------------------
 *
 * The descendants of a root process, found by listing /proc: children,
 * their children, and so on, including those handed to init when their
 * parent exited after they were found.  No process is stopped or touched. */
struct proc_tree;

struct proc_tree *proc_tree_new(pid_t root);
void proc_tree_free(struct proc_tree *t);	/* NULL is a no-op */
/* List /proc; *added (the caller frees it) receives the pids of the tree,
 * the root included, not handed out by an earlier scan.  0, or -1 when
 * /proc cannot be listed. */
int proc_tree_scan(struct proc_tree *t, pid_t **added, size_t *nadded);
/* The parent of pid as read when it was first listed (0: unknown). */
pid_t proc_tree_parent(const struct proc_tree *t, pid_t pid);
/* Subscribe to the kernel's process events (fork), for new children as
 * soon as they are born rather than at the next scan.  0, or -1 when the
 * kernel will not (no CAP_NET_ADMIN, another network namespace): then
 * only scans find them. */
int proc_tree_listen(struct proc_tree *t);
/* Read the events that came (after a first scan): *added (the caller
 * frees it) receives the children of the tree born since, each handed out
 * once (a later scan will not hand it out again).  0, or -1 when not
 * listening. */
int proc_tree_poll(struct proc_tree *t, pid_t **added, size_t *nadded);
/* 1 once when events were dropped since the last call (the socket
 * overflowed): scan now. */
int proc_tree_lost(struct proc_tree *t);
/* Births read from the events (of any process on the machine), and how
 * often the socket overflowed. */
void proc_tree_counts(const struct proc_tree *t, uint64_t *births,
		      uint64_t *overflows);

#endif
