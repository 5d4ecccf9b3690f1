/*
 * top.c - `gilspy top`: watch a live Python process (-p PID, or a command
 * gilspy starts) in a full-screen view refreshed every interval, or write
 * plain-text frames (--batch, -n N, --once).
 *
 * Sampling is record's, through the session (session.h): every sample goes
 * into the tui's profile (tui_add).  Keys and refreshes are handled between
 * ticks (the tick callback); the session's 50 ms wake-up timer interrupts
 * the sampler's sleep so keys stay responsive at any --rate.
 *
 * Every way out gives the terminal back before anything is printed: `q`,
 * SIGINT/SIGTERM/SIGHUP (flags set by handlers, the loop ends), errors
 * (tui_screen_end() first), crashes (screen.c's handler).  When the target
 * exits the view stays, says 'process exited', and waits for `q`.
 *
 * -s: every Python process of the tree joins the view as the session
 * finds it (tui_add_process() in the joined hook), its samples go to its
 * own view, and one that leaves stays with its last figures
 * (tui_process_exited() in the left hook, while its names can still be
 * read).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/cmd.h"
#include "gilspy/profile.h"
#include "gilspy/python.h"
#include "gilspy/tui.h"
#include "gilspy/util.h"
#include "session.h"

#define TEXT_FUNCS 30				/* function rows per text frame */
#define KEY_POLL_US 50000			/* wake-ups for the keys */

static const char usage_text[] =
	"usage: gilspy top [options] -p PID\n"
	"   or: gilspy top [options] -- COMMAND [ARGS...]\n"
	"\n"
	"A live, full-screen view of who holds the GIL, who waits for it, and\n"
	"the code behind it.  Keys: ? help, q quit (see 'man gilspy-top').\n"
	"\n"
	"  -p, --pid PID          watch a running process\n"
	"  -r, --rate HZ          samples per second (default 100)\n"
	"  -i, --interval SECS    refresh every SECS seconds (default 1)\n"
	"  -w, --window SECS      length of the sliding window (default 5)\n"
	"      --cumulative       start with the cumulative view (key w)\n"
	SESSION_HELP_SUBPROCESSES
	"      --group            with -s: rows grouped by process (key s)\n"
	"  -o, --sort COLUMN      own, total, held, waiting or name (default own)\n"
	"  -L, --lines            one row per line, not per function (key L)\n"
	"  -t, --thread TID       functions of one thread only (key t)\n"
	"      --idle             count idle samples in the functions pane (key i)\n"
	"      --blame            start with the blame view: who waits for whom (key b)\n"
	"      --all-threads      list idle threads too, not one folded row (key a)\n"
	"      --nolineno         no line numbers\n"
	"      --blocking         stop the target's threads for each sample\n"
	SESSION_HELP_NATIVE
	"  -b, --batch            plain-text frames on stdout, no curses\n"
	"  -n, --frames N         stop after N frames (implies --batch)\n"
	"      --once             one frame after one interval (-b -n 1)\n"
	"  -h, --help             show this help\n";

enum {
	OPT_CUMULATIVE = 256, OPT_IDLE, OPT_NOLINENO, OPT_ONCE, OPT_BLAME,
	OPT_ALL_THREADS, OPT_GROUP,
};

struct top {
	/* options */
	struct session ses;		/* -p, -r, --blocking, the command */
	double interval;
	int batch;
	long frames;
	struct tui_options to;

	/* state */
	struct tui *u;
	uint64_t step, next;		/* refresh period, next refresh */
	long shown;			/* frames shown */
	int ret;			/* exit status once the loop ends */
};

/* --- options ------------------------------------------------------------- */

