/*
 * gates.h - --fail-if thresholds: `record` and `report` exit 1 when one is
 * crossed, after every output has been written.
 *
 * Grammar (documented in man/gilspy-record.1, FAIL-IF EXPRESSIONS):
 *
 *   expr    := metric [ "{" process "}" ] [ "[" thread "]" ] op limit
 *   process := "*" | "pid=" number | "cmd=" glob
 *   op      := ">" | ">=" | "<" | "<=" | "==" | "!="
 *   limit   := number [ "%" ]
 *            | "base" [ ( "+" | "-" ) number [ "%" ] | "*" number ]
 *
 * A --fail-if argument may hold several expressions separated by commas
 * (not inside [...] or {...}); the option may be repeated.  Metrics (case-blind):
 * held, waiting, native (shares of the busy - not idle - samples of all
 * threads, or of those whose name matches the fnmatch glob `thread` or
 * whose tid it is), idle (share of all their samples), utilisation,
 * contention, errors (percentages), waiters (mean), switches (per
 * second), samples (count).  Percent metrics take an optional "%".
 * Values are compared as printed: rounded to 0.1 (0.01 for waiters).
 * "base" is the same figure in the --baseline report (threads matched by
 * the same selector), plus or minus an amount in the figure's unit
 * (percentage points for percentages) or times a factor: "waiting>base+5"
 * fails when waiting rose by more than five points.  A selector matching
 * no thread, no thread sampled at all, and a "base" the baseline cannot
 * give (none given, a figure or thread it lacks) count as crossed.
 *
 * A process selector checks the expression against each process of a
 * recording (record_info.procs, -s) it matches - every one, those whose
 * pid it is, or those whose command line matches the glob - with that
 * process's own figures: every matched process must pass, each one that
 * does not is a line.  A recording of one process is matched as one (the
 * target: ri->pid, ri->cmdline).  A selector that matches no recorded
 * process counts as crossed; one cannot be compared with "base".
 * Without a selector, expressions look at the profile given (the root
 * process), as before.
 */
#ifndef GILSPY_GATES_H
#define GILSPY_GATES_H

#include "gilspy/profile.h"
#include "gilspy/record_info.h"
#include "gilspy/util.h"

struct baseline;		/* baseline.h */

struct gates;

/* An empty set; never fails. */
struct gates *gates_new(void);
void gates_free(struct gates *g);	/* NULL is a no-op */
/* Parse one --fail-if argument into g.  0, or -1 with a one-line reason
 * (naming the expression and what is wrong with it) in why. */
int gates_parse(struct gates *g, const char *arg, struct strbuf *why);
size_t gates_count(const struct gates *g);
/* Does an expression compare with "base"?  (Then --baseline is needed.) */
int gates_needs_baseline(const struct gates *g);
/* Check every expression against the profile.  Appends one line per
 * crossed threshold to out, each ending in '\n' and without the "gilspy: "
 * prefix, which the command adds ("threshold crossed: waiting 34.2% > 20%
 * (all threads)"), and returns how many were crossed.  ri may be NULL
 * (switches per second then use the first-to-last tick span); so may
 * base, and then every "base" expression counts as crossed. */
int gates_check(const struct gates *g, const struct profile *p,
		const struct record_info *ri, const struct baseline *base,
		struct strbuf *out);

#endif
