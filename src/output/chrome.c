/*
 * chrome.c - a GIL timeline as Chrome trace-event JSON (the "JSON Object
 * Format" with a traceEvents array), for Perfetto, chrome://tracing and
 * speedscope.
 *
 * What it holds, and the choices made:
 *  - every thread is a track of complete ("X") events named after its GIL
 *    state: held, waiting, native, idle (running on free-threaded builds).
 *    Consecutive samples in the same state are one interval, which runs
 *    from its first sample to the thread's next sample: the next tick is
 *    the first moment the state is known to have changed.  A failed tick,
 *    a tick the thread is missing from (exited, not yet started, or its
 *    state filtered out) ends the interval at that tick; after a gap
 *    longer than GAP_PERIODS mean tick intervals (gilspy stalled or was
 *    stopped) and at the end of the recording the interval ends one mean
 *    tick interval after its last sample, the time that sample stands for.
 *    args.function is the innermost Python function at the interval's
 *    first sample (frame text as in the collapsed output).  Samples whose
 *    state is filtered out (default: idle) leave a hole, as in the other
 *    formats.
 *  - a "GIL holder" track (tid 0, which no Linux thread has), whose slices
 *    are named "NAME (tid)" after the thread holding the GIL: hand-offs
 *    are the slice edges, convoys the rapid alternation between names.
 *    No args there: speedscope names a slice by its name plus its args,
 *    and the holder's function is on its own track at the same time.  The
 *    track and the counter describe every sample, whatever the state
 *    filter, like the summary.
 *  - a "GIL waiters" counter ("C" event, series "waiting"), written
 *    whenever the number of threads waiting for the GIL changes (not on
 *    free-threaded builds, which have neither holder nor waiters).
 *  - a thread whose tid is unknown (0) gets a track id above any Linux
 *    tid, so tid 0 stays the holder track's.
 *  - ts and dur are integer microseconds from the first tick.  Integers
 *    because readers add ts + dur in binary floating point: with integers
 *    one interval ends exactly where the next one starts, and speedscope,
 *    which nests X events by their ends, never sees a false overlap.
 *    Sub-microsecond precision means nothing for a sampler at <= 10 kHz.
 *  - metadata: process_name (the command line, paths cut to their base
 *    names; otherData.command has it whole), thread_name (the Python
 *    thread name; viewers add the tid), thread_sort_index (the GIL track
 *    first, then threads by tid).  Threads with no interval get none.
 *  - "cname" gives chrome://tracing's reserved colours (held running
 *    green, waiting runnable blue, native yellow, idle sleeping grey);
 *    other viewers ignore it.
 *
 * The output is deterministic: events are sorted by track (GIL track,
 * then threads by tid) and time, and nothing depends on the clock at
 * rendering.  Memory: one record per interval and per counter change,
 * which is what the file will hold.
 */
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "seq.h"

#define NONE UINT32_MAX
#define GIL_TRACK UINT32_MAX	/* track of the holder intervals */
#define GAP_PERIODS 5		/* jittered ticks are up to 2 periods apart;
				   gilspy drops ticks after 5 periods behind */

struct interval {
	uint32_t track;		/* thread index, or GIL_TRACK */
	uint32_t what;		/* state; on GIL_TRACK the holder's index */
	uint32_t func;		/* innermost frame id at the start, or NONE */
	uint32_t samples;
	uint64_t start, last;	/* first and last sample (ns) */
	uint64_t next;		/* the tick that ended it, 0: none */
};

struct count_point {
	uint64_t t;
	uint32_t waiting;
};

struct chrome {
	struct output_options o;
	struct interval *iv;	/* closed intervals */
	size_t niv, aiv;
	struct interval *open;	/* per thread index, .samples 0 = none */
	size_t nopen;
	struct interval gil;	/* the holder's open interval */
	uint64_t *seen;		/* per thread index: tick it was last seen */
	uint64_t tick;
	struct count_point *cp;
	size_t ncp, acp;
	int have_first;
	uint64_t first_ns;	/* earliest tick */
	uint64_t start_ns, prev_ns;	/* first and latest tick as they came */
};

static void *ch_make(const struct output_options *o)
{
	struct chrome *r = xcalloc(1, sizeof(*r));

	r->o = *o;
	return r;
}

