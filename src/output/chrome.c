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
 *  - a recording of several processes (-s): each process is a chrome
 *    process (pid = its pid, named after its command line), with its own
 *    GIL holder track, thread tracks and GIL waiters counter; processes in
 *    the order of record_info.procs, all on one time axis.
 *
 * The output is deterministic: events are sorted by track (GIL track,
 * then threads by tid) and time, and nothing depends on the clock at
 * rendering.  Memory: one record per interval and per counter change,
 * which is what the file will hold.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/hashmap.h"
#include "report.h"
#include "seq.h"

#define NONE UINT32_MAX
#define GIL_TRACK UINT32_MAX	/* track of the holder intervals */
#define GAP_PERIODS 5		/* jittered ticks are up to 2 periods apart;
				   gilspy drops ticks after 5 periods behind */
struct interval {
	uint32_t proc;		/* process slot */
	uint32_t track;		/* thread index, or GIL_TRACK */
	uint32_t what;		/* state; on GIL_TRACK the holder's index */
	uint32_t func;		/* innermost frame id at the start, or NONE */
	uint32_t samples;
	uint64_t key;		/* ch_finish: process rank, track rank */
	uint64_t start, last;	/* first and last sample (ns) */
	uint64_t next;		/* the tick that ended it, 0: none */
};

struct count_point {
	uint64_t t;
	uint32_t waiting;
};

/* One process's open intervals, ticks and counter (one slot, p NULL,
 * without processes). */
struct ch_proc {
	const struct profile *p;
	struct interval *open;	/* per thread index, .samples 0 = none */
	size_t nopen;
	struct interval gil;	/* the holder's open interval */
	uint64_t *seen;		/* per thread index: tick it was last seen */
	uint64_t tick;
	struct count_point *cp;
	size_t ncp, acp;
	int have_first;
	uint64_t start_ns, prev_ns;	/* first and latest tick as they came */
};

struct chrome {
	struct output_options o;
	struct interval *iv;	/* closed intervals */
	size_t niv, aiv;
	struct ch_proc *procs;
	size_t nprocs, last;
	struct u64map by_prof;	/* profile address -> slot */
	int have_first;
	uint64_t first_ns;	/* earliest tick of any process */
};

static void *ch_make(const struct output_options *o)
{
	struct chrome *r = xcalloc(1, sizeof(*r));

	r->o = *o;
	u64map_init(&r->by_prof);
	return r;
}

