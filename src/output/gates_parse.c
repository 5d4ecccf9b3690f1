/*
 * gates_parse.c - parse --fail-if expressions (grammar in gates.h and
 * man/gilspy-record.1, FAIL-IF EXPRESSIONS): a small lexer per part of the
 * grammar - metric, [thread], operator, limit - each saying exactly what it
 * expected when the text is wrong.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gates_int.h"

static const struct metric_def metrics[] = {
	{ "held", M_HELD, K_PCT },
	{ "waiting", M_WAITING, K_PCT },
	{ "native", M_NATIVE, K_PCT },
	{ "idle", M_IDLE, K_PCT },
	{ "utilisation", M_UTILISATION, K_PCT },
	{ "utilization", M_UTILISATION, K_PCT },
	{ "contention", M_CONTENTION, K_PCT },
	{ "waiters", M_WAITERS, K_WAITERS },
	{ "switches", M_SWITCHES, K_RATE },
	{ "errors", M_ERRORS, K_PCT },
	{ "samples", M_SAMPLES, K_COUNT },
	{ "speedup", M_SPEEDUP, K_FACTOR },	/* the what-if speedup */
};

const char *const gates_op_text[] = { ">", ">=", "<", "<=", "==", "!=" };

struct gates *gates_new(void)
{
	return xcalloc(1, sizeof(struct gates));
}

void gates_free(struct gates *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->n; i++) {
		free(g->v[i].sel);
		free(g->v[i].pglob);
		free(g->v[i].limit_text);
	}
	free(g->v);
	free(g);
}

size_t gates_count(const struct gates *g)
{
	return g ? g->n : 0;
}

/* --- parsing ------------------------------------------------------------ */

static int is_selectable(const struct metric_def *d)
{
	return d->m <= M_IDLE;
}

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

