/*
 * dump.c - `gilspy dump -p PID [--json] [-s]`: one snapshot of every
 * thread's Python stack and GIL state; with -s, of every Python process in
 * the tree of PID (one listing of it, each process read once).  Rendering
 * is src/output/dump.c; attaching, -p and the tree's targets are the
 * session's (session.h, targets.h).
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
#include "targets.h"

#define DUMP_TRIES 5	/* a torn read costs a retry, not the dump */

static const char usage_text[] =
	"usage: gilspy dump -p PID [-s] [--json] [--native | --native-all]\n"
	"\n"
	"Print every thread of a running Python process once: its id, name,\n"
	"GIL state (held, waiting, native, idle) and Python stack, innermost\n"
	"frame first, as 'function (file:line)'.\n"
	"\n"
	"  -p, --pid PID      the Python process to inspect (required)\n"
	"  -s, --subprocesses every Python process in its tree (its children,\n"
	"                     theirs...), each with its own GIL; the others are\n"
	"                     listed with why they were not read\n"
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

/* Root first, then by pid. */
static int cmp_proc(const void *a, const void *b)
{
	const struct dump_process *x = a, *y = b;

	if (!x->ppid != !y->ppid)
		return x->ppid ? 1 : -1;
	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int write_out(const struct strbuf *sb)
{
	if (fwrite(sb->buf, 1, sb->len, stdout) != sb->len ||
	    fflush(stdout) != 0) {
		cmd_errorf("cannot write the dump: output error");
		return 1;
	}
	return 0;
}

/* -s: every process of the tree, each read once. */
static int dump_tree(struct session *ses, int json)
{
	struct strbuf sb = STRBUF_INIT;
	struct dump_process *dp;
	struct py_sample **smp;
	char **why;
	int i, n, nread = 0, ret;

	if (targets_scan_once(ses))
		cmd_errorf("cannot list /proc for the children of pid %d; "
			   "only it is dumped", ses->args.pid);
	n = ses->ntargets;
	dp = xcalloc((size_t)n + 1, sizeof(*dp));
	smp = xcalloc((size_t)n + 1, sizeof(*smp));
	why = xcalloc((size_t)n + 1, sizeof(*why));
	for (i = 0; i < n; i++) {
		struct session_target *tg = ses->targets[i];
		enum gs_err rc;

		dp[i].pid = (int)tg->pid;
		dp[i].ppid = (int)tg->ppid;
		dp[i].cmdline = tg->cmdline;
		dp[i].why = tg->skip;
		if (!tg->py)
			continue;
		smp[i] = xmalloc(sizeof(*smp[i]));
		rc = take(tg->py, smp[i]);
		if (rc != GS_OK) {
			char buf[256];

			if (rc == GS_EGONE)
				snprintf(buf, sizeof(buf), "exited while "
					 "gilspy was reading it");
			else
				snprintf(buf, sizeof(buf), "cannot read its "
					 "interpreter state (python %s): %s",
					 pyt_version(tg->py), gs_strerror(rc));
			why[i] = xstrdup(buf);
			dp[i].why = why[i];
			continue;
		}
		dump_sort_threads(smp[i]);
		dp[i].t = tg->py;
		dp[i].s = smp[i];
		nread++;
	}
	qsort(dp, (size_t)n, sizeof(*dp), cmp_proc);
	if (json)
		dump_render_tree_json(&sb, dp, n);
	else
		dump_render_tree_text(&sb, dp, n);
	ret = write_out(&sb);
	if (!ret && !nread) {
		cmd_errorf("no Python process could be read in the tree of "
			   "pid %d (see why above)", ses->args.pid);
		ret = 1;
	}
	for (i = 0; i < n; i++) {
		free(smp[i]);
		free(why[i]);
	}
	free(smp);
	free(why);
	free(dp);
	sb_release(&sb);
	return ret;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
		SESSION_LONGOPT_PID,
		SESSION_LONGOPT_SUBPROCESSES,
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
	while ((c = getopt_long(argc, argv, ":p:sjh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 's':
			session_option(&ses.args, SESSION_OPT_SUBPROCESSES, NULL);
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
	if (ses.args.subprocesses) {
		ret = dump_tree(&ses, json);
		goto out;
	}
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
	ret = write_out(&sb);
out:
	sb_release(&sb);
	free(s);
	session_release(&ses);
	return ret;
}
