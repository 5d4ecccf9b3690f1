/*
 * gates.c - check --fail-if thresholds against a profile (grammar and
 * metrics in gates.h and man/gilspy-record.1, FAIL-IF EXPRESSIONS; parsed
 * by gates_parse.c).
 *
 * Values are compared as they are printed (percentages and switches/s
 * rounded to 0.1, waiters to 0.01), so a message never says "20.0% > 20%".
 * A question the profile cannot answer (a selector matching no thread, no
 * thread sampled at all) counts as crossed: a gate that silently passes
 * because it looked at nothing would defeat its purpose in CI.
 */
#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/analysis.h"
#include "gilspy/baseline.h"
#include "gates_int.h"
#include "report.h"

/* --- checking ----------------------------------------------------------- */

/* A name for a message: one line, at most 40 characters. */
static void add_name(struct strbuf *sb, const char *name)
{
	gates_add_quoted(sb, name, name + strlen(name));
}

/* v as the message (and the summary) shows it: printf's rounding, not
 * round()'s, so the comparison never disagrees with the text. */
static double shown(double v, int decimals)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f", decimals, v);
	return strtod(buf, NULL);
}

static int compare(double v, enum op op, double limit)
{
	/* both sides are rounded to the shown precision: compare with a
	 * tolerance far below it */
	const double eps = 1e-9;

	switch (op) {
	case OP_GT: return v > limit + eps;
	case OP_GE: return v >= limit - eps;
	case OP_LT: return v < limit - eps;
	case OP_LE: return v <= limit + eps;
	case OP_EQ: return fabs(v - limit) <= eps;
	case OP_NE: return fabs(v - limit) > eps;
	}
	return 0;
}

static void add_expr(struct strbuf *sb, const struct gate *gt)
{
	sb_adds(sb, gt->def->name);
	if (gt->ps == PS_ALL)
		sb_adds(sb, "{*}");
	else if (gt->ps == PS_PID)
		sb_addf(sb, "{pid=%d}", (int)gt->pid);
	else if (gt->ps == PS_CMD) {
		sb_adds(sb, "{cmd=");
		gates_add_clean(sb, gt->pglob, gt->pglob + strlen(gt->pglob));
		sb_addc(sb, '}');
	}
	if (gt->sel) {
		sb_addc(sb, '[');
		gates_add_clean(sb, gt->sel, gt->sel + strlen(gt->sel));
		sb_addc(sb, ']');
	}
}

static const char *unit_of(const struct gate *gt)
{
	return gt->def->kind == K_PCT ? "%" :
	       gt->def->kind == K_RATE ? "/s" :
	       gt->def->kind == K_FACTOR ? "x" : "";
}

static int decimals_of(const struct gate *gt)
{
	return gt->def->kind == K_WAITERS || gt->def->kind == K_FACTOR ? 2 :
	       gt->def->kind == K_COUNT ? 0 : 1;
}

/* The right-hand side as written: "20%", "base+5%", "base*1.5", "base". */
static void add_limit(struct strbuf *sb, const struct gate *gt)
{
	if (gt->rel == REL_NONE) {
		sb_addf(sb, "%s%s", gt->limit_text, unit_of(gt));
		return;
	}
	sb_adds(sb, "base");
	if (!*gt->limit_text)
		return;
	if (gt->rel == REL_TIMES)
		sb_addf(sb, "*%s", gt->limit_text);
	else
		sb_addf(sb, "%c%s%s", gt->neg ? '-' : '+',
			gt->limit_text, unit_of(gt));
}

/* "threshold crossed: waiting[w-*] > base+5%: " - the start of a line
 * saying why a gate could not be checked (and so counts as crossed). */
static void add_unanswered(struct strbuf *out, const struct gate *gt)
{
	sb_adds(out, "threshold crossed: ");
	add_expr(out, gt);
	sb_addf(out, " %s ", gates_op_text[gt->op]);
	add_limit(out, gt);
	sb_adds(out, ": ");
}

/* held/waiting/native are shares of busy samples (held, waiting, native
 * or running) so that sleeping threads do not dilute them; idle is a share
 * of all samples.  *busy_out: whether there were busy samples. */
