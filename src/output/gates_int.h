/* gates_int.h - what the --fail-if parser (gates_parse.c) and checker
 * (gates.c) share (internal to src/output/). */
#ifndef GILSPY_OUTPUT_GATES_INT_H
#define GILSPY_OUTPUT_GATES_INT_H

#include "gilspy/gates.h"

enum metric {
	M_HELD, M_WAITING, M_NATIVE, M_IDLE,	/* per thread (selectable) */
	M_UTILISATION, M_CONTENTION, M_WAITERS, M_SWITCHES, M_ERRORS,
	M_SAMPLES, M_SPEEDUP,
};

enum kind { K_PCT, K_WAITERS, K_RATE, K_COUNT, K_FACTOR };

struct metric_def {
	const char *name;
	enum metric m;
	enum kind kind;
};

enum op { OP_GT, OP_GE, OP_LT, OP_LE, OP_EQ, OP_NE };

/* What the value is compared with: a number, or the base branch's value
 * of the same figure (--baseline) plus an amount or times a factor. */
enum rel { REL_NONE, REL_PLUS, REL_TIMES };

/* Which processes of a recording (-s) a gate looks at: {*}, {pid=N},
 * {cmd=GLOB}; PS_NONE: the recording's own figures (the root process). */
enum psel { PS_NONE, PS_ALL, PS_PID, PS_CMD };

struct gate {
	const struct metric_def *def;
	enum psel ps;
	pid_t pid;		/* PS_PID */
	char *pglob;		/* PS_CMD: fnmatch glob on the command line */
	char *sel;		/* thread selector, or NULL: all threads */
	enum op op;
	enum rel rel;
	int neg;		/* base-N */
	double limit;		/* REL_NONE: the limit; REL_PLUS: the amount
				   added (negative: taken off); REL_TIMES:
				   the factor */
	char *limit_text;	/* the number as written, without '%' */
};

struct gates {
	struct gate *v;
	size_t n, alloc;
};

/* ">", ">=", ... by enum op. */
extern const char *const gates_op_text[];

/* Append at most 40 bytes of [s, end) for a one-line message, control
 * characters shown as '?'; add_quoted puts it in single quotes. */
void gates_add_clean(struct strbuf *sb, const char *s, const char *end);
void gates_add_quoted(struct strbuf *sb, const char *s, const char *end);

#endif
