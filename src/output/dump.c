/* dump.c - one snapshot of a live process as text or JSON (see dump.h). */
#include <stdlib.h>

#include "gilspy/dump.h"

static int cmp_tid(const void *a, const void *b)
{
	const struct py_thread_sample *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->thread_id < y->thread_id ? -1 : x->thread_id > y->thread_id;
}

void dump_sort_threads(struct py_sample *s)
{
	qsort(s->threads, (size_t)s->nthreads, sizeof(s->threads[0]), cmp_tid);
}

/* The holder of the main interpreter's GIL (subinterpreters of 3.12+ may
 * have GILs of their own; their holders show in their thread lines). */
static const struct py_thread_sample *holder_of(const struct py_sample *s)
{
	for (int i = 0; i < s->nthreads; i++)
		if (s->gil_holder && s->threads[i].tstate == s->gil_holder &&
		    s->threads[i].state == GIL_HELD)
			return &s->threads[i];
	return NULL;
}

/* ppid > 0: said after the pid (dump -s). */
static void text_process(struct strbuf *sb, struct py_target *t,
			 const struct py_sample *s, int ppid)
{
	struct proc *p = pyt_proc(t);
	const struct py_thread_sample *h = holder_of(s);

	sb_addf(sb, "Process %d", (int)p->pid);
	if (ppid > 0)
		sb_addf(sb, " (child of %d)", ppid);
	sb_addf(sb, ": %s\n", p->cmdline);
	sb_addf(sb, "Python %s%s%s (%s)\n", pyt_version(t),
		pyt_debug_build(t) ? ", debug build" : "",
		pyt_free_threaded(t) ? ", free-threaded" : "", pyt_binary(t));
	if (pyt_free_threaded(t))
		sb_adds(sb, "GIL: none (free-threaded build); threads show as "
			"running or idle\n");
	else if (h)
		sb_addf(sb, "GIL: held by thread %d \"%s\"; %llu switches; "
			"switch interval %.1f ms\n", (int)h->tid,
			pyt_thread_name(t, h->tid, h->thread_id),
			(unsigned long long)s->switch_number,
			(double)s->interval_us / 1000.0);
	else
		sb_addf(sb, "GIL: %s; %llu switches; switch interval %.1f ms\n",
			s->gil_locked == 1 ? "held by a thread gilspy did not see"
					   : "free",
			(unsigned long long)s->switch_number,
			(double)s->interval_us / 1000.0);
	for (int i = 0; i < s->nthreads; i++) {
		const struct py_thread_sample *th = &s->threads[i];

		sb_addf(sb, "\nThread %d \"%s\" (%s)", (int)th->tid,
			pyt_thread_name(t, th->tid, th->thread_id),
			gil_state_name(th->state));
		if (th->interp_id)
			sb_addf(sb, " [subinterpreter %d]", th->interp_id);
		sb_addf(sb, "%s\n", th->incomplete ? " [stack incomplete]" : "");
		if (!th->nframes)
			sb_adds(sb, "    (no Python frames)\n");
		for (int j = 0; j < th->nframes; j++) {
			const struct py_frame_info *f = pyt_frame(t, th->frames[j]);

			if (f && f->native)	/* C: no line */
				sb_addf(sb, "    %s (%s)\n", f->name,
					f->filename);
			else if (f)
				sb_addf(sb, "    %s (%s:%d)\n", f->name,
					f->filename, f->line);
		}
	}
}

