/*
 * record.c - `gilspy record`: sample a live Python process (-p PID) or a
 * command it launches (-- python app.py), then write the profile and print
 * the GIL summary.
 *
 * Every way a recording ends (duration, Ctrl-C, SIGTERM, the target's
 * exit, a failed ptrace stop) goes through the same tail: outputs written,
 * summary printed, one closing line.  In launch mode the exit status is the
 * target's.  Launching, attaching, signals and the sampling loop are the
 * session's (session.h); this file feeds the samples to the profile and
 * the outputs and owns the tail.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "gilspy/cmd.h"
#include "gilspy/output.h"
#include "gilspy/proc.h"
#include "gilspy/profile.h"
#include "gilspy/python.h"
#include "gilspy/util.h"
#include "outputs.h"
#include "session.h"

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
	SESSION_HELP_NATIVE
	SESSION_HELP_SUBPROCESSES
	"  -v, --verbose          say more; progress even when not on a terminal\n"
	"  -h, --help             show this help\n";

enum { OPT_SEED = 256 };

/* One process recorded: without -s the target, with -s each one found
 * (an exec'd one twice: before and after). */
struct rec_proc {
	pid_t pid, ppid;
	char *cmdline, *python;		/* owned */
	struct profile *prof;		/* owned */
	uint64_t stopped_ticks;
	int left;
	int execd;			/* left by an exec */
};

struct record {
	/* options */
	struct session ses;		/* -p, -r, --blocking, the command */
	double duration;
	int verbose;
	struct out_set os;

	/* state */
	struct rec_proc **procs;	/* nprocs of them, owned */
	int nprocs;
	struct profile *prof;		/* the first one's: progress, outputs */
	struct profile *empty;		/* -s found no Python: owned */
	const char *stopped_by;
	int show, tty;			/* progress line; on a terminal */
	uint64_t end;			/* -d: when to stop, 0 never */
	uint64_t next_progress, next_names;
	uint64_t cpu_start;
	uint64_t wall_start, wall_end;
	uint64_t stopped_ticks;		/* while the target was stopped */
};

/* --- options ------------------------------------------------------------- */

