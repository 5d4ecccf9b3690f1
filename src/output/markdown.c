/*
 * markdown.c - the summary as GitHub-flavoured markdown, for
 * $GITHUB_STEP_SUMMARY and pull-request comments.
 *
 * The size is bounded by construction: every name is cut to a number of
 * characters, every table to a number of rows (saying how many were left
 * out), so the worst case is well under OUTPUT_MARKDOWN_MAX; a final guard
 * cuts at a line should that arithmetic ever be wrong.  Names come from the
 * target and are hostile: they are written as code spans (no emphasis,
 * links, HTML or @mentions inside), with a fence longer than any backtick
 * run in them, '|' escaped for the table, control characters shown as \n,
 * \xHH, invalid UTF-8 as U+FFFD.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/baseline.h"
#include "gilspy/output.h"
#include "report.h"

#define NAME_CHARS	80	/* characters of a thread or function name */
#define LABEL_CHARS	MD_LABEL_CHARS
#define COMMAND_CHARS	200
#define THREAD_ROWS	40
#define TOP_ROWS	5
#define MISSING_NAMES	10	/* base threads listed as gone */
/* A change at least this large in a figure where up is worse is marked. */
#define WORSE_PP	1.0
#define WORSE_WAITERS	0.05

/* A version string, or how a recording stopped ("interrupt (SIGINT)"),
 * is shown as is when it looks like one (spaces and parentheses only when
 * phrase), else as code: a raw file may say anything there. */
static int plain_text(const char *s, int phrase)
{
	size_t n = 0;

	for (; *s; s++, n++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= 'A' && *s <= 'Z') || *s == '.' || *s == '+' ||
		      *s == '-' || (phrase && (*s == ' ' || *s == '(' ||
					       *s == ')'))) || n >= 40)
			return 0;
	return n > 0;
}

static int plain_word(const char *s)
{
	return plain_text(s, 0);
}


static void add_word(struct strbuf *sb, const char *s)
{
	if (plain_word(s))
		sb_adds(sb, s);
	else
		md_code(sb, s, 40, 0);
}

static double shown(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return strtod(buf, NULL);
}

static double r1(double v)
{
	return shown(v, 1);
}

static double r2(double v)
{
	return shown(v, 2);
}

enum fig_kind { F_PCT, F_WAITERS, F_RATE, F_COUNT };

/* A change d shown with 1 or 2 decimals and its unit, in bold and marked
 * "worse" when worse; one that rounds to nothing as "0.0". */
static void add_change(struct strbuf *sb, double d, int decimals,
		       const char *unit, int worse)
{
	if (fabs(d) < (decimals == 1 ? 0.05 : 0.005))
		sb_addf(sb, "%.*f%s", decimals, 0.0, unit);
	else
		sb_addf(sb, "%s%+.*f%s%s", worse ? "**" : "", decimals, d,
			unit, worse ? " worse**" : "");
}

/* The delta cell: "+12.3 pp", bold and "worse" when worse_up and it rose
 * by the marking threshold. */
static void add_delta(struct strbuf *sb, double cur, double base,
		      enum fig_kind k, int worse_up)
{
	double d;
	int worse;

	switch (k) {
	case F_PCT:
		d = r1(cur) - r1(base);
		worse = worse_up && d >= WORSE_PP - 1e-9;
		add_change(sb, d, 1, " pp", worse);
		break;
	case F_WAITERS:
		d = r2(cur) - r2(base);
		worse = worse_up && d >= WORSE_WAITERS - 1e-9;
		add_change(sb, d, 2, "", worse);
		break;
	case F_RATE:
		add_change(sb, r1(cur) - r1(base), 1, " /s", 0);
		break;
	case F_COUNT:
		if (cur == base)
			sb_adds(sb, "0");
		else
			sb_addf(sb, "%+.0f", cur - base);
		break;
	}
}

static void add_value(struct strbuf *sb, double v, enum fig_kind k)
{
	switch (k) {
	case F_PCT: sb_addf(sb, "%.1f%%", v); break;
	case F_WAITERS: sb_addf(sb, "%.2f", v); break;
	case F_RATE: sb_addf(sb, "%.1f /s", v); break;
	case F_COUNT: sb_addf(sb, "%.0f", v); break;
	}
}