void gates_add_clean(struct strbuf *sb, const char *s, const char *end)
{
	size_t i;

	for (i = 0; s < end && i < 40; s++, i++)
		sb_addc(sb, (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
	if (s < end)
		sb_adds(sb, "...");
}

void gates_add_quoted(struct strbuf *sb, const char *s, const char *end)
{
	sb_addc(sb, '\'');
	gates_add_clean(sb, s, end);
	sb_addc(sb, '\'');
}

static int parse_fail(struct strbuf *why, const char *e, const char *end,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int parse_fail(struct strbuf *why, const char *e, const char *end,
		      const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0) {
		sb_grow(&msg, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(msg.buf, (size_t)n + 1, fmt, ap);
		va_end(ap);
		msg.len = (size_t)n;
	}
	if (why) {
		sb_adds(why, "bad expression ");
		gates_add_quoted(why, e, end);
		sb_addf(why, ": %s", msg.buf ? msg.buf : "");
	}
	sb_release(&msg);
	return -1;
}

/* One expression being parsed: [e, end), trimmed, for messages; s is
 * where the next part starts.  Each lex_* reads one part of the grammar
 * into gt and returns 0, or -1 with a reason in why. */
struct lex {
	const char *e, *end, *s;
	const char *metric;		/* the metric as written */
	int metric_len;
	struct strbuf *why;
};

#define LEX_FAIL(x, ...) parse_fail((x)->why, (x)->e, (x)->end, __VA_ARGS__)

static int lex_metric(struct lex *x, struct gate *gt)
{
	const char *w = x->s;
	size_t i, len;

	while (x->s < x->end && (isalpha((unsigned char)*x->s) ||
				 *x->s == '_'))
		x->s++;
	len = (size_t)(x->s - w);
	x->metric = w;
	x->metric_len = (int)len;
	for (i = 0; len && i < ARRAY_SIZE(metrics); i++)
		if (strlen(metrics[i].name) == len &&
		    !strncasecmp(metrics[i].name, w, len))
			gt->def = &metrics[i];
	if (gt->def)
		return 0;
	if (!len)
		return LEX_FAIL(x, "expected a metric name at the start");
	return LEX_FAIL(x, "unknown metric '%.*s' (known: held, waiting, "
			"native, idle, utilisation, contention, waiters, "
			"switches, errors, samples)", (int)len, w);
}

/* An optional {process}: {*} every process, {pid=N} one, {cmd=GLOB} those
 * whose command line matches (braces nest so a glob may hold them). */
static int lex_procsel(struct lex *x, struct gate *gt)
{
	const char *sel, *s, *v;
	int depth = 1;

	x->s = skip_ws(x->s, x->end);
	if (x->s == x->end || *x->s != '{')
		return 0;
	sel = s = x->s + 1;
	for (; s < x->end; s++) {
		if (*s == '{')
			depth++;
		else if (*s == '}' && !--depth)
			break;
	}
	if (s == x->end)
		return LEX_FAIL(x, "missing '}' after the process selector");
	x->s = skip_ws(s + 1, x->end);
	if (s - sel == 1 && *sel == '*') {
		gt->ps = PS_ALL;
		return 0;
	}
	if (s - sel > 4 && !strncmp(sel, "pid=", 4)) {
		char buf[16];
		char *end;
		long pid;

		v = sel + 4;
		if (s - v >= (long)sizeof(buf))
			return LEX_FAIL(x, "'{pid=...}' takes a process id");
		memcpy(buf, v, (size_t)(s - v));
		buf[s - v] = '\0';
		pid = strtol(buf, &end, 10);
		if (*end || !isdigit((unsigned char)buf[0]) || pid < 1 ||
		    pid > 0x7fffffff)
			return LEX_FAIL(x, "'{pid=...}' takes a process id, "
					"e.g. {pid=1234}");
		gt->ps = PS_PID;
		gt->pid = (pid_t)pid;
		return 0;
	}
	if (s - sel > 4 && !strncmp(sel, "cmd=", 4)) {
		v = sel + 4;
		gt->ps = PS_CMD;
		gt->pglob = xmalloc((size_t)(s - v) + 1);
		memcpy(gt->pglob, v, (size_t)(s - v));
		gt->pglob[s - v] = '\0';
		return 0;
	}
	return LEX_FAIL(x, "expected {*}, {pid=N} or {cmd=GLOB} as the "
			"process selector");
}

/* An optional [thread]: brackets nest so a glob class works, as in
 * waiting[w-[0-9]]. */
static int lex_selector(struct lex *x, struct gate *gt)
{
	const char *sel, *s;
	int depth = 1;

	x->s = skip_ws(x->s, x->end);
	if (x->s == x->end || *x->s != '[')
		return 0;
	sel = s = x->s + 1;
	if (!is_selectable(gt->def))
		return LEX_FAIL(x, "'%s' is a figure of the whole process and "
				"takes no [thread]", gt->def->name);
	for (; s < x->end; s++) {
		if (*s == '[')
			depth++;
		else if (*s == ']' && !--depth)
			break;
	}
	if (s == x->end)
		return LEX_FAIL(x, "missing ']' after the thread name");
	if (s == sel)
		return LEX_FAIL(x, "empty thread name in '[]'; give a name, a "
				"glob or a tid");
	gt->sel = xmalloc((size_t)(s - sel) + 1);
	memcpy(gt->sel, sel, (size_t)(s - sel));
	gt->sel[s - sel] = '\0';
	x->s = skip_ws(s + 1, x->end);
	return 0;
}

static int lex_op(struct lex *x, struct gate *gt)
{
	/* two-character operators first, so ">=" is not ">" then "=" */
	static const enum op order[] = {
		OP_GE, OP_LE, OP_EQ, OP_NE, OP_GT, OP_LT,
	};
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(order); i++) {
		n = strlen(gates_op_text[order[i]]);
		if ((size_t)(x->end - x->s) >= n &&
		    !strncmp(x->s, gates_op_text[order[i]], n)) {
			gt->op = order[i];
			x->s = skip_ws(x->s + n, x->end);
			return 0;
		}
	}
	return LEX_FAIL(x, "expected one of > >= < <= == != after "
			"'%.*s%s%s%s'", x->metric_len, x->metric,
			gt->ps ? "{...}" : "",
			gt->sel ? "[...]" : "", "");
}

/* The limit: "base" with +N, -N or *N (or alone), or a number, then an
 * optional '%'.  The number as written goes to buf. */
static int lex_limit(struct lex *x, struct gate *gt, char *buf,
		     size_t bufsz)
{
	const char *s = x->s, *end = x->end, *num;
	int sign = 1, had_number = 1;

	if (end - s >= 4 && !strncasecmp(s, "base", 4) &&
	    (end - s == 4 || !isalnum((unsigned char)s[4]))) {
		s = skip_ws(s + 4, end);
		gt->rel = REL_PLUS;
		if (s < end && (*s == '+' || *s == '-')) {
			sign = *s == '-' ? -1 : 1;
			s = skip_ws(s + 1, end);
		} else if (s < end && *s == '*') {
			gt->rel = REL_TIMES;
			s = skip_ws(s + 1, end);
		} else if (s < end) {
			return LEX_FAIL(x, "expected +, - or * after 'base' "
					"(e.g. base+5 or base*1.5), or "
					"nothing");
		} else {
			had_number = 0;
		}
	}
	num = s;
	while (s < end && isdigit((unsigned char)*s))
		s++;
	if (s > num && s < end && *s == '.') {
		s++;
		while (s < end && isdigit((unsigned char)*s))
			s++;
	}
	if (had_number && s == num)
		return LEX_FAIL(x, "expected a number (0 or more, e.g. 20 or "
				"2.5) after '%s'", gt->rel == REL_NONE ?
				gates_op_text[gt->op] : gt->rel == REL_TIMES ?
				"base*" : sign < 0 ? "base-" : "base+");
	if (had_number && (size_t)(s - num) >= bufsz)
		return LEX_FAIL(x, "the number is too long");
	memcpy(buf, num, (size_t)(s - num));
	buf[s - num] = '\0';
	gt->limit = had_number ? sign * strtod(buf, NULL) : 0;
	gt->neg = sign < 0;
	s = skip_ws(s, end);
	if (s < end && *s == '%' && had_number) {
		if (gt->rel == REL_TIMES)
			return LEX_FAIL(x, "a factor takes no '%%': base*1.2 "
					"is 20%% more than the base");
		if (gt->def->kind != K_PCT)
			return LEX_FAIL(x, "'%s' is %s, not a percentage: drop "
					"the '%%'", gt->def->name,
					gt->def->kind == K_COUNT ? "a count" :
					gt->def->kind == K_RATE ?
					"a rate per second" :
					gt->def->kind == K_FACTOR ?
					"a factor" :
					"a mean number of threads");
		s = skip_ws(s + 1, end);
	}
	if (s < end)
		return LEX_FAIL(x, "unexpected '%.*s' after %s",
				(int)(end - s > 20 ? 20 : end - s), s,
				had_number ? "the number" : "'base'");
	x->s = s;
	return 0;
}

/* Parse one expression [e, end) (already split at commas). */
static int parse_one(struct gates *g, const char *e, const char *end,
		     struct strbuf *why)
{
	struct gate gt = { 0 };
	struct lex x = { 0 };
	char buf[64];

	x.s = skip_ws(e, end);
	while (end > x.s && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	x.e = x.s;
	x.end = end;
	x.why = why;
	if (x.s == end)
		return LEX_FAIL(&x, "empty expression; write e.g. "
				"\"waiting>20%%\"");
	if (lex_metric(&x, &gt) < 0 || lex_procsel(&x, &gt) < 0 ||
	    lex_selector(&x, &gt) < 0 ||
	    lex_op(&x, &gt) < 0 || lex_limit(&x, &gt, buf, sizeof(buf)) < 0) {
		free(gt.sel);
		free(gt.pglob);
		return -1;
	}
	if (gt.ps != PS_NONE && gt.rel != REL_NONE) {
		free(gt.sel);
		free(gt.pglob);
		return LEX_FAIL(&x, "a process selector cannot be compared "
				"with 'base' (a base report has one "
				"process's figures)");
	}
	gt.limit_text = xstrdup(buf);
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? 2 * g->alloc : 4;
		g->v = xrealloc(g->v, g->alloc * sizeof(*g->v));
	}
	g->v[g->n++] = gt;
	return 0;
}

int gates_parse(struct gates *g, const char *arg, struct strbuf *why)
{
	const char *s = arg, *start = arg;
	size_t first = g->n;
	int depth = 0;

	for (;; s++) {
		if (*s == '[' || *s == '{')
			depth++;
		else if ((*s == ']' || *s == '}') && depth)
			depth--;
		else if ((*s == ',' && !depth) || !*s) {
			if (parse_one(g, start, s, why) < 0) {
				/* all or nothing for one argument */
				while (g->n > first) {
					g->n--;
					free(g->v[g->n].sel);
					free(g->v[g->n].pglob);
					free(g->v[g->n].limit_text);
				}
				return -1;
			}
			if (!*s)
				break;
			start = s + 1;
		}
	}
	return 0;
}