static int parse_args(struct record *r, int argc, char **argv)
{
	static const struct option longopts[] = {
		SESSION_LONGOPTS,
		SESSION_LONGOPT_SUBPROCESSES,
		{ "duration", required_argument, NULL, 'd' },
		OUTSET_LONGOPTS,
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, k;

	opterr = 0;
	/* '+': stop at the first non-option, the command to launch */
	while ((c = getopt_long(argc, argv, "+:" SESSION_SHORTOPTS "sd:o:f:vh",
				longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (cmd_parse_double("duration", optarg, 0.001, 1e9,
					 &r->duration))
				return 2;
			break;
		case OPT_SEED:
			r->ses.seed = strtoull(optarg, NULL, 0);
			break;
		case 'v': r->verbose = 1; break;
		case 's':
			session_option(&r->ses.args, SESSION_OPT_SUBPROCESSES,
				       NULL);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		default:
			k = session_option(&r->ses.args, c, optarg);
			if (!k)
				k = outset_option(&r->os, c, optarg);
			if (k < 0)
				return 2;
			if (!k)
				return cmd_bad_option("record", c, argv);
		}
	}
	return session_args_done(&r->ses.args, argc, argv, "record", "record");
}

/* --- the recording loop -------------------------------------------------- */

static void progress(struct record *r, uint64_t start, int tty)
{
	const struct profile_stats *st;
	const struct profile_thread *h;
	double el = (double)(now_ns() - start) / 1e9;
	uint64_t ticks = 0;
	int i, live = 0;

	if (r->ses.args.subprocesses) {
		for (i = 0; i < r->nprocs; i++) {
			ticks += profile_stats(r->procs[i]->prof)->ticks;
			live += !r->procs[i]->left;
		}
		fprintf(stderr, "%sgilspy: %.1f s, %llu samples, %d Python "
			"process%s%s", tty ? "\r" : "", el,
			(unsigned long long)ticks, live, live == 1 ? "" : "es",
			tty ? "\033[K" : "\n");
		return;
	}
	st = profile_stats(r->prof);
	h = st->last_holder == PROFILE_NO_THREAD ?
		NULL : profile_thread(r->prof, st->last_holder);
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

/* The progress line is redrawn in place on a terminal: clear it before
 * anything else is said. */
static void clear_progress(struct record *r)
{
	if (r->show && r->tty)
		fputs("\r\033[K", stderr);
}

/* A process to record: its own profile, over its own interpreter. */
static struct rec_proc *add_proc(struct record *r, struct session_target *tg)
{
	struct profile_resolver res = {
		pyt_resolve_frame, pyt_resolve_thread_name, tg->py,
	};
	struct rec_proc *rp = xcalloc(1, sizeof(*rp));

	rp->pid = tg->pid;
	rp->ppid = tg->ppid;
	rp->cmdline = xstrdup(tg->cmdline ? tg->cmdline :
			      pyt_proc(tg->py)->cmdline);
	rp->python = xstrdup(pyt_version(tg->py));
	rp->prof = profile_new(&res);
	r->procs = xrealloc(r->procs, (size_t)(r->nprocs + 1) *
			    sizeof(*r->procs));
	r->procs[r->nprocs++] = rp;
	/* the process given (or launched) speaks for the recording; until
	 * it is Python, the first one found */
	if (!r->prof || tg->pid == r->ses.args.pid)
		r->prof = rp->prof;
	tg->user = rp;
	return rp;
}

static void on_joined(void *ctx, struct session_target *tg)
{
	struct record *r = ctx;

	if (!tg->user)
		add_proc(r, tg);
}

static void on_left(void *ctx, struct session_target *tg)
{
	struct rec_proc *rp = tg->user;

	(void)ctx;
	if (rp) {
		profile_detach(rp->prof);
		rp->left = 1;
		rp->execd = tg->exec_path != NULL;
	}
}

/* -s: which process a sample is of, for the outputs that follow every
 * sample (raw, speedscope, chrome); NULL without -s. */
static const struct record_process *out_proc(const struct record *r,
					     const struct session_target *tg,
					     struct record_process *v)
{
	const struct rec_proc *rp = tg->user;

	if (!r->ses.args.subprocesses)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->pid = rp->pid;
	v->ppid = rp->ppid;
	v->cmdline = rp->cmdline;
	v->python = rp->python;
	v->binary = tg->py ? pyt_binary(tg->py) : NULL;
	v->prof = rp->prof;
	v->stopped_ticks = rp->stopped_ticks;
	return v;
}

static void on_sample(void *ctx, struct session_target *tg,
		      const struct py_sample *smp)
{
	struct record *r = ctx;
	struct rec_proc *rp = tg->user;
	struct record_process v;

	/* A stopped target (SIGSTOP, a debugger) shows the instant it was
	 * stopped at, again and again: counted, kept out of the profile. */
	if (tg->stopped) {
		r->stopped_ticks++;
		rp->stopped_ticks++;
		return;
	}
	profile_add(rp->prof, smp);
	outset_sample(&r->os, out_proc(r, tg, &v), rp->prof, smp);
}

static void on_failed(void *ctx, struct session_target *tg, uint64_t t)
{
	struct record *r = ctx;
	struct rec_proc *rp = tg->user;
	struct record_process v;

	profile_add_failed(rp->prof, t);
	outset_failed(&r->os, out_proc(r, tg, &v), t);
}

static void on_behind(void *ctx, double achieved)
{
	struct record *r = ctx;

	clear_progress(r);
	cmd_errorf(SESSION_BEHIND_FMT, achieved, r->ses.args.rate);
}

static int on_tick(void *ctx, uint64_t now)
{
	struct record *r = ctx;
	const char *path;

	/* The disk is full (or the file went away): what was written is
	 * kept, and sampling on would only lose more. */
	if (outset_write_error(&r->os, &path)) {
		r->stopped_by = "write error";
		return 1;
	}
	if (r->end && now >= r->end) {
		r->stopped_by = "duration";
		return 1;
	}
	if (now >= r->next_names) {
		/* Threads seen before Python named them (launch mode) get
		 * their names once it has; names found are cached by the
		 * target, so this costs little. */
		r->next_names = now + 100000000ull;
		for (int i = 0; i < r->nprocs; i++)
			if (!r->procs[i]->left)
				profile_refresh_names(r->procs[i]->prof, 0);
	}
	if (r->show && now >= r->next_progress) {
		r->next_progress = now + (r->tty ? 250000000ull : 1000000000ull);
		progress(r, r->wall_start, r->tty);
	}
	return 0;
}

static int sample_loop(struct record *r)
{
	static const struct session_hooks hooks = {
		.sample = on_sample, .failed = on_failed,
		.behind = on_behind, .tick = on_tick,
		.joined = on_joined, .left = on_left,
	};
	struct gs_error err = { 0 };
	uint64_t start;
	int ret = 0;

	r->tty = isatty(2);
	r->show = r->tty || r->verbose;
	if (session_py(&r->ses))
		add_proc(r, r->ses.targets[0]);
	ret = session_start(&r->ses);
	if (ret)
		return ret;
	start = now_ns();
	if (r->duration > 0)
		r->end = start + (uint64_t)(r->duration * 1e9);
	r->next_progress = start + 250000000ull;
	r->next_names = start + 100000000ull;
	r->cpu_start = cpu_ns();
	r->wall_start = start;
	switch (session_run(&r->ses, &hooks, r, &err)) {
	case SESSION_GONE:
		r->stopped_by = "target exit";
		break;
	case SESSION_SIGNAL:
		r->stopped_by = signal_reason(session_signal());
		break;
	case SESSION_ERROR:
		clear_progress(r);
		cmd_report_error(&err);
		r->stopped_by = "error";
		ret = 1;
		break;
	case SESSION_EXEC:
		clear_progress(r);
		cmd_errorf("pid %d exec'd '%s' and is no longer the Python "
			   "program recorded: stopping; what was sampled before "
			   "is kept", (int)r->ses.args.pid,
			   r->ses.targets[0]->exec_path);
		r->stopped_by = "target exec";
		break;
	case SESSION_DONE:
		break;
	}
	r->wall_end = now_ns();
	clear_progress(r);
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
	struct py_target *t = session_py(&r->ses);

	memset(ri, 0, sizeof(*ri));
	ri->pid = r->ses.args.pid;
	ri->python = t ? pyt_version(t) : NULL;
	ri->binary = t ? pyt_binary(t) : NULL;
	session_command_line(&r->ses, cmdline);
	ri->command = r->ses.args.command ? cmdline->buf : NULL;
	ri->cmdline = t ? pyt_proc(t)->cmdline : NULL;
	/* -s: the root may have gone (or never been Python): the first
	 * process recorded speaks for the recording */
	if (!t && r->nprocs) {
		ri->python = r->procs[0]->python;
		ri->cmdline = r->procs[0]->cmdline;
	}
	ri->requested_hz = r->ses.args.rate;
	ri->blocking = r->ses.args.blocking;
	ri->native = r->ses.args.native;
	ri->exit_code = -1;
	if (t) {
		struct pyt_native_stats ns;

		if (pyt_native_stats(t, &ns)) {
			ri->native_stops = ns.stops;
			ri->native_median_ns = ns.median_ns;
			ri->native_p99_ns = ns.p99_ns;
			ri->native_max_ns = ns.max_ns;
			ri->native_truncated = ns.truncated;
			ri->native_unstopped = ns.unstopped;
			ri->native_kept = ns.kept;
		}
	}
}

static void put_proc(struct record_process *v, const struct rec_proc *rp)
{
	v->pid = rp->pid;
	v->ppid = rp->ppid;
	v->cmdline = rp->cmdline;
	v->python = rp->python;
	v->prof = rp->prof;
	v->stopped_ticks = rp->stopped_ticks;
}

/* -s: every process recorded, then those that could not be, with why. */
static struct record_process *tree_info(struct record *r, size_t *n)
{
	struct record_process *v;
	int i, k = 0;

	v = xcalloc((size_t)(r->nprocs + r->ses.ntargets) + 1, sizeof(*v));
	/* the process given first (it may have become Python after one of
	 * its children did), then in the order they became Python */
	for (i = 0; i < r->nprocs; i++)
		if (r->procs[i]->prof == r->prof)
			put_proc(&v[k++], r->procs[i]);
	for (i = 0; i < r->nprocs; i++) {
		const struct rec_proc *rp = r->procs[i];

		if (rp->prof == r->prof)
			continue;
		if (profile_stats(rp->prof)->ticks || !rp->left) {
			put_proc(&v[k++], rp);
			continue;
		}
		/* a fork between its birth and an exec (spawn, subprocess)
		 * is read as Python for a moment: nothing to show; one that
		 * exited before its first sample is said to have */
		if (rp->execd)
			continue;
		put_proc(&v[k], rp);
		v[k].prof = NULL;
		v[k].skip = "exited before its first sample";
		k++;
	}
	for (i = 0; i < r->ses.ntargets; i++) {
		const struct session_target *tg = r->ses.targets[i];

		if (tg->user || !tg->skip)
			continue;
		v[k].pid = tg->pid;
		v[k].ppid = tg->ppid;
		v[k].cmdline = tg->cmdline;
		v[k].skip = tg->skip;
		k++;
	}
	*n = (size_t)k;
	return v;
}

static int finish(struct record *r, int ret)
{
	struct record_info ri;
	struct strbuf sum = STRBUF_INIT, done = STRBUF_INIT;
	struct strbuf cmdline = STRBUF_INIT;
	struct session_child *child = &r->ses.child;
	struct rusage ru;
	const struct profile_stats *st;
	struct record_process *tree = NULL;
	uint64_t cpu = cpu_ns() - r->cpu_start;
	int crossed, status;

	/* -s and no Python process found: an empty profile says so */
	if (!r->prof)
		r->prof = r->empty = profile_new(NULL);
	st = profile_stats(r->prof);

	/* A target that has already gone is reaped now so its exit status
	 * is in the report; a running one is waited for after the output
	 * is safe on disk. */
	if (child->pid && r->stopped_by && !strcmp(r->stopped_by, "target exit"))
		session_reap(&r->ses, 1);
	getrusage(RUSAGE_SELF, &ru);
	fill_info(r, &ri, &cmdline);
	ri.wall_ns = r->wall_end - r->wall_start;
	ri.stopped_by = r->stopped_by;
	ri.profiler_cpu_ns = cpu;
	ri.missed_ticks = session_missed(&r->ses);
	ri.stopped_ticks = r->stopped_ticks;
	ri.peak_rss_kb = ru.ru_maxrss;
	ri.exit_code = child->reaped ? child->status : -1;
	ri.cores = r->os.cores;
	if (r->ses.args.subprocesses)
		ri.procs = tree = tree_info(r, &ri.nprocs);

	for (int i = 0; i < r->nprocs; i++)
		if (!r->procs[i]->left)
			profile_refresh_names(r->procs[i]->prof, 0);
	if (outset_write(&r->os, r->prof, &ri, &done))
		ret = 1;
	output_summary(&sum, r->prof, &ri);
	if (r->verbose)
		sb_addf(&sum, "\n  gilspy: %.1f us CPU per sample, peak RSS "
			"%ld kB, profile %zu kB\n",
			st->ticks ? (double)cpu / 1e3 / (double)st->ticks : 0.0,
			ru.ru_maxrss, profile_memory(r->prof) / 1024);
	if (r->verbose && r->ses.args.subprocesses) {
		uint64_t births = 0, overflows = 0;

		if (r->ses.tree)
			proc_tree_counts(r->ses.tree, &births, &overflows);
		sb_addf(&sum, "  -s: process events %s (%llu births on the "
			"machine, %llu overflows), %llu scans of /proc, "
			"%llu attach tries taking %.2f ms each on average\n",
			r->ses.events ? "read" : "not available",
			(unsigned long long)births,
			(unsigned long long)overflows,
			(unsigned long long)r->ses.scans,
			(unsigned long long)r->ses.attaches,
			r->ses.attaches ? (double)r->ses.attach_ns / 1e6 /
			(double)r->ses.attaches : 0.0);
	}
	if (r->verbose && ri.native)
		sb_addf(&sum, "  --native: stopped %llu threads, median %.1f us, "
			"p99 %.1f us, max %.1f us per stop; took %llu "
			"stacks of blocked threads with no stop (%llu "
			"unchanged since a copy); %llu stacks truncated\n",
			(unsigned long long)ri.native_stops,
			(double)ri.native_median_ns / 1e3,
			(double)ri.native_p99_ns / 1e3,
			(double)ri.native_max_ns / 1e3,
			(unsigned long long)ri.native_unstopped,
			(unsigned long long)ri.native_kept,
			(unsigned long long)ri.native_truncated);
	if (r->ses.args.subprocesses && !r->nprocs) {
		clear_progress(r);
		cmd_errorf("no Python process was found in the tree of pid %d",
			   (int)r->ses.args.pid);
	}
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

	/* The target's own failure comes first; a clean exit is still a
	 * failure when an output or a threshold failed. */
	free(tree);
	status = session_wait_child(&r->ses);
	return status ? status : ret;
}

/* Resolve the outputs' names and open what is written as it goes. */
static int begin_outputs(struct record *r)
{
	char *stem = default_stem(r->ses.args.pid);
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
	struct session_child *child;
	struct session_args *a;
	struct py_target *t;
	struct record r;
	int ret;

	memset(&r, 0, sizeof(r));
	session_init(&r.ses);
	a = &r.ses.args;
	child = &r.ses.child;
	outset_init(&r.os);
	ret = parse_args(&r, argc, argv);
	if (!ret)
		ret = outset_load(&r.os);
	/* A typo in -o must not cost the recording: checked before anything
	 * is launched or sampled. */
	if (!ret)
		ret = outset_check(&r.os, 1);
	if (!ret && a->subprocesses)
		ret = outset_check_tree(&r.os);
	if (ret) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}

	session_signals(0);	/* no SA_RESTART: the sleep must end at once */
	if (a->command) {
		ret = session_launch(&r.ses, 0);
		if (ret)
			goto out;
		/* Outputs are opened before the target gets going, so a bad
		 * -o stops it before it has done anything worth keeping. */
		if (begin_outputs(&r)) {
			kill(child->pid, SIGTERM);
			session_reap(&r.ses, 1);
			ret = 1;
			goto out;
		}
	}
	if (session_attach(&r.ses, &attach_opts)) {
		/* A launched command runs on without us; its status is
		 * still what the caller gets. */
		session_reap(&r.ses, 1);
		ret = child->reaped && child->status ? child->status : 1;
		goto out;
	}
	if (!a->command && begin_outputs(&r)) {
		ret = 1;
		goto out;
	}
	t = session_py(&r.ses);
	fill_info(&r, &ri, &cmdline);
	outset_meta(&r.os, &ri);
	sb_release(&cmdline);
	if (r.verbose && t)
		fprintf(stderr, "gilspy: recording pid %d (Python %s, %s) at "
			"%g Hz%s%s\n", a->pid, pyt_version(t), pyt_binary(t),
			a->rate, a->blocking ? ", blocking" : "",
			a->subprocesses ? " and its subprocesses" : "");
	else if (r.verbose)
		fprintf(stderr, "gilspy: recording the subprocesses of pid %d "
			"(not Python itself) at %g Hz\n", a->pid, a->rate);
	ret = sample_loop(&r);
	ret = finish(&r, ret);
out:
	for (int i = 0; i < r.nprocs; i++) {
		profile_free(r.procs[i]->prof);
		free(r.procs[i]->cmdline);
		free(r.procs[i]->python);
		free(r.procs[i]);
	}
	free(r.procs);
	profile_free(r.empty);
	session_release(&r.ses);
	outset_release(&r.os);
	return ret;
}
