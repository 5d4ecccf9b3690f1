/*
 * baseline.c - read back the JSON report of an earlier recording (the base
 * branch's), for the deltas of the markdown summary.
 *
 * The file may be anything a CI job hands us: a report from another gilspy
 * version, another tool's JSON, a truncated upload, or garbage.  So it is
 * read with json.h's bounded streaming reader (nesting depth, bytes read,
 * the length of every kept string), and the number of threads and
 * functions kept is bounded here (the rest is read and dropped): memory
 * never grows with the file beyond those bounds.  Field names are the
 * writer's own (report_keys.h).  Unknown fields are skipped (reports from
 * a newer schema add fields), and a known field of an unexpected type
 * counts as absent rather than as an error.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/baseline.h"
#include "gilspy/json.h"
#include "gilspy/output.h"
#include "gilspy/report_keys.h"

#define MAX_THREADS	4096
#define MAX_FUNCS	100000
#define MAX_TOP		64		/* entries kept per top list */

/* --- the report ----------------------------------------------------------- */

struct load {
	struct json_reader j;
	struct baseline *b;
	struct strbuf key;
	int have_summary, have_version, version_int;
	double version;
	char *schema;			/* "$schema", to name speedscope */
	int trace_events;		/* Chrome trace */
	size_t funcs_alloc;
	int states_missing;		/* a thread without state counts */
	uint64_t fstate_sum[GIL_NSTATES];
	uint64_t *fself;		/* nfuncs * GIL_NSTATES self counts */
	struct baseline_func *top;	/* top lists, when no functions[] */
	size_t ntop, top_alloc;
};

static int state_index(const char *name)
{
	int s;

	for (s = 0; s < GIL_NSTATES; s++)
		if (!strcmp(name, gil_state_name((enum gil_state)s)))
			return s;
	return -1;
}

/* An object {"held": N, ...}: counts (or percentages) per state; mask gets
 * a bit per state found.  0 when the value is not an object. */
static int get_states(struct load *l, double *v, unsigned *mask)
{
	struct json_reader *j = &l->j;
	struct strbuf key = STRBUF_INIT;
	int first = 1, r, s;

	*mask = 0;
	if ((r = json_enter_obj(j)) <= 0)
		return r;
	while ((r = json_obj_next(j, &first, &key)) > 0) {
		double d;

		s = state_index(key.buf);
		if (s < 0) {
			r = json_skip(j);
		} else {
			r = json_get_num(j, &d);
			/* counts or shares: bounded so that a sum over
			 * every thread fits in a uint64_t */
			if (r > 0 && d >= 0 && d <= 1e12) {
				v[s] = d;
				*mask |= 1u << s;
			}
		}
		if (r < 0)
			break;
	}
	sb_release(&key);
	return r < 0 ? -1 : 1;
}

static int load_target(struct load *l)
{
	struct json_reader *j = &l->j;
	int first = 1, r;

	if ((r = json_enter_obj(j)) <= 0)
		return r;
	while ((r = json_obj_next(j, &first, &l->key)) > 0) {
		if (!strcmp(l->key.buf, RK_PYTHON))
			r = json_get_str(j, &l->b->python);
		else if (!strcmp(l->key.buf, RK_COMMAND))
			r = json_get_str(j, &l->b->command);
		else
			r = json_skip(j);
		if (r < 0)
			return -1;
	}
	return r;
}

