/*
 * cmd.h - the subcommands and the few helpers they share.
 *
 * Each subcommand is `int cmd_NAME(int argc, char **argv)` in src/cmd/NAME.c
 * and returns the process exit status: 0 ok, 1 failure (or a threshold
 * crossed), 2 usage error.  Only this layer prints errors and exits.
 */
#ifndef GILSPY_CMD_H
#define GILSPY_CMD_H

#include <signal.h>
#include <sys/types.h>

#include "gilspy/error.h"
#include "gilspy/python.h"

int cmd_dump(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_flamegraph(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* "gilspy: <msg>" on stderr, formatted. */
void cmd_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print err (its message, or the code's phrase) and return its exit code. */
int cmd_report_error(const struct gs_error *err);
/* After getopt_long returned c == '?' or ':' (use opterr = 0 and an
 * optstring starting with ':'): print one line naming the bad option of
 * subcommand cmd and return 2. */
int cmd_bad_option(const char *cmd, int c, char **argv);
/* Parse a number for option opt in [min, max]; prints and returns 2 if bad. */
int cmd_parse_double(const char *opt, const char *arg, double min, double max,
		     double *out);

/* --- launch mode (src/cmd/launch.c) ------------------------------------ */

struct cmd_child {
	pid_t pid;		/* 0: no command was launched */
	int reaped, status;	/* status: exit code, or 128 + signal */
};

#define LAUNCH_OWN_PGRP		1	/* its own process group */
#define LAUNCH_NULL_STDIN	2	/* stdin from /dev/null */
#define LAUNCH_QUIET		4	/* stdin, stdout, stderr to /dev/null */
#define LAUNCH_STDOUT_TO_STDERR	8	/* keep our stdout for our output */

/* Start command (execvp).  0 on success; otherwise prints why and returns
 * the exit status to use (127 when it cannot be run). */
int cmd_launch(char **command, int flags, struct cmd_child *c);
/* 1 once the child has exited (status filled).  block waits for it; a
 * SIGTERM noted in *forward (may be NULL) meanwhile is passed on to it. */
int cmd_reap(struct cmd_child *c, int block, volatile sig_atomic_t *forward);
/* Attach to pid; with a launched child c, keep trying for up to 10 s until
 * it has become Python (or exited, or *stop is set).  0, or -1 after
 * printing why. */
int cmd_attach(pid_t pid, const struct pyt_options *po, struct cmd_child *c,
	       const char *command, volatile sig_atomic_t *stop,
	       struct py_target **out);

/* Parse a PID argument; returns 0 on success, prints and returns 2 if bad. */
int cmd_parse_pid(const char *arg, int *pid);

#endif
