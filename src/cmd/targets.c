/*
 * targets.c - targets of a session, and the -s loop over a process tree
 * (targets.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gilspy/cmd.h"
#include "gilspy/proc.h"
#include "gilspy/util.h"
#include "targets.h"

/* How often -s lists /proc for new processes: a child is sampled within
 * about this much (plus its attach) of its birth, at any rate.  With the
 * kernel's process events a child is found at the first tick after its
 * birth, and the listing is only a safety net. */
#define SCAN_EVERY_NS 10000000ull
#define SCAN_EVENTS_EVERY_NS 250000000ull
/* How often processes not Python yet are looked at (exited? exec'd?) */
#define WAITING_EVERY_NS 10000000ull
/* A process not Python yet is tried again after 5 ms, then less and less
 * often, up to once a second (an exec resets it). */
#define RETRY_FIRST_NS 5000000ull
#define RETRY_MAX_NS 1000000000ull
#define ROOT_WAIT_NS 10000000000ull
#define REAP_EVERY_NS 50000000ull

/* State and start of stack (fields 3 and 28 of /proc/PID/stat); -1 when
 * it cannot be read. */
static int read_stat(struct session_target *tg, char *state,
		     uint64_t *start_stack)
{
	char buf[1024], *p;
	ssize_t n;
	int field;

	if (tg->stat_fd < 0)
		return -1;
	n = pread(tg->stat_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strrchr(buf, ')');	/* the command name may hold anything */
	if (!p || p[1] != ' ')
		return -1;
	*state = p[2];
	for (field = 3, p += 2; field < 28 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -1;
	*start_stack = strtoull(p, NULL, 10);
	return 0;
}

/* /proc/PID/cmdline with its NULs as spaces, at most 4 kB; NULL when it
 * cannot be read (or is empty: a kernel thread, a zombie). */
static char *read_cmdline(pid_t pid)
{
	char path[48], buf[4096];
	ssize_t n, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	while (n > 0 && buf[n - 1] == 0)
		n--;
	for (i = 0; i < n; i++)
		if (buf[i] == 0 || buf[i] == '\n' || buf[i] == '\t')
			buf[i] = ' ';
	buf[n] = 0;
	return xstrdup(buf);
}

struct session_target *target_new(struct session *s, pid_t pid, pid_t ppid)
{
	struct session_target *tg = xcalloc(1, sizeof(*tg));
	char path[64], state;

	tg->pid = pid;
	tg->ppid = ppid;
	/* the main thread's stat, not the process's: the kernel sums the
	 * CPU times of every thread for the latter (50 us with 500 threads),
	 * and the state and stack start asked for are the same (a stop
	 * stops every thread; the stack belongs to the memory map) */
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
		 (int)pid);
	tg->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (read_stat(tg, &state, &tg->start_stack) && tg->stat_fd >= 0) {
		close(tg->stat_fd);
		tg->stat_fd = -1;
	}
	tg->cmdline = read_cmdline(pid);
	tg->found_ns = now_ns();
	s->targets = xrealloc(s->targets, (size_t)(s->ntargets + 1) *
			      sizeof(*s->targets));
	s->targets[s->ntargets++] = tg;
	return tg;
}

void target_free(struct session_target *tg)
{
	if (!tg)
		return;
	sampler_free(tg->sampler);
	pyt_free(tg->py);
	if (tg->stat_fd >= 0)
		close(tg->stat_fd);
	free(tg->exec_path);
	free(tg->cmdline);
	free(tg->skip);
	free(tg);
}

static void set_skip(struct session_target *tg, const char *why)
{
	free(tg->skip);
	tg->skip = xstrdup(why);
}

static uint64_t retry_delay(int tries)
{
	uint64_t d = RETRY_FIRST_NS;

	while (--tries > 0 && d < RETRY_MAX_NS)
		d *= 2;
	return d < RETRY_MAX_NS ? d : RETRY_MAX_NS;
}

enum gs_err target_attach(struct session *s, struct session_target *tg,
			  struct gs_error *err)
{
	struct pyt_options opt = s->attach_opts;
	struct py_target *py = NULL;
	uint64_t t0 = now_ns(), before = 0, after = 0;
	char state;
	enum gs_err rc;
	int have_before;

	opt.native = s->args.native;
	tg->tries++;
	/* where its stack starts, before and after: a child forked to exec
	 * another program may exec while it is read, and what was read
	 * then is neither program (its samples would all fail, and no
	 * later exec would be seen) */
	have_before = !read_stat(tg, &state, &before);
	rc = pyt_attach(tg->pid, &opt, &py, err);
	s->attaches++;
	s->attach_ns += now_ns() - t0;
	if (rc == GS_OK && have_before &&
	    (read_stat(tg, &state, &after) || after != before)) {
		pyt_free(py);
		py = NULL;
		rc = gs_error_set(err, GS_EBADDATA, "it exec'd while it was "
				  "read");
	}
	if (rc == GS_OK && s->pacer) {
		struct sampler_options so = {
			.rate_hz = s->args.rate, .blocking = s->args.blocking,
			.jitter = 1, .seed = s->seed,
		};

		rc = sampler_new(py, &so, &tg->sampler, err);
		if (rc != GS_OK) {
			pyt_free(py);
			py = NULL;
		}
	}
	if (rc == GS_OK) {
		tg->py = py;
		free(tg->skip);
		tg->skip = NULL;
		/* the program read is the one sampled from now on */
		if (have_before)
			tg->start_stack = before;
		else
			read_stat(tg, &state, &tg->start_stack);
		free(tg->cmdline);
		tg->cmdline = xstrdup(pyt_proc(py)->cmdline);
		testhook_attached();
		return GS_OK;
	}
	if (rc == GS_ENOTPY) {
		/* the attach message speaks to a user who gave -p */
		char link[64], exe[1024], why[1100];
		ssize_t n;

		snprintf(link, sizeof(link), "/proc/%d/exe", (int)tg->pid);
		n = readlink(link, exe, sizeof(exe) - 1);
		exe[n > 0 ? n : 0] = 0;
		snprintf(why, sizeof(why), "not Python (runs %s)",
			 n > 0 ? exe : "?");
		set_skip(tg, why);
	} else {
		set_skip(tg, err->msg[0] ? err->msg : gs_strerror(rc));
	}
	switch (rc) {
	case GS_ENOPROC:
	case GS_EGONE:
		if (!proc_alive(tg->pid)) {
			set_skip(tg, "exited before it could be read");
			tg->left = 1;
			break;
		}
		/* a read that failed as if it had gone, while it has
		 * not: try again soon, then less and less often */
		tg->next_try_ns = now_ns() + retry_delay(tg->tries);
		break;
	case GS_EPERM:
	case GS_EVERSION:
	case GS_ENOGIL:
		/* not until it runs another program */
		tg->next_try_ns = UINT64_MAX;
		break;
	default:
		/* not Python, or not Python yet: an interpreter that has just
		 * been exec'd needs a moment before its runtime is there */
		tg->next_try_ns = now_ns() + retry_delay(tg->tries);
		/* the command launched is awaited closely at first, as
		 * without -s: its children may come soon after it starts */
		if (!tg->ppid && now_ns() - tg->found_ns < ROOT_WAIT_NS)
			tg->next_try_ns = now_ns() + RETRY_FIRST_NS;
		break;
	}
	return rc;
}

/* The thread states of a sample, folded in order: a thread born or gone,
 * or an interpreter that is not the one read before, changes it. */
static uint64_t threads_sig(const struct py_sample *smp)
{
	uint64_t h = (uint64_t)smp->nthreads + 1;

	for (int i = 0; i < smp->nthreads; i++)
		h = (h ^ smp->threads[i].tstate) * 0x100000001b3ull;
	return h;
}

/* An exec gives the process a new stack (and most often a new
 * executable), so a moved stack start means the program attached to is
 * gone. */
int target_check(struct session_target *tg, const struct py_sample *smp)
{
	uint64_t start_stack, now = now_ns(), sig = smp ? threads_sig(smp) : 0;
	char state, link[64], exe[4096];
	int was_running = tg->was_running;
	ssize_t n;

	tg->was_running = smp && smp->running;
	if (smp && sig == tg->checked_sig && tg->checked_ns) {
		uint64_t age = now - tg->checked_ns;

		if (smp->running && age < TARGET_RUNNING_CHECK_NS) {
			tg->stopped = 0;	/* a thread ran just now */
			return 0;
		}
		/* (no thread running after one ran: checked at once) */
		if (!smp->running && !was_running && age < TARGET_CHECK_NS)
			return 0;
	}
	tg->checked_ns = now;
	tg->checked_sig = sig;
	if (read_stat(tg, &state, &start_stack))
		return 0;
	tg->stopped = state == 'T';
	/* an exiting process (a zombie) shows no stack: it has not exec'd */
	if (start_stack == tg->start_stack || !start_stack || state == 'Z' ||
	    state == 'X')
		return 0;
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)tg->pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	if (n < 0)
		n = 0;
	exe[n] = 0;
	free(tg->exec_path);
	tg->exec_path = xstrdup(n ? exe : "?");
	return 1;
}