/* One process's object, without the newline. */
static void json_process(struct strbuf *sb, struct py_target *t,
			 const struct py_sample *s, int ppid)
{
	struct proc *p = pyt_proc(t);
	const struct py_thread_sample *h = holder_of(s);

	sb_addf(sb, "{\"version\":1,\"pid\":%d,", (int)p->pid);
	if (ppid >= 0)
		sb_addf(sb, "\"ppid\":%d,", ppid);
	sb_adds(sb, "\"command\":");
	sb_add_json_str(sb, p->cmdline);
	sb_adds(sb, ",\"python\":{\"version\":");
	sb_add_json_str(sb, pyt_version(t));
	sb_addf(sb, ",\"hexversion\":%lu,\"binary\":", pyt_hexversion(t));
	sb_add_json_str(sb, pyt_binary(t));
	sb_addf(sb, ",\"free_threaded\":%s,\"debug_build\":%s},",
		pyt_free_threaded(t) ? "true" : "false",
		pyt_debug_build(t) ? "true" : "false");
	sb_addf(sb, "\"gil\":{\"locked\":%s,\"holder_tid\":",
		s->gil_locked == 1 ? "true" : "false");
	if (h)
		sb_addf(sb, "%d", (int)h->tid);
	else
		sb_adds(sb, "null");
	sb_addf(sb, ",\"switch_number\":%llu,\"interval_us\":%llu},",
		(unsigned long long)s->switch_number,
		(unsigned long long)s->interval_us);
	sb_addf(sb, "\"errors\":%d,\"threads\":[", s->errors);
	for (int i = 0; i < s->nthreads; i++) {
		const struct py_thread_sample *th = &s->threads[i];

		sb_addf(sb, "%s{\"tid\":%d,\"thread_id\":%llu,\"name\":",
			i ? "," : "", (int)th->tid,
			(unsigned long long)th->thread_id);
		sb_add_json_str(sb, pyt_thread_name(t, th->tid, th->thread_id));
		sb_addf(sb, ",\"interpreter\":%d,\"state\":\"%s\","
			"\"evidence\":\"%s\",\"os_state\":\"%c\","
			"\"incomplete\":%s,\"frames\":[", th->interp_id,
			gil_state_name(th->state), gil_evidence_name(th->evidence),
			th->os_state ? th->os_state : '?',
			th->incomplete ? "true" : "false");
		for (int j = 0; j < th->nframes; j++) {
			const struct py_frame_info *f = pyt_frame(t, th->frames[j]);

			if (!f)
				continue;
			sb_adds(sb, j ? ",{\"function\":" : "{\"function\":");
			sb_add_json_str(sb, f->name);
			sb_adds(sb, ",\"file\":");
			sb_add_json_str(sb, f->filename);
			sb_addf(sb, ",\"line\":%d%s}", f->line,
				f->native ? ",\"native\":true" : "");
		}
		sb_adds(sb, "]}");
	}
	sb_adds(sb, "]}");
}

void dump_render_text(struct strbuf *sb, struct py_target *t,
		      const struct py_sample *s)
{
	text_process(sb, t, s, 0);
}

void dump_render_json(struct strbuf *sb, struct py_target *t,
		      const struct py_sample *s)
{
	json_process(sb, t, s, -1);
	sb_addc(sb, '\n');
}

/* --- a process tree (dump -s) ------------------------------------------- */

void dump_render_tree_text(struct strbuf *sb, const struct dump_process *p,
			   int n)
{
	int i, first = 1, nskip = 0;

	for (i = 0; i < n; i++) {
		if (!p[i].t) {
			nskip++;
			continue;
		}
		if (!first)
			sb_adds(sb, "\n");
		first = 0;
		text_process(sb, p[i].t, p[i].s, p[i].ppid);
	}
	if (!nskip)
		return;
	sb_addf(sb, "%sNot sampled (%d):\n", first ? "" : "\n", nskip);
	for (i = 0; i < n; i++)
		if (!p[i].t)
			sb_addf(sb, "  Process %d (%s): %s\n", p[i].pid,
				p[i].cmdline ? p[i].cmdline : "?",
				p[i].why ? p[i].why : "not read");
}

void dump_render_tree_json(struct strbuf *sb, const struct dump_process *p,
			   int n)
{
	int i, k;

	sb_adds(sb, "{\"version\":1,\"processes\":[");
	for (i = k = 0; i < n; i++)
		if (p[i].t) {
			sb_adds(sb, k++ ? "," : "");
			json_process(sb, p[i].t, p[i].s, p[i].ppid);
		}
	sb_adds(sb, "],\"processes_skipped\":[");
	for (i = k = 0; i < n; i++) {
		if (p[i].t)
			continue;
		sb_addf(sb, "%s{\"pid\":%d,\"ppid\":%d,\"command\":",
			k++ ? "," : "", p[i].pid, p[i].ppid);
		sb_add_json_str(sb, p[i].cmdline ? p[i].cmdline : "");
		sb_adds(sb, ",\"why\":");
		sb_add_json_str(sb, p[i].why ? p[i].why : "not read");
		sb_adds(sb, "}");
	}
	sb_adds(sb, "]}\n");
}