static double state_share(enum metric m, const uint64_t st[GIL_NSTATES],
			  int *busy_out)
{
	struct profile_shares sh;

	profile_shares_count(&sh, st);
	*busy_out = sh.busy != 0;
	switch (m) {
	case M_HELD:
		return profile_pct(sh.held, sh.busy);
	case M_WAITING:
		return profile_pct(sh.waiting, sh.busy);
	case M_NATIVE:
		return profile_pct(sh.native, sh.busy);
	default:
		return profile_pct(sh.idle, sh.all);
	}
}

/* Does a thread named name with tid match selector sel: its tid (all
 * digits) or a glob on its name? */
static int name_matches(const char *name, pid_t tid, const char *sel)
{
	const char *c;

	for (c = sel; *c && isdigit((unsigned char)*c); c++)
		;
	if (!*c && strlen(sel) < 11 && atol(sel) == (long)tid)
		return 1;
	return fnmatch(sel, name ? name : "", 0) == 0;
}

/* Thread-state metrics: the share of the selected threads' samples.
 * Returns 0 with *v set, or -1 with a reason in out. */
static int thread_metric(const struct gate *gt, const struct profile *p,
			 double *v, struct strbuf *ctx, struct strbuf *out)
{
	uint64_t st[GIL_NSTATES] = { 0 };
	size_t i, matched = 0, first = 0, *order;
	int k, busy;

	for (i = 0; i < profile_nthreads(p); i++) {
		const struct profile_thread *t = profile_thread(p, i);

		if (gt->sel && !name_matches(t->name, t->tid, gt->sel))
			continue;
		if (!matched++)
			first = i;
		for (k = 0; k < GIL_NSTATES; k++)
			st[k] += t->state[k];
	}
	if (!matched) {
		add_unanswered(out, gt);
		if (!gt->sel) {
			sb_adds(out, "no thread was sampled\n");
			return -1;
		}
		sb_adds(out, "no thread matches ");
		add_name(out, gt->sel);
		sb_adds(out, " (threads:");
		order = report_thread_order(p);
		for (i = 0; i < profile_nthreads(p) && i < 8; i++) {
			sb_adds(out, i ? ", " : " ");
			add_name(out, profile_thread(p, order[i])->name);
		}
		free(order);
		if (profile_nthreads(p) > 8)
			sb_addf(out, " and %zu more",
				profile_nthreads(p) - 8);
		sb_adds(out, ")\n");
		return -1;
	}
	*v = state_share(gt->def->m, st, &busy);
	if (!gt->sel) {
		sb_adds(ctx, "all threads");
	} else if (matched == 1) {
		const struct profile_thread *t = profile_thread(p, first);

		sb_adds(ctx, "thread ");
		add_name(ctx, t->name);
		sb_addf(ctx, ", tid %d", (int)t->tid);
	} else {
		sb_addf(ctx, "%zu threads match ", matched);
		add_name(ctx, gt->sel);
	}
	if (gt->def->m != M_IDLE && !busy)
		sb_adds(ctx, ", never busy");
	return 0;
}

/* The base branch's value of the gate's figure, matched the same way
 * (threads by name glob or tid).  0 with *v set, or -1 with a reason in
 * out: no --baseline, or a base report without that figure or thread. */