static int load_summary(struct load *l)
{
	static const struct {
		const char *key;
		unsigned bit;
		size_t off;
	} figs[] = {
		{ RK_DURATION_S, BASE_DURATION,
		  offsetof(struct baseline, duration_s) },
		{ RK_UTILISATION_PCT, BASE_UTILISATION,
		  offsetof(struct baseline, utilisation_pct) },
		{ RK_CONTENTION_PCT, BASE_CONTENTION,
		  offsetof(struct baseline, contention_pct) },
		{ RK_MEAN_WAITERS, BASE_WAITERS,
		  offsetof(struct baseline, mean_waiters) },
		{ RK_SWITCHES_PER_S, BASE_SWITCHES,
		  offsetof(struct baseline, switches_per_s) },
		{ RK_ERRORS_PCT, BASE_ERRORS,
		  offsetof(struct baseline, errors_pct) },
		{ RK_NO_GIL_SPEEDUP, BASE_SPEEDUP,
		  offsetof(struct baseline, no_gil_speedup) },
	};
	struct json_reader *j = &l->j;
	struct baseline *b = l->b;
	int first = 1, r, gil;
	size_t i;

	if (j->c != '{')
		return json_skip(j) < 0 ? -1 : 0;
	l->have_summary = 1;
	if (json_open(j) < 0)
		return -1;
	while ((r = json_obj_next(j, &first, &l->key)) > 0) {
		for (i = 0; i < ARRAY_SIZE(figs); i++)
			if (!strcmp(l->key.buf, figs[i].key))
				break;
		if (i < ARRAY_SIZE(figs)) {
			double d;

			r = json_get_num(j, &d);
			if (r > 0) {
				*(double *)((char *)b + figs[i].off) = d;
				b->has |= figs[i].bit;
			}
		} else if (!strcmp(l->key.buf, RK_SAMPLES)) {
			r = json_get_count(j, &b->samples);
			if (r > 0)
				b->has |= BASE_SAMPLES;
		} else if (!strcmp(l->key.buf, RK_GIL)) {
			r = json_get_bool(j, &gil);
			if (r > 0)
				b->no_gil = !gil;
		} else {
			r = json_skip(j);
		}
		if (r < 0)
			return -1;
	}
	return r;
}

static int load_thread(struct load *l)
{
	struct json_reader *j = &l->j;
	struct baseline *b = l->b;
	struct baseline_thread t = { 0 };
	double counts[GIL_NSTATES] = { 0 }, pct[GIL_NSTATES] = { 0 }, d;
	unsigned cmask = 0, pmask = 0;
	uint64_t samples = 0;
	int first = 1, r, have_samples = 0, s;

	if ((r = json_enter_obj(j)) <= 0)
		return r;
	while ((r = json_obj_next(j, &first, &l->key)) > 0) {
		if (!strcmp(l->key.buf, RK_NAME)) {
			r = json_get_str(j, &t.name);
		} else if (!strcmp(l->key.buf, RK_TID)) {
			r = json_get_num(j, &d);
			/* the kernel's PID_MAX_LIMIT is 2^22; anything above
			 * is not a tid and would not fit a pid_t */
			if (r > 0 && d >= 0 && d <= 4194304.0)
				t.tid = (pid_t)d;
		} else if (!strcmp(l->key.buf, RK_SAMPLES)) {
			r = json_get_count(j, &samples);
			have_samples = r > 0;
		} else if (!strcmp(l->key.buf, RK_STATES)) {
			r = get_states(l, counts, &cmask);
		} else if (!strcmp(l->key.buf, RK_PCT)) {
			r = get_states(l, pct, &pmask);
		} else {
			r = json_skip(j);
		}
		if (r < 0) {
			free(t.name);
			return -1;
		}
	}
	if (r < 0 || !t.name || b->nthreads >= MAX_THREADS) {
		free(t.name);
		return r;
	}
	/* the states' counts: exact, and what the totals are made of */
	if ((cmask & 0xf) == 0xf) {
		uint64_t all = 0;

		for (s = 0; s < GIL_NSTATES; s++) {
			b->state_total[s] += (uint64_t)counts[s];
			t.count[s] = (uint64_t)counts[s];
			all += (uint64_t)counts[s];
		}
		t.has_counts = 1;
		if (have_samples && samples)
			all = samples;
		for (s = 0; s < GIL_NSTATES; s++)
			t.pct[s] = all ? 100.0 * counts[s] / (double)all : 0;
		t.has_pct = 1;
	} else {
		l->states_missing = 1;
		if ((pmask & 0xf) == 0xf) {
			memcpy(t.pct, pct, sizeof(pct));
			t.has_pct = 1;
		}
	}
	b->threads = xrealloc(b->threads, (b->nthreads + 1) *
			      sizeof(*b->threads));
	b->threads[b->nthreads++] = t;
	return 0;
}

