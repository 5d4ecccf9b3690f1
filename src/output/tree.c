/*
 * tree.c - the outputs of a recording that followed a process tree (-s):
 * every process has its own profile (its own GIL, threads and frames), and
 * these renderers put them side by side.  Stacks get a root frame
 * `process PID (COMMAND LINE)`; the tables give each process its own
 * figures.  Processes that could not be recorded are listed with why.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/json.h"
#include "gilspy/output.h"
#include "gilspy/report_keys.h"
#include "report.h"

/* Longest command line shown in a frame or a table, in bytes. */
#define CMDLINE_MAX 100
/* Rows of the markdown's table (a step summary is capped at 64 kB). */
#define MD_ROWS_MAX 50

/* The command line made safe for a frame or a table cell: no ';', '|' or
 * control characters, at most CMDLINE_MAX bytes (cut on a character). */
static void add_cmdline(struct strbuf *sb, const char *cmd)
{
	size_t n = 0;

	if (!cmd || !*cmd) {
		sb_adds(sb, "?");
		return;
	}
	for (const char *s = cmd; *s; s++, n++) {
		unsigned char c = (unsigned char)*s;

		if (n >= CMDLINE_MAX && (c & 0xc0) != 0x80) {
			sb_adds(sb, "...");
			return;
		}
		sb_addc(sb, c == ';' ? ':' : c == '|' ? '/' :
			c < 0x20 ? ' ' : (char)c);
	}
}

void output_pprof_tree(struct strbuf *sb, const struct record_info *ri,
		       const struct output_options *o)
{
	struct output_process *v = xcalloc(ri->nprocs + 1, sizeof(*v));
	struct strbuf *cmds = xcalloc(ri->nprocs + 1, sizeof(*cmds));
	size_t i, k = 0;

	for (i = 0; i < ri->nprocs; i++) {
		if (!ri->procs[i].prof)
			continue;
		/* the command line as the folded roots show it */
		sb_init(&cmds[k]);
		add_cmdline(&cmds[k], ri->procs[i].cmdline);
		v[k].pid = ri->procs[i].pid;
		v[k].cmdline = cmds[k].buf;
		v[k].p = ri->procs[i].prof;
		k++;
	}
	output_pprof_processes(sb, v, k, o, ri);
	for (i = 0; i < k; i++)
		sb_release(&cmds[i]);
	free(cmds);
	free(v);
}

void output_process_root(struct strbuf *sb, const struct record_process *rp)
{
	sb_addf(sb, "process %d (", (int)rp->pid);
	add_cmdline(sb, rp->cmdline);
	sb_addc(sb, ')');
}

/* The figures of one process: its own span, not the recording's. */
static void proc_figures(const struct record_process *rp,
			 const struct record_info *ri,
			 struct output_figures *fig)
{
	struct record_info pri = *ri;

	pri.pid = rp->pid;
	pri.python = rp->python;
	pri.cmdline = rp->cmdline;
	pri.wall_ns = 0;
	pri.procs = NULL;
	pri.nprocs = 0;
	output_figures(rp->prof, &pri, fig);
}

void output_collapsed_tree(struct strbuf *sb, const struct record_info *ri,
			   const struct output_options *o)
{
	struct output_options po = *o;
	struct strbuf root = STRBUF_INIT;
	size_t i;

	for (i = 0; i < ri->nprocs; i++) {
		const struct record_process *rp = &ri->procs[i];

		if (!rp->prof)
			continue;
		sb_reset(&root);
		output_process_root(&root, rp);
		po.root = root.buf;
		output_collapsed(sb, rp->prof, &po);
	}
	sb_release(&root);
}

size_t output_tree_threads(const struct record_info *ri)
{
	size_t i, n = 0;

	for (i = 0; i < ri->nprocs; i++)
		if (ri->procs[i].prof)
			n += profile_nthreads(ri->procs[i].prof);
	return n;
}

size_t output_tree_sampled(const struct record_info *ri)
{
	size_t i, n = 0;

	for (i = 0; i < ri->nprocs; i++)
		n += ri->procs[i].prof != NULL;
	return n;
}

/* --- JSON ----------------------------------------------------------------- */

