/*
 * main.c - the subcommand table (git's git.c): `gilspy CMD [options]`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/cmd.h"

struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand commands[] = {
	{ "record", cmd_record, "sample a process and write a GIL-aware profile" },
	{ "report", cmd_report, "render a raw recording (.gilspy) again, in any format" },
	{ "top", cmd_top, "live full-screen view of GIL ownership and the code behind it" },
	{ "dump", cmd_dump, "print every thread's stack and GIL state once" },
	{ "flamegraph", cmd_flamegraph, "render folded stacks as an interactive SVG" },
	{ "diff", cmd_diff, "render the difference of two folded profiles as an SVG" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: gilspy <command> [options]\n\n"
		   "A sampling profiler for CPython 3.6-3.15 that shows who holds "
		   "the GIL,\nwho waits for it, and which code does it.\n\n"
		   "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "   %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'gilspy <command> --help' describes a command; "
		   "'man gilspy' has the details.\n"
		   "gilspy --version prints the version.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("gilspy %s\n", GILSPY_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "gilspy: '%s' is not a gilspy command; see 'gilspy --help'\n",
		argv[1]);
	return 2;
}
