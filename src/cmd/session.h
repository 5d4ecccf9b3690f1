/*
 * session.h - what `record`, `top` and `dump` share (internal to src/cmd/):
 * the options that say what to sample (-p PID or -- COMMAND, -r, --blocking),
 * launching a command and attaching to it once it has become Python, the
 * signals that end a run, and the sampling loop, which hands each sample to
 * the subcommand's callbacks.  Each subcommand keeps only its own options
 * and what it does with a sample.
 *
 * A session holds an array of targets, each with its own interpreter and
 * sampler.  Without -s it has exactly one (the process given with -p, or
 * the command launched).  With -s (--subprocesses) every descendant of
 * that process joins as it is found (src/proc/tree.c lists them): one
 * pacer ticks for all, and on each tick every live Python target is
 * sampled in turn.  A descendant that is not Python stays in the array,
 * unsampled, so that its exec into Python is seen; one that exits or
 * execs leaves (its interpreter is freed; an exec'd one comes back as a
 * new target).  Each target that joins and leaves is announced to the
 * subcommand (session_hooks.joined/left); targets that could not be
 * sampled keep why (session_target.skip).
 *
 * Usage:
 *   session_init(); session_option() on each getopt result (the long
 *   options are SESSION_LONGOPTS, the short ones SESSION_SHORTOPTS);
 *   session_args_done();
 *   session_signals() (not for dump: it keeps the default ones);
 *   session_launch() when a command was given;
 *   session_attach(); session_start(); session_run() with callbacks;
 *   session_wait_child() or session_end_child(); session_release().
 *
 * Signals: SIGINT, SIGTERM and SIGHUP set a flag (session_signal()) and
 * wake the loop, which then returns SESSION_SIGNAL; nothing is printed or
 * torn down in a handler.  The flags are process-wide: one session at a
 * time.
 */
#ifndef GILSPY_CMD_SESSION_H
#define GILSPY_CMD_SESSION_H

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <sys/types.h>

#include "gilspy/error.h"
#include "gilspy/python.h"
#include "gilspy/sampler.h"
#include "gilspy/util.h"

/* --- options -------------------------------------------------------------- */

enum {					/* clear of outputs.h's OPT_* */
	SESSION_OPT_BLOCKING = 400,
	SESSION_OPT_NATIVE,
	SESSION_OPT_NATIVE_ALL,
	SESSION_OPT_SUBPROCESSES,
};

#define SESSION_SHORTOPTS "p:r:"
#define SESSION_LONGOPT_PID { "pid", required_argument, NULL, 'p' }
/* getopt_long entries for -p, -r, --blocking, --native and --native-all. */
#define SESSION_LONGOPTS \
	SESSION_LONGOPT_PID, \
	{ "rate", required_argument, NULL, 'r' }, \
	{ "blocking", no_argument, NULL, SESSION_OPT_BLOCKING }, \
	SESSION_LONGOPTS_NATIVE
#define SESSION_LONGOPTS_NATIVE \
	{ "native", no_argument, NULL, SESSION_OPT_NATIVE }, \
	{ "native-all", no_argument, NULL, SESSION_OPT_NATIVE_ALL }
/* The help lines of --native and --native-all. */
#define SESSION_HELP_NATIVE \
	"      --native           merge each thread's C stack with its Python\n" \
	"                         stack (extension, library and leaf frames)\n" \
	"      --native-all       the same, keeping the interpreter's own frames\n"

struct session_args {
	int pid;		/* -p; the launched command's once started */
	double rate;		/* -r, samples per second (default 100) */
	int blocking;		/* --blocking */
	int native;		/* --native: PYT_NATIVE, --native-all:
				   PYT_NATIVE_ALL, else 0 */
	char **command;		/* what follows the options; NULL with -p */
	int subprocesses;	/* -s: follow every descendant */
};

/* The getopt_long entry and help line of -s (the subcommand maps its
 * short option to SESSION_OPT_SUBPROCESSES). */
#define SESSION_LONGOPT_SUBPROCESSES \
	{ "subprocesses", no_argument, NULL, SESSION_OPT_SUBPROCESSES }
#define SESSION_HELP_SUBPROCESSES \
	"  -s, --subprocesses     follow every child process (and theirs), each\n" \
	"                         with its own GIL\n"


/* --- launch mode ---------------------------------------------------------- */

struct session_child {
	pid_t pid;		/* 0: no command was launched */
	int reaped, status;	/* status: exit code, or 128 + signal */
};

#define LAUNCH_OWN_PGRP		1	/* its own process group */
#define LAUNCH_NULL_STDIN	2	/* stdin from /dev/null */
#define LAUNCH_QUIET		4	/* stdin, stdout, stderr to /dev/null */
#define LAUNCH_STDOUT_TO_STDERR	8	/* keep our stdout for our output */

/* --- the session ---------------------------------------------------------- */

struct session_target {
	pid_t pid;
	pid_t ppid;			/* as first seen (0: the root) */
	struct py_target *py;		/* owned; NULL: not Python (yet), or
					   left */
	struct sampler *sampler;	/* owned; NULL while py is */
	/* From /proc/PID/stat after each sample (targets.h says when a
	 * recent read stands instead): the process is stopped (SIGSTOP, a
	 * debugger: state T), so what the sample says is frozen, not what
	 * the program does; and where its stack starts, which an exec
	 * changes. */
	int stat_fd;			/* -1 when it cannot be read */
	int stopped;
	uint64_t start_stack;
	uint64_t checked_ns;		/* when stat was last read */
	uint64_t checked_sig;		/* the sample's threads then */
	int was_running;		/* the last sample's smp->running */
	char *exec_path;		/* what it exec'd, once it has; owned */
	/* -s */
	char *cmdline;			/* when found; owned */
	int left;			/* exited or exec'd: nothing more */
	int joined;			/* announced to hooks.joined */
	char *skip;			/* why it was never sampled; owned */
	uint64_t found_ns;		/* when the scan found it */
	uint64_t first_ns;		/* its first sample (0: none yet) */
	uint64_t next_try_ns;		/* not Python yet: when to try again */
	int tries;
	void *user;			/* the subcommand's */
};

