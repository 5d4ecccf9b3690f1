/*
 * diff.c - `gilspy diff BASE NEW -o diff.svg`: a differential flame graph,
 * widths from NEW, red where a frame grew, blue where it shrank.  The
 * options and the writing are the flame graph's (src/cmd/flamegraph.c).
 */
#include "gilspy/cmd.h"
#include "fgcmd.h"

int cmd_diff(int argc, char **argv)
{
	return fg_cmd_main(argc, argv, 1);
}
