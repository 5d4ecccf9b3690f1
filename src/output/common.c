/* common.c - formats, frame text and the figures shared by all renderers. */
#include <string.h>

#include "gilspy/output.h"

static const char *const format_names[OUT_NFORMATS] = {
	[OUT_COLLAPSED] = "collapsed",
	[OUT_JSON] = "json",
	[OUT_SVG] = "svg",
	[OUT_SPEEDSCOPE] = "speedscope",
	[OUT_CHROME] = "chrome",
	[OUT_RAW] = "raw",
	[OUT_MARKDOWN] = "markdown",
	[OUT_PPROF] = "pprof",
};

const char *output_format_name(enum output_format f)
{
	return (unsigned)f < OUT_NFORMATS ? format_names[f] : "?";
}

int output_format_parse(const char *name, enum output_format *f)
{
	if (!strcmp(name, "collapsed") || !strcmp(name, "folded") ||
	    !strcmp(name, "txt"))
		*f = OUT_COLLAPSED;
	else if (!strcmp(name, "json"))
		*f = OUT_JSON;
	else if (!strcmp(name, "svg"))
		*f = OUT_SVG;
	else if (!strcmp(name, "speedscope"))
		*f = OUT_SPEEDSCOPE;
	else if (!strcmp(name, "chrome") || !strcmp(name, "trace"))
		*f = OUT_CHROME;
	else if (!strcmp(name, "raw") || !strcmp(name, "gilspy"))
		*f = OUT_RAW;
	else if (!strcmp(name, "markdown") || !strcmp(name, "md"))
		*f = OUT_MARKDOWN;
	else if (!strcmp(name, "pprof"))
		*f = OUT_PPROF;
	else
		return -1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int output_format_from_path(const char *path, enum output_format *f)
{
	const char *dot = strrchr(path, '.');

	if (!dot || strchr(dot, '/'))
		return -1;
	if (ends_with(path, ".speedscope.json")) {
		*f = OUT_SPEEDSCOPE;
		return 0;
	}
	if (ends_with(path, ".trace.json") || ends_with(path, ".chrome.json")) {
		*f = OUT_CHROME;
		return 0;
	}
	if (ends_with(path, ".pb.gz")) {
		*f = OUT_PPROF;
		return 0;
	}
	dot++;
	if (!strcmp(dot, "collapsed") || !strcmp(dot, "folded"))
		*f = OUT_COLLAPSED;
	else
		return output_format_parse(dot, f);
	return 0;
}

const char *output_state_frame(enum gil_state s)
{
	switch (s) {
	case GIL_HELD: return STATE_FRAME_HELD;
	case GIL_WAITING: return STATE_FRAME_WAITING;
	case GIL_NATIVE: return STATE_FRAME_NATIVE;
	case GIL_RUNNING: return STATE_FRAME_NATIVE;
	case GIL_IDLE:
	default: return STATE_FRAME_IDLE;
	}
}

void output_options_init(struct output_options *o)
{
	memset(o, 0, sizeof(*o));
	o->states = (1u << GIL_HELD) | (1u << GIL_WAITING) |
		    (1u << GIL_NATIVE) | (1u << GIL_RUNNING);
	o->lineno = 1;
	o->state_frames = 1;
}

void output_frame(struct strbuf *sb, const struct profile_frame *f,
		  const struct output_options *o)
{
	profile_frame_text(sb, f, o->lineno, o->function);
}

void output_figures(const struct profile *p, const struct record_info *ri,
		    struct output_figures *fig)
{
	const struct profile_stats *st = profile_stats(p);
	double samples = st->samples ? (double)st->samples : 1;

	memset(fig, 0, sizeof(*fig));
	if (ri && ri->wall_ns) {
		fig->duration_s = (double)ri->wall_ns / 1e9;
		if (fig->duration_s > 0)
			fig->achieved_hz = (double)st->ticks / fig->duration_s;
	} else if (st->end_ns > st->start_ns) {
		/* n ticks span n - 1 intervals */
		fig->duration_s = (double)(st->end_ns - st->start_ns) / 1e9;
		if (st->ticks > 1)
			fig->achieved_hz = (double)(st->ticks - 1) /
					   fig->duration_s;
	}
	fig->errors = st->failed + st->torn_ticks;
	if (st->ticks)
		fig->errors_pct = 100.0 * (double)fig->errors / (double)st->ticks;
	fig->utilisation_pct = 100.0 * (double)st->held_ticks / samples;
	fig->contention_pct = 100.0 * (double)st->contended_ticks / samples;
	fig->mean_waiters = (double)st->waiter_sum / samples;
	if (fig->duration_s > 0)
		fig->switches_per_s = (double)st->switches / fig->duration_s;
}
