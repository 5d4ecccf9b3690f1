/* dump.c - placeholder until the subcommand lands; replaced by its owner. */
#include "gilspy/cmd.h"

int cmd_dump(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cmd_errorf("'dump' is not available yet");
	return 1;
}
