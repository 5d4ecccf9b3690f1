/*
 * dump.c - `gilspy dump -p PID [--json]`: one snapshot of every thread's
 * Python stack and GIL state.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gilspy/cmd.h"
#include "gilspy/python.h"
#include "gilspy/util.h"

#define DUMP_TRIES 5	/* a torn read costs a retry, not the dump */

static const char usage_text[] =
	"usage: gilspy dump -p PID [--json]\n"
	"\n"
	"Print every thread of a running Python process once: its id, name,\n"
	"GIL state (held, waiting, native, idle) and Python stack, innermost\n"
	"frame first, as 'function (file:line)'.\n"
	"\n"
	"  -p, --pid PID      the Python process to inspect (required)\n"
	"  -j, --json         print one JSON document instead (see gilspy-dump(1))\n"
	"      --no-syscall   do not read /proc/TID/syscall (waiters then show\n"
	"                     as idle or native)\n"
	"  -h, --help         show this help\n";

static int cmp_tid(const void *a, const void *b)
{
	const struct py_thread_sample *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->thread_id < y->thread_id ? -1 : x->thread_id > y->thread_id;
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

static void print_text(struct py_target *t, const struct py_sample *s)
{
	struct proc *p = pyt_proc(t);
	const struct py_thread_sample *h = holder_of(s);

	printf("Process %d: %s\n", (int)p->pid, p->cmdline);
	printf("Python %s%s%s (%s)\n", pyt_version(t),
	       pyt_debug_build(t) ? ", debug build" : "",
	       pyt_free_threaded(t) ? ", free-threaded" : "", pyt_binary(t));
	if (pyt_free_threaded(t))
		printf("GIL: none (free-threaded build); threads show as "
		       "running or idle\n");
	else if (h)
		printf("GIL: held by thread %d \"%s\"; %llu switches; "
		       "switch interval %.1f ms\n", (int)h->tid,
		       pyt_thread_name(t, h->tid, h->thread_id),
		       (unsigned long long)s->switch_number,
		       (double)s->interval_us / 1000.0);
	else
		printf("GIL: %s; %llu switches; switch interval %.1f ms\n",
		       s->gil_locked == 1 ? "held by a thread gilspy did not see"
					  : "free", (unsigned long long)s->switch_number,
		       (double)s->interval_us / 1000.0);
	for (int i = 0; i < s->nthreads; i++) {
		const struct py_thread_sample *th = &s->threads[i];

		printf("\nThread %d \"%s\" (%s)", (int)th->tid,
		       pyt_thread_name(t, th->tid, th->thread_id),
		       gil_state_name(th->state));
		if (th->interp_id)
			printf(" [subinterpreter %d]", th->interp_id);
		printf("%s\n", th->incomplete ? " [stack incomplete]" : "");
		if (!th->nframes)
			printf("    (no Python frames)\n");
		for (int j = 0; j < th->nframes; j++) {
			const struct py_frame_info *f = pyt_frame(t, th->frames[j]);

			if (f)
				printf("    %s (%s:%d)\n", f->name, f->filename, f->line);
		}
	}
}

static void print_json(struct py_target *t, const struct py_sample *s)
{
	struct proc *p = pyt_proc(t);
	const struct py_thread_sample *h = holder_of(s);
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb, "{\"version\":1,\"pid\":%d,\"command\":", (int)p->pid);
	sb_add_json_str(&sb, p->cmdline);
	sb_adds(&sb, ",\"python\":{\"version\":");
	sb_add_json_str(&sb, pyt_version(t));
	sb_addf(&sb, ",\"hexversion\":%lu,\"binary\":", pyt_hexversion(t));
	sb_add_json_str(&sb, pyt_binary(t));
	sb_addf(&sb, ",\"free_threaded\":%s,\"debug_build\":%s},",
		pyt_free_threaded(t) ? "true" : "false",
		pyt_debug_build(t) ? "true" : "false");
	sb_addf(&sb, "\"gil\":{\"locked\":%s,\"holder_tid\":",
		s->gil_locked == 1 ? "true" : "false");
	if (h)
		sb_addf(&sb, "%d", (int)h->tid);
	else
		sb_adds(&sb, "null");
	sb_addf(&sb, ",\"switch_number\":%llu,\"interval_us\":%llu},",
		(unsigned long long)s->switch_number,
		(unsigned long long)s->interval_us);
	sb_addf(&sb, "\"errors\":%d,\"threads\":[", s->errors);
	for (int i = 0; i < s->nthreads; i++) {
		const struct py_thread_sample *th = &s->threads[i];

		sb_addf(&sb, "%s{\"tid\":%d,\"thread_id\":%llu,\"name\":",
			i ? "," : "", (int)th->tid,
			(unsigned long long)th->thread_id);
		sb_add_json_str(&sb, pyt_thread_name(t, th->tid, th->thread_id));
		sb_addf(&sb, ",\"interpreter\":%d,\"state\":\"%s\","
			"\"evidence\":\"%s\",\"os_state\":\"%c\","
			"\"incomplete\":%s,\"frames\":[", th->interp_id,
			gil_state_name(th->state), gil_evidence_name(th->evidence),
			th->os_state ? th->os_state : '?',
			th->incomplete ? "true" : "false");
		for (int j = 0; j < th->nframes; j++) {
			const struct py_frame_info *f = pyt_frame(t, th->frames[j]);

			if (!f)
				continue;
			sb_adds(&sb, j ? ",{\"function\":" : "{\"function\":");
			sb_add_json_str(&sb, f->name);
			sb_adds(&sb, ",\"file\":");
			sb_add_json_str(&sb, f->filename);
			sb_addf(&sb, ",\"line\":%d}", f->line);
		}
		sb_adds(&sb, "]}");
	}
	sb_adds(&sb, "]}\n");
	fputs(sb.buf, stdout);
	sb_release(&sb);
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-syscall", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pyt_options opt = { .with_syscall = 1, .with_lines = 1 };
	struct gs_error err = { GS_OK, "" };
	struct py_target *t = NULL;
	struct py_sample *s = NULL;
	int pid = 0, json = 0, c, ret;
	enum gs_err rc = GS_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cmd_parse_pid(optarg, &pid))
				return 2;
			break;
		case 'j':
			json = 1;
			break;
		case 'S':
			opt.with_syscall = 0;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return cmd_bad_option("dump", c, argv);
		}
	}
	if (optind < argc) {
		cmd_errorf("unexpected argument '%s'; see 'gilspy dump --help'",
			   argv[optind]);
		return 2;
	}
	if (!pid) {
		cmd_errorf("no process given; pass -p PID (see 'gilspy dump --help')");
		return 2;
	}
	rc = pyt_attach(pid, &opt, &t, &err);
	if (rc != GS_OK)
		return cmd_report_error(&err);
	s = xmalloc(sizeof(*s));
	/* Test hook: widen the window between attaching and reading, so the
	 * test suite can make the target exit in between. */
	if (getenv("GILSPY_TEST_ATTACH_DELAY_MS"))
		usleep((useconds_t)atoi(getenv("GILSPY_TEST_ATTACH_DELAY_MS")) * 1000);
	/* A first sample 10 ms earlier gives each thread a history, so a
	 * thread that was just woken in take_gil (or handed the GIL over) and
	 * waits for a CPU is told from one running native code (see
	 * src/gil/gil.c, woken waiters). */
	rc = pyt_sample(t, s);
	if (rc == GS_OK)
		usleep(10000);
	for (int i = 0; i < DUMP_TRIES && rc != GS_EGONE && rc != GS_EPERM; i++) {
		rc = pyt_sample(t, s);
		if (rc == GS_OK && !s->errors)
			break;
		if (rc == GS_EGONE || rc == GS_EPERM)
			break;
	}
	if (rc == GS_EGONE) {
		cmd_errorf("process %d exited while gilspy was reading it", pid);
		ret = 1;
		goto out;
	}
	if (rc != GS_OK) {
		cmd_errorf("cannot read the interpreter state of pid %d (python %s): "
			   "%s; try again, and report a bug if it persists", pid,
			   pyt_version(t), gs_strerror(rc));
		ret = 1;
		goto out;
	}
	qsort(s->threads, (size_t)s->nthreads, sizeof(s->threads[0]), cmp_tid);
	if (json)
		print_json(t, s);
	else
		print_text(t, s);
	ret = 0;
	if (fflush(stdout) != 0) {
		cmd_errorf("cannot write the dump: output error");
		ret = 1;
	}
out:
	free(s);
	pyt_free(t);
	return ret;
}
