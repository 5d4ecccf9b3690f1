/* summary.c - the end-of-run text summary of `record`. */
#include <stdlib.h>
#include <string.h>

#include "gilspy/output.h"
#include "report.h"

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
	if (ri->nprocs) {
		/* -s: every process in a table, then the first one in
		 * detail */
		sb_addf(sb, "gilspy record: pid %d and its subprocesses, "
			"%.2f s, stopped by %s\n", (int)ri->pid,
			(double)ri->wall_ns / 1e9,
			ri->stopped_by ? ri->stopped_by : "?");
		output_tree_text(sb, ri);
		sb_adds(sb, "\n");
		if (!output_tree_sampled(ri))
			goto clean;
		for (i = 0; i < ri->nprocs && !ri->procs[i].prof; i++)
			;
		sb_addf(sb, "first process recorded: ");
		output_process_root(sb, &ri->procs[i]);
		sb_addf(sb, ", Python %s, %.2f s\n",
			ri->procs[i].python ? ri->procs[i].python : "?",
			fig.duration_s);
	}
	if (!ri->nprocs) {
		sb_addf(sb, "gilspy record: pid %d", (int)ri->pid);
		if (ri->python)
			sb_addf(sb, ", Python %s", ri->python);
		sb_addf(sb, ", %.2f s, stopped by %s\n", fig.duration_s,
			ri->stopped_by ? ri->stopped_by : "?");
	}
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
	if (!st->no_gil)
		output_explain_text(sb, p, ri);
clean:
	/* The summary goes to a terminal: names read from the target (or
	 * from a raw file) must not carry escape sequences to it. */
	for (i = start; i < sb->len; i++)
		if (((unsigned char)sb->buf[i] < 0x20 && sb->buf[i] != '\n') ||
		    sb->buf[i] == 0x7f)
			sb->buf[i] = '?';
}
