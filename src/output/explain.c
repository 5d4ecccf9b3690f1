/*
 * explain.c - the contention analyses (analysis.h) as text for the summary,
 * markdown for the CI summary and JSON for the report: who makes whom
 * wait, who keeps the GIL too long, and what a run without GIL contention
 * would gain.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/analysis.h"
#include "gilspy/output.h"
#include "report.h"

/* Rows the JSON report keeps of the blame table; the rest are summed up in
 * "blame_rows" so a reader knows the table was cut. */
#define JSON_BLAME_MAX 1000
#define JSON_HOLDS_MAX 1000

int output_cores(const struct record_info *ri)
{
	return ri && ri->cores > 0 ? ri->cores : analysis_cores();
}

static const char *thread_name(const struct profile *p, uint32_t t)
{
	return t < profile_nthreads(p) ? profile_thread(p, t)->name : NULL;
}

/* "name: function (file:line)", or "(no holder)" / "name: ?" */
static void add_who(struct strbuf *sb, const struct profile *p,
		    uint32_t thread, uint32_t func)
{
	const char *name = thread_name(p, thread);

	if (!name) {
		sb_adds(sb, "(GIL in hand-off)");
		return;
	}
	sb_addf(sb, "%s: ", name);
	if (func == ANALYSIS_NONE)
		sb_adds(sb, "?");
	else
		report_func_label(sb, p, func);
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

void output_what_if_line(struct strbuf *sb, const struct profile *p,
			 const struct record_info *ri)
{
	struct what_if w;

	analysis_what_if(profile_analysis(p), output_cores(ri), &w);
	sb_addf(sb, "without GIL contention this run would take about "
		"%.0f %% of its time on %d core%s (%.2fx faster)",
		w.recorded_s > 0 ? 100.0 * w.predicted_s / w.recorded_s : 100.0,
		w.cores, w.cores == 1 ? "" : "s", w.speedup);
}

void output_explain_text(struct strbuf *sb, const struct profile *p,
			 const struct record_info *ri)
{
	const struct analysis *a = profile_analysis(p);
	struct blame_row *br;
	struct hold_row *hr;
	uint64_t waiting;
	size_t n, i;

	br = analysis_blame(a, &n, &waiting);
	sb_adds(sb, "\n  waiting caused by (top 5, % of samples waiting):\n");
	if (!n)
		sb_adds(sb, "    (none)\n");
	for (i = 0; i < n && i < 5; i++) {
		sb_addf(sb, "    %5.1f%%  ", 100.0 * share(br[i].samples,
							 waiting));
		add_who(sb, p, br[i].waiter_thread, br[i].waiter_func);
		sb_adds(sb, "  <-  ");
		add_who(sb, p, br[i].holder_thread, br[i].holder_func);
		sb_addc(sb, '\n');
	}
	free(br);

	hr = analysis_holds(a, &n);
	sb_addf(sb, "\n  GIL holds (top 5 by p95; resolution %.1f ms):\n",
		analysis_resolution_ms(a));
	if (!n)
		sb_adds(sb, "    (none)\n");
	for (i = 0; i < n && i < 5; i++) {
		sb_addf(sb, "    p50 %6.1f  p95 %6.1f  max %6.1f ms  %6llu "
			"holds, %llu over the interval  ", hr[i].p50_ms,
			hr[i].p95_ms, hr[i].max_ms,
			(unsigned long long)hr[i].count,
			(unsigned long long)hr[i].over_interval);
		add_who(sb, p, hr[i].thread, hr[i].func);
		sb_addc(sb, '\n');
	}
	free(hr);

	sb_adds(sb, "\n  what-if     ");
	output_what_if_line(sb, p, ri);
	sb_addc(sb, '\n');
}

/* --- JSON ----------------------------------------------------------------- */

static void json_num(struct strbuf *sb, double v)
{
	if (v != v)
		v = 0;
	sb_addf(sb, "%.3f", v);
}

static void json_who(struct strbuf *sb, const struct profile *p,
		     uint32_t thread, uint32_t func)
{
	const char *name = thread_name(p, thread);

	if (!name) {
		sb_adds(sb, "{\"thread\": null, \"tid\": null, "
			"\"function\": null}");
		return;
	}
	sb_adds(sb, "{\"thread\": ");
	sb_add_json_str(sb, name);
	sb_addf(sb, ", \"tid\": %d, \"function\": ",
		(int)profile_thread(p, thread)->tid);
	if (func == ANALYSIS_NONE) {
		sb_adds(sb, "null}");
	} else {
		struct strbuf label = STRBUF_INIT;

		report_func_label(&label, p, func);
		sb_add_json_str(sb, label.buf);
		sb_release(&label);
		sb_addc(sb, '}');
	}
}

void output_explain_json(struct strbuf *sb, const struct profile *p,
			 const struct record_info *ri)
{
	const struct analysis *a = profile_analysis(p);
	struct blame_row *br;
	struct hold_row *hr;
	struct what_if w;
	uint64_t waiting;
	size_t n, i;

	br = analysis_blame(a, &n, &waiting);
	sb_addf(sb, "  \"blame_waiting\": %llu, \"blame_rows\": %zu,\n",
		(unsigned long long)waiting, n);
	sb_adds(sb, "  \"blame\": [");
	for (i = 0; i < n && i < JSON_BLAME_MAX; i++) {
		sb_adds(sb, i ? ",\n    {\"waiter\": " : "\n    {\"waiter\": ");
		json_who(sb, p, br[i].waiter_thread, br[i].waiter_func);
		sb_adds(sb, ",\n     \"holder\": ");
		json_who(sb, p, br[i].holder_thread, br[i].holder_func);
		sb_addf(sb, ", \"samples\": %llu, \"share\": ",
			(unsigned long long)br[i].samples);
		sb_addf(sb, "%.4f}", share(br[i].samples, waiting));
	}
	sb_adds(sb, n ? "\n  ],\n" : "],\n");
	free(br);

	hr = analysis_holds(a, &n);
	sb_adds(sb, "  \"holds_resolution_ms\": ");
	json_num(sb, analysis_resolution_ms(a));
	sb_adds(sb, ",\n  \"holds\": [");
	for (i = 0; i < n && i < JSON_HOLDS_MAX; i++) {
		const char *name = thread_name(p, hr[i].thread);

		sb_adds(sb, i ? ",\n    {\"thread\": " : "\n    {\"thread\": ");
		if (name) {
			sb_add_json_str(sb, name);
			sb_addf(sb, ", \"tid\": %d",
				(int)profile_thread(p, hr[i].thread)->tid);
		} else {
			sb_adds(sb, "null, \"tid\": null");
		}
		sb_adds(sb, ", \"function\": ");
		if (hr[i].func == ANALYSIS_NONE) {
			sb_adds(sb, "null");
		} else {
			struct strbuf label = STRBUF_INIT;

			report_func_label(&label, p, hr[i].func);
			sb_add_json_str(sb, label.buf);
			sb_release(&label);
		}
		sb_addf(sb, ",\n     \"count\": %llu, \"p50_ms\": ",
			(unsigned long long)hr[i].count);
		json_num(sb, hr[i].p50_ms);
		sb_adds(sb, ", \"p95_ms\": ");
		json_num(sb, hr[i].p95_ms);
		sb_adds(sb, ", \"max_ms\": ");
		json_num(sb, hr[i].max_ms);
		sb_addf(sb, ", \"over_interval\": %llu}",
			(unsigned long long)hr[i].over_interval);
	}
	sb_adds(sb, n ? "\n  ],\n" : "],\n");
	free(hr);

	analysis_what_if(a, output_cores(ri), &w);
	sb_adds(sb, "  \"what_if\": {\"no_gil_speedup\": ");
	json_num(sb, w.speedup);
	sb_addf(sb, ", \"cores\": %d, \"recorded_s\": ", w.cores);
	json_num(sb, w.recorded_s);
	sb_adds(sb, ", \"predicted_s\": ");
	json_num(sb, w.predicted_s);
	sb_adds(sb, ",\n    \"idle_s\": ");
	json_num(sb, w.idle_s);
	sb_adds(sb, ", \"work_s\": ");
	json_num(sb, w.work_s);
	sb_adds(sb, ", \"longest_thread_s\": ");
	json_num(sb, w.longest_s);
	sb_adds(sb, ", \"held_s\": ");
	json_num(sb, w.held_s);
	sb_adds(sb, "},\n");
}

/* --- markdown ------------------------------------------------------------- */

static void md_who(struct strbuf *sb, const struct profile *p,
		   uint32_t thread, uint32_t func)
{
	struct strbuf t = STRBUF_INIT;

	add_who(&t, p, thread, func);
	md_code(sb, t.buf, MD_LABEL_CHARS, 1);
	sb_release(&t);
}

void output_explain_markdown(struct strbuf *sb, const struct profile *p,
			     const struct record_info *ri, double base_speedup)
{
	const struct analysis *a = profile_analysis(p);
	struct blame_row *br;
	struct hold_row *hr;
	struct what_if w;
	uint64_t waiting;
	size_t n, i;

	analysis_what_if(a, output_cores(ri), &w);
	sb_adds(sb, "\n#### What-if\n\n");
	output_what_if_line(sb, p, ri);
	if (base_speedup > 0)
		sb_addf(sb, "; base: %.2fx (%+.2f)", base_speedup,
			w.speedup - base_speedup);
	sb_adds(sb, ".\n");

	br = analysis_blame(a, &n, &waiting);
	if (n) {
		sb_adds(sb, "\n#### Who makes whom wait\n\nEach waiting "
			"sample charged to the holder at the same instant.\n\n"
			"| waiting | held by | samples | share |\n"
			"|---|---|---:|---:|\n");
		for (i = 0; i < n && i < 10; i++) {
			sb_adds(sb, "| ");
			md_who(sb, p, br[i].waiter_thread, br[i].waiter_func);
			sb_adds(sb, " | ");
			md_who(sb, p, br[i].holder_thread, br[i].holder_func);
			sb_addf(sb, " | %llu | %.1f%% |\n",
				(unsigned long long)br[i].samples,
				100.0 * share(br[i].samples, waiting));
		}
		if (n > 10)
			sb_addf(sb, "\n%zu more pairs in the JSON report.\n",
				n - 10);
	}
	free(br);

	hr = analysis_holds(a, &n);
	if (n) {
		sb_addf(sb, "\n#### GIL holds\n\nResolution %.1f ms: a hold "
			"is estimated from the samples that saw it.\n\n"
			"| holder | p50 ms | p95 ms | max ms | holds | "
			"over the interval |\n|---|---:|---:|---:|---:|---:|\n",
			analysis_resolution_ms(a));
		for (i = 0; i < n && i < 10; i++) {
			sb_adds(sb, "| ");
			md_who(sb, p, hr[i].thread, hr[i].func);
			sb_addf(sb, " | %.1f | %.1f | %.1f | %llu | %llu |\n",
				hr[i].p50_ms, hr[i].p95_ms, hr[i].max_ms,
				(unsigned long long)hr[i].count,
				(unsigned long long)hr[i].over_interval);
		}
	}
	free(hr);
}
