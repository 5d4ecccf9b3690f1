/* summary.c - the end-of-run text summary of `record`. */
#include <stdlib.h>
#include <string.h>

#include "gilspy/output.h"
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
	struct profile_frame fr = { f->name, f->file, f->firstlineno,
				    f->firstlineno, func };
	struct output_options o;

	output_options_init(&o);
	o.function = 1;
	output_frame(sb, &fr, &o);
}

static void top_list(struct strbuf *sb, const struct profile *p,
		     struct profile_func_stats *fs, size_t n,
		     enum gil_state state, const char *title)
{
	uint64_t total = profile_state_total(p, state);
	size_t k = report_top(p, fs, n, state, 5), i;

	sb_addf(sb, "\n  %s (top 5, %% of samples in that state):\n", title);
	if (!k)
		sb_adds(sb, "    (none)\n");
	for (i = 0; i < k; i++) {
		sb_addf(sb, "    %5.1f%%  ", profile_pct(fs[i].self[state], total));
		report_func_label(sb, p, fs[i].func);
		sb_addc(sb, '\n');
	}
}

void output_summary(struct strbuf *sb, const struct profile *p,
		    const struct record_info *ri)
{
	const struct profile_stats *st = profile_stats(p);
	struct output_figures fig;
	struct profile_func_stats *fs;
	size_t *order, n, i, namew = 6, start = sb->len;

	output_figures(p, ri, &fig);
	sb_addf(sb, "gilspy record: pid %d", (int)ri->pid);
	if (ri->python)
		sb_addf(sb, ", Python %s", ri->python);
	sb_addf(sb, ", %.2f s, stopped by %s\n", fig.duration_s,
		ri->stopped_by ? ri->stopped_by : "?");
	sb_addf(sb, "  samples     %llu at %.1f Hz (requested %.0f Hz%s)\n",
		(unsigned long long)st->ticks, fig.achieved_hz,
		ri->requested_hz, ri->blocking ? ", blocking" : "");
	sb_addf(sb, "  errors      %llu (%.2f %%) torn or unreadable samples\n",
		(unsigned long long)fig.errors, fig.errors_pct);
	if (ri->stopped_ticks)
		sb_addf(sb, "  stopped     %llu ticks while the target was "
			"stopped (SIGSTOP): left out\n",
			(unsigned long long)ri->stopped_ticks);
	if (st->no_gil) {
		sb_adds(sb, "  GIL         none: free-threaded build\n");
	} else {
		sb_addf(sb, "  GIL held    %.1f %% of samples (utilisation)\n",
			fig.utilisation_pct);
		sb_addf(sb, "  contention  %.1f %% of samples had a waiter, "
			"mean %.2f waiting\n", fig.contention_pct,
			fig.mean_waiters);
		sb_addf(sb, "  switches    %.1f /s (switch interval %.1f ms)\n",
			fig.switches_per_s, (double)st->interval_us / 1000.0);
	}

	order = report_thread_order(p);
	for (i = 0; i < profile_nthreads(p); i++) {
		size_t l = strlen(profile_thread(p, i)->name);

		if (l > namew)
			namew = l > 32 ? 32 : l;
	}
	sb_addf(sb, "\n  %-*s %8s %8s %8s %8s %8s\n", (int)namew, "thread",
		"tid", "held", "waiting", "native", "idle");
	for (i = 0; i < profile_nthreads(p); i++) {
		const struct profile_thread *t = profile_thread(p, order[i]);
		uint64_t s = t->samples;
		struct profile_shares sh;

		profile_shares_count(&sh, t->state);
		sb_addf(sb, "  %-*.*s %8d %7.1f%% %7.1f%% %7.1f%% %7.1f%%\n",
			(int)namew, (int)namew, t->name, (int)t->tid,
			profile_pct(sh.held, s), profile_pct(sh.waiting, s),
			profile_pct(sh.native, s), profile_pct(sh.idle, s));
	}
	free(order);

	fs = profile_func_stats(p, &n);
	top_list(sb, p, fs, n, GIL_HELD, "holding the GIL");
	if (!st->no_gil)
		top_list(sb, p, fs, n, GIL_WAITING, "waiting for the GIL");
	free(fs);
	/* The summary goes to a terminal: names read from the target (or
	 * from a raw file) must not carry escape sequences to it. */
	for (i = start; i < sb->len; i++)
		if (((unsigned char)sb->buf[i] < 0x20 && sb->buf[i] != '\n') ||
		    sb->buf[i] == 0x7f)
			sb->buf[i] = '?';
}
