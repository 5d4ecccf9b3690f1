/*
 * top.c - `gilspy top`: watch a live Python process (-p PID, or a command
 * gilspy starts) in a full-screen view refreshed every interval, or write
 * plain-text frames (--batch, -n N, --once).
 *
 * Sampling is record's: sampler_next() paces the ticks and every sample
 * goes into the tui's profile (tui_add).  Keys and refreshes are handled
 * between ticks; a 50 ms interval timer interrupts the sampler's sleep
 * (its stop flag) so keys stay responsive at any --rate.
 *
 * Every way out gives the terminal back before anything is printed: `q`,
 * SIGINT/SIGTERM/SIGHUP (flags set by handlers, the loop ends), errors
 * (tui_screen_end() first), crashes (screen.c's handler).  When the target
 * exits the view stays, says 'process exited', and waits for `q`.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gilspy/cmd.h"
#include "gilspy/profile.h"
#include "gilspy/python.h"
#include "gilspy/sampler.h"
#include "gilspy/tui.h"
#include "gilspy/util.h"

#define TEXT_FUNCS 30				/* function rows per text frame */
#define KEY_POLL_US 50000			/* timer that wakes the sampler */

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
	"  -s, --sort COLUMN      own, total, held, waiting or name (default own)\n"
	"  -L, --lines            one row per line, not per function (key L)\n"
	"  -t, --thread TID       functions of one thread only (key t)\n"
	"      --idle             count idle samples in the functions pane (key i)\n"
	"      --nolineno         no line numbers\n"
	"      --blocking         stop the target's threads for each sample\n"
	"  -b, --batch            plain-text frames on stdout, no curses\n"
	"  -n, --frames N         stop after N frames (implies --batch)\n"
	"      --once             one frame after one interval (-b -n 1)\n"
	"  -h, --help             show this help\n";

enum {
	OPT_CUMULATIVE = 256, OPT_IDLE, OPT_NOLINENO, OPT_BLOCKING, OPT_ONCE,
};

struct top {
	/* options */
	int pid;
	double rate, interval;
	int blocking, batch;
	long frames;
	struct tui_options to;
	char **command;

	/* state */
	struct cmd_child child;		/* launch mode */
	struct py_target *t;
	struct sampler *s;
	struct tui *u;
};

static volatile sig_atomic_t quit_signal, wake;

static void on_quit(int sig)
{
	quit_signal = sig;
	wake = 1;
}

static void on_alarm(int sig)
{
	(void)sig;
	wake = 1;
}

static void set_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* SA_RESTART: reads of /proc go on; the sampler's sleep
	 * (clock_nanosleep) and curses' wait for a key end anyway */
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = on_quit;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void key_timer(int on)
{
	struct itimerval it;

	memset(&it, 0, sizeof(it));
	if (on) {
		it.it_interval.tv_usec = KEY_POLL_US;
		it.it_value.tv_usec = KEY_POLL_US;
	}
	setitimer(ITIMER_REAL, &it, NULL);
}

/* --- options ------------------------------------------------------------- */

static int parse_args(struct top *t, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "interval", required_argument, NULL, 'i' },
		{ "window", required_argument, NULL, 'w' },
		{ "cumulative", no_argument, NULL, OPT_CUMULATIVE },
		{ "sort", required_argument, NULL, 's' },
		{ "lines", no_argument, NULL, 'L' },
		{ "thread", required_argument, NULL, 't' },
		{ "idle", no_argument, NULL, OPT_IDLE },
		{ "nolineno", no_argument, NULL, OPT_NOLINENO },
		{ "blocking", no_argument, NULL, OPT_BLOCKING },
		{ "batch", no_argument, NULL, 'b' },
		{ "frames", required_argument, NULL, 'n' },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	double v;
	int c, tid;

	opterr = 0;
	/* '+': stop at the first non-option, the command to launch */
	while ((c = getopt_long(argc, argv, "+:p:r:i:w:s:Lt:bn:h", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cmd_parse_pid(optarg, &t->pid))
				return 2;
			break;
		case 'r':
			if (cmd_parse_double("rate", optarg, 0.1, 1000000, &t->rate))
				return 2;
			break;
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
		case OPT_NOLINENO: t->to.lineno = 0; break;
		case OPT_BLOCKING: t->blocking = 1; break;
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
			return cmd_bad_option("top", c, argv);
		}
	}
	if (optind < argc)
		t->command = argv + optind;
	if (!t->pid == !t->command) {
		cmd_errorf(t->pid ? "give either -p PID or a command, not both" :
			   "nothing to watch; give -p PID or -- COMMAND "
			   "(see 'gilspy top --help')");
		return 2;
	}
	if (!t->batch) {
		struct gs_error err = { 0 };

		if (tui_screen_usable(&err) != GS_OK)
			return cmd_report_error(&err);
	}
	if (t->interval < t->to.window_s / (TUI_HISTORY - 2))
		t->to.window_s = t->interval * (TUI_HISTORY - 2);
	return 0;
}

/* --- launch mode (src/cmd/launch.c) ------------------------------------ */

static int reap(struct top *t, int block)
{
	return cmd_reap(&t->child, block, NULL);
}

/* The view is over: a command we started ends with it (SIGTERM, then
 * SIGKILL if it is still there after two seconds). */
