/*
 * record.c - `gilspy record`: sample a live Python process (-p PID) or a
 * command it launches (-- python app.py), then write the profile and print
 * the GIL summary.
 *
 * Every way a recording ends (duration, Ctrl-C, SIGTERM, the target's
 * exit, a failed ptrace stop) goes through the same tail: outputs written,
 * summary printed, one closing line.  In launch mode the exit status is the
 * target's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gilspy/cmd.h"
#include "gilspy/output.h"
#include "gilspy/profile.h"
#include "gilspy/python.h"
#include "gilspy/sampler.h"
#include "gilspy/util.h"
#include "outputs.h"

static const char usage_text[] =
	"usage: gilspy record [options] -p PID\n"
	"   or: gilspy record [options] -- COMMAND [ARGS...]\n"
	"\n"
	"Sample a running Python process (or a command gilspy starts) and write\n"
	"a profile of who holds the GIL, who waits for it, and which code does.\n"
	"A summary is printed on stderr at the end.\n"
	"\n"
	"  -p, --pid PID          record a running process\n"
	"  -r, --rate HZ          samples per second (default 100)\n"
	"  -d, --duration SECS    stop after SECS seconds (default: until Ctrl-C\n"
	"                         or the target exits)\n"
	"  -o, --output FILE      where to write (repeatable; '-' is stdout;\n"
	"                         default gilspy-PID-DATE.EXT)\n"
	OUTSET_HELP
	"      --blocking         stop the target's threads for each sample\n"
	"                         (consistent snapshots, slows the target)\n"
	"  -v, --verbose          say more; progress even when not on a terminal\n"
	"  -h, --help             show this help\n";

enum { OPT_BLOCKING = 256, OPT_SEED };

struct record {
	/* options */
	int pid;
	double rate, duration;
	int blocking, verbose;
	unsigned long long seed;
	struct out_set os;
	char **command;

	/* state */
	struct cmd_child child;		/* launch mode */
	struct py_target *t;
	struct profile *prof;
	struct sampler *s;
	const char *stopped_by;
	uint64_t cpu_start;
	uint64_t wall_start, wall_end;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void set_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: the sleep must end at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* --- options ------------------------------------------------------------- */

static int parse_args(struct record *r, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		OUTSET_LONGOPTS,
		{ "blocking", no_argument, NULL, OPT_BLOCKING },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, k;

	opterr = 0;
	/* '+': stop at the first non-option, the command to launch */
	while ((c = getopt_long(argc, argv, "+:p:r:d:o:f:vh", longopts,
				NULL)) != -1) {
		switch (c) {
		case 'p':
			if (cmd_parse_pid(optarg, &r->pid))
				return 2;
			break;
		case 'r':
			if (cmd_parse_double("rate", optarg, 0.1, 1000000, &r->rate))
				return 2;
			break;
		case 'd':
			if (cmd_parse_double("duration", optarg, 0.001, 1e9,
					 &r->duration))
				return 2;
			break;
		case OPT_BLOCKING: r->blocking = 1; break;
		case OPT_SEED:
			r->seed = strtoull(optarg, NULL, 0);
			break;
		case 'v': r->verbose = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			k = outset_option(&r->os, c, optarg);
			if (k < 0)
				return 2;
			if (!k)
				return cmd_bad_option("record", c, argv);
		}
	}
	if (optind < argc)
		r->command = argv + optind;
	if (!r->pid == !r->command) {
		cmd_errorf(r->pid ? "give either -p PID or a command, not both" :
			   "nothing to record; give -p PID or -- COMMAND "
			   "(see 'gilspy record --help')");
		return 2;
	}
	return 0;
}

/* --- launch mode --------------------------------------------------------- */

/* Reap the launched command if it has exited; 1 when it has. */
static int reap(struct record *r, int block)
{
	return cmd_reap(&r->child, block, &stop_signal);
}

/* --- the recording loop -------------------------------------------------- */

static const struct py_frame_info *resolve_frame(void *ctx, uint32_t id)
{
	return pyt_frame(ctx, id);
}

static const char *resolve_name(void *ctx, pid_t tid, uint64_t thread_id)
{
	return pyt_thread_name(ctx, tid, thread_id);
}

static void progress(struct record *r, uint64_t start, int tty)
{
	const struct profile_stats *st = profile_stats(r->prof);
	const struct profile_thread *h = st->last_holder == PROFILE_NO_THREAD ?
		NULL : profile_thread(r->prof, st->last_holder);
	double el = (double)(now_ns() - start) / 1e9;

	if (tty)
		fprintf(stderr, "\rgilspy: %.1f s, %llu samples, GIL: %s%s%.0d%s\033[K",
			el, (unsigned long long)st->ticks,
			h ? h->name : "free", h ? " (" : "", h ? (int)h->tid : 0,
			h ? ")" : "");
	else
		fprintf(stderr, "gilspy: %.1f s, %llu samples, GIL: %s\n", el,
			(unsigned long long)st->ticks, h ? h->name : "free");
}

