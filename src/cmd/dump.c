/*
 * dump.c - `gilspy dump -p PID [--json]`: one snapshot of every thread's
 * Python stack and GIL state.  Rendering is src/output/dump.c; attaching
 * and -p are the session's (session.h).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gilspy/cmd.h"
#include "gilspy/dump.h"
#include "gilspy/python.h"
#include "gilspy/util.h"
#include "session.h"

#define DUMP_TRIES 5	/* a torn read costs a retry, not the dump */

static const char usage_text[] =
	"usage: gilspy dump -p PID [--json] [--native | --native-all]\n"
	"\n"
	"Print every thread of a running Python process once: its id, name,\n"
	"GIL state (held, waiting, native, idle) and Python stack, innermost\n"
	"frame first, as 'function (file:line)'.\n"
	"\n"
	"  -p, --pid PID      the Python process to inspect (required)\n"
	"  -j, --json         print one JSON document instead (see gilspy-dump(1))\n"
	"      --no-syscall   do not read /proc/TID/syscall (waiters then show\n"
	"                     as idle or native)\n"
	"      --native       merge each thread's C stack with its Python stack\n"
	"      --native-all   the same, keeping the interpreter's own frames\n"
	"  -h, --help         show this help\n";

/* One consistent sample of t into s, or the error that prevented it. */
static enum gs_err take(struct py_target *t, struct py_sample *s)
{
	enum gs_err rc;

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
	return rc;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
		SESSION_LONGOPT_PID,
		{ "json", no_argument, NULL, 'j' },
		{ "no-syscall", no_argument, NULL, 'S' },
		SESSION_LONGOPTS_NATIVE,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pyt_options opt = { .with_syscall = 1, .with_lines = 1 };
	struct strbuf sb = STRBUF_INIT;
	struct session ses;
	struct py_target *t;
	struct py_sample *s = NULL;
	int json = 0, c, k, ret;
	enum gs_err rc;

	session_init(&ses);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":p:jh", longopts, NULL)) != -1) {
		switch (c) {
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
			k = session_option(&ses.args, c, optarg);
			if (k < 0)
				return 2;
			if (!k)
				return cmd_bad_option("dump", c, argv);
		}
	}
	if (optind < argc) {
		cmd_errorf("unexpected argument '%s'; see 'gilspy dump --help'",
			   argv[optind]);
		return 2;
	}
	if (!ses.args.pid) {
		cmd_errorf("no process given; pass -p PID (see 'gilspy dump --help')");
		return 2;
	}

	if (session_attach(&ses, &opt))
		return 1;
	t = session_py(&ses);
	s = xmalloc(sizeof(*s));
	rc = take(t, s);
	if (rc == GS_EGONE) {
		cmd_errorf("process %d exited while gilspy was reading it",
			   ses.args.pid);
		ret = 1;
		goto out;
	}
	if (rc != GS_OK) {
		cmd_errorf("cannot read the interpreter state of pid %d (python %s): "
			   "%s; try again, and report a bug if it persists",
			   ses.args.pid, pyt_version(t), gs_strerror(rc));
		ret = 1;
		goto out;
	}
	dump_sort_threads(s);
	if (json)
		dump_render_json(&sb, t, s);
	else
		dump_render_text(&sb, t, s);
	ret = 0;
	if (fwrite(sb.buf, 1, sb.len, stdout) != sb.len || fflush(stdout) != 0) {
		cmd_errorf("cannot write the dump: output error");
		ret = 1;
	}
out:
	sb_release(&sb);
	free(s);
	session_release(&ses);
	return ret;
}
