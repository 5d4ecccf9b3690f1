/*
 * session.c - the session layer shared by record, top and dump (see
 * session.h): options, launch mode, attaching, signals and the sampling
 * loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gilspy/cmd.h"
#include "gilspy/util.h"
#include "gilspy/proc.h"
#include "session.h"
#include "targets.h"

#define ATTACH_TIMEOUT_NS 10000000000ull	/* launch mode: wait for Python */
#define REAP_EVERY_NS 50000000ull		/* look for the command's exit */
#define END_GRACE_POLLS 200			/* x 10 ms: SIGTERM, then SIGKILL */

/* Set by the handlers: the signal that asked us to stop, and "the loop
 * should look up" (the sampler's stop flag: a stop signal or the wake-up
 * timer). */
static volatile sig_atomic_t stop_sig, wake;

/* --- options -------------------------------------------------------------- */

void session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->args.rate = 100;
}

void session_release(struct session *s)
{
	int i;

	for (i = 0; i < s->ntargets; i++)
		target_free(s->targets[i]);
	free(s->targets);
	s->targets = NULL;
	s->ntargets = 0;
	sampler_free(s->pacer);
	s->pacer = NULL;
	proc_tree_free(s->tree);
	s->tree = NULL;
}

int session_option(struct session_args *a, int c, const char *arg)
{
	switch (c) {
	case 'p':
		return cmd_parse_pid(arg, &a->pid) ? -1 : 1;
	case 'r':
		return cmd_parse_double("rate", arg, 0.1, 1000000, &a->rate) ?
		       -1 : 1;
	case SESSION_OPT_BLOCKING:
		a->blocking = 1;
		return 1;
	case SESSION_OPT_NATIVE:
		if (a->native < PYT_NATIVE)
			a->native = PYT_NATIVE;
		return 1;
	case SESSION_OPT_NATIVE_ALL:
		a->native = PYT_NATIVE_ALL;
		return 1;
	case SESSION_OPT_SUBPROCESSES:
		a->subprocesses = 1;
		return 1;
	default:
		return 0;
	}
}

int session_args_done(struct session_args *a, int argc, char **argv,
		      const char *cmd, const char *verb)
{
	if (optind < argc)
		a->command = argv + optind;
	if (a->native && a->blocking) {
		/* both stop threads; --native stops each one only while it
		 * copies its stack, --blocking all of them for the sample */
		cmd_errorf("--native and --blocking cannot be used together; "
			   "drop --blocking");
		return 2;
	}
	if (!a->pid == !a->command) {
		if (a->pid)
			cmd_errorf("give either -p PID or a command, not both");
		else
			cmd_errorf("nothing to %s; give -p PID or -- COMMAND "
				   "(see 'gilspy %s --help')", verb, cmd);
		return 2;
	}
	return 0;
}

void session_command_line(const struct session *s, struct strbuf *sb)
{
	int i;

	for (i = 0; s->args.command && s->args.command[i]; i++)
		sb_addf(sb, "%s%s", i ? " " : "", s->args.command[i]);
}

/* --- signals -------------------------------------------------------------- */

static void on_stop(int sig)
{
	stop_sig = sig;
	wake = 1;
}

static void on_alarm(int sig)
{
	(void)sig;
	wake = 1;
}

void session_signals(int flags)
{
	struct sigaction sa;

	stop_sig = wake = 0;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sa.sa_flags = (flags & SESSION_SIG_RESTART) ? SA_RESTART : 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int session_signal(void)
{
	return stop_sig;
}

void session_wake_every(long period_us)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	it.it_interval.tv_sec = period_us / 1000000;
	it.it_interval.tv_usec = period_us % 1000000;
	it.it_value = it.it_interval;
	setitimer(ITIMER_REAL, &it, NULL);
}

/* --- launch mode ---------------------------------------------------------- */

/* In the child, between fork and exec: set up what flags ask for. */
static void child_setup(int flags)
{
	int fd;

	if (flags & LAUNCH_OWN_PGRP)
		setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	if (flags & (LAUNCH_QUIET | LAUNCH_NULL_STDIN)) {
		fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			if (flags & LAUNCH_QUIET) {
				dup2(fd, STDOUT_FILENO);
				dup2(fd, STDERR_FILENO);
			}
			if (fd > 2)
				close(fd);
		}
	}
	if (flags & LAUNCH_STDOUT_TO_STDERR)
		dup2(STDERR_FILENO, STDOUT_FILENO);
}

