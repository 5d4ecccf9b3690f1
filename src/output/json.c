/*
 * json.c - the machine-readable report of a recording.  The schema is
 * documented in man/gilspy-record.1 (JSON REPORT); OUTPUT_JSON_VERSION
 * changes when a field changes meaning or goes away.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/analysis.h"
#include "gilspy/json.h"
#include "gilspy/output.h"
#include "gilspy/report_keys.h"
#include "report.h"

static const enum gil_state shown[] = {
	GIL_HELD, GIL_WAITING, GIL_NATIVE, GIL_IDLE, GIL_RUNNING,
};

static void add_states(struct strbuf *sb, const uint64_t *c)
{
	size_t i;

	sb_addc(sb, '{');
	for (i = 0; i < ARRAY_SIZE(shown); i++)
		sb_addf(sb, "%s\"%s\": %llu", i ? ", " : "",
			gil_state_name(shown[i]),
			(unsigned long long)c[shown[i]]);
	sb_addc(sb, '}');
}

static int cmp_func(const void *a, const void *b, void *arg)
{
	const struct profile *p = arg;
	const struct profile_func *x = profile_func(p,
		((const struct profile_func_stats *)a)->func);
	const struct profile_func *y = profile_func(p,
		((const struct profile_func_stats *)b)->func);
	int r = strcmp(x->name, y->name);

	if (!r)
		r = strcmp(x->file, y->file);
	if (!r)
		r = (x->firstlineno > y->firstlineno) -
		    (x->firstlineno < y->firstlineno);
	return r;
}

static void add_top(struct strbuf *sb, const struct profile *p,
		    struct profile_func_stats *fs, size_t n,
		    enum gil_state state)
{
	uint64_t total = profile_state_total(p, state);
	size_t k = report_top(p, fs, n, state, 5), i;

	sb_addf(sb, "    \"%s\": [", gil_state_name(state));
	for (i = 0; i < k; i++) {
		const struct profile_func *f = profile_func(p, fs[i].func);
		struct strbuf label = STRBUF_INIT;

		report_func_label(&label, p, fs[i].func);
		sb_adds(sb, i ? ",\n      {" : "\n      {");
		sb_adds(sb, "\"function\": ");
		sb_add_json_str(sb, label.buf);
		sb_adds(sb, ", \"" RK_NAME "\": ");
		sb_add_json_str(sb, f->name);
		sb_adds(sb, ", \"" RK_FILE "\": ");
		sb_add_json_str(sb, f->file);
		sb_addf(sb, ", \"line\": %d, \"" RK_SAMPLES "\": %llu, \""
			RK_PCT "\": ",
			f->firstlineno,
			(unsigned long long)fs[i].self[state]);
		json_add_num(sb, total ? 100.0 * (double)fs[i].self[state] /
				    (double)total : 0);
		sb_addc(sb, '}');
		sb_release(&label);
	}
	sb_adds(sb, k ? "\n    ]" : "]");
}

void output_json(struct strbuf *sb, const struct profile *p,
		 const struct output_options *o, const struct record_info *ri)
{
	const struct profile_stats *st = profile_stats(p);
	const struct profile_bucket *bk;
	struct profile_func_stats *fs;
	struct output_figures fig;
	uint64_t per_bucket;
	size_t *order, nthreads = profile_nthreads(p), n, nb, i, j, k;

	output_figures(p, ri, &fig);
	sb_addf(sb, "{\n  \"" RK_VERSION "\": %d,\n  \"" RK_GENERATOR
		"\": \"gilspy %s\",\n",
		OUTPUT_JSON_VERSION, GILSPY_VERSION);

	sb_addf(sb, "  \"" RK_TARGET "\": {\"pid\": %d, \"" RK_PYTHON "\": ",
		(int)ri->pid);
	json_add_str_or_null(sb, ri->python);
	sb_adds(sb, ", \"binary\": ");
	json_add_str_or_null(sb, ri->binary);
	sb_adds(sb, ", \"" RK_COMMAND "\": ");
	json_add_str_or_null(sb, ri->command);
	if (ri->exit_code >= 0)
		sb_addf(sb, ", \"exit_code\": %d},\n", ri->exit_code);
	else
		sb_adds(sb, ", \"exit_code\": null},\n");

	sb_adds(sb, "  \"options\": {\"rate_hz\": ");
	json_add_num(sb, ri->requested_hz);
	sb_addf(sb, ", \"blocking\": %s, \"native\": %s, \"states\": [",
		json_bool(ri->blocking),
		ri->native == 2 ? "\"all\"" : json_bool(ri->native));
	for (i = 0, k = 0; i < ARRAY_SIZE(shown); i++)
		if (o->states & (1u << shown[i]))
			sb_addf(sb, "%s\"%s\"", k++ ? ", " : "",
				gil_state_name(shown[i]));
	sb_addf(sb, "], \"threads\": %s, \"lineno\": %s, \"function\": %s, "
		"\"state_frames\": %s},\n",
		json_bool(o->threads), json_bool(o->lineno),
		json_bool(o->function), json_bool(o->state_frames));

	if (ri->native_stops || ri->native_unstopped)	/* --native */
		sb_addf(sb, "  \"native_stops\": {\"threads\": %llu, "
			"\"median_us\": %.1f, \"p99_us\": %.1f, "
			"\"max_us\": %.1f, \"unstopped\": %llu, "
			"\"truncated\": %llu},\n",
			(unsigned long long)ri->native_stops,
			(double)ri->native_median_ns / 1e3,
			(double)ri->native_p99_ns / 1e3,
			(double)ri->native_max_ns / 1e3,
			(unsigned long long)ri->native_unstopped,
			(unsigned long long)ri->native_truncated);
	sb_adds(sb, "  \"" RK_SUMMARY "\": {\n    \"stopped_by\": ");
	json_add_str_or_null(sb, ri->stopped_by);
	sb_adds(sb, ",\n    \"" RK_DURATION_S "\": ");
	json_add_num(sb, fig.duration_s);
	sb_addf(sb, ",\n    \"ticks\": %llu, \"" RK_SAMPLES "\": %llu, "
		"\"failed\": %llu, \"missed_ticks\": %llu, "
		"\"stopped_ticks\": %llu,\n",
		(unsigned long long)st->ticks, (unsigned long long)st->samples,
		(unsigned long long)st->failed,
		(unsigned long long)ri->missed_ticks,
		(unsigned long long)ri->stopped_ticks);
	sb_adds(sb, "    \"requested_hz\": ");
	json_add_num(sb, ri->requested_hz);
	sb_adds(sb, ", \"achieved_hz\": ");
	json_add_num(sb, fig.achieved_hz);
	sb_addf(sb, ",\n    \"errors\": %llu, \"" RK_ERRORS_PCT "\": ",
		(unsigned long long)fig.errors);
	json_add_num(sb, fig.errors_pct);
	sb_addf(sb, ", \"torn_stacks\": %llu,\n",
		(unsigned long long)st->torn_stacks);
	sb_adds(sb, "    ");
	report_json_gil(sb, st, &fig, ",\n    ");
	sb_addf(sb, ", \"switch_interval_us\": %llu,\n",
		(unsigned long long)st->interval_us);
	{
		struct what_if w;

		analysis_what_if(profile_analysis(p), output_cores(ri), &w);
		sb_adds(sb, "    \"" RK_NO_GIL_SPEEDUP "\": ");
		json_add_num(sb, w.speedup);
		sb_addf(sb, ", \"cores\": %d,\n", w.cores);
	}
	sb_adds(sb, "    \"profiler_cpu_s\": ");
	json_add_num(sb, (double)ri->profiler_cpu_ns / 1e9);
	sb_adds(sb, ", \"profiler_cpu_per_sample_us\": ");
	json_add_num(sb, st->ticks ? (double)ri->profiler_cpu_ns / 1e3 /
				(double)st->ticks : 0);
	sb_addf(sb, ", \"peak_rss_kb\": %ld, \"profile_bytes\": %zu\n  },\n",
		ri->peak_rss_kb, profile_memory(p));

	order = report_thread_order(p);
	sb_adds(sb, "  \"" RK_THREADS "\": [");
	for (i = 0; i < nthreads; i++) {
		const struct profile_thread *t = profile_thread(p, order[i]);
		uint64_t s = t->samples ? t->samples : 1;

		sb_adds(sb, i ? ",\n    {" : "\n    {");
		sb_adds(sb, "\"" RK_NAME "\": ");
		sb_add_json_str(sb, t->name);
		sb_addf(sb, ", \"" RK_TID "\": %d, \"thread_id\": %llu, \""
			RK_SAMPLES "\": %llu, \"torn\": %llu,\n     \""
			RK_STATES "\": ",
			(int)t->tid, (unsigned long long)t->thread_id,
			(unsigned long long)t->samples,
			(unsigned long long)t->torn);
		add_states(sb, t->state);
		sb_adds(sb, ",\n     \"" RK_PCT "\": {");
		for (j = 0; j < ARRAY_SIZE(shown); j++) {
			sb_addf(sb, "%s\"%s\": ", j ? ", " : "",
				gil_state_name(shown[j]));
			json_add_num(sb, 100.0 * (double)t->state[shown[j]] /
				    (double)s);
		}
		sb_adds(sb, "}}");
	}
	sb_adds(sb, nthreads ? "\n  ],\n" : "],\n");

	fs = profile_func_stats(p, &n);
	sb_adds(sb, "  \"" RK_TOP "\": {\n");
	add_top(sb, p, fs, n, GIL_HELD);
	sb_adds(sb, ",\n");
	add_top(sb, p, fs, n, GIL_WAITING);
	sb_adds(sb, "\n  },\n");

	qsort_r(fs, n, sizeof(*fs), cmp_func, (void *)p);
	sb_adds(sb, "  \"" RK_FUNCTIONS "\": [");
	for (i = 0; i < n; i++) {
		const struct profile_func *f = profile_func(p, fs[i].func);

		sb_adds(sb, i ? ",\n    {" : "\n    {");
		sb_adds(sb, "\"" RK_NAME "\": ");
		sb_add_json_str(sb, f->name);
		sb_adds(sb, ", \"file\": ");
		sb_add_json_str(sb, f->file);
		sb_addf(sb, ", \"line\": %d,\n     \"" RK_SELF "\": ",
			f->firstlineno);
		add_states(sb, fs[i].self);
		sb_adds(sb, ",\n     \"total\": ");
		add_states(sb, fs[i].total);
		sb_addc(sb, '}');
	}
	sb_adds(sb, n ? "\n  ],\n" : "],\n");
	free(fs);

	bk = profile_timeline(p, &nb, &per_bucket);
	sb_addf(sb, "  \"timeline\": {\"ticks_per_bucket\": %llu, "
		"\"states\": [", (unsigned long long)per_bucket);
	for (j = 0; j < ARRAY_SIZE(shown); j++)
		sb_addf(sb, "%s\"%s\"", j ? ", " : "", gil_state_name(shown[j]));
	sb_adds(sb, "], \"threads\": [");
	for (i = 0; i < nthreads; i++)
		sb_addf(sb, "%s%d", i ? ", " : "",
			(int)profile_thread(p, order[i])->tid);
	sb_adds(sb, "],\n    \"buckets\": [");
	for (i = 0; i < nb; i++) {
		sb_adds(sb, i ? ",\n      {" : "\n      {");
		sb_adds(sb, "\"t_s\": ");
		json_add_num(sb, (double)bk[i].t_ns / 1e9);
		sb_addf(sb, ", \"ticks\": %u, \"held\": %u, \"contended\": %u, "
			"\"waiters\": %u, \"switches\": %u, \"threads\": [",
			bk[i].ticks, bk[i].held, bk[i].contended, bk[i].waiters,
			bk[i].switches);
		for (j = 0; j < nthreads; j++) {
			const uint32_t *tl = profile_thread_bucket(
				profile_thread(p, order[j]), i);

			sb_adds(sb, j ? ", [" : "[");
			for (k = 0; k < ARRAY_SIZE(shown); k++)
				sb_addf(sb, "%s%u", k ? ", " : "", tl[shown[k]]);
			sb_addc(sb, ']');
		}
		sb_adds(sb, "]}");
	}
	sb_adds(sb, nb ? "\n    ]},\n" : "]},\n");
	free(order);

	output_explain_json(sb, p, ri);
	if (ri->nprocs)
		output_tree_json(sb, ri);

	sb_adds(sb, "  \"debug\": {\"evidence\": {");
	for (i = 0; i < ARRAY_SIZE(shown); i++) {
		sb_addf(sb, "%s\n    \"%s\": {", i ? "," : "",
			gil_state_name(shown[i]));
		for (j = 0; j < EV_NSTATES; j++)
			sb_addf(sb, "%s\"%s\": %llu", j ? ", " : "",
				gil_evidence_name((enum gil_evidence)j),
				(unsigned long long)st->evidence[shown[i]][j]);
		sb_addc(sb, '}');
	}
	sb_adds(sb, "\n  }}\n}\n");
}
