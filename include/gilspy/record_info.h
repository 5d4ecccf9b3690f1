/*
 * record_info.h - facts about a recording that the profile itself does not
 * hold: who was recorded, how, and how it ended.  Filled by the command
 * that records (or by a raw replay, raw.h), read by every renderer and
 * stored in the raw file.  The strings are borrowed: whoever fills the
 * struct keeps them alive while it is used.
 */
#ifndef GILSPY_RECORD_INFO_H
#define GILSPY_RECORD_INFO_H

#include <stdint.h>
#include <sys/types.h>

struct profile;

/* One process of a recording that followed a process tree (-s). */
struct record_process {
	pid_t pid, ppid;		/* ppid 0: the root */
	const char *cmdline;		/* as /proc showed it, or NULL */
	const char *python;		/* "3.12.1", NULL when never read */
	const struct profile *prof;	/* its samples; NULL: never sampled */
	const char *skip;		/* why it was never sampled, or NULL */
	uint64_t stopped_ticks;		/* while it was stopped (SIGSTOP) */
	const char *binary;		/* exe or libpython, or NULL */
};

struct record_info {
	pid_t pid;
	const char *python;		/* "3.12.1", or NULL */
	const char *binary;		/* exe or libpython, or NULL */
	const char *command;		/* launch mode: the command line */
	const char *cmdline;		/* the target's own command line as
					   /proc shows it, or NULL */
	double requested_hz;
	uint64_t wall_ns;		/* length of the recording, 0: from the
					   first to the last tick */
	int blocking;
	int native;			/* 0, PYT_NATIVE or PYT_NATIVE_ALL */
	/* --native's thread stops (stops 0: none, or not known) */
	uint64_t native_stops, native_median_ns, native_p99_ns, native_max_ns;
	uint64_t native_truncated;	/* stacks that ended in [truncated] */
	uint64_t native_unstopped;	/* taken blocked, with no stop */
	uint64_t native_kept;		/* of those, unchanged since a copy */
	const char *stopped_by;		/* "duration", "interrupted", ... */
	uint64_t profiler_cpu_ns;	/* gilspy's CPU time while sampling */
	uint64_t missed_ticks;		/* deadlines skipped when behind */
	uint64_t stopped_ticks;		/* ticks while the target was stopped
					   (SIGSTOP): not in the profile; not
					   kept in raw files */
	long peak_rss_kb;
	int exit_code;			/* launch mode, -1 otherwise */
	int cores;			/* what-if on this many cores (--cores);
					   0: this machine's */
	/* -s: every process found, in the order found (the root first);
	 * nprocs 0 without -s.  The profile given to a renderer beside ri
	 * is then the first sampled one's. */
	const struct record_process *procs;
	size_t nprocs;
};

#endif