int session_launch(struct session *s, int flags)
{
	struct session_child *c = &s->child;
	char **command = s->args.command;
	int pfd[2], err = 0;
	ssize_t n;

	c->pid = 0;
	c->reaped = c->status = 0;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		cmd_errorf("cannot create a pipe: %s", strerror(errno));
		return 1;
	}
	c->pid = fork();
	if (c->pid < 0) {
		c->pid = 0;
		close(pfd[0]);
		close(pfd[1]);
		cmd_errorf("cannot fork: %s", strerror(errno));
		return 1;
	}
	if (c->pid == 0) {
		close(pfd[0]);
		child_setup(flags);
		execvp(command[0], command);
		/* The pipe closes on a successful exec: a read that gets an
		 * errno tells the parent the command could not be run. */
		err = errno;
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == sizeof(err)) {
		waitpid(c->pid, NULL, 0);
		c->pid = 0;
		cmd_errorf("cannot run '%s': %s", command[0], strerror(err));
		return 127;
	}
	s->args.pid = c->pid;
	return 0;
}

int session_reap(struct session *s, int block)
{
	struct session_child *c = &s->child;
	int st;
	pid_t w;

	if (!c->pid || c->reaped)
		return c->reaped;
	for (;;) {
		w = waitpid(c->pid, &st, block ? 0 : WNOHANG);
		if (w >= 0 || errno != EINTR || !block)
			break;
		/* Interrupted while waiting for the command to end: a SIGTERM
		 * meant for us is passed on to it, anything else waited out. */
		if (stop_sig == SIGTERM)
			kill(c->pid, SIGTERM);
		stop_sig = 0;
	}
	if (w != c->pid)
		return 0;
	c->reaped = 1;
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) :
		    WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 1;
	return 1;
}

int session_wait_child(struct session *s)
{
	if (!s->child.pid)
		return 0;
	/* SIGTERM is passed on; Ctrl-C already reached the command through
	 * the terminal's process group. */
	if (!s->child.reaped && stop_sig == SIGTERM)
		kill(s->child.pid, SIGTERM);
	stop_sig = 0;
	session_reap(s, 1);
	return s->child.status;
}

void session_end_child(struct session *s)
{
	int i;

	if (!s->child.pid || session_reap(s, 0))
		return;
	kill(s->child.pid, SIGTERM);
	for (i = 0; i < END_GRACE_POLLS && !session_reap(s, 0); i++)
		usleep(10000);
	if (!s->child.reaped) {
		kill(s->child.pid, SIGKILL);
		session_reap(s, 1);
	}
}

/* --- attaching and sampling ----------------------------------------------- */

/* -s: the root need not be Python (a shell, a launcher), only there and
 * readable; it is tried again as it runs, like any process of the tree. */
static int attach_tree_root(struct session *s)
{
	struct session_target *tg = target_new(s, s->args.pid, 0);
	struct gs_error err = { 0 };
	enum gs_err rc = target_attach(s, tg, &err);

	/* a command launched may be quick to exit: it has its status, and
	 * its children (if any) are still looked for */
	if (rc == GS_EPERM ||
	    ((rc == GS_ENOPROC || rc == GS_EGONE) && !s->child.pid)) {
		cmd_report_error(&err);
		return -1;
	}
	return 0;
}

int session_attach(struct session *s, const struct pyt_options *po)
{
	struct session_child *c = &s->child;
	struct gs_error err = { 0 };
	struct py_target *py = NULL;
	struct pyt_options opt = *po;
	struct session_target *tg;
	uint64_t t0 = now_ns();

	opt.native = s->args.native;
	s->attach_opts = *po;
	if (s->args.subprocesses)
		return attach_tree_root(s);
	for (;;) {
		enum gs_err rc;

		memset(&err, 0, sizeof(err));
		rc = pyt_attach(s->args.pid, &opt, &py, &err);
		if (rc == GS_OK)
			break;
		/* A launched command is not Python until it has exec'd and
		 * loaded the interpreter: keep trying for a while. */
		if (!c->pid || rc == GS_EPERM || stop_sig ||
		    now_ns() - t0 > ATTACH_TIMEOUT_NS) {
			cmd_report_error(&err);
			return -1;
		}
		if (session_reap(s, 0)) {
			cmd_errorf("'%s' exited (status %d) before gilspy could "
				   "attach to it", s->args.command[0], c->status);
			return -1;
		}
		usleep(5000);
	}
	tg = target_new(s, s->args.pid, 0);
	tg->py = py;
	free(tg->cmdline);
	tg->cmdline = xstrdup(pyt_proc(py)->cmdline);
	testhook_attached();
	return 0;
}