void target_leave(struct session_target *tg, const struct session_hooks *h,
		  void *ctx)
{
	if (tg->left)
		return;
	tg->left = 1;
	if (tg->joined && h->left)
		h->left(ctx, tg);
	sampler_free(tg->sampler);
	tg->sampler = NULL;
	pyt_free(tg->py);
	tg->py = NULL;
	if (tg->stat_fd >= 0) {
		close(tg->stat_fd);
		tg->stat_fd = -1;
	}
}

/* --- the -s loop ----------------------------------------------------------- */

/* Whether pid is a target already (an exec'd one comes back through
 * reborn(), never through a scan). */
static int known(struct session *s, pid_t pid)
{
	int i;

	for (i = 0; i < s->ntargets; i++)
		if (s->targets[i]->pid == pid)
			return 1;
	return 0;
}

static void join(struct session_target *tg, const struct session_hooks *h,
		 void *ctx)
{
	if (tg->py && !tg->joined) {
		tg->joined = 1;
		if (h->joined)
			h->joined(ctx, tg);
	}
}

/* A process not (yet) Python: gone, exec'd (try at once), or due for
 * another try. */
static void poll_waiting(struct session *s, struct session_target *tg,
			 const struct session_hooks *h, void *ctx,
			 uint64_t now)
{
	struct gs_error err = { 0 };
	uint64_t start_stack;
	char state;

	if (read_stat(tg, &state, &start_stack) || state == 'Z' ||
	    state == 'X') {
		tg->left = 1;
		if (tg->stat_fd >= 0) {
			close(tg->stat_fd);
			tg->stat_fd = -1;
		}
		return;
	}
	if (start_stack != tg->start_stack) {
		tg->start_stack = start_stack;
		tg->tries = 0;
		tg->next_try_ns = now;
		free(tg->cmdline);
		tg->cmdline = read_cmdline(tg->pid);
	}
	if (now < tg->next_try_ns)
		return;
	if (target_attach(s, tg, &err) == GS_OK)
		join(tg, h, ctx);
}

