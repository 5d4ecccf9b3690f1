/*
 * report.c - what the summary, the markdown, the JSON report and the
 * contention analyses' renderers share (report.h): threads in tid order,
 * top functions, a function's label, and a name as a markdown code span.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/json.h"
#include "gilspy/output.h"
#include "gilspy/report_keys.h"
#include "report.h"

static int cmp_thread(const void *a, const void *b, void *arg)
{
	const struct profile *p = arg;
	const struct profile_thread *x = profile_thread(p, *(const size_t *)a);
	const struct profile_thread *y = profile_thread(p, *(const size_t *)b);

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

size_t *report_thread_order(const struct profile *p)
{
	size_t n = profile_nthreads(p), i;
	size_t *idx = xcalloc(n + 1, sizeof(*idx));

	for (i = 0; i < n; i++)
		idx[i] = i;
	qsort_r(idx, n, sizeof(*idx), cmp_thread, (void *)p);
	return idx;
}

struct top_ctx {
	const struct profile *p;
	enum gil_state state;
};

static int cmp_top(const void *a, const void *b, void *arg)
{
	const struct top_ctx *c = arg;
	const struct profile_func_stats *x = a, *y = b;
	const struct profile_func *fx, *fy;
	int r;

	if (x->self[c->state] != y->self[c->state])
		return x->self[c->state] > y->self[c->state] ? -1 : 1;
	fx = profile_func(c->p, x->func);
	fy = profile_func(c->p, y->func);
	r = strcmp(fx->name, fy->name);
	if (!r)
		r = strcmp(fx->file, fy->file);
	if (!r)
		r = x->func < y->func ? -1 : x->func > y->func;
	return r;
}

size_t report_top(const struct profile *p, struct profile_func_stats *fs,
		  size_t n, enum gil_state state, size_t max)
{
	struct top_ctx c = { p, state };
	size_t i;

	qsort_r(fs, n, sizeof(*fs), cmp_top, &c);
	for (i = 0; i < n && i < max && fs[i].self[state]; i++)
		;
	return i;
}

void report_func_label(struct strbuf *sb, const struct profile *p,
		       uint32_t func)
{
	const struct profile_func *f = profile_func(p, func);
	struct profile_frame fr = { .name = f->name, .file = f->file,
				    .line = f->firstlineno,
				    .firstlineno = f->firstlineno,
				    .func = func };
	struct output_options o;

	output_options_init(&o);
	o.function = 1;
	output_frame(sb, &fr, &o);
}

/* s as a code span of at most max characters (cut with an ellipsis).
 * in_table: escape '|' (GFM splits cells on it even inside code). */
void md_code(struct strbuf *sb, const char *s, size_t max, int in_table)
{
	struct strbuf c = STRBUF_INIT;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t chars = 0, run = 0, longest = 0, i;

	for (; *p; chars++) {
		size_t n;

		if (chars == max) {
			sb_adds(&c, "\xe2\x80\xa6");	/* ellipsis */
			break;
		}
		if (*p == '`') {
			if (++run > longest)
				longest = run;
		} else {
			run = 0;
		}
		if (*p == '\n') {
			sb_adds(&c, "\\n");
		} else if (*p == '\t') {
			sb_adds(&c, "\\t");
		} else if (*p == '\r') {
			sb_adds(&c, "\\r");
		} else if (*p < 0x20 || *p == 0x7f) {
			sb_addf(&c, "\\x%02x", *p);
		} else if (*p == '|' && in_table) {
			sb_adds(&c, "\\|");
		} else if (!(n = utf8_seq(p))) {
			sb_adds(&c, "\xef\xbf\xbd");	/* U+FFFD */
		} else {
			sb_add(&c, p, n);
			p += n;
			continue;
		}
		p++;
	}
	if (!c.len) {
		sb_adds(sb, "(empty)");
		return;
	}
	for (i = 0; i <= longest; i++)
		sb_addc(sb, '`');
	/* a space keeps a leading/trailing backtick off the fence; CommonMark
	 * strips one space from each side when both are there */
	if (c.buf[0] == '`' || c.buf[0] == ' ' || c.buf[c.len - 1] == '`' ||
	    c.buf[c.len - 1] == ' ')
		sb_addc(sb, ' ');
	sb_add(sb, c.buf, c.len);
	if (c.buf[0] == '`' || c.buf[0] == ' ' || c.buf[c.len - 1] == '`' ||
	    c.buf[c.len - 1] == ' ')
		sb_addc(sb, ' ');
	for (i = 0; i <= longest; i++)
		sb_addc(sb, '`');
	sb_release(&c);
}

void report_json_gil(struct strbuf *sb, const struct profile_stats *st,
		     const struct output_figures *fig, const char *sep)
{
	sb_addf(sb, "\"" RK_GIL "\": %s, \"" RK_UTILISATION_PCT "\": ",
		json_bool(!st->no_gil));
	json_add_num(sb, fig->utilisation_pct);
	sb_adds(sb, ", \"" RK_CONTENTION_PCT "\": ");
	json_add_num(sb, fig->contention_pct);
	sb_adds(sb, ", \"" RK_MEAN_WAITERS "\": ");
	json_add_num(sb, fig->mean_waiters);
	sb_addf(sb, "%s\"switches\": %llu, \"" RK_SWITCHES_PER_S "\": ", sep,
		(unsigned long long)st->switches);
	json_add_num(sb, fig->switches_per_s);
}