static void func_init(struct baseline_func *f, char *name, char *file)
{
	struct profile_frame fr = { .name = name, .file = file };
	struct output_options o;
	struct strbuf key = STRBUF_INIT;
	int s;

	output_options_init(&o);
	o.lineno = 0;
	output_frame(&key, &fr, &o);
	f->name = name;
	f->file = file;
	f->key = sb_detach(&key);
	for (s = 0; s < GIL_NSTATES; s++)
		f->pct[s] = -1;
}

/* A function entry {"name": ..., "file": ..., KEY: ...}: reads name and
 * file, and the value of key with extra.  1 with both *name and *file set
 * (the caller frees them); 0 when the value is no object or lacks either;
 * -1 on an error. */
static int load_func_entry(struct load *l, const char *key,
			   int (*extra)(struct load *, void *), void *arg,
			   char **name, char **file)
{
	struct json_reader *j = &l->j;
	int first = 1, r;

	*name = *file = NULL;
	if ((r = json_enter_obj(j)) <= 0)
		return r;
	while ((r = json_obj_next(j, &first, &l->key)) > 0) {
		if (!strcmp(l->key.buf, RK_NAME))
			r = json_get_str(j, name);
		else if (!strcmp(l->key.buf, RK_FILE))
			r = json_get_str(j, file);
		else if (!strcmp(l->key.buf, key))
			r = extra(l, arg);
		else
			r = json_skip(j);
		if (r < 0)
			break;
	}
	if (r < 0 || !*name || !*file) {
		free(*name);
		free(*file);
		*name = *file = NULL;
		return r;
	}
	return 1;
}

struct self_counts {
	double v[GIL_NSTATES];
	unsigned mask;
};

static int get_self(struct load *l, void *arg)
{
	struct self_counts *sc = arg;

	return get_states(l, sc->v, &sc->mask);
}

static int load_func(struct load *l)
{
	struct baseline *b = l->b;
	struct self_counts self = { { 0 }, 0 };
	char *name, *file;
	int r, s;

	r = load_func_entry(l, RK_SELF, get_self, &self, &name, &file);
	if (r <= 0)
		return r;
	if (b->nfuncs >= MAX_FUNCS) {
		free(name);
		free(file);
		return 0;
	}
	if (b->nfuncs == l->funcs_alloc) {
		l->funcs_alloc = l->funcs_alloc ? 2 * l->funcs_alloc : 64;
		b->funcs = xrealloc(b->funcs, l->funcs_alloc *
				    sizeof(*b->funcs));
		l->fself = xrealloc(l->fself, l->funcs_alloc * GIL_NSTATES *
				    sizeof(*l->fself));
	}
	func_init(&b->funcs[b->nfuncs], name, file);
	for (s = 0; s < GIL_NSTATES; s++) {
		uint64_t c = (self.mask >> s) & 1 ? (uint64_t)self.v[s] : 0;

		l->fself[b->nfuncs * GIL_NSTATES + (size_t)s] = c;
		l->fstate_sum[s] += c;
	}
	b->nfuncs++;
	return 0;
}

/* One entry of top.held / top.waiting: kept aside, used only when the
 * report has no functions[] (a newer schema might drop it). */
static int get_pct(struct load *l, void *arg)
{
	double *pct = arg, d;
	int r = json_get_num(&l->j, &d);

	if (r > 0 && d >= 0)
		*pct = d;
	return r;
}