static void json_shares(struct strbuf *sb, const struct profile_shares *sh)
{
	sb_adds(sb, "{\"held\": ");
	json_add_num(sb, profile_pct(sh->held, sh->all));
	sb_adds(sb, ", \"waiting\": ");
	json_add_num(sb, profile_pct(sh->waiting, sh->all));
	sb_adds(sb, ", \"native\": ");
	json_add_num(sb, profile_pct(sh->native, sh->all));
	sb_adds(sb, ", \"idle\": ");
	json_add_num(sb, profile_pct(sh->idle, sh->all));
	sb_addc(sb, '}');
}

static void json_process(struct strbuf *sb, const struct record_process *rp,
			 const struct record_info *ri)
{
	const struct profile *p = rp->prof;
	const struct profile_stats *st = profile_stats(p);
	struct output_figures fig;
	struct profile_shares sh;
	size_t *order, n = profile_nthreads(p), i;

	proc_figures(rp, ri, &fig);
	sb_addf(sb, "\n    {\"pid\": %d, \"ppid\": %d, \"" RK_COMMAND "\": ",
		(int)rp->pid, (int)rp->ppid);
	json_add_str_or_null(sb, rp->cmdline);
	sb_adds(sb, ", \"" RK_PYTHON "\": ");
	json_add_str_or_null(sb, rp->python);
	/* CLOCK_MONOTONIC of its first sample: how soon it was seen */
	sb_adds(sb, ", \"first_sample_s\": ");
	json_add_num(sb, (double)st->start_ns / 1e9);
	sb_addf(sb, ",\n     \"" RK_SUMMARY "\": {\"" RK_DURATION_S "\": ");
	json_add_num(sb, fig.duration_s);
	sb_addf(sb, ", \"ticks\": %llu, \"" RK_SAMPLES "\": %llu, "
		"\"failed\": %llu, \"stopped_ticks\": %llu, ",
		(unsigned long long)st->ticks,
		(unsigned long long)st->samples,
		(unsigned long long)st->failed,
		(unsigned long long)rp->stopped_ticks);
	report_json_gil(sb, st, &fig, ", ");
	profile_shares_total(p, &sh);
	sb_adds(sb, ",\n       \"" RK_PCT "\": ");
	json_shares(sb, &sh);
	sb_adds(sb, "},\n     \"" RK_THREADS "\": [");
	order = report_thread_order(p);
	for (i = 0; i < n; i++) {
		const struct profile_thread *t = profile_thread(p, order[i]);

		profile_shares_count(&sh, t->state);
		sb_adds(sb, i ? ",\n       {" : "\n       {");
		sb_adds(sb, "\"" RK_NAME "\": ");
		sb_add_json_str(sb, t->name);
		sb_addf(sb, ", \"" RK_TID "\": %d, \"" RK_SAMPLES "\": %llu, "
			"\"" RK_PCT "\": ", (int)t->tid,
			(unsigned long long)t->samples);
		json_shares(sb, &sh);
		sb_addc(sb, '}');
	}
	free(order);
	sb_adds(sb, n ? "\n     ]}" : "]}");
}

void output_tree_json(struct strbuf *sb, const struct record_info *ri)
{
	size_t i, k;

	sb_adds(sb, "  \"processes\": [");
	for (i = 0, k = 0; i < ri->nprocs; i++) {
		if (!ri->procs[i].prof)
			continue;
		if (k++)
			sb_addc(sb, ',');
		json_process(sb, &ri->procs[i], ri);
	}
	sb_adds(sb, k ? "\n  ],\n" : "],\n");
	sb_adds(sb, "  \"processes_skipped\": [");
	for (i = 0, k = 0; i < ri->nprocs; i++) {
		const struct record_process *rp = &ri->procs[i];

		if (rp->prof)
			continue;
		sb_addf(sb, "%s\n    {\"pid\": %d, \"ppid\": %d, \""
			RK_COMMAND "\": ", k++ ? "," : "", (int)rp->pid,
			(int)rp->ppid);
		json_add_str_or_null(sb, rp->cmdline);
		sb_adds(sb, ", \"reason\": ");
		json_add_str_or_null(sb, rp->skip);
		sb_addc(sb, '}');
	}
	sb_adds(sb, k ? "\n  ],\n" : "],\n");
}

/* --- tables --------------------------------------------------------------- */

/* One row's cells: pid, command, samples, utilisation, contention, held,
 * waiting, native, idle. */
struct row {
	int pid;
	struct strbuf cmd;
	uint64_t samples;
	double util, cont, held, waiting, native, idle;
};