static const char *signal_reason(int sig)
{
	switch (sig) {
	case SIGINT: return "interrupt (SIGINT)";
	case SIGTERM: return "SIGTERM";
	case SIGHUP: return "SIGHUP";
	default: return "signal";
	}
}

static int sample_loop(struct record *r)
{
	struct sampler_options so = {
		.rate_hz = r->rate, .blocking = r->blocking, .jitter = 1,
		.seed = r->seed,
	};
	struct profile_resolver res = { resolve_frame, resolve_name, r->t };
	struct gs_error err = { 0 };
	uint64_t start, end = 0, next_progress, next_reap, next_names;
	int tty = isatty(2), show = tty || r->verbose, ret = 0;

	r->prof = profile_new(&res);
	if (sampler_new(r->t, &so, &r->s, &err) != GS_OK)
		return cmd_report_error(&err);
	start = now_ns();
	if (r->duration > 0)
		end = start + (uint64_t)(r->duration * 1e9);
	next_progress = start + 250000000ull;
	next_reap = start + 50000000ull;
	next_names = start + 100000000ull;
	r->cpu_start = cpu_ns();
	r->wall_start = start;
	for (;;) {
		const struct py_sample *smp = NULL;
		uint64_t t = 0, now;
		double achieved;
		enum sampler_tick k = sampler_next(r->s, &stop_signal, &smp,
						   &t, &err);

		if (k == SAMPLER_SAMPLE) {
			profile_add(r->prof, smp);
			outset_sample(&r->os, r->prof, smp);
		} else if (k == SAMPLER_FAILED) {
			profile_add_failed(r->prof, t);
			outset_failed(&r->os, t);
		} else if (k == SAMPLER_GONE) {
			r->stopped_by = "target exit";
			break;
		} else if (k == SAMPLER_STOPPED) {
			r->stopped_by = signal_reason(stop_signal);
			break;
		} else {
			if (show && tty)
				fputs("\r\033[K", stderr);
			cmd_report_error(&err);
			r->stopped_by = "error";
			ret = 1;
			break;
		}
		now = now_ns();
		if (sampler_behind(r->s, &achieved)) {
			if (show && tty)
				fputs("\r\033[K", stderr);
			cmd_errorf("falling behind: %.0f Hz achieved of %.0f Hz "
				   "requested; try a lower --rate", achieved,
				   r->rate);
		}
		if (end && now >= end) {
			r->stopped_by = "duration";
			break;
		}
		if (r->child.pid && now >= next_reap) {
			next_reap = now + 50000000ull;
			if (reap(r, 0)) {
				r->stopped_by = "target exit";
				break;
			}
		}
		if (now >= next_names) {
			/* Threads seen before Python named them (launch
			 * mode) get their names once it has; names found are
			 * cached by the target, so this costs little. */
			next_names = now + 100000000ull;
			profile_refresh_names(r->prof, 0);
		}
		if (show && now >= next_progress) {
			next_progress = now + (tty ? 250000000ull : 1000000000ull);
			progress(r, start, tty);
		}
	}
	r->wall_end = now_ns();
	if (show && tty)
		fputs("\r\033[K", stderr);
	return ret;
}

/* --- the tail: outputs, summary, exit status ------------------------------ */

/* "gilspy-PID-DATE": the name of outputs given no -o. */
static char *default_stem(pid_t pid)
{
	struct strbuf sb = STRBUF_INIT;
	char date[32];
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%d-%H%M%S", &tm);
	sb_addf(&sb, "gilspy-%d-%s", (int)pid, date);
	return sb_detach(&sb);
}

static void fill_info(struct record *r, struct record_info *ri,
		      struct strbuf *cmdline)
{
	int i;

	memset(ri, 0, sizeof(*ri));
	ri->pid = r->pid;
	ri->python = r->t ? pyt_version(r->t) : NULL;
	ri->binary = r->t ? pyt_binary(r->t) : NULL;
	for (i = 0; r->command && r->command[i]; i++)
		sb_addf(cmdline, "%s%s", i ? " " : "", r->command[i]);
	ri->command = r->command ? cmdline->buf : NULL;
	ri->cmdline = r->t ? pyt_proc(r->t)->cmdline : NULL;
	ri->requested_hz = r->rate;
	ri->blocking = r->blocking;
	ri->exit_code = -1;
}