/* One row of the figures table; has_base: the base has this figure. */
static void fig_row(struct strbuf *sb, const char *label, const char *metric,
		    double v, enum fig_kind k, const struct baseline *base,
		    int has_base, double bv, int worse_up)
{
	sb_addf(sb, "| %s | `%s` | ", label, metric);
	add_value(sb, v, k);
	if (base) {
		sb_adds(sb, " | ");
		if (has_base) {
			add_value(sb, bv, k);
			sb_adds(sb, " | ");
			add_delta(sb, v, bv, k, worse_up);
		} else {
			sb_adds(sb, "n/a |");
		}
	}
	sb_adds(sb, " |\n");
}

static void add_header(struct strbuf *sb, const struct profile *p,
		       const struct record_info *ri,
		       const struct output_figures *fig,
		       const struct baseline *base)
{
	const struct profile_stats *st = profile_stats(p);
	const char *what = ri ? (ri->command ? ri->command : ri->cmdline) :
			   NULL;

	sb_adds(sb, "### gilspy: ");
	if (what && *what)
		md_code(sb, what, COMMAND_CHARS, 0);
	else if (ri)
		sb_addf(sb, "pid %d", (int)ri->pid);
	else
		sb_adds(sb, "GIL profile");
	sb_adds(sb, "\n\n");
	if (ri)
		sb_addf(sb, "pid %d · ", (int)ri->pid);
	if (ri && ri->python) {
		sb_adds(sb, "Python ");
		add_word(sb, ri->python);
		sb_adds(sb, " · ");
	}
	sb_addf(sb, "%.2f s · %llu samples at %.1f Hz", fig->duration_s,
		(unsigned long long)st->ticks, fig->achieved_hz);
	if (ri && ri->requested_hz > 0)
		sb_addf(sb, " (requested %g Hz%s)", ri->requested_hz,
			ri->blocking ? ", blocking" : "");
	if (ri && ri->stopped_by) {
		sb_adds(sb, " · stopped by ");
		if (plain_text(ri->stopped_by, 1))
			sb_adds(sb, ri->stopped_by);
		else
			md_code(sb, ri->stopped_by, 40, 0);
	}
	sb_adds(sb, "\n");
	if (base) {
		sb_adds(sb, "\nΔ against the base report (");
		if (base->generator) {
			md_code(sb, base->generator, 40, 0);
			sb_adds(sb, ", ");
		}
		if (base->python) {
			sb_adds(sb, "Python ");
			add_word(sb, base->python);
			sb_adds(sb, ", ");
		}
		if (base->has & BASE_DURATION)
			sb_addf(sb, "%.2f s, ", base->duration_s);
		if (base->has & BASE_SAMPLES)
			sb_addf(sb, "%llu samples, ",
				(unsigned long long)base->samples);
		sb_addf(sb, "schema %d", base->version);
		if (base->version > OUTPUT_JSON_VERSION)
			sb_adds(sb, ", newer than this gilspy: unknown fields "
				"ignored");
		sb_addf(sb, "); **worse** marks a rise of %.0f pp or more in "
			"contention, waiting or errors (%.2f in waiters).\n",
			WORSE_PP, WORSE_WAITERS);
	}
}

