/* flamegraph.c - placeholder until the subcommand lands; replaced by its owner. */
#include "gilspy/cmd.h"

int cmd_flamegraph(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_errorf("'flamegraph' is not available yet");
	return 1;
}