/* The slot of process p (NULL: the only one), made on first use. */
static size_t slot_of(struct chrome *r, const struct profile *p)
{
	uint64_t key = (uint64_t)(uintptr_t)p + 1;	/* NULL: key 1 */
	uint32_t at;
	size_t i;

	if (r->last < r->nprocs && r->procs[r->last].p == p)
		return r->last;
	if (u64map_get(&r->by_prof, key, &at)) {
		i = at;
	} else {
		i = r->nprocs++;
		r->procs = xrealloc(r->procs, r->nprocs * sizeof(*r->procs));
		memset(&r->procs[i], 0, sizeof(r->procs[i]));
		r->procs[i].p = p;
		r->procs[i].gil.proc = (uint32_t)i;
		u64map_put(&r->by_prof, key, (uint32_t)i);
	}
	r->last = i;
	return i;
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

static void close_all(struct chrome *r, struct ch_proc *cp, uint64_t next)
{
	size_t k;

	for (k = 0; k < cp->nopen; k++)
		close_iv(r, &cp->open[k], next);
	close_iv(r, &cp->gil, next);
}

/* Take the time of a new tick of process cp.  After a gap (the tick comes
 * more than GAP_PERIODS mean tick intervals after the previous one) every
 * interval ends: its end is then its last sample plus one period
 * (ch_finish). */
static void see_time(struct chrome *r, struct ch_proc *cp, uint64_t t)
{
	if (!r->have_first || t < r->first_ns)
		r->first_ns = t;
	r->have_first = 1;
	if (!cp->have_first)
		cp->start_ns = t;
	if (cp->tick >= 2 && t > cp->prev_ns && cp->prev_ns > cp->start_ns &&
	    t - cp->prev_ns > GAP_PERIODS * ((cp->prev_ns - cp->start_ns) /
					      (cp->tick - 1)))
		close_all(r, cp, 0);
	cp->have_first = 1;
	cp->prev_ns = t;
	cp->tick++;
}

static void ch_add(void *impl, const struct record_process *proc,
		   const struct profile *p, const struct py_sample *s)
{
	struct chrome *r = impl;
	size_t slot = slot_of(r, proc ? proc->prof : NULL);
	struct ch_proc *cp = &r->procs[slot];
	int i, n = s->nthreads < PY_MAX_THREADS ? s->nthreads : PY_MAX_THREADS;
	uint32_t holder = NONE, waiting = 0;
	size_t k;

	see_time(r, cp, s->time_ns);
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
		if (t >= cp->nopen) {
			size_t m = t + 1 > 2 * cp->nopen ? t + 1 :
				   2 * cp->nopen;

			cp->open = xrealloc(cp->open, m * sizeof(*cp->open));
			cp->seen = xrealloc(cp->seen, m * sizeof(*cp->seen));
			memset(cp->open + cp->nopen, 0,
			       (m - cp->nopen) * sizeof(*cp->open));
			memset(cp->seen + cp->nopen, 0,
			       (m - cp->nopen) * sizeof(*cp->seen));
			for (k = cp->nopen; k < m; k++)
				cp->open[k].proc = (uint32_t)slot;
			cp->nopen = m;
		}
		step(r, &cp->open[t], t, (uint32_t)st, func, s->time_ns);
		cp->seen[t] = cp->tick;
	}
	/* threads missing from this tick: their intervals end here */
	for (k = 0; k < cp->nopen; k++)
		if (cp->open[k].samples && cp->seen[k] != cp->tick)
			close_iv(r, &cp->open[k], s->time_ns);
	if (holder != NONE)
		step(r, &cp->gil, GIL_TRACK, holder, NONE, s->time_ns);
	else
		close_iv(r, &cp->gil, s->time_ns);
	if (!cp->ncp || cp->cp[cp->ncp - 1].waiting != waiting) {
		if (cp->ncp == cp->acp) {
			cp->acp = cp->acp ? 2 * cp->acp : 256;
			cp->cp = xrealloc(cp->cp, cp->acp * sizeof(*cp->cp));
		}
		cp->cp[cp->ncp].t = s->time_ns;
		cp->cp[cp->ncp].waiting = waiting;
		cp->ncp++;
	}
}

static void ch_add_failed(void *impl, const struct record_process *proc,
			  uint64_t time_ns)
{
	struct chrome *r = impl;
	size_t slot = slot_of(r, proc ? proc->prof : NULL);	/* moves procs */
	struct ch_proc *cp = &r->procs[slot];

	see_time(r, cp, time_ns);
	close_all(r, cp, time_ns);
}

/* --- rendering ----------------------------------------------------------- */

static const char *const cnames[GIL_NSTATES] = {
	[GIL_HELD] = "thread_state_running",
	[GIL_WAITING] = "thread_state_runnable",
	[GIL_NATIVE] = "yellow",
	[GIL_IDLE] = "thread_state_sleeping",
	[GIL_RUNNING] = "thread_state_running",
};