static void sample_target(struct session *s, struct session_target *tg,
			  const struct session_hooks *h, void *ctx,
			  struct gs_error *err);

/* Take in the pids found: attach, announce, and sample each one that is
 * Python at once (a short-lived child may not see another tick). */
static void take_new(struct session *s, const struct session_hooks *h,
		     void *ctx, const pid_t *added, size_t nadded,
		     struct gs_error *err)
{
	size_t k;

	for (k = 0; k < nadded; k++) {
		struct session_target *tg;
		struct gs_error aerr = { 0 };

		/* gilspy run from the shell it follows is in that tree */
		if (known(s, added[k]) || added[k] == getpid())
			continue;
		tg = target_new(s, added[k],
				proc_tree_parent(s->tree, added[k]));
		if (target_attach(s, tg, &aerr) == GS_OK) {
			join(tg, h, ctx);
			sample_target(s, tg, h, ctx, err);
		}
	}
}

int targets_scan_once(struct session *s)
{
	struct proc_tree *tree = proc_tree_new(s->args.pid);
	pid_t *added = NULL;
	size_t nadded = 0, k;
	int ret = -1;

	if (proc_tree_scan(tree, &added, &nadded))
		goto out;
	for (k = 0; k < nadded; k++) {
		struct session_target *tg;
		struct gs_error err = { 0 };

		/* dump run from a shell it is asked about is in its tree */
		if (known(s, added[k]) || added[k] == getpid())
			continue;
		tg = target_new(s, added[k], proc_tree_parent(tree, added[k]));
		target_attach(s, tg, &err);
	}
	ret = 0;
out:
	free(added);
	proc_tree_free(tree);
	return ret;
}

/* New processes: from the kernel's events every tick, from a listing of
 * /proc every SCAN period (or at once when events were lost); and the
 * processes not Python yet, every WAITING period. */