static void fill_row(struct row *r, const struct record_process *rp,
		     const struct record_info *ri)
{
	struct output_figures fig;
	struct profile_shares sh;

	proc_figures(rp, ri, &fig);
	profile_shares_total(rp->prof, &sh);
	r->pid = (int)rp->pid;
	sb_init(&r->cmd);
	add_cmdline(&r->cmd, rp->cmdline);
	r->samples = profile_stats(rp->prof)->samples;
	r->util = fig.utilisation_pct;
	r->cont = fig.contention_pct;
	r->held = profile_pct(sh.held, sh.all);
	r->waiting = profile_pct(sh.waiting, sh.all);
	r->native = profile_pct(sh.native, sh.all);
	r->idle = profile_pct(sh.idle, sh.all);
}

void output_tree_text(struct strbuf *sb, const struct record_info *ri)
{
	size_t i, skipped = 0;

	sb_addf(sb, "\n  processes (%zu recorded; each with its own GIL; "
		"shares of its threads' samples):\n",
		output_tree_sampled(ri));
	sb_adds(sb, "        pid  samples   GIL util  contention    held  "
		"waiting  native    idle  command\n");
	for (i = 0; i < ri->nprocs; i++) {
		struct row r;

		if (!ri->procs[i].prof) {
			skipped++;
			continue;
		}
		fill_row(&r, &ri->procs[i], ri);
		sb_addf(sb, "  %9d %8llu  %8.1f%%  %9.1f%%  %5.1f%%  %6.1f%%  "
			"%5.1f%%  %5.1f%%  %s\n", r.pid,
			(unsigned long long)r.samples, r.util, r.cont, r.held,
			r.waiting, r.native, r.idle, r.cmd.buf);
		sb_release(&r.cmd);
	}
	if (!skipped)
		return;
	sb_addf(sb, "  not recorded (%zu):\n", skipped);
	for (i = 0; i < ri->nprocs; i++) {
		const struct record_process *rp = &ri->procs[i];
		struct strbuf cmd = STRBUF_INIT;

		if (rp->prof)
			continue;
		add_cmdline(&cmd, rp->cmdline);
		sb_addf(sb, "  %9d  %s: %s\n", (int)rp->pid, cmd.buf,
			rp->skip ? rp->skip : "?");
		sb_release(&cmd);
	}
}

void output_tree_markdown(struct strbuf *sb, const struct record_info *ri)
{
	size_t i, skipped = 0, rows = 0, more = 0;

	sb_addf(sb, "\n### Processes\n\n%zu recorded, each with its own GIL; "
		"held, waiting, native and idle are shares of its threads' "
		"samples.\n\n", output_tree_sampled(ri));
	sb_adds(sb, "| pid | command | samples | GIL utilisation | "
		"contention | held | waiting | native | idle |\n"
		"|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
	for (i = 0; i < ri->nprocs; i++) {
		struct row r;

		if (!ri->procs[i].prof) {
			skipped++;
			continue;
		}
		if (rows++ >= MD_ROWS_MAX) {
			more++;
			continue;
		}
		fill_row(&r, &ri->procs[i], ri);
		sb_addf(sb, "| %d | ", r.pid);
		md_code(sb, r.cmd.buf, CMDLINE_MAX + 3, 1);
		sb_addf(sb, " | %llu | %.1f %% | %.1f %% | %.1f %% | %.1f %% | "
			"%.1f %% | %.1f %% |\n", (unsigned long long)r.samples,
			r.util, r.cont, r.held, r.waiting, r.native, r.idle);
		sb_release(&r.cmd);
	}
	if (more)
		sb_addf(sb, "\n%zu more processes: see the JSON report.\n",
			more);
	if (!skipped)
		return;
	sb_adds(sb, "\nNot recorded:\n\n");
	for (i = 0, rows = 0; i < ri->nprocs; i++) {
		const struct record_process *rp = &ri->procs[i];
		struct strbuf cmd = STRBUF_INIT;

		if (rp->prof)
			continue;
		if (rows++ >= MD_ROWS_MAX) {
			sb_addf(sb, "- and %zu more\n", skipped - MD_ROWS_MAX);
			break;
		}
		add_cmdline(&cmd, rp->cmdline);
		sb_addf(sb, "- %d ", (int)rp->pid);
		md_code(sb, cmd.buf, CMDLINE_MAX + 3, 0);
		sb_addf(sb, ": %s\n", rp->skip ? rp->skip : "?");
		sb_release(&cmd);
	}
}
