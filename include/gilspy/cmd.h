/*
 * cmd.h - the subcommands and the few helpers they share.
 *
 * Each subcommand is `int cmd_NAME(int argc, char **argv)` in src/cmd/NAME.c
 * and returns the process exit status: 0 ok, 1 failure (or a threshold
 * crossed), 2 usage error.  Only this layer prints errors and exits.
 * What record, top and dump share beyond these helpers (launching,
 * attaching, signals, the sampling loop) is src/cmd/session.h.
 */
#ifndef GILSPY_CMD_H
#define GILSPY_CMD_H

#include "gilspy/error.h"

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

/* Parse a PID argument; returns 0 on success, prints and returns 2 if bad. */
int cmd_parse_pid(const char *arg, int *pid);

#endif
