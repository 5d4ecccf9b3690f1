/* common.c - error printing and argument helpers shared by subcommands. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/cmd.h"

void cmd_errorf(const char *fmt, ...)
{
	va_list ap;

	fputs("gilspy: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cmd_report_error(const struct gs_error *err)
{
	if (err->msg[0])
		cmd_errorf("%s", err->msg);
	else
		cmd_errorf("%s", gs_strerror(err->code));
	return gs_exit_code(err->code);
}

int cmd_parse_pid(const char *arg, int *pid)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v <= 0 || v > 0x3fffffff) {
		cmd_errorf("'%s' is not a process id; pass a positive number, "
			   "e.g. -p 4242", arg);
		return 2;
	}
	*pid = (int)v;
	return 0;
}

int cmd_bad_option(const char *cmd, int c, char **argv)
{
	const char *opt = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		cmd_errorf("option '%s' needs a value; see 'gilspy %s --help'",
			   opt, cmd);
	else if (optopt && strncmp(opt, "--", 2))
		cmd_errorf("unknown option '-%c'; see 'gilspy %s --help'",
			   optopt, cmd);
	else
		cmd_errorf("unknown option '%s'; see 'gilspy %s --help'", opt, cmd);
	return 2;
}

int cmd_parse_double(const char *opt, const char *arg, double min, double max,
		     double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= min) || !(v <= max)) {
		cmd_errorf("%s '%s' is not a number from %g to %g", opt, arg,
			   min, max);
		return 2;
	}
	*out = v;
	return 0;
}
