/*
 * seq.c - the formats that follow every sample in order (speedscope.c,
 * chrome.c): pick the renderer by format, forward the calls, and the few
 * helpers both share.
 */
#include <stdlib.h>

#include "seq.h"

struct seq_renderer {
	const struct seq_ops *ops;
	void *impl;
};

struct seq_renderer *seq_new(enum output_format f,
			     const struct output_options *o)
{
	struct seq_renderer *r;
	const struct seq_ops *ops;

	if (f == OUT_SPEEDSCOPE)
		ops = &seq_speedscope_ops;
	else if (f == OUT_CHROME)
		ops = &seq_chrome_ops;
	else
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->ops = ops;
	r->impl = ops->make(o);
	return r;
}

void seq_add(struct seq_renderer *r, const struct profile *p,
	     const struct py_sample *s)
{
	r->ops->add(r->impl, p, s);
}

void seq_add_failed(struct seq_renderer *r, uint64_t time_ns)
{
	r->ops->add_failed(r->impl, time_ns);
}

void seq_finish(struct seq_renderer *r, struct strbuf *sb,
		const struct profile *p, const struct record_info *ri)
{
	r->ops->finish(r->impl, sb, p, ri);
}

void seq_free(struct seq_renderer *r)
{
	if (!r)
		return;
	r->ops->release(r->impl);
	free(r);
}

enum gil_state seq_slot_state(const struct py_sample *s, int i)
{
	enum gil_state st = s->threads[i].state;

	return (unsigned)st < GIL_NSTATES ? st : GIL_IDLE;
}

void seq_thread_label(struct strbuf *sb, const struct profile_thread *t)
{
	sb_addf(sb, "%s (%d)", t->name ? t->name : "?", (int)t->tid);
}

void seq_title(struct strbuf *sb, const struct record_info *ri)
{
	if (ri && ri->command && *ri->command)
		sb_adds(sb, ri->command);
	else if (ri && ri->cmdline && *ri->cmdline)
		sb_adds(sb, ri->cmdline);
	else if (ri)
		sb_addf(sb, "pid %d", (int)ri->pid);
	else
		sb_adds(sb, "python");
}