struct proc_tree;

struct session {
	struct session_args args;
	struct session_child child;	/* launch mode */
	struct session_target **targets;	/* ntargets of them, owned */
	int ntargets;
	uint64_t seed;			/* the samplers' (0: from the clock) */
	/* -s */
	struct proc_tree *tree;
	struct sampler *pacer;		/* ticks for every target */
	int events;			/* the kernel's process events are read */
	uint64_t next_scan_ns, next_waiting_ns;
	uint64_t scans;
	uint64_t attaches, attach_ns;	/* tries to read a process as Python,
					   and the time they took */
	struct pyt_options attach_opts;
};

void session_init(struct session *s);
/* Let the targets and the samplers go; a launched command is left as it
 * is (see session_wait_child() and session_end_child()). */
void session_release(struct session *s);

/* Handle getopt result c with argument arg: 1 when it was a session
 * option, 0 when not, -1 on a usage error (already printed). */
int session_option(struct session_args *a, int c, const char *arg);
/* After getopt: what is left of argv (from optind) is the command, and
 * exactly one of -p and a command must be given.  cmd names the subcommand
 * in messages, verb what it does ("nothing to VERB").  0, or 2 after
 * printing why. */
int session_args_done(struct session_args *a, int argc, char **argv,
		      const char *cmd, const char *verb);

/* Catch SIGINT, SIGTERM and SIGHUP (flag and wake up), ignore SIGPIPE.
 * SESSION_SIG_RESTART: interrupted reads and waits go on (the sampler's
 * sleep and a wait for a key end anyway); without it a blocking wait for
 * the launched command is interrupted, so a SIGTERM can be passed on. */
#define SESSION_SIG_RESTART 1
void session_signals(int flags);
/* The signal that asked the session to stop, 0 when none has. */
int session_signal(void);
/* Wake the loop every period_us microseconds (SIGALRM), so that the
 * tick() callback runs at least that often whatever the rate; 0: stop. */
void session_wake_every(long period_us);

/* Start args.command (execvp); args.pid becomes its pid.  0 on success;
 * otherwise prints why and returns the exit status to use (127 when it
 * cannot be run). */
int session_launch(struct session *s, int flags);
/* 1 once the launched command has exited (child.status filled).  block
 * waits for it; a SIGTERM that arrives meanwhile is passed on to it. */
int session_reap(struct session *s, int block);
/* The run is over and the command may go on: pass a SIGTERM that stopped
 * us on to it, wait for it, and return its status (0 when none was
 * launched). */
int session_wait_child(struct session *s);
/* The run is over and so is the command: SIGTERM, then SIGKILL if it is
 * still there two seconds later. */
void session_end_child(struct session *s);

/* Attach to args.pid, the first target.  A launched command is retried for
 * up to 10 s until it has become Python (or exited, or a signal came).
 * 0, or -1 after printing why. */
int session_attach(struct session *s, const struct pyt_options *po);
/* A sampler for every target at args.rate (and --blocking), first tick
 * now.  0, or the exit status after printing why. */
int session_start(struct session *s);

/* Deadlines the samplers dropped when behind, over every target. */
uint64_t session_missed(const struct session *s);

/* --- the sampling loop ---------------------------------------------------- */

/* What to say when sampling falls behind: achieved Hz, then requested. */
#define SESSION_BEHIND_FMT \
	"falling behind: %.0f Hz achieved of %.0f Hz requested; try a lower --rate"

struct session_hooks {
	/* A sample of tg was taken (s is valid until the callback returns),
	 * or could not be read at time_ns. */
	void (*sample)(void *ctx, struct session_target *tg,
		       const struct py_sample *s);
	void (*failed)(void *ctx, struct session_target *tg, uint64_t time_ns);
	/* Sampling fell behind the rate asked for (said once per run). */
	void (*behind)(void *ctx, double achieved_hz);
	/* After every tick and wake-up; nonzero ends the run. */
	int (*tick)(void *ctx, uint64_t now_ns);
	/* A target was attached (before its first sample: tg->py is set),
	 * or is leaving (it exited or exec'd; tg->py is freed after the
	 * call).  May be NULL. */
	void (*joined)(void *ctx, struct session_target *tg);
	void (*left)(void *ctx, struct session_target *tg);
};

enum session_end {
	SESSION_GONE,		/* the target exited */
	SESSION_SIGNAL,		/* see session_signal() */
	SESSION_ERROR,		/* a sample could not be taken at all: see err */
	SESSION_DONE,		/* tick() asked to end */
	SESSION_EXEC,		/* the target exec'd another program: see
				   targets[0]->exec_path */
};

/* Sample until the target exits, a signal comes, sampling fails or tick()
 * says so. */
enum session_end session_run(struct session *s, const struct session_hooks *h,
			     void *ctx, struct gs_error *err);

/* The command launched as one line (words joined by spaces), appended to
 * sb; nothing when none was. */
void session_command_line(const struct session *s, struct strbuf *sb);

/* The first target's interpreter (NULL before session_attach(), and when
 * it is not Python: -s on a shell). */
static inline struct py_target *session_py(const struct session *s)
{
	return s->ntargets ? s->targets[0]->py : NULL;
}

/* Called once a target is attached; does nothing but in the test build
 * (src/cmd/testhooks.c). */
void testhook_attached(void);

#endif