static void discover(struct session *s, const struct session_hooks *h,
		     void *ctx, uint64_t now, struct gs_error *err)
{
	pid_t *added = NULL;
	size_t nadded = 0;
	int i, n, listening;

	/* the listing first: events are only read once there is one (the
	 * first tells which processes make the tree); those that came
	 * before it are read after it */
	listening = s->events;
	if (now >= s->next_scan_ns || (listening && proc_tree_lost(s->tree))) {
		s->next_scan_ns = now + (listening ? SCAN_EVENTS_EVERY_NS :
					 SCAN_EVERY_NS);
		s->scans++;
		if (proc_tree_scan(s->tree, &added, &nadded) == 0)
			take_new(s, h, ctx, added, nadded, err);
		free(added);
		added = NULL;
		nadded = 0;
	}
	if (listening && proc_tree_poll(s->tree, &added, &nadded) == 0)
		take_new(s, h, ctx, added, nadded, err);
	free(added);
	if (now < s->next_waiting_ns)
		return;
	s->next_waiting_ns = now + WAITING_EVERY_NS;
	n = s->ntargets;
	for (i = 0; i < n; i++) {
		struct session_target *tg = s->targets[i];

		if (!tg->left && !tg->py)
			poll_waiting(s, tg, h, ctx, now);
	}
}

/* The target exec'd: it leaves, and the same pid comes back as a new
 * target, to be read as whatever it now runs. */
static void reborn(struct session *s, struct session_target *tg,
		   const struct session_hooks *h, void *ctx)
{
	struct session_target *nt;
	struct gs_error err = { 0 };
	pid_t pid = tg->pid, ppid = tg->ppid;

	target_leave(tg, h, ctx);
	nt = target_new(s, pid, ppid);
	if (target_attach(s, nt, &err) == GS_OK)
		join(nt, h, ctx);
}

static int any_alive(const struct session *s)
{
	int i;

	for (i = 0; i < s->ntargets; i++)
		if (!s->targets[i]->left)
			return 1;
	return 0;
}

/* One sample of tg, to the hooks; an exec or an exit makes it leave. */
static void sample_target(struct session *s, struct session_target *tg,
			  const struct session_hooks *h, void *ctx,
			  struct gs_error *err)
{
	const struct py_sample *smp = NULL;
	uint64_t t = 0;

	switch (sampler_take(tg->sampler, &smp, &t, err)) {
	case SAMPLER_SAMPLE:
		if (target_check(tg, smp)) {
			reborn(s, tg, h, ctx);
			break;
		}
		if (!tg->first_ns)
			tg->first_ns = t;
		h->sample(ctx, tg, smp);
		break;
	case SAMPLER_FAILED:
		if (target_check(tg, NULL)) {
			reborn(s, tg, h, ctx);
			break;
		}
		h->failed(ctx, tg, t);
		break;
	case SAMPLER_GONE:
		target_leave(tg, h, ctx);
		break;
	case SAMPLER_STOPPED:
		break;
	case SAMPLER_ERROR:
		/* a ptrace stop failed (--blocking): this process is left
		 * alone, the others go on */
		set_skip(tg, err->msg[0] ? err->msg : "a ptrace stop failed");
		memset(err, 0, sizeof(*err));
		target_leave(tg, h, ctx);
		break;
	}
}

enum session_end follow_run(struct session *s, const struct session_hooks *h,
			    void *ctx, volatile sig_atomic_t *stop,
			    volatile sig_atomic_t *wake, struct gs_error *err)
{
	uint64_t now = now_ns(), next_reap = now + REAP_EVERY_NS;
	int i;

	for (i = 0; i < s->ntargets; i++)
		join(s->targets[i], h, ctx);
	s->next_scan_ns = s->next_waiting_ns = now;
	for (;;) {
		double achieved;
		int n;

		if (sampler_pace(s->pacer, wake)) {
			*wake = 0;
		} else {
			n = s->ntargets;
			for (i = 0; i < n; i++)
				if (!s->targets[i]->left &&
				    s->targets[i]->sampler)
					sample_target(s, s->targets[i], h,
						      ctx, err);
		}
		if (*stop)
			return SESSION_SIGNAL;
		now = now_ns();
		discover(s, h, ctx, now, err);
		if (s->child.pid && now >= next_reap) {
			next_reap = now + REAP_EVERY_NS;
			session_reap(s, 0);
		}
		if (!any_alive(s) && (!s->child.pid || s->child.reaped))
			return SESSION_GONE;
		if (h->behind && sampler_behind(s->pacer, &achieved))
			h->behind(ctx, achieved);
		if (h->tick && h->tick(ctx, now))
			return SESSION_DONE;
	}
}