static int base_value(const struct gate *gt, const struct baseline *b,
		      double *v, struct strbuf *out)
{
	static const struct {
		enum metric m;
		unsigned bit;
	} need[] = {
		{ M_HELD, BASE_STATES }, { M_WAITING, BASE_STATES },
		{ M_NATIVE, BASE_STATES }, { M_IDLE, BASE_STATES },
		{ M_UTILISATION, BASE_UTILISATION },
		{ M_CONTENTION, BASE_CONTENTION }, { M_WAITERS, BASE_WAITERS },
		{ M_SWITCHES, BASE_SWITCHES }, { M_ERRORS, BASE_ERRORS },
		{ M_SAMPLES, BASE_SAMPLES }, { M_SPEEDUP, BASE_SPEEDUP },
	};
	uint64_t st[GIL_NSTATES] = { 0 };
	size_t i, matched = 0;
	unsigned bit = 0;
	int k, busy;

	if (!b) {
		add_unanswered(out, gt);
		sb_adds(out, "no base to compare with (give --baseline)\n");
		return -1;
	}
	for (i = 0; i < ARRAY_SIZE(need); i++)
		if (need[i].m == gt->def->m)
			bit = need[i].bit;
	if (gt->sel && gt->def->m <= M_IDLE) {
		for (i = 0; i < b->nthreads; i++) {
			const struct baseline_thread *t = &b->threads[i];

			if (!name_matches(t->name, t->tid, gt->sel))
				continue;
			if (!t->has_counts) {
				add_unanswered(out, gt);
				sb_adds(out, "the base report has no state "
					"counts for thread ");
				add_name(out, t->name);
				sb_adds(out, "\n");
				return -1;
			}
			matched++;
			for (k = 0; k < GIL_NSTATES; k++)
				st[k] += t->count[k];
		}
		if (!matched) {
			add_unanswered(out, gt);
			sb_adds(out, "no thread of the base matches ");
			add_name(out, gt->sel);
			sb_adds(out, "\n");
			return -1;
		}
		*v = state_share(gt->def->m, st, &busy);
		return 0;
	}
	if (!(b->has & bit)) {
		add_unanswered(out, gt);
		sb_addf(out, "the base report has no '%s' figure\n",
			gt->def->name);
		return -1;
	}
	switch (gt->def->m) {
	case M_HELD: case M_WAITING: case M_NATIVE: case M_IDLE:
		*v = state_share(gt->def->m, b->state_total, &busy);
		break;
	case M_UTILISATION: *v = b->utilisation_pct; break;
	case M_CONTENTION: *v = b->contention_pct; break;
	case M_WAITERS: *v = b->mean_waiters; break;
	case M_SWITCHES: *v = b->switches_per_s; break;
	case M_ERRORS: *v = b->errors_pct; break;
	case M_SAMPLES: *v = (double)b->samples; break;
	case M_SPEEDUP: *v = b->no_gil_speedup; break;
	}
	return 0;
}

/* A value rounded as it is printed (counts are whole). */
static double shown_as(const struct gate *gt, double v)
{
	return gt->def->kind == K_COUNT ? floor(v + 0.5) :
	       shown(v, decimals_of(gt));
}

int gates_needs_baseline(const struct gates *g)
{
	size_t i;

	for (i = 0; g && i < g->n; i++)
		if (g->v[i].rel != REL_NONE)
			return 1;
	return 0;
}

/* Check gate gt against profile p (figures with ri); proc, when not NULL,
 * names the process for the message.  1 when crossed (a line in out). */
static int check_one(const struct gate *gt, const struct profile *p,
		     const struct record_info *ri, const struct baseline *base,
		     const char *proc, struct strbuf *out)
{
	const struct profile_stats *stats = profile_stats(p);
	struct output_figures fig;
	struct strbuf ctx = STRBUF_INIT;
	double v = 0, bv = 0, limit = gt->limit;
	int dec = decimals_of(gt), crossed = 0;

	output_figures(p, ri, &fig);
	if (proc)
		sb_adds(&ctx, proc);
	switch (gt->def->m) {
	case M_HELD: case M_WAITING: case M_NATIVE: case M_IDLE: {
		struct strbuf t = STRBUF_INIT;
		size_t mark = out->len;

		if (thread_metric(gt, p, &v, &t, out) < 0) {
			/* "... no thread matches 'x' (...) in process N" */
			if (proc && out->len > mark &&
			    out->buf[out->len - 1] == '\n') {
				out->len--;
				sb_addf(out, " in %s\n", proc);
			}
			sb_release(&t);
			sb_release(&ctx);
			return 1;
		}
		if (ctx.len && t.len)
			sb_adds(&ctx, ", ");
		sb_add(&ctx, t.buf ? t.buf : "", t.len);
		sb_release(&t);
		break;
	}
	case M_UTILISATION: v = fig.utilisation_pct; break;
	case M_CONTENTION: v = fig.contention_pct; break;
	case M_WAITERS: v = fig.mean_waiters; break;
	case M_SWITCHES: v = fig.switches_per_s; break;
	case M_ERRORS: v = fig.errors_pct; break;
	case M_SAMPLES: v = (double)stats->samples; break;
	case M_SPEEDUP: {
		struct what_if w;

		analysis_what_if(profile_analysis(p), output_cores(ri), &w);
		v = w.speedup;
		break;
	}
	}
	/* against a base, both values as a JSON report carries them first
	 * (json_add_num(): 3 decimals): the base's was read from one, or
	 * worked out from its counts as v was.  Else a run checked against
	 * its own report can differ: 189.5499 shows 189.5, and its report's
	 * 189.550 shows 189.6. */
	if (gt->rel != REL_NONE && gt->def->kind != K_COUNT)
		v = shown(v, 3);
	v = shown_as(gt, v);
	if (gt->rel != REL_NONE) {
		if (base_value(gt, base, &bv, out) < 0) {
			sb_release(&ctx);
			return 1;
		}
		if (gt->def->kind != K_COUNT)
			bv = shown(bv, 3);
		bv = shown_as(gt, bv);
		limit = shown_as(gt, gt->rel == REL_TIMES ?
				 bv * gt->limit : bv + gt->limit);
	}
	if (compare(v, gt->op, limit)) {
		crossed = 1;
		sb_adds(out, "threshold crossed: ");
		add_expr(out, gt);
		sb_addf(out, " %.*f%s %s ", dec, v, unit_of(gt),
			gates_op_text[gt->op]);
		if (gt->rel == REL_NONE) {
			add_limit(out, gt);
		} else {
			/* waiting 41.2% > base 25.1% + 5% = 30.1% */
			sb_addf(out, "base %.*f%s", dec, bv, unit_of(gt));
			if (*gt->limit_text) {
				if (gt->rel == REL_TIMES)
					sb_addf(out, " * %s", gt->limit_text);
				else
					sb_addf(out, " %c %s%s",
						gt->neg ? '-' : '+',
						gt->limit_text, unit_of(gt));
				sb_addf(out, " = %.*f%s", dec, limit,
					unit_of(gt));
			}
		}
		if (ctx.len)
			sb_addf(out, " (%s)", ctx.buf);
		sb_addc(out, '\n');
	}
	sb_release(&ctx);
	return crossed;
}