static void add_figures(struct strbuf *sb, const struct profile *p,
			const struct output_figures *fig,
			const struct baseline *b)
{
	const struct profile_stats *st = profile_stats(p);
	struct profile_shares sh, bsh;
	int bs = b && (b->has & BASE_STATES);

	profile_shares_total(p, &sh);
	if (bs)
		profile_shares_count(&bsh, b->state_total);
	else
		memset(&bsh, 0, sizeof(bsh));

	sb_addf(sb, "\n| figure | `--fail-if` | value |%s\n",
		b ? " base | Δ |" : "");
	sb_addf(sb, "|:--|:--|--:|%s\n", b ? "--:|--:|" : "");
	if (st->no_gil) {
		sb_addf(sb, "| GIL | | none: free-threaded build |%s\n",
			b ? " | |" : "");
	} else {
		fig_row(sb, "GIL utilisation (samples with a holder)",
			"utilisation", fig->utilisation_pct, F_PCT, b,
			b && (b->has & BASE_UTILISATION),
			b ? b->utilisation_pct : 0, 0);
		fig_row(sb, "contention (samples with a waiter)",
			"contention", fig->contention_pct, F_PCT, b,
			b && (b->has & BASE_CONTENTION),
			b ? b->contention_pct : 0, 1);
		fig_row(sb, "mean threads waiting", "waiters",
			fig->mean_waiters, F_WAITERS, b,
			b && (b->has & BASE_WAITERS),
			b ? b->mean_waiters : 0, 1);
		fig_row(sb, "GIL switches", "switches", fig->switches_per_s,
			F_RATE, b, b && (b->has & BASE_SWITCHES),
			b ? b->switches_per_s : 0, 0);
		fig_row(sb, "held, of busy thread samples", "held",
			profile_pct(sh.held, sh.busy), F_PCT, b, bs,
			profile_pct(bsh.held, bsh.busy), 0);
		fig_row(sb, "waiting, of busy thread samples", "waiting",
			profile_pct(sh.waiting, sh.busy), F_PCT, b, bs,
			profile_pct(bsh.waiting, bsh.busy), 1);
	}
	fig_row(sb, st->no_gil ? "running, of busy thread samples" :
		"native (no GIL), of busy thread samples", "native",
		profile_pct(sh.native, sh.busy), F_PCT, b, bs,
		profile_pct(bsh.native, bsh.busy), 0);
	fig_row(sb, "idle, of all thread samples", "idle",
		profile_pct(sh.idle, sh.all), F_PCT, b, bs,
		profile_pct(bsh.idle, bsh.all), 0);
	fig_row(sb, "errors (torn or unreadable samples)", "errors",
		fig->errors_pct, F_PCT, b, b && (b->has & BASE_ERRORS),
		b ? b->errors_pct : 0, 1);
	fig_row(sb, "samples read", "samples", (double)st->samples, F_COUNT,
		b, b && (b->has & BASE_SAMPLES),
		b ? (double)b->samples : 0, 0);
}

/* --- threads ---------------------------------------------------------------- */

static uint64_t busy_of(const struct profile_thread *t)
{
	struct profile_shares sh;

	profile_shares_count(&sh, t->state);
	return sh.busy;
}