static int load_top_entry(struct load *l, int state)
{
	char *name, *file;
	double pct = -1;
	int r;
	size_t i;

	r = load_func_entry(l, RK_PCT, get_pct, &pct, &name, &file);
	if (r <= 0)
		return r;
	if (pct < 0 || l->ntop >= 2 * MAX_TOP) {
		free(name);
		free(file);
		return 0;
	}
	for (i = 0; i < l->ntop; i++)
		if (!strcmp(l->top[i].name, name) &&
		    !strcmp(l->top[i].file, file)) {
			l->top[i].pct[state] = pct;
			free(name);
			free(file);
			return 0;
		}
	if (l->ntop == l->top_alloc) {
		l->top_alloc = l->top_alloc ? 2 * l->top_alloc : 16;
		l->top = xrealloc(l->top, l->top_alloc * sizeof(*l->top));
	}
	func_init(&l->top[l->ntop], name, file);
	l->top[l->ntop++].pct[state] = pct;
	return 0;
}

static int load_array(struct load *l, int (*each)(struct load *, int),
		      int arg)
{
	struct json_reader *j = &l->j;
	int first = 1, r;

	if ((r = json_enter_arr(j)) <= 0)
		return r;
	while ((r = json_arr_next(j, &first)) > 0)
		if (each(l, arg) < 0)
			return -1;
	return r < 0 ? -1 : 1;
}

static int each_thread(struct load *l, int arg)
{
	(void)arg;
	return load_thread(l);
}

static int each_func(struct load *l, int arg)
{
	(void)arg;
	return load_func(l);
}

static int load_top(struct load *l)
{
	struct json_reader *j = &l->j;
	int first = 1, r;

	if ((r = json_enter_obj(j)) <= 0)
		return r;
	while ((r = json_obj_next(j, &first, &l->key)) > 0) {
		int s = state_index(l->key.buf);

		if (s == GIL_HELD || s == GIL_WAITING)
			r = load_array(l, load_top_entry, s);
		else
			r = json_skip(j);
		if (r < 0)
			return -1;
	}
	return r;
}

static int load_report(struct load *l)
{
	struct json_reader *j = &l->j;
	struct baseline *b = l->b;
	int first = 1, r;
	double d;

	while ((r = json_obj_next(j, &first, &l->key)) > 0) {
		const char *k = l->key.buf;

		if (!strcmp(k, RK_VERSION)) {
			r = json_get_num(j, &d);
			if (r > 0) {
				l->have_version = 1;
				l->version = d;
			}
		} else if (!strcmp(k, RK_GENERATOR)) {
			r = json_get_str(j, &b->generator);
		} else if (!strcmp(k, RK_TARGET)) {
			r = load_target(l);
		} else if (!strcmp(k, RK_SUMMARY)) {
			r = load_summary(l);
		} else if (!strcmp(k, RK_THREADS)) {
			r = load_array(l, each_thread, 0);
			if (r > 0)
				b->has |= BASE_THREADS;
		} else if (!strcmp(k, RK_FUNCTIONS)) {
			r = load_array(l, each_func, 0);
			if (r > 0)
				b->has |= BASE_FUNCTIONS;
		} else if (!strcmp(k, RK_TOP)) {
			r = load_top(l);
		} else if (!strcmp(k, "$schema")) {
			r = json_get_str(j, &l->schema);
		} else if (!strcmp(k, "traceEvents")) {
			l->trace_events = 1;
			r = json_skip(j);
		} else {
			r = json_skip(j);
		}
		if (r < 0)
			return -1;
	}
	return r;
}

/* Turn what was read into the figures the markdown uses. */
static void finish(struct load *l)
{
	struct baseline *b = l->b;
	const uint64_t *tot = b->state_total;
	size_t i;
	int s;

	if ((b->has & BASE_THREADS) && b->nthreads && !l->states_missing)
		b->has |= BASE_STATES;
	else
		memset(b->state_total, 0, sizeof(b->state_total));
	if (!(b->has & BASE_STATES))
		tot = l->fstate_sum;	/* close: all but empty stacks */
	for (i = 0; i < b->nfuncs; i++)
		for (s = 0; s < GIL_NSTATES; s++)
			b->funcs[i].pct[s] = tot[s] ? 100.0 *
				(double)l->fself[i * GIL_NSTATES + (size_t)s] /
				(double)tot[s] : 0;
	if (!b->nfuncs && l->ntop) {
		b->funcs = l->top;
		b->nfuncs = l->ntop;
		l->top = NULL;
		l->ntop = 0;
		b->has |= BASE_FUNCTIONS;
	}
}