static int parse_args(struct top *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		SESSION_LONGOPTS,
		{ "interval", required_argument, NULL, 'i' },
		{ "window", required_argument, NULL, 'w' },
		{ "cumulative", no_argument, NULL, OPT_CUMULATIVE },
		{ "sort", required_argument, NULL, 'o' },
		SESSION_LONGOPT_SUBPROCESSES,
		{ "group", no_argument, NULL, OPT_GROUP },
		{ "lines", no_argument, NULL, 'L' },
		{ "thread", required_argument, NULL, 't' },
		{ "idle", no_argument, NULL, OPT_IDLE },
		{ "blame", no_argument, NULL, OPT_BLAME },
		{ "all-threads", no_argument, NULL, OPT_ALL_THREADS },
		{ "nolineno", no_argument, NULL, OPT_NOLINENO },
		{ "batch", no_argument, NULL, 'b' },
		{ "frames", required_argument, NULL, 'n' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	double v;
	int c, k, tid;

	opterr = 0;
	/* '+': stop at the first non-option, the command to launch */
	while ((c = getopt_long(argc, argv, "+:" SESSION_SHORTOPTS "i:w:so:Lt:bn:h",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (cmd_parse_double("interval", optarg, 0.05, 3600,
					 &t->interval))
				return 2;
			break;
		case 'w':
			if (cmd_parse_double("window", optarg, 0.1, 3600,
					 &t->to.window_s))
				return 2;
			break;
		case OPT_CUMULATIVE: t->to.cumulative = 1; break;
		case 's':
			session_option(&t->ses.args, SESSION_OPT_SUBPROCESSES,
				       NULL);
			break;
		case OPT_GROUP: t->to.group = 1; break;
		case 'o':
			if (tui_sort_parse(optarg, &t->to.sort)) {
				cmd_errorf("unknown sort column '%s'; use own, "
					   "total, held, waiting or name", optarg);
				return 2;
			}
			break;
		case 'L': t->to.lines = 1; break;
		case 't':
			if (cmd_parse_pid(optarg, &tid))
				return 2;
			t->to.thread = tid;
			break;
		case OPT_IDLE: t->to.idle = 1; break;
		case OPT_BLAME: t->to.blame = 1; break;
		case OPT_ALL_THREADS: t->to.all_threads = 1; break;
		case OPT_NOLINENO: t->to.lineno = 0; break;
		case 'b': t->batch = 1; break;
		case 'n':
			if (cmd_parse_double("frames", optarg, 1, 1e9, &v))
				return 2;
			t->frames = (long)v;
			t->batch = 1;
			break;
		case OPT_ONCE:
			t->frames = 1;
			t->batch = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			k = session_option(&t->ses.args, c, optarg);
			if (k < 0)
				return 2;
			if (!k)
				return cmd_bad_option("top", c, argv);
		}
	}
	/* -s was --sort before it meant --subprocesses */
	if (t->ses.args.subprocesses && optind < argc &&
	    tui_sort_parse(argv[optind], &t->to.sort) == 0) {
		cmd_errorf("-s means --subprocesses (it takes no value); sort "
			   "with -o %s or --sort %s", argv[optind], argv[optind]);
		return 2;
	}
	if (session_args_done(&t->ses.args, argc, argv, "top", "watch"))
		return 2;
	if (!t->batch) {
		struct gs_error err = { 0 };

		if (tui_screen_usable(&err) != GS_OK)
			return cmd_report_error(&err);
	}
	if (t->interval < t->to.window_s / (TUI_HISTORY - 2))
		t->to.window_s = t->interval * (TUI_HISTORY - 2);
	return 0;
}

/* --- the loop ------------------------------------------------------------ */

/* One frame: on the screen, or as text on stdout.  -1 when stdout is
 * gone (a closed pipe ends the run quietly), 1 on another write error. */
static int show(struct top *t)
{
	struct strbuf sb = STRBUF_INIT;
	int ret = 0;

	if (!t->batch) {
		tui_screen_draw(t->u);
		return 0;
	}
	tui_render_text(t->u, &sb, TEXT_FUNCS);
	if (fwrite(sb.buf, 1, sb.len, stdout) != sb.len || fflush(stdout)) {
		if (errno == EPIPE) {
			ret = -1;
		} else {
			cmd_errorf("cannot write to stdout: %s", strerror(errno));
			ret = 1;
		}
	}
	sb_release(&sb);
	return ret;
}

static void exited(struct top *t)
{
	struct session_child *c = &t->ses.child;

	if (t->ses.args.subprocesses)
		tui_set_status(t->u, 1, "every process exited; the last data "
			       "stays until q");
	else if (c->pid && session_reap(&t->ses, 0))
		tui_set_status(t->u, 1, "process exited (status %d); the last "
			       "data stays until q", c->status);
	else
		tui_set_status(t->u, 1, "process exited; the last data stays "
			       "until q");
}

/* -s: samples go to the view of their own process. */
static void on_sample(void *ctx, struct session_target *tg,
		      const struct py_sample *smp)
{
	struct top *t = ctx;

	tui_add(t->ses.args.subprocesses ? tg->user : t->u, smp);
}

static void on_failed(void *ctx, struct session_target *tg, uint64_t tt)
{
	struct top *t = ctx;

	tui_add_failed(t->ses.args.subprocesses ? tg->user : t->u, tt);
}

static void on_joined(void *ctx, struct session_target *tg)
{
	struct top *t = ctx;
	struct profile_resolver res = {
		pyt_resolve_frame, pyt_resolve_thread_name, tg->py,
	};
	struct tui_target tt = {
		.pid = tg->pid, .command = tg->cmdline,
		.python = pyt_version(tg->py),
		.requested_hz = t->ses.args.rate,
		.blocking = t->ses.args.blocking,
		.free_threaded = pyt_free_threaded(tg->py),
	};

	if (t->ses.args.subprocesses && !tg->user)
		tg->user = tui_add_process(t->u, &res, &tt, tg->ppid,
					   now_ns());
}

static void on_left(void *ctx, struct session_target *tg)
{
	struct top *t = ctx;

	if (t->ses.args.subprocesses && tg->user)
		tui_process_exited(tg->user, now_ns());
}

static void on_behind(void *ctx, double achieved)
{
	struct top *t = ctx;
	double rate = t->ses.args.rate;

	if (t->batch)
		cmd_errorf(SESSION_BEHIND_FMT, achieved, rate);
	else
		tui_set_status(t->u, 1, SESSION_BEHIND_FMT, achieved, rate);
}

/* Keys, and a frame when one is due; nonzero (t->ret set) ends the run. */
static int on_tick(void *ctx, uint64_t now)
{
	struct top *t = ctx;
	int r;

	if (!t->batch && tui_screen_keys(t->u, 0, now) == TUI_QUIT)
		return 1;
	if (now < t->next)
		return 0;
	tui_refresh(t->u, now);
	r = show(t);
	if (r) {
		t->ret = r < 0 ? 0 : r;
		return 1;
	}
	if (t->frames && ++t->shown >= t->frames)
		return 1;
	t->next += t->step;
	if (t->next <= now)
		t->next = now + t->step;
	return 0;
}

static int run(struct top *t)
{
	static const struct session_hooks hooks = {
		.sample = on_sample, .failed = on_failed,
		.behind = on_behind, .tick = on_tick,
		.joined = on_joined, .left = on_left,
	};
	struct gs_error err = { 0 };
	int r;

	t->step = (uint64_t)(t->interval * 1e9);
	t->next = now_ns() + t->step;
	if (!t->batch)
		tui_screen_draw(t->u);
	switch (session_run(&t->ses, &hooks, t, &err)) {
	case SESSION_ERROR:
		tui_screen_end();
		return cmd_report_error(&err);
	case SESSION_SIGNAL:
		return 0;
	case SESSION_DONE:
		return t->ret;
	case SESSION_GONE:
	case SESSION_EXEC:	/* another program now: Python has gone */
		break;
	}

	/* The target has gone: keep what was seen on the screen. */
	tui_refresh(t->u, now_ns());
	exited(t);
	r = show(t);
	if (t->batch)
		return r > 0 ? r : 0;
	while (!session_signal())
		if (tui_screen_keys(t->u, 250, now_ns()) == TUI_QUIT)
			break;
	return 0;
}

int cmd_top(int argc, char **argv)
{
	struct pyt_options po = { .with_syscall = 1, .with_lines = 1 };
	struct top t;
	struct profile_resolver res = {
		pyt_resolve_frame, pyt_resolve_thread_name, NULL,
	};
	struct tui_target tg = { 0 };
	struct strbuf cmdline = STRBUF_INIT;
	struct gs_error err = { 0 };
	struct session_args *a;
	struct py_target *py;
	int ret;

	memset(&t, 0, sizeof(t));
	session_init(&t.ses);
	a = &t.ses.args;
	t.interval = 1;
	tui_options_init(&t.to);
	ret = parse_args(&t, argc, argv);
	if (ret)
		return ret < 0 ? 0 : ret;

	/* SA_RESTART: reads of /proc go on; the sampler's sleep and curses'
	 * wait for a key end anyway. */
	session_signals(SESSION_SIG_RESTART);
	if (a->command) {
		/* stdin from /dev/null (the keys are ours); on the screen its
		 * output is thrown away (it would scribble over the view), in
		 * batch mode its stdout goes to our stderr so stdout has only
		 * frames; its own process group, so a Ctrl-C meant for the
		 * view does not reach it: it is ended when the view ends. */
		ret = session_launch(&t.ses, LAUNCH_OWN_PGRP | LAUNCH_NULL_STDIN |
				     (t.batch ? LAUNCH_STDOUT_TO_STDERR :
				      LAUNCH_QUIET));
		if (ret)
			return ret;
	}
	po.with_lines = t.to.lineno;
	if (session_attach(&t.ses, &po)) {
		ret = 1;
		goto out;
	}
	ret = session_start(&t.ses);
	if (ret)
		goto out;
	py = session_py(&t.ses);
	session_command_line(&t.ses, &cmdline);
	tg.pid = a->pid;
	tg.requested_hz = a->rate;
	tg.blocking = a->blocking;
	if (a->subprocesses) {
		/* the root need not be Python: a shell, a launcher */
		tg.command = a->command ? cmdline.buf :
			     t.ses.targets[0]->cmdline;
		tg.python = py ? pyt_version(py) : "?";
		t.u = tui_new_tree(&t.to, &tg, now_ns());
	} else {
		tg.command = a->command ? cmdline.buf : pyt_proc(py)->cmdline;
		tg.python = pyt_version(py);
		tg.free_threaded = pyt_free_threaded(py);
		res.ctx = py;
		t.u = tui_new(&res, &t.to, &tg, now_ns());
	}
	if (!t.batch && tui_screen_start(&err) != GS_OK) {
		ret = cmd_report_error(&err);
		goto out;
	}
	session_wake_every(KEY_POLL_US);
	ret = run(&t);
	session_wake_every(0);
out:
	tui_screen_end();
	/* The view is over: a command we started ends with it. */
	session_end_child(&t.ses);
	tui_free(t.u);
	session_release(&t.ses);
	sb_release(&cmdline);
	return ret;
}