static int finish(struct record *r, int ret)
{
	struct record_info ri;
	struct strbuf sum = STRBUF_INIT, done = STRBUF_INIT;
	struct strbuf cmdline = STRBUF_INIT;
	struct rusage ru;
	const struct profile_stats *st = profile_stats(r->prof);
	uint64_t cpu = cpu_ns() - r->cpu_start;
	int crossed;

	/* A target that has already gone is reaped now so its exit status
	 * is in the report; a running one is waited for after the output
	 * is safe on disk. */
	if (r->child.pid && r->stopped_by && !strcmp(r->stopped_by, "target exit"))
		reap(r, 1);
	getrusage(RUSAGE_SELF, &ru);
	fill_info(r, &ri, &cmdline);
	ri.wall_ns = r->wall_end - r->wall_start;
	ri.stopped_by = r->stopped_by;
	ri.profiler_cpu_ns = cpu;
	ri.missed_ticks = r->s ? sampler_missed(r->s) : 0;
	ri.peak_rss_kb = ru.ru_maxrss;
	ri.exit_code = r->child.reaped ? r->child.status : -1;
	ri.cores = r->os.cores;

	profile_refresh_names(r->prof, 0);
	if (outset_write(&r->os, r->prof, &ri, &done))
		ret = 1;
	output_summary(&sum, r->prof, &ri);
	if (r->verbose)
		sb_addf(&sum, "\n  gilspy: %.1f us CPU per sample, peak RSS "
			"%ld kB, profile %zu kB\n",
			st->ticks ? (double)cpu / 1e3 / (double)st->ticks : 0.0,
			ru.ru_maxrss, profile_memory(r->prof) / 1024);
	fputs(sum.buf, stderr);
	fprintf(stderr, "gilspy: %llu samples in %.2f s, stopped by %s; %s%s\n",
		(unsigned long long)st->ticks, (double)ri.wall_ns / 1e9,
		r->stopped_by ? r->stopped_by : "?",
		done.len ? "wrote " : "nothing written",
		done.len ? done.buf : "");
	sb_release(&sum);
	sb_release(&done);
	sb_release(&cmdline);
	/* Thresholds are checked last: everything is written whatever they
	 * say, and the line saying which one was crossed ends the output. */
	crossed = outset_gates(&r->os, r->prof, &ri);
	if (crossed)
		ret = 1;

	if (r->child.pid) {
		/* SIGTERM is passed on to the target; Ctrl-C already reached
		 * it through the terminal's process group. */
		if (!r->child.reaped && stop_signal == SIGTERM)
			kill(r->child.pid, SIGTERM);
		stop_signal = 0;
		reap(r, 1);
		/* The target's own failure comes first; a clean exit is
		 * still a failure when an output or a threshold failed. */
		return r->child.status ? r->child.status : ret;
	}
	return ret;
}

/* Resolve the outputs' names and open what is written as it goes. */
static int begin_outputs(struct record *r)
{
	char *stem = default_stem(r->pid);
	int ret;

	outset_resolve(&r->os, stem);
	ret = outset_begin(&r->os);
	free(stem);
	return ret;
}

int cmd_record(int argc, char **argv)
{
	struct pyt_options attach_opts = { .with_syscall = 1, .with_lines = 1 };
	struct record_info ri;
	struct strbuf cmdline = STRBUF_INIT;
	struct record r;
	int ret;

	memset(&r, 0, sizeof(r));
	r.rate = 100;
	outset_init(&r.os);
	ret = parse_args(&r, argc, argv);
	if (!ret)
		ret = outset_load(&r.os);
	if (ret) {
		outset_release(&r.os);
		return ret < 0 ? 0 : ret;
	}

	stop_signal = 0;
	set_handlers();
	if (r.command) {
		ret = cmd_launch(r.command, 0, &r.child);
		if (ret) {
			outset_release(&r.os);
			return ret;
		}
		r.pid = r.child.pid;
		/* Outputs are opened before the target gets going, so a bad
		 * -o stops it before it has done anything worth keeping. */
		if (begin_outputs(&r)) {
			kill(r.child.pid, SIGTERM);
			reap(&r, 1);
			outset_release(&r.os);
			return 1;
		}
	}
	if (cmd_attach(r.pid, &attach_opts, &r.child,
		       r.command ? r.command[0] : NULL, &stop_signal, &r.t)) {
		outset_release(&r.os);
		if (r.child.pid) {
			/* The command runs on without us; its status is
			 * still what the caller gets. */
			reap(&r, 1);
			return r.child.reaped && r.child.status ?
				r.child.status : 1;
		}
		return 1;
	}
	if (!r.command && begin_outputs(&r)) {
		pyt_free(r.t);
		outset_release(&r.os);
		return 1;
	}
	fill_info(&r, &ri, &cmdline);
	outset_meta(&r.os, &ri);
	sb_release(&cmdline);
	if (r.verbose)
		fprintf(stderr, "gilspy: recording pid %d (Python %s, %s) at "
			"%g Hz%s\n", r.pid, pyt_version(r.t), pyt_binary(r.t),
			r.rate, r.blocking ? ", blocking" : "");
	signal(SIGPIPE, SIG_IGN);
	ret = sample_loop(&r);
	ret = finish(&r, ret);
	sampler_free(r.s);
	profile_free(r.prof);
	pyt_free(r.t);
	outset_release(&r.os);
	return ret;
}