static void end_command(struct top *t)
{
	int i;

	if (!t->child.pid || reap(t, 0))
		return;
	kill(t->child.pid, SIGTERM);
	for (i = 0; i < 200 && !reap(t, 0); i++)
		usleep(10000);
	if (!t->child.reaped) {
		kill(t->child.pid, SIGKILL);
		reap(t, 1);
	}
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
	if (t->child.pid && reap(t, 0))
		tui_set_status(t->u, 1, "process exited (status %d); the last "
			       "data stays until q", t->child.status);
	else
		tui_set_status(t->u, 1, "process exited; the last data stays "
			       "until q");
}

static int run(struct top *t)
{
	struct gs_error err = { 0 };
	uint64_t step = (uint64_t)(t->interval * 1e9), now = now_ns();
	uint64_t next = now + step;
	long frames = 0;
	int gone = 0, r;

	if (!t->batch)
		tui_screen_draw(t->u);
	for (;;) {
		const struct py_sample *smp = NULL;
		uint64_t tt = 0;
		double achieved;
		enum sampler_tick k = sampler_next(t->s, &wake, &smp, &tt,
						   &err);

		switch (k) {
		case SAMPLER_SAMPLE:
			tui_add(t->u, smp);
			break;
		case SAMPLER_FAILED:
			tui_add_failed(t->u, tt);
			break;
		case SAMPLER_GONE:
			gone = 1;
			break;
		case SAMPLER_STOPPED:
			wake = 0;
			break;
		case SAMPLER_ERROR:
			tui_screen_end();
			return cmd_report_error(&err);
		}
		if (quit_signal)
			return 0;
		if (t->child.pid && reap(t, 0))
			gone = 1;
		now = now_ns();
		if (gone)
			break;
		if (sampler_behind(t->s, &achieved)) {
			if (t->batch)
				cmd_errorf("falling behind: %.0f Hz achieved of "
					   "%.0f Hz requested; try a lower --rate",
					   achieved, t->rate);
			else
				tui_set_status(t->u, 1, "falling behind: %.0f Hz "
					       "achieved of %.0f Hz requested; "
					       "try a lower --rate", achieved,
					       t->rate);
		}
		if (!t->batch && tui_screen_keys(t->u, 0, now) == TUI_QUIT)
			return 0;
		if (now >= next) {
			tui_refresh(t->u, now);
			r = show(t);
			if (r)
				return r < 0 ? 0 : r;
			if (t->frames && ++frames >= t->frames)
				return 0;
			next += step;
			if (next <= now)
				next = now + step;
		}
	}

	/* The target has gone: keep what was seen on the screen. */
	tui_refresh(t->u, now);
	exited(t);
	r = show(t);
	if (t->batch)
		return r > 0 ? r : 0;
	while (!quit_signal) {
		wake = 0;
		if (tui_screen_keys(t->u, 250, now_ns()) == TUI_QUIT)
			break;
	}
	return 0;
}

int cmd_top(int argc, char **argv)
{
	struct pyt_options po = { .with_syscall = 1, .with_lines = 1 };
	struct top t;
	struct sampler_options so = { .jitter = 1 };
	struct profile_resolver res = { pyt_resolve_frame, pyt_resolve_thread_name, NULL };
	struct tui_target tg = { 0 };
	struct strbuf cmdline = STRBUF_INIT;
	struct gs_error err = { 0 };
	int ret, i;

	memset(&t, 0, sizeof(t));
	t.rate = 100;
	t.interval = 1;
	tui_options_init(&t.to);
	ret = parse_args(&t, argc, argv);
	if (ret)
		return ret < 0 ? 0 : ret;

	quit_signal = wake = 0;
	set_handlers();
	if (t.command) {
		/* stdin from /dev/null (the keys are ours); on the screen its
		 * output is thrown away (it would scribble over the view), in
		 * batch mode its stdout goes to our stderr so stdout has only
		 * frames; its own process group, so a Ctrl-C meant for the
		 * view does not reach it: it is ended when the view ends. */
		ret = cmd_launch(t.command, LAUNCH_OWN_PGRP | LAUNCH_NULL_STDIN |
				 (t.batch ? LAUNCH_STDOUT_TO_STDERR : LAUNCH_QUIET),
				 &t.child);
		if (ret)
			return ret;
		t.pid = t.child.pid;
	}
	po.with_lines = t.to.lineno;
	if (cmd_attach(t.pid, &po, &t.child, t.command ? t.command[0] : NULL,
		       &quit_signal, &t.t)) {
		end_command(&t);
		return 1;
	}
	so.rate_hz = t.rate;
	so.blocking = t.blocking;
	if (sampler_new(t.t, &so, &t.s, &err) != GS_OK) {
		ret = cmd_report_error(&err);
		goto out;
	}
	if (t.command)
		for (i = 0; t.command[i]; i++)
			sb_addf(&cmdline, "%s%s", i ? " " : "", t.command[i]);
	tg.pid = t.pid;
	tg.command = t.command ? cmdline.buf : pyt_proc(t.t)->cmdline;
	tg.python = pyt_version(t.t);
	tg.requested_hz = t.rate;
	tg.blocking = t.blocking;
	tg.free_threaded = pyt_free_threaded(t.t);
	res.ctx = t.t;
	t.u = tui_new(&res, &t.to, &tg, now_ns());
	if (!t.batch && tui_screen_start(&err) != GS_OK) {
		ret = cmd_report_error(&err);
		goto out;
	}
	key_timer(1);
	ret = run(&t);
	key_timer(0);
out:
	tui_screen_end();
	end_command(&t);
	tui_free(t.u);
	sampler_free(t.s);
	pyt_free(t.t);
	sb_release(&cmdline);
	return ret;
}
