/*
 * fgcmd.h - `gilspy flamegraph` and `gilspy diff` share one option parser
 * and one writer (src/cmd/flamegraph.c); diff.c only picks the mode.
 */
#ifndef GILSPY_FGCMD_H
#define GILSPY_FGCMD_H

/* Run `gilspy flamegraph` (diff = 0) or `gilspy diff` (diff = 1); returns
 * the exit status. */
int fg_cmd_main(int argc, char **argv, int diff);

#endif