static int cmp_busy(const void *a, const void *b, void *arg)
{
	const struct profile *p = arg;
	const struct profile_thread *x = profile_thread(p, *(const size_t *)a);
	const struct profile_thread *y = profile_thread(p, *(const size_t *)b);
	uint64_t bx = busy_of(x), by = busy_of(y);

	if (bx != by)
		return bx > by ? -1 : 1;
	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The base thread for profile thread idx: same name, and the k-th of that
 * name (in tid order) matches the base's k-th; NULL if none.  used marks
 * the base threads matched. */
static const struct baseline_thread *base_thread(const struct profile *p,
						 const size_t *order,
						 size_t pos,
						 const struct baseline *b,
						 unsigned char *used)
{
	const char *name = profile_thread(p, order[pos])->name;
	size_t k = 0, i;

	for (i = 0; i < pos; i++)
		if (!strcmp(profile_thread(p, order[i])->name, name))
			k++;
	for (i = 0; i < b->nthreads; i++)
		if (!strcmp(b->threads[i].name, name) && !k--) {
			used[i] = 1;
			return &b->threads[i];
		}
	return NULL;
}

static void thread_cell(struct strbuf *sb, double v,
			const struct baseline_thread *bt, int s)
{
	sb_addf(sb, " %.1f%%", v);
	if (bt && bt->has_pct) {
		double d = r1(v) - r1(bt->pct[s]);

		if (fabs(d) < 0.05)
			sb_adds(sb, " (0.0)");
		else
			sb_addf(sb, " (%+.1f)", d);
	}
	sb_adds(sb, " |");
}

static void add_threads(struct strbuf *sb, const struct profile *p,
			const struct baseline *b)
{
	size_t n = profile_nthreads(p), shown = n, i, missing = 0;
	size_t *order = report_thread_order(p), *rows;
	unsigned char *used = NULL;
	const struct baseline_thread **match = NULL;

	sb_adds(sb, "\n#### Threads\n\n");
	if (!n) {
		sb_adds(sb, "No thread was sampled.\n");
		free(order);
		return;
	}
	if (b) {
		/* match in tid order over all threads, so the rows shown do
		 * not change which base thread a name gets */
		used = xcalloc(b->nthreads + 1, 1);
		match = xcalloc(n, sizeof(*match));
		for (i = 0; i < n; i++)
			match[order[i]] = base_thread(p, order, i, b, used);
	}
	rows = xcalloc(n, sizeof(*rows));
	for (i = 0; i < n; i++)
		rows[i] = i;
	if (n > THREAD_ROWS) {
		/* the busiest, shown in tid order */
		qsort_r(rows, n, sizeof(*rows), cmp_busy, (void *)p);
		shown = THREAD_ROWS;
		for (i = 0; i < shown; i++) {
			size_t j;

			for (j = 0; j < n && order[j] != rows[i]; j++)
				;
			rows[i] = j;		/* position in tid order */
		}
		qsort(rows, shown, sizeof(*rows), cmp_size);
		for (i = 0; i < shown; i++)
			rows[i] = order[rows[i]];
	} else {
		memcpy(rows, order, n * sizeof(*rows));
	}
	sb_addf(sb, "| thread | tid | held | waiting | native | idle |\n"
		"|:--|--:|--:|--:|--:|--:|\n");
	for (i = 0; i < shown; i++) {
		const struct profile_thread *t = profile_thread(p, rows[i]);
		const struct baseline_thread *bt = match ? match[rows[i]] :
						   NULL;
		uint64_t s = t->samples;
		struct profile_shares sh;

		profile_shares_count(&sh, t->state);
		sb_adds(sb, "| ");
		md_code(sb, t->name, NAME_CHARS, 1);
		if (b && !bt && (b->has & BASE_THREADS))
			sb_adds(sb, " (new)");
		sb_addf(sb, " | %d |", (int)t->tid);
		thread_cell(sb, profile_pct(sh.held, s), bt, GIL_HELD);
		thread_cell(sb, profile_pct(sh.waiting, s), bt, GIL_WAITING);
		thread_cell(sb, profile_pct(sh.native, s), bt, GIL_NATIVE);
		thread_cell(sb, profile_pct(sh.idle, s), bt, GIL_IDLE);
		sb_addc(sb, '\n');
	}
	if (shown < n)
		sb_addf(sb, "\n%zu more threads not shown (the %d busiest are; "
			"the JSON report has them all).\n", n - shown,
			THREAD_ROWS);
	if (b && (b->has & BASE_THREADS)) {
		sb_adds(sb, b->nthreads ? "\n% of each thread's samples; "
			"(±x.x): change against the base thread of the same "
			"name.\n" : "\nThe base report has no threads to "
			"compare with.\n");
		for (i = 0; i < b->nthreads; i++) {
			if (used[i])
				continue;
			if (!missing)
				sb_adds(sb, "\nIn the base only:");
			if (missing++ < MISSING_NAMES) {
				sb_adds(sb, missing > 1 ? ", " : " ");
				md_code(sb, b->threads[i].name, NAME_CHARS,
					 0);
			}
		}
		if (missing > MISSING_NAMES)
			sb_addf(sb, " and %zu more", missing - MISSING_NAMES);
		if (missing)
			sb_adds(sb, ".\n");
	}
	free(rows);
	free(order);
	free(used);
	free(match);
}

/* --- top functions ------------------------------------------------------------ */

/* `name (file:line)` with the name cut first, so the file stays visible. */
static void func_label(struct strbuf *sb, const struct profile *p,
		       uint32_t func, int lineno)
{
	const struct profile_func *f = profile_func(p, func);
	const unsigned char *s = (const unsigned char *)f->name;
	struct profile_frame fr = { .name = f->name, .file = f->file,
				    .line = f->firstlineno,
				    .firstlineno = f->firstlineno,
				    .func = func };
	struct output_options o;
	char *cut = NULL;
	size_t chars = 0, off = 0;

	while (s[off] && chars < NAME_CHARS) {
		size_t n = utf8_seq(s + off);

		off += n ? n : 1;
		chars++;
	}
	if (s[off]) {
		cut = xmalloc(off + 4);
		memcpy(cut, s, off);
		memcpy(cut + off, "\xe2\x80\xa6", 4);
		fr.name = cut;
	}
	output_options_init(&o);
	o.function = 1;
	o.lineno = lineno;
	output_frame(sb, &fr, &o);
	free(cut);
}

static const struct baseline_func *base_func(const struct profile *p,
					     uint32_t func,
					     const struct baseline *b)
{
	const struct profile_func *f = profile_func(p, func);
	struct profile_frame fr = { .name = f->name, .file = f->file,
				    .func = func };
	struct output_options o;
	struct strbuf key = STRBUF_INIT;
	const struct baseline_func *hit = NULL;
	size_t i;

	output_options_init(&o);
	o.lineno = 0;
	output_frame(&key, &fr, &o);
	for (i = 0; i < b->nfuncs && !hit; i++)
		if (!strcmp(b->funcs[i].key, key.buf))
			hit = &b->funcs[i];
	sb_release(&key);
	return hit;
}

static void add_top(struct strbuf *sb, const struct profile *p,
		    struct profile_func_stats *fs, size_t n,
		    enum gil_state state, const char *title,
		    const struct baseline *b)
{
	uint64_t total = profile_state_total(p, state);
	size_t k = report_top(p, fs, n, state, TOP_ROWS), i;
	int bf = b && (b->has & BASE_FUNCTIONS);

	sb_addf(sb, "\n#### Top functions %s\n\n", title);
	if (!k) {
		sb_adds(sb, "None.\n");
		return;
	}
	sb_addf(sb, "| %% of %s samples | function |%s\n"
		"|--:|:--|%s\n", gil_state_name(state),
		bf ? " base | Δ |" : "", bf ? "--:|--:|" : "");
	for (i = 0; i < k; i++) {
		struct strbuf label = STRBUF_INIT;
		double v = profile_pct(fs[i].self[state], total);

		func_label(&label, p, fs[i].func, 1);
		sb_addf(sb, "| %.1f%% | ", v);
		md_code(sb, label.buf, LABEL_CHARS, 1);
		sb_adds(sb, " |");
		if (bf) {
			const struct baseline_func *f = base_func(p, fs[i].func,
								  b);

			if (!f)
				sb_adds(sb, " | new |");
			else if (f->pct[state] < 0)
				sb_adds(sb, " n/a | |");
			else {
				sb_addf(sb, " %.1f%% | ", f->pct[state]);
				add_delta(sb, v, f->pct[state], F_PCT,
					  state == GIL_WAITING);
				sb_adds(sb, " |");
			}
		}
		sb_addc(sb, '\n');
		sb_release(&label);
	}
	if (k < n && fs[k].self[state])
		sb_adds(sb, "\nThe JSON report lists every function.\n");
}

void output_markdown(struct strbuf *out, const struct profile *p,
		     const struct record_info *ri, const struct baseline *base)
{
	const struct profile_stats *st = profile_stats(p);
	struct strbuf sb = STRBUF_INIT;
	struct profile_func_stats *fs;
	struct output_figures fig;
	size_t n;

	output_figures(p, ri, &fig);
	add_header(&sb, p, ri, &fig, base);
	if (ri && ri->nprocs) {
		output_tree_markdown(&sb, ri);
		sb_adds(&sb, "\n### The first process recorded\n\n");
	}
	add_figures(&sb, p, &fig, base);
	add_threads(&sb, p, base);
	fs = profile_func_stats(p, &n);
	if (!st->no_gil) {
		add_top(&sb, p, fs, n, GIL_HELD, "holding the GIL", base);
		add_top(&sb, p, fs, n, GIL_WAITING, "waiting for the GIL",
			base);
		output_explain_markdown(&sb, p, ri,
			base && (base->has & BASE_SPEEDUP) ?
			base->no_gil_speedup : 0);
	} else {
		add_top(&sb, p, fs, n, GIL_RUNNING, "running", base);
	}
	free(fs);
	sb_addc(&sb, '\n');
	if (sb.len > OUTPUT_MARKDOWN_MAX) {
		/* not reached with the bounds above; a guard, not a layout */
		static const char note[] = "\n(summary cut at 64 KB)\n";
		size_t cut = OUTPUT_MARKDOWN_MAX - sizeof(note);

		while (cut && sb.buf[cut - 1] != '\n')
			cut--;
		sb.len = cut;
		sb_adds(&sb, note);
	}
	sb_add(out, sb.buf, sb.len);
	sb_release(&sb);
}