static void close_iv(struct chrome *r, struct interval *iv, uint64_t next)
{
	if (!iv->samples)
		return;
	iv->next = next;
	if (r->niv == r->aiv) {
		r->aiv = r->aiv ? 2 * r->aiv : 256;
		r->iv = xrealloc(r->iv, r->aiv * sizeof(*r->iv));
	}
	r->iv[r->niv++] = *iv;
	iv->samples = 0;
}

/* Extend iv with a sample of `what` at t, or close it and start anew. */
static void step(struct chrome *r, struct interval *iv, uint32_t track,
		 uint32_t what, uint32_t func, uint64_t t)
{
	if (iv->samples && iv->what == what) {
		iv->samples++;
		iv->last = t;
		if (iv->func == NONE)
			iv->func = func;
		return;
	}
	close_iv(r, iv, t);
	iv->track = track;
	iv->what = what;
	iv->func = func;
	iv->samples = 1;
	iv->start = iv->last = t;
	iv->next = 0;
}

/* Take the time of a new tick.  After a gap (the tick comes more than
 * GAP_PERIODS mean tick intervals after the previous one) every interval
 * ends: its end is then its last sample plus one period (ch_finish). */
static void see_time(struct chrome *r, uint64_t t)
{
	size_t k;

	if (!r->have_first || t < r->first_ns)
		r->first_ns = t;
	if (!r->have_first)
		r->start_ns = t;
	if (r->tick >= 2 && t > r->prev_ns && r->prev_ns > r->start_ns &&
	    t - r->prev_ns > GAP_PERIODS * ((r->prev_ns - r->start_ns) /
					     (r->tick - 1))) {
		for (k = 0; k < r->nopen; k++)
			close_iv(r, &r->open[k], 0);
		close_iv(r, &r->gil, 0);
	}
	r->have_first = 1;
	r->prev_ns = t;
	r->tick++;
}

static void ch_add(void *impl, const struct record_process *proc,
		   const struct profile *p,
		   const struct py_sample *s)
{
	struct chrome *r = impl;
	int i, n = s->nthreads < PY_MAX_THREADS ? s->nthreads : PY_MAX_THREADS;
	uint32_t holder = NONE, waiting = 0;
	size_t k;
	(void)proc;

	see_time(r, s->time_ns);
	for (i = 0; i < n; i++) {
		uint32_t t = profile_last_thread(p, i);
		uint32_t stack = profile_last_stack(p, i), func = NONE;
		enum gil_state st = seq_slot_state(s, i);

		if (t == PROFILE_NO_THREAD)
			continue;
		if (stack != PROFILE_NO_STACK && stack != 0)
			func = profile_stack_frame(p, stack);
		if (st == GIL_HELD && holder == NONE)
			holder = t;
		if (st == GIL_WAITING)
			waiting++;
		if (!(r->o.states & (1u << st)))
			continue;
		if (t >= r->nopen) {
			size_t m = t + 1 > 2 * r->nopen ? t + 1 : 2 * r->nopen;

			r->open = xrealloc(r->open, m * sizeof(*r->open));
			r->seen = xrealloc(r->seen, m * sizeof(*r->seen));
			memset(r->open + r->nopen, 0,
			       (m - r->nopen) * sizeof(*r->open));
			memset(r->seen + r->nopen, 0,
			       (m - r->nopen) * sizeof(*r->seen));
			r->nopen = m;
		}
		step(r, &r->open[t], t, (uint32_t)st, func, s->time_ns);
		r->seen[t] = r->tick;
	}
	/* threads missing from this tick: their intervals end here */
	for (k = 0; k < r->nopen; k++)
		if (r->open[k].samples && r->seen[k] != r->tick)
			close_iv(r, &r->open[k], s->time_ns);
	if (holder != NONE)
		step(r, &r->gil, GIL_TRACK, holder, NONE, s->time_ns);
	else
		close_iv(r, &r->gil, s->time_ns);
	if (!r->ncp || r->cp[r->ncp - 1].waiting != waiting) {
		if (r->ncp == r->acp) {
			r->acp = r->acp ? 2 * r->acp : 256;
			r->cp = xrealloc(r->cp, r->acp * sizeof(*r->cp));
		}
		r->cp[r->ncp].t = s->time_ns;
		r->cp[r->ncp].waiting = waiting;
		r->ncp++;
	}
}