static int cmp_iv(const void *a, const void *b)
{
	const struct interval *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
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

/* What ch_finish knows of each process slot it renders. */
struct fin {
	const struct profile *p;	/* NULL: not rendered */
	int pid;
	uint64_t period;		/* its mean tick interval */
	uint32_t *rank;			/* thread index -> rank by tid */
	uint8_t *has;			/* thread index -> has an interval */
	int have_gil;
	uint32_t order;			/* its rank among processes */
};

static uint64_t period_of(const struct profile *p,
			  const struct record_info *ri)
{
	const struct profile_stats *st = profile_stats(p);

	/* the mean tick interval: what one sample stands for */
	if (st->ticks > 1 && st->end_ns > st->start_ns)
		return (st->end_ns - st->start_ns) / (st->ticks - 1);
	if (ri && ri->requested_hz > 0)
		return (uint64_t)(1e9 / ri->requested_hz);
	return 10000000;
}

/* Process slot k's metadata: its name (its command line, or the
 * recording's title without processes), the GIL track, its threads. */
static void add_proc_meta(struct strbuf *sb, int *first, const struct fin *f,
			  const char *cmdline, const struct record_info *ri)
{
	const struct profile *p = f->p;
	struct strbuf text = STRBUF_INIT;
	size_t i, nth = profile_nthreads(p), *order = report_thread_order(p);

	if (cmdline) {
		struct record_info one = { .pid = f->pid, .cmdline = cmdline };

		seq_title(&text, &one);
	} else {
		seq_title(&text, ri);
	}
	add_meta(sb, first, f->pid, 0, "process_name", text.buf, 0);
	if (f->have_gil) {
		add_meta(sb, first, f->pid, 0, "thread_name", "GIL holder", 0);
		add_meta(sb, first, f->pid, 0, "thread_sort_index", NULL, 0);
	}
	for (i = 0; i < nth; i++) {
		const struct profile_thread *t = profile_thread(p, order[i]);

		if (!f->has[order[i]])
			continue;
		add_meta(sb, first, f->pid, track_tid(p, order[i]),
			 "thread_name", t->name, 0);
		add_meta(sb, first, f->pid, track_tid(p, order[i]),
			 "thread_sort_index", NULL, (int)i + 1);
	}
	free(order);
	sb_release(&text);
}

static void add_interval(struct strbuf *sb, const struct chrome *r,
			 const struct interval *iv, const struct fin *f)
{
	struct strbuf text = STRBUF_INIT;
	uint64_t end = iv->next;
	int tid = 0;

	if (!end || end - iv->last > GAP_PERIODS * f->period)
		end = iv->last + f->period;
	if (end < iv->start)	/* a clock that went back */
		end = iv->start;
	sb_adds(sb, ",\n    {\"ph\": \"X\", \"cat\": \"gil\", \"name\": ");
	if (iv->track == GIL_TRACK) {
		seq_thread_label(&text, profile_thread(f->p, iv->what));
		sb_add_json_str(sb, text.buf);
	} else {
		tid = track_tid(f->p, iv->track);
		sb_addf(sb, "\"%s\", \"cname\": \"%s\"",
			gil_state_name((enum gil_state)iv->what),
			cnames[iv->what]);
	}
	sb_addf(sb, ", \"pid\": %d, \"tid\": %d, \"ts\": %llu, "
		"\"dur\": %llu", f->pid, tid,
		(unsigned long long)us(r, iv->start),
		(unsigned long long)(us(r, end) - us(r, iv->start)));
	if (iv->track != GIL_TRACK)
		add_function(sb, f->p, &r->o, iv->func);
	sb_addc(sb, '}');
	sb_release(&text);
}

static void ch_finish(void *impl, struct strbuf *sb, const struct profile *p,
		      const struct record_info *ri)
{
	struct chrome *r = impl;
	const struct profile_stats *st = profile_stats(p);
	struct fin *fin = xcalloc(r->nprocs + 1, sizeof(*fin));
	const char **cmd = xcalloc(r->nprocs + 1, sizeof(*cmd));
	uint32_t *seq = xcalloc(r->nprocs + 1, sizeof(*seq));
	struct strbuf text = STRBUF_INIT;
	int pid = ri ? (int)ri->pid : 0, first = 1;
	size_t i, k, n = 0;

	/* the processes rendered, in the recording's order */
	if (ri && ri->nprocs) {
		for (i = 0; i < ri->nprocs; i++) {
			const struct record_process *rp = &ri->procs[i];
			uint32_t at;

			if (!rp->prof || !u64map_get(&r->by_prof,
					(uint64_t)(uintptr_t)rp->prof + 1, &at) ||
			    fin[at].p)
				continue;
			fin[at].p = rp->prof;
			fin[at].pid = (int)rp->pid;
			cmd[at] = rp->cmdline ? rp->cmdline : "";
			seq[n++] = at;
		}
	} else if (r->nprocs) {
		fin[0].p = p;
		fin[0].pid = pid;
		seq[n++] = 0;
	}
	for (i = 0; i < n; i++) {
		struct fin *f = &fin[seq[i]];
		size_t nth = profile_nthreads(f->p), *order;

		f->order = (uint32_t)i;
		f->period = period_of(f->p, ri);
		f->rank = xcalloc(nth + 1, sizeof(*f->rank));
		f->has = xcalloc(nth + 1, 1);
		order = report_thread_order(f->p);
		for (k = 0; k < nth; k++)
			f->rank[order[k]] = (uint32_t)k;
		free(order);
		close_all(r, &r->procs[seq[i]], 0);
	}
	for (i = 0; i < r->niv; i++) {
		struct interval *iv = &r->iv[i];
		struct fin *f = &fin[iv->proc];
		uint32_t track = 0;

		if (!f->p) {
			iv->key = UINT64_MAX;	/* not rendered */
			continue;
		}
		if (iv->track == GIL_TRACK)
			f->have_gil = 1;
		else if (iv->track < profile_nthreads(f->p))
			f->has[iv->track] = 1;
		if (iv->track != GIL_TRACK)
			track = iv->track < profile_nthreads(f->p) ?
				f->rank[iv->track] + 1 : UINT32_MAX;
		iv->key = (uint64_t)f->order << 32 | track;
	}
	if (r->niv)
		qsort(r->iv, r->niv, sizeof(*r->iv), cmp_iv);

	sb_adds(sb, "{\"traceEvents\": [");
	for (i = 0; i < n; i++)
		add_proc_meta(sb, &first, &fin[seq[i]], cmd[seq[i]], ri);
	if (!n) {
		seq_title(&text, ri);
		add_meta(sb, &first, pid, 0, "process_name", text.buf, 0);
	}
	for (i = 0; i < r->niv && r->iv[i].key != UINT64_MAX; i++)
		add_interval(sb, r, &r->iv[i], &fin[r->iv[i].proc]);

	/* free-threaded: nobody waits for a GIL, no counter */
	for (i = 0; i < n; i++) {
		const struct ch_proc *cp = &r->procs[seq[i]];
		const struct fin *f = &fin[seq[i]];

		for (k = 0; !profile_stats(f->p)->no_gil && k < cp->ncp; k++)
			sb_addf(sb, ",\n    {\"ph\": \"C\", \"name\": \"GIL "
				"waiters\", \"pid\": %d, \"tid\": 0, \"ts\": "
				"%llu, \"args\": {\"waiting\": %u}}", f->pid,
				(unsigned long long)us(r, cp->cp[k].t),
				cp->cp[k].waiting);
	}

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
	if (ri && ri->nprocs)
		sb_addf(sb, ", \"processes\": %zu", n);
	sb_addf(sb, ", \"pid\": %d, \"samples\": %llu, \"failed\": %llu, "
		"\"mean_tick_us\": %llu}\n}\n", pid,
		(unsigned long long)st->samples,
		(unsigned long long)st->failed,
		(unsigned long long)((period_of(p, ri) + 500) / 1000));

	for (i = 0; i < r->nprocs; i++) {
		free(fin[i].rank);
		free(fin[i].has);
	}
	free(fin);
	free(cmd);
	free(seq);
	sb_release(&text);
}

static void ch_release(void *impl)
{
	struct chrome *r = impl;
	size_t k;

	for (k = 0; k < r->nprocs; k++) {
		free(r->procs[k].open);
		free(r->procs[k].seen);
		free(r->procs[k].cp);
	}
	free(r->procs);
	u64map_release(&r->by_prof);
	free(r->iv);
	free(r);
}

const struct seq_ops seq_chrome_ops = {
	ch_make, ch_add, ch_add_failed, ch_finish, ch_release,
};