static int proc_matches(const struct gate *gt, const struct record_process *rp)
{
	switch (gt->ps) {
	case PS_PID: return rp->pid == gt->pid;
	case PS_CMD: return !fnmatch(gt->pglob, rp->cmdline ? rp->cmdline : "",
				     0);
	default: return 1;
	}
}

/* A gate with a process selector: checked against each process it
 * matches, with that process's own figures; every one must pass.  A
 * recording of one process is matched as one (the target itself). */
static int check_procs(const struct gate *gt, const struct profile *p,
		       const struct record_info *ri, struct strbuf *out)
{
	struct record_process self = { 0 };
	const struct record_process *v = ri ? ri->procs : NULL;
	size_t i, n = ri ? ri->nprocs : 0, matched = 0;
	int crossed = 0;

	if (!n) {
		self.pid = ri ? ri->pid : 0;
		self.cmdline = ri ? ri->cmdline : NULL;
		self.prof = p;
		v = &self;
		n = 1;
	}
	for (i = 0; i < n; i++) {
		struct record_info pri = ri ? *ri : (struct record_info){ 0 };
		struct strbuf name = STRBUF_INIT;

		if (!v[i].prof || !proc_matches(gt, &v[i]))
			continue;
		matched++;
		/* its own span, as the processes table gives it */
		pri.pid = v[i].pid;
		pri.cmdline = v[i].cmdline;
		if (v != &self) {
			pri.python = v[i].python;
			pri.wall_ns = 0;
		}
		pri.procs = NULL;
		pri.nprocs = 0;
		sb_addf(&name, "process %d", (int)v[i].pid);
		crossed += check_one(gt, v[i].prof, &pri, NULL, name.buf, out);
		sb_release(&name);
	}
	if (!matched) {
		add_unanswered(out, gt);
		sb_adds(out, "no process matches (");
		for (i = 0; i < n && i < 8; i++)
			sb_addf(out, "%s%d", i ? ", " : "", (int)v[i].pid);
		if (n > 8)
			sb_addf(out, " and %zu more", n - 8);
		sb_adds(out, n ? " recorded)\n" : "none recorded)\n");
		return 1;
	}
	return crossed;
}

int gates_check(const struct gates *g, const struct profile *p,
		const struct record_info *ri, const struct baseline *base,
		struct strbuf *out)
{
	size_t i;
	int crossed = 0;

	if (!g)
		return 0;
	for (i = 0; i < g->n; i++) {
		const struct gate *gt = &g->v[i];

		if (gt->ps != PS_NONE)
			crossed += check_procs(gt, p, ri, out);
		else
			crossed += check_one(gt, p, ri, base, NULL, out);
	}
	return crossed;
}