static void ch_add_failed(void *impl, const struct record_process *proc,
			  uint64_t time_ns)
{
	struct chrome *r = impl;
	size_t k;
	(void)proc;

	see_time(r, time_ns);
	for (k = 0; k < r->nopen; k++)
		close_iv(r, &r->open[k], time_ns);
	close_iv(r, &r->gil, time_ns);
}

/* --- rendering ----------------------------------------------------------- */

static const char *const cnames[GIL_NSTATES] = {
	[GIL_HELD] = "thread_state_running",
	[GIL_WAITING] = "thread_state_runnable",
	[GIL_NATIVE] = "yellow",
	[GIL_IDLE] = "thread_state_sleeping",
	[GIL_RUNNING] = "thread_state_running",
};

struct sort_ctx {
	const uint32_t *rank;	/* thread index -> rank by tid */
};

static uint32_t track_rank(const struct sort_ctx *c, uint32_t track)
{
	return track == GIL_TRACK ? 0 : c->rank[track] + 1;
}

static int cmp_iv(const void *a, const void *b, void *arg)
{
	const struct interval *x = a, *y = b;
	uint32_t rx = track_rank(arg, x->track), ry = track_rank(arg, y->track);

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

static uint64_t us(const struct chrome *r, uint64_t t)
{
	return (t - r->first_ns + 500) / 1000;
}

static void add_function(struct strbuf *sb, const struct profile *p,
			 const struct output_options *o, uint32_t func)
{
	struct strbuf text = STRBUF_INIT;

	if (func == NONE)
		return;
	output_frame(&text, profile_frame(p, func), o);
	sb_adds(sb, ", \"args\": {\"function\": ");
	sb_add_json_str(sb, text.buf);
	sb_addc(sb, '}');
	sb_release(&text);
}

/* The track id of thread index i: its tid, or for a thread whose tid is
 * unknown (0) a number above any Linux tid (PID_MAX_LIMIT is 2^22), so it
 * neither joins the holder track nor another such thread. */
static int track_tid(const struct profile *p, size_t i)
{
	pid_t tid = profile_thread(p, i)->tid;

	return tid > 0 ? (int)tid : (1 << 22) + 1 + (int)i;
}

static void add_meta(struct strbuf *sb, int *first, int pid, int tid,
		     const char *what, const char *name, int sort_index)
{
	sb_adds(sb, *first ? "\n    " : ",\n    ");
	*first = 0;
	sb_addf(sb, "{\"ph\": \"M\", \"pid\": %d, \"tid\": %d, \"name\": "
		"\"%s\", \"args\": {", pid, tid, what);
	if (name) {
		sb_adds(sb, "\"name\": ");
		sb_add_json_str(sb, name);
	} else {
		sb_addf(sb, "\"sort_index\": %d", sort_index);
	}
	sb_adds(sb, "}}");
}

static void ch_finish(void *impl, struct strbuf *sb, const struct profile *p,
		      const struct record_info *ri)
{
	struct chrome *r = impl;
	const struct profile_stats *st = profile_stats(p);
	size_t nth = profile_nthreads(p), *order = report_thread_order(p);
	uint32_t *rank = xcalloc(nth + 1, sizeof(*rank));
	uint8_t *has = xcalloc(nth + 1, 1);
	struct sort_ctx ctx = { rank };
	struct strbuf text = STRBUF_INIT;
	uint64_t period = 0;
	int pid = ri ? (int)ri->pid : 0, first = 1, have_gil = 0;
	size_t i, k;

	/* the mean tick interval: what one sample stands for */
	if (st->ticks > 1 && st->end_ns > st->start_ns)
		period = (st->end_ns - st->start_ns) / (st->ticks - 1);
	else if (ri && ri->requested_hz > 0)
		period = (uint64_t)(1e9 / ri->requested_hz);
	if (!period)
		period = 10000000;

	for (k = 0; k < r->nopen; k++)
		close_iv(r, &r->open[k], 0);
	close_iv(r, &r->gil, 0);
	for (i = 0; i < nth; i++)
		rank[order[i]] = (uint32_t)i;
	for (i = 0; i < r->niv; i++) {
		if (r->iv[i].track == GIL_TRACK)
			have_gil = 1;
		else if (r->iv[i].track < nth)
			has[r->iv[i].track] = 1;
	}
	if (r->niv)
		qsort_r(r->iv, r->niv, sizeof(*r->iv), cmp_iv, &ctx);

	sb_adds(sb, "{\"traceEvents\": [");
	seq_title(&text, ri);
	add_meta(sb, &first, pid, 0, "process_name", text.buf, 0);
	if (have_gil) {
		add_meta(sb, &first, pid, 0, "thread_name", "GIL holder", 0);
		add_meta(sb, &first, pid, 0, "thread_sort_index", NULL, 0);
	}
	for (i = 0; i < nth; i++) {
		const struct profile_thread *t = profile_thread(p, order[i]);

		if (!has[order[i]])
			continue;
		add_meta(sb, &first, pid, track_tid(p, order[i]), "thread_name",
			 t->name, 0);
		add_meta(sb, &first, pid, track_tid(p, order[i]),
			 "thread_sort_index",
			 NULL, (int)i + 1);
	}

	for (i = 0; i < r->niv; i++) {
		const struct interval *iv = &r->iv[i];
		uint64_t end = iv->next;
		int tid = 0;

		if (!end || end - iv->last > GAP_PERIODS * period)
			end = iv->last + period;
		if (end < iv->start)	/* a clock that went back */
			end = iv->start;
		sb_adds(sb, ",\n    {\"ph\": \"X\", \"cat\": \"gil\", \"name\": ");
		if (iv->track == GIL_TRACK) {
			sb_reset(&text);
			seq_thread_label(&text, profile_thread(p, iv->what));
			sb_add_json_str(sb, text.buf);
		} else {
			tid = track_tid(p, iv->track);
			sb_addf(sb, "\"%s\", \"cname\": \"%s\"",
				gil_state_name((enum gil_state)iv->what),
				cnames[iv->what]);
		}
		sb_addf(sb, ", \"pid\": %d, \"tid\": %d, \"ts\": %llu, "
			"\"dur\": %llu", pid, tid,
			(unsigned long long)us(r, iv->start),
			(unsigned long long)(us(r, end) - us(r, iv->start)));
		if (iv->track != GIL_TRACK)
			add_function(sb, p, &r->o, iv->func);
		sb_addc(sb, '}');
	}

	/* free-threaded: nobody waits for a GIL, no counter */
	for (i = 0; !st->no_gil && i < r->ncp; i++)
		sb_addf(sb, ",\n    {\"ph\": \"C\", \"name\": \"GIL waiters\", "
			"\"pid\": %d, \"tid\": 0, \"ts\": %llu, "
			"\"args\": {\"waiting\": %u}}", pid,
			(unsigned long long)us(r, r->cp[i].t),
			r->cp[i].waiting);

	sb_adds(sb, "\n  ],\n  \"displayTimeUnit\": \"ms\",\n"
		"  \"otherData\": {\"generator\": ");
	sb_reset(&text);
	sb_addf(&text, "gilspy %s", GILSPY_VERSION);
	sb_add_json_str(sb, text.buf);
	if (ri && (ri->command || ri->cmdline)) {
		sb_adds(sb, ", \"command\": ");
		sb_add_json_str(sb, ri->command ? ri->command : ri->cmdline);
	}
	if (ri && ri->python) {
		sb_adds(sb, ", \"python\": ");
		sb_add_json_str(sb, ri->python);
	}
	sb_addf(sb, ", \"pid\": %d, \"samples\": %llu, \"failed\": %llu, "
		"\"mean_tick_us\": %llu}\n}\n", pid,
		(unsigned long long)st->samples,
		(unsigned long long)st->failed,
		(unsigned long long)((period + 500) / 1000));

	free(rank);
	free(has);
	free(order);
	sb_release(&text);
}

static void ch_release(void *impl)
{
	struct chrome *r = impl;

	free(r->iv);
	free(r->open);
	free(r->seen);
	free(r->cp);
	free(r);
}

const struct seq_ops seq_chrome_ops = {
	ch_make, ch_add, ch_add_failed, ch_finish, ch_release,
};
