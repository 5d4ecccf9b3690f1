/*
 * seq.c - the formats that follow every sample in order (speedscope.c,
 * chrome.c): pick the renderer by format, forward the calls, and the few
 * helpers both share.
 */
#include <stdlib.h>
#include <string.h>

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
	r->ops->add(r->impl, NULL, p, s);
}

void seq_add_failed(struct seq_renderer *r, uint64_t time_ns)
{
	r->ops->add_failed(r->impl, NULL, time_ns);
}

void seq_add_proc(struct seq_renderer *r, const struct record_process *proc,
		  const struct profile *p, const struct py_sample *s)
{
	r->ops->add(r->impl, proc, p, s);
}

void seq_add_failed_proc(struct seq_renderer *r,
			 const struct record_process *proc, uint64_t time_ns)
{
	r->ops->add_failed(r->impl, proc, time_ns);
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

/* Append s, each word that is a path (starts with '/' or '.') cut to its
 * last component: titles are read in narrow title bars, where
 * "python3.12 app.py --fast" says more than the start of
 * "/opt/.../bin/python3.12 /srv/app/app.py --fast". */
static void add_short_words(struct strbuf *sb, const char *s)
{
	size_t start = sb->len;

	while (*s) {
		size_t n = strcspn(s, " "), k = n;

		/* a path's part after the last '/', unless that is empty */
		while (k > 0 && s[k - 1] != '/')
			k--;
		if (k == n || (*s != '/' && *s != '.'))
			k = 0;
		sb_add(sb, s + k, n - k);
		s += n;
		if (*s == ' ') {
			sb_addc(sb, ' ');
			s++;
		}
	}
	if (sb->len - start > SEQ_TITLE_MAX) {
		size_t cut = start + SEQ_TITLE_MAX;

		/* on a character boundary: back over UTF-8 continuation bytes */
		while (cut > start && ((unsigned char)sb->buf[cut] & 0xc0) == 0x80)
			cut--;
		sb->len = cut;
		sb->buf[cut] = '\0';
		sb_adds(sb, "...");
	}
}

void seq_title(struct strbuf *sb, const struct record_info *ri)
{
	if (ri && ri->command && *ri->command)
		add_short_words(sb, ri->command);
	else if (ri && ri->cmdline && *ri->cmdline)
		add_short_words(sb, ri->cmdline);
	else if (ri)
		sb_addf(sb, "pid %d", (int)ri->pid);
	else
		sb_adds(sb, "python");
}
