/*
 * svg.c - record's SVG: the folded stacks rendered by the flame-graph
 * renderer (flamegraph/), with the run's GIL summary in the header band and
 * the command line as the title.  With o->blame the stacks are blame
 * stacks (collapsed.c) and the title says so.
 */
#include <stdlib.h>

#include "gilspy/flamegraph.h"
#include "gilspy/output.h"
#include "gilspy/profile.h"
#include "gilspy/util.h"

/* -s: the header band has a row per process (its threads' shares
 * together), in the order of ri->procs, and its figures are the first
 * process's. */
static int tree_svg(struct strbuf *sb, struct fg *g,
		    const struct output_figures *fig,
		    const struct record_info *ri)
{
	struct fg_gil_summary sum = { 0 };
	struct fg_gil_thread *th = xcalloc(ri->nprocs + 1, sizeof(*th));
	struct strbuf *names = xcalloc(ri->nprocs + 1, sizeof(*names));
	size_t i, k = 0;
	int ret;

	for (i = 0; i < ri->nprocs; i++) {
		const struct record_process *rp = &ri->procs[i];
		struct profile_shares sh;

		if (!rp->prof)
			continue;
		profile_shares_total(rp->prof, &sh);
		sb_init(&names[k]);
		output_process_root(&names[k], rp);
		th[k].name = names[k].buf;
		th[k].tid = (int)rp->pid;
		th[k].held = profile_pct(sh.held, sh.all);
		th[k].waiting = profile_pct(sh.waiting, sh.all);
		th[k].native = profile_pct(sh.native, sh.all);
		th[k].idle = profile_pct(sh.idle, sh.all);
		if (!sum.samples) {
			sum.samples = profile_stats(rp->prof)->samples;
			sum.free_threaded = profile_stats(rp->prof)->no_gil;
			sum.python_version = rp->python;
		}
		k++;
	}
	sum.utilisation_pct = fig->utilisation_pct;
	sum.contention_pct = fig->contention_pct;
	sum.mean_waiters = fig->mean_waiters;
	sum.switches_per_s = fig->switches_per_s;
	sum.interval_ms = fig->achieved_hz > 0 ? 1000.0 / fig->achieved_hz : 0;
	sum.duration_s = fig->duration_s;
	sum.nthreads = (int)k;
	sum.threads = th;
	fg_set_gil_summary(g, &sum);
	ret = fg_render(g, sb, NULL);
	fg_free(g);
	for (i = 0; i < k; i++)
		sb_release(&names[i]);
	free(names);
	free(th);
	return ret;
}

int output_svg(struct strbuf *sb, const struct profile *p,
	       const struct output_options *o, const struct record_info *ri)
{
	struct strbuf folded = STRBUF_INIT, title = STRBUF_INIT;
	struct output_figures fig;
	struct fg_gil_summary sum = { 0 };
	struct fg_gil_thread *th;
	struct fg_options fo;
	size_t n = profile_nthreads(p);
	struct fg *g;
	int ret;

	if (ri && ri->nprocs)
		output_collapsed_tree(&folded, ri, o);
	else
		output_collapsed(&folded, p, o);
	output_figures(p, ri, &fig);
	fg_options_init(&fo);
	if (o->blame)
		sb_adds(&title, "GIL blame: ");
	if (ri && ri->nprocs)
		sb_addf(&title, "%zu processes: ", output_tree_sampled(ri));
	if (ri && ri->command)
		sb_adds(&title, ri->command);
	else if (ri && ri->cmdline)
		sb_adds(&title, ri->cmdline);
	else if (ri)
		sb_addf(&title, "gilspy record -p %d", (int)ri->pid);
	fo.title = title.buf;
	g = fg_new(&fo);
	fg_read_mem(g, folded.buf ? folded.buf : "", folded.len, FG_NEW, NULL);

	if (ri && ri->nprocs) {
		ret = tree_svg(sb, g, &fig, ri);
		sb_release(&folded);
		sb_release(&title);
		return ret;
	}
	th = xcalloc(n ? n : 1, sizeof(*th));
	for (size_t i = 0; i < n; i++) {
		const struct profile_thread *pt = profile_thread(p, i);
		struct profile_shares sh;

		profile_shares_count(&sh, pt->state);
		th[i].name = pt->name;
		th[i].tid = (int)pt->tid;
		th[i].held = profile_pct(sh.held, pt->samples);
		th[i].waiting = profile_pct(sh.waiting, pt->samples);
		th[i].native = profile_pct(sh.native, pt->samples);
		th[i].idle = profile_pct(sh.idle, pt->samples);
	}
	sum.utilisation_pct = fig.utilisation_pct;
	sum.contention_pct = fig.contention_pct;
	sum.mean_waiters = fig.mean_waiters;
	sum.switches_per_s = fig.switches_per_s;
	sum.interval_ms = fig.achieved_hz > 0 ? 1000.0 / fig.achieved_hz : 0;
	sum.python_version = ri ? ri->python : NULL;
	sum.duration_s = fig.duration_s;
	sum.samples = profile_stats(p)->samples;
	sum.free_threaded = profile_stats(p)->no_gil;
	sum.nthreads = (int)n;
	sum.threads = th;
	fg_set_gil_summary(g, &sum);
	ret = fg_render(g, sb, NULL);
	fg_free(g);
	free(th);
	sb_release(&folded);
	sb_release(&title);
	return ret;
}
