/*
 * parse.c - read folded-stack text into the tree: large blocks parsed in
 * place, one line at a time, without copying frames (each line's frames
 * are spans into the block, handed to fg_add_spans()).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fg_internal.h"

static inline int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Parse a count: digits with an optional fraction ("12", "0.5", ".5",
 * "3."), nothing else.  Returns 0 and sets *v, or -1. */
static int parse_count(const char *p, const char *e, double *v)
{
	uint64_t ip = 0;
	double frac = 0, scale = 1;
	int digits = 0;
	const char *s = p;

	for (; p < e && *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits >= 18)
			goto slow;
		ip = ip * 10 + (uint64_t)(*p - '0');
	}
	if (p < e && *p == '.') {
		for (p++; p < e && *p >= '0' && *p <= '9'; p++, digits++) {
			if (scale < 1e15) {
				scale *= 10;
				frac = frac * 10 + (*p - '0');
			}
		}
	}
	if (p != e || !digits)
		return -1;
	*v = (double)ip + frac / scale;
	return 0;
slow:
	/* Too many digits for the fast path: let strtod round it. */
	{
		char buf[64];
		size_t len = (size_t)(e - s);
		char *end;

		for (p = s; p < e; p++)
			if (!((*p >= '0' && *p <= '9') || *p == '.'))
				return -1;
		if (len >= sizeof(buf))
			return -1;
		memcpy(buf, s, len);
		buf[len] = '\0';
		*v = strtod(buf, &end);
		return *end || !isfinite(*v) ? -1 : 0;
	}
}

/* Split off the last blank-separated token of [s, *e): returns its start
 * and moves *e to the end of what precedes it (blanks trimmed), or returns
 * NULL if there is no blank. */
static const char *last_token(const char *s, const char **e)
{
	const char *p = *e, *tok;

	while (p > s && !is_blank(p[-1]))
		p--;
	if (p == s)
		return NULL;
	tok = p;
	while (p > s && is_blank(p[-1]))
		p--;
	*e = p;
	return tok;
}

struct parse_state {
	int columns;		/* 0: not known yet, 1 or 2 */
	uint64_t line;
	struct fg_stats *st;
};

static void bad_line(struct parse_state *ps)
{
	ps->st->bad_lines++;
	if (!ps->st->first_bad_line)
		ps->st->first_bad_line = ps->line;
}

/* One line, without its '\n'. */
static void parse_line(struct fg *g, struct parse_state *ps, const char *s,
		       const char *e, enum fg_side side)
{
	const char *tok, *tok2, *stack_end, *p, *q;
	double v, v2 = 0;
	size_t n = 0;
	int two = 0;

	ps->line++;
	ps->st->lines++;
	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	if (s == e)
		return;
	stack_end = e;
	tok = last_token(s, &stack_end);
	if (!tok || parse_count(tok, e, &v)) {
		bad_line(ps);
		return;
	}
	if (ps->columns != 1) {
		/* Two count columns (difffolded): decided by the first valid
		 * line, so a frame name ending in " 123" in a one-column file
		 * stays a name. */
		const char *e2 = stack_end;

		tok2 = last_token(s, &e2);
		if (tok2 && !parse_count(tok2, stack_end, &v2)) {
			if (!ps->columns)
				ps->columns = 2;
			two = 1;
			stack_end = e2;
		} else if (ps->columns == 2) {
			bad_line(ps);
			return;
		}
	}
	/* Frames: split at ';', empty frames dropped. */
	for (p = s; p < stack_end; p = q + 1) {
		q = memchr(p, ';', (size_t)(stack_end - p));
		if (!q)
			q = stack_end;
		if (q > p) {
			fg_spans_reserve(g, n + 1);
			g->spans[n].p = p;
			g->spans[n].len = (size_t)(q - p);
			n++;
		}
	}
	if (!n) {
		bad_line(ps);
		return;
	}
	if (!ps->columns)
		ps->columns = 1;
	ps->st->stacks++;
	if (g->o.reverse)
		fg_reverse_spans(g->spans, n);
	if (two) {
		ps->st->diff_columns = 1;
		fg_add_spans(g, g->spans, n, v2, FG_BASE);
		fg_add_spans(g, g->spans, n, v, FG_NEW);
	} else {
		fg_add_spans(g, g->spans, n, v, side);
	}
}

/* Parse every complete line of buf[0..len); returns the bytes used. */
static size_t parse_block(struct fg *g, struct parse_state *ps, const char *buf,
			  size_t len, enum fg_side side, int eof)
{
	const char *p = buf, *end = buf + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl) {
			if (!eof)
				break;
			nl = end;
		}
		parse_line(g, ps, p, nl, side);
		p = nl < end ? nl + 1 : end;
	}
	return (size_t)(p - buf);
}

void fg_read_mem(struct fg *g, const char *text, size_t len, enum fg_side side,
		 struct fg_stats *st)
{
	struct fg_stats dummy;
	struct parse_state ps = { 0, 0, st ? st : &dummy };

	memset(ps.st, 0, sizeof(*ps.st));
	parse_block(g, &ps, text, len, side, 1);
}

int fg_read_fd(struct fg *g, int fd, enum fg_side side, struct fg_stats *st)
{
	struct fg_stats dummy;
	struct parse_state ps = { 0, 0, st ? st : &dummy };
	size_t alloc = 1 << 20, have = 0, used;
	char *buf = xmalloc(alloc);
	ssize_t r;
	int ret = 0;

	memset(ps.st, 0, sizeof(*ps.st));
	for (;;) {
		if (have == alloc) {
			/* A line longer than the buffer: grow for it. */
			alloc *= 2;
			buf = xrealloc(buf, alloc);
		}
		r = read(fd, buf + have, alloc - have);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -1;
			break;
		}
		if (r == 0) {
			parse_block(g, &ps, buf, have, side, 1);
			break;
		}
		have += (size_t)r;
		used = parse_block(g, &ps, buf, have, side, 0);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (ret) {
		int e = errno;

		free(buf);
		errno = e;
		return ret;
	}
	free(buf);
	return 0;
}

int fg_read_file(struct fg *g, FILE *f, enum fg_side side, struct fg_stats *st)
{
	fflush(f);
	return fg_read_fd(g, fileno(f), side, st);
}
