/* diff.c - placeholder until the subcommand lands; replaced by its owner. */
#include "gilspy/cmd.h"

int cmd_diff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_errorf("'diff' is not available yet");
	return 1;
}