static void free_funcs(struct baseline_func *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].file);
		free(f[i].key);
	}
	free(f);
}

void baseline_free(struct baseline *b)
{
	size_t i;

	if (!b)
		return;
	free(b->generator);
	free(b->python);
	free(b->command);
	for (i = 0; i < b->nthreads; i++)
		free(b->threads[i].name);
	free(b->threads);
	free_funcs(b->funcs, b->nfuncs);
	free(b);
}

static int not_report(struct strbuf *why, const char *path, const char *fmt,
		      ...) __attribute__((format(printf, 3, 4)));

static int not_report(struct strbuf *why, const char *path, const char *fmt,
		      ...)
{
	va_list ap;
	char buf[256];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sb_addf(why, "'%s' is not a gilspy JSON report: %s (write one with "
		"'gilspy record -f json')", path, buf);
	return -1;
}

int baseline_load(const char *path, struct baseline **out,
		  struct strbuf *why)
{
	struct load l;
	struct json_reader *j = &l.j;
	FILE *f;
	int ret = -1;

	*out = NULL;
	memset(&l, 0, sizeof(l));
	l.b = xcalloc(1, sizeof(*l.b));
	f = fopen(path, "r");
	if (!f) {
		sb_addf(why, "cannot read '%s': %s", path, strerror(errno));
		goto out;
	}
	json_reader_init(j, f);
	if (j->c == EOF && !ferror(j->f) && !j->failed) {
		sb_addf(why, "'%s' is empty: expected a gilspy JSON report "
			"(write one with 'gilspy record -f json')", path);
		goto out;
	}
	if (j->c == '[') {
		ret = json_skip(j);
		if (ret >= 0) {
			ret = not_report(why, path, "it is a JSON array, not "
					 "an object");
			goto out;
		}
	} else if (j->c != '{') {
		json_expected(j, "'{' (a JSON object)");
	} else if (json_open(j) == 0) {
		load_report(&l);
	}
	if (!j->failed) {
		json_ws(j);
		if (j->c != EOF)
			json_fail(j, "unexpected data after the JSON object");
	}
	if (ferror(j->f)) {
		sb_addf(why, "cannot read '%s': %s", path, strerror(errno));
		ret = -1;
		goto out;
	}
	if (j->failed) {
		sb_addf(why, "'%s' is not valid JSON: %s", path, j->msg.buf);
		ret = -1;
		goto out;
	}
	ret = -1;
	if (l.trace_events) {
		not_report(why, path, "it is a Chrome trace");
	} else if (l.schema && strstr(l.schema, "speedscope")) {
		not_report(why, path, "it is a speedscope profile");
	} else if (!l.have_version) {
		not_report(why, path, "it has no numeric \"version\"");
	} else if (!l.b->generator || strncmp(l.b->generator, "gilspy", 6)) {
		not_report(why, path, "its \"generator\" is not gilspy");
	} else if (l.version < 1 || l.version != floor(l.version) ||
		   l.version > 1e6) {
		not_report(why, path, "its version %g is not a schema "
			   "version (1 or later)", l.version);
	} else if (!l.have_summary) {
		not_report(why, path, "it has no \"summary\" object");
	} else {
		l.b->version = (int)l.version;
		finish(&l);
		*out = l.b;
		l.b = NULL;
		ret = 0;
	}
out:
	if (f) {
		fclose(f);
		json_reader_release(j);
	}
	sb_release(&l.key);
	free(l.schema);
	free(l.fself);
	free_funcs(l.top, l.ntop);
	baseline_free(l.b);
	return ret;
}