/* Each thread of a target keeps a few files open (its /proc files and
 * perf events, src/proc/): with hundreds of threads that passes the usual
 * soft limit of 1024 descriptors, so take what the hard limit allows. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int session_start(struct session *s)
{
	struct sampler_options so = {
		.rate_hz = s->args.rate, .blocking = s->args.blocking,
		.jitter = 1, .seed = s->seed,
	};
	struct gs_error err = { 0 };
	int i;

	raise_fd_limit();
	if (s->args.subprocesses) {
		/* Processes come and go, each with megabytes of read buffers:
		 * glibc's sliding mmap threshold would move them onto the
		 * heap after the first is freed, where what they leave
		 * between the profiles that stay is never given back (peak
		 * RSS 235 kB a child that exited, against 90 kB with this
		 * threshold, measured over 200 short-lived children). */
		mallopt(M_MMAP_THRESHOLD, 64 * 1024);
		if (sampler_new(NULL, &so, &s->pacer, &err) != GS_OK)
			return cmd_report_error(&err);
		s->tree = proc_tree_new(s->args.pid);
		s->events = proc_tree_listen(s->tree) == 0;
	}
	for (i = 0; i < s->ntargets; i++)
		if (s->targets[i]->py &&
		    sampler_new(s->targets[i]->py, &so,
				&s->targets[i]->sampler, &err) != GS_OK)
			return cmd_report_error(&err);
	if (!s->args.subprocesses)
		for (i = 0; i < s->ntargets; i++)
			sampler_prime(s->targets[i]->sampler);
	return 0;
}

uint64_t session_missed(const struct session *s)
{
	uint64_t n = 0;
	int i;

	if (s->pacer)
		return sampler_missed(s->pacer);
	for (i = 0; i < s->ntargets; i++)
		if (s->targets[i]->sampler)
			n += sampler_missed(s->targets[i]->sampler);
	return n;
}

/*
 * Without -s, one target: its sampler paces the loop.  With -s, one pacer
 * ticks for every target (follow_run(), targets.c).
 */
enum session_end session_run(struct session *s, const struct session_hooks *h,
			     void *ctx, struct gs_error *err)
{
	struct session_target *tg = s->targets[0];
	uint64_t now, next_reap = now_ns() + REAP_EVERY_NS;

	if (s->args.subprocesses)
		return follow_run(s, h, ctx, &stop_sig, &wake, err);
	if (!tg->joined) {
		tg->joined = 1;
		if (h->joined)
			h->joined(ctx, tg);
	}

	for (;;) {
		const struct py_sample *smp = NULL;
		uint64_t t = 0;
		double achieved;

		switch (sampler_next(tg->sampler, &wake, &smp, &t, err)) {
		case SAMPLER_SAMPLE:
			if (target_check(tg, smp))
				return SESSION_EXEC;
			h->sample(ctx, tg, smp);
			break;
		case SAMPLER_FAILED:
			if (target_check(tg, NULL))
				return SESSION_EXEC;
			h->failed(ctx, tg, t);
			break;
		case SAMPLER_GONE:
			return SESSION_GONE;
		case SAMPLER_STOPPED:
			wake = 0;
			break;
		case SAMPLER_ERROR:
			return SESSION_ERROR;
		}
		if (stop_sig)
			return SESSION_SIGNAL;
		now = now_ns();
		if (s->child.pid && now >= next_reap) {
			next_reap = now + REAP_EVERY_NS;
			if (session_reap(s, 0))
				return SESSION_GONE;
		}
		if (h->behind && sampler_behind(tg->sampler, &achieved))
			h->behind(ctx, achieved);
		if (h->tick && h->tick(ctx, now))
			return SESSION_DONE;
	}
}
