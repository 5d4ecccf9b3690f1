/*
 * seq.h - the sequence renderers behind seq_* (output.h), internal to
 * src/output/.  seq.c picks one by format and forwards every call; each
 * renderer keeps only what it will write (runs of equal samples, closed
 * intervals), never the samples themselves.
 */
#ifndef GILSPY_OUTPUT_SEQ_H
#define GILSPY_OUTPUT_SEQ_H

#include "gilspy/output.h"

struct seq_ops {
	void *(*make)(const struct output_options *o);
	/* proc: the sample's process in a recording of several (-s),
	 * else NULL */
	void (*add)(void *r, const struct record_process *proc,
		    const struct profile *p, const struct py_sample *s);
	void (*add_failed)(void *r, const struct record_process *proc,
			   uint64_t time_ns);
	void (*finish)(void *r, struct strbuf *sb, const struct profile *p,
		       const struct record_info *ri);
	void (*release)(void *r);
};

extern const struct seq_ops seq_speedscope_ops;	/* speedscope.c */
extern const struct seq_ops seq_chrome_ops;		/* chrome.c */

/* The state of sample slot i as the profile counted it (out-of-range values
 * are idle, as in profile_add). */
enum gil_state seq_slot_state(const struct py_sample *s, int i);

/* `NAME (tid)`, the label of a thread in both formats. */
void seq_thread_label(struct strbuf *sb, const struct profile_thread *t);

/* What the recording was of, for titles: the command line with paths cut
 * to their last component and at most SEQ_TITLE_MAX bytes (then "..."),
 * else `pid N`; ri may be NULL. */
#define SEQ_TITLE_MAX 80
void seq_title(struct strbuf *sb, const struct record_info *ri);

#endif
