/* outputs.c - the outputs shared by `record` and `report` (see outputs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gilspy/baseline.h"
#include "gilspy/cmd.h"
#include "outputs.h"

void outset_init(struct out_set *o)
{
	memset(o, 0, sizeof(*o));
	output_options_init(&o->oo);
	sb_init(&o->crossed);
	o->ncrossed = -1;
}

static void check_gates(struct out_set *o, const struct profile *p,
			const struct record_info *ri)
{
	if (o->ncrossed >= 0)
		return;
	o->ncrossed = o->gates ? gates_check(o->gates, p, ri, o->base,
						  &o->crossed) : 0;
}

/* The markdown summary, and which thresholds it crossed: the step summary
 * is where a CI user looks first to see why the job failed. */
static void render_markdown(struct out_set *o, struct strbuf *sb,
			    const struct profile *p,
			    const struct record_info *ri)
{
	struct strbuf sec = STRBUF_INIT;
	const char *line, *nl;

	output_markdown(sb, p, ri, o->base);
	if (o->ncrossed <= 0)
		return;
	sb_adds(&sec, "\n**Thresholds crossed** (`--fail-if`):\n\n");
	for (line = o->crossed.buf; line && *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		if (!strncmp(line, "gilspy: ", 8))
			line += 8;
		sb_adds(&sec, "- `");
		/* backticks would end the code span */
		for (; line < nl; line++)
			sb_addc(&sec, *line == '`' ? '\'' : *line);
		sb_adds(&sec, "`\n");
		if (!*nl)
			break;
	}
	if (sb->len + sec.len <= OUTPUT_MARKDOWN_MAX)
		sb_add(sb, sec.buf, sec.len);
	else if (sb->len + 64 <= OUTPUT_MARKDOWN_MAX)
		sb_adds(sb, "\n**Thresholds crossed**: see the job log.\n");
	sb_release(&sec);
}

int outset_option(struct out_set *o, int c, const char *arg)
{
	struct strbuf why = STRBUF_INIT;

	switch (c) {
	case 'o':
		if (o->nouts == OUTSET_MAX) {
			cmd_errorf("too many -o options (at most %d)", OUTSET_MAX);
			return -1;
		}
		o->outs[o->nouts++].path = arg;
		return 1;
	case 'f':
		if (output_format_parse(arg, &o->format)) {
			cmd_errorf("unknown format '%s'; use collapsed, json, "
				   "svg, speedscope, chrome, raw, markdown or "
				   "pprof", arg);
			return -1;
		}
		o->have_format = 1;
		return 1;
	case OPT_GIL: o->only |= 1u << GIL_HELD; return 1;
	case OPT_WAITING: o->only |= 1u << GIL_WAITING; return 1;
	case OPT_IDLE: o->idle = 1; return 1;
	case OPT_THREADS: o->oo.threads = 1; return 1;
	case OPT_NOLINENO: o->oo.lineno = 0; return 1;
	case OPT_FUNCTION: o->oo.function = 1; return 1;
	case OPT_NO_STATE_FRAMES: o->oo.state_frames = 0; return 1;
	case OPT_SUMMARY: o->summary_path = arg; return 1;
	case OPT_BLAME: o->oo.blame = 1; return 1;
	case OPT_CORES: {
		char *end;
		long v = strtol(arg, &end, 10);

		if (end == arg || *end || v < 1 || v > 4096) {
			cmd_errorf("--cores: '%s' is not a number of cores "
				   "from 1 to 4096", arg);
			return -1;
		}
		o->cores = (int)v;
		return 1;
	}
	case OPT_BASELINE: o->baseline_path = arg; return 1;
	case OPT_FAIL_IF:
		if (!o->gates)
			o->gates = gates_new();
		if (gates_parse(o->gates, arg, &why)) {
			cmd_errorf("--fail-if: %s", why.buf ? why.buf : arg);
			sb_release(&why);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

static const char *extension(enum output_format f)
{
	switch (f) {
	case OUT_JSON: return "json";
	case OUT_SVG: return "svg";
	case OUT_SPEEDSCOPE: return "speedscope.json";
	case OUT_CHROME: return "trace.json";
	case OUT_RAW: return "gilspy";
	case OUT_MARKDOWN: return "md";
	case OUT_PPROF: return "pb.gz";
	case OUT_COLLAPSED:
	default: return "txt";
	}
}

void outset_resolve(struct out_set *o, const char *default_stem)
{
	int i;

	if (o->only)
		o->oo.states = o->only | (o->idle ? 1u << GIL_IDLE : 0);
	else if (o->idle)
		o->oo.states |= 1u << GIL_IDLE;
	for (i = 0; i < o->nouts; i++) {
		struct out_file *f = &o->outs[i];

		if (o->have_format)
			f->fmt = o->format;
		else if (!strcmp(f->path, "-") ||
			 output_format_from_path(f->path, &f->fmt))
			f->fmt = OUT_COLLAPSED;
	}
	if (!o->nouts) {
		struct out_file *f = &o->outs[o->nouts++];

		f->fmt = o->have_format ? o->format : OUT_COLLAPSED;
		if (default_stem) {
			struct strbuf sb = STRBUF_INIT;

			sb_addf(&sb, "%s.%s", default_stem, extension(f->fmt));
			f->default_path = sb_detach(&sb);
			f->path = f->default_path;
		} else {
			f->path = "-";
		}
	}
}

/* Whether path could be written, without changing anything: a regular
 * file (or one to be made) is written through a temporary file beside it
 * (write_file_atomic) or opened in place (raw, the summary), so its
 * directory must take a new file and an existing one must open for
 * writing; that probe file is removed at once, so a run that then fails
 * leaves nothing behind.  A FIFO or a device is written into: opening a
 * FIFO without a reader would block (or fail, non-blocking), and a reader
 * may come later, so only the permission is checked.  0, or -1 with
 * *why set. */
static int check_path(const char *path, const char **why)
{
	struct strbuf probe = STRBUF_INIT;
	struct stat st;
	int fd, ret = -1;

	if (!stat(path, &st) && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode)) {
			*why = "it is a directory";
			return -1;
		}
		if (access(path, W_OK)) {
			*why = strerror(errno);
			return -1;
		}
		return 0;
	}
	if (!stat(path, &st)) {
		fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0) {
			*why = strerror(errno);
			return -1;
		}
		close(fd);
	}
	sb_addf(&probe, "%s.tmp.%d", path, (int)getpid());
	fd = open(probe.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		*why = errno == ENOENT ? "its directory does not exist" :
			errno == ENOTDIR ? "a part of its directory is not a "
			"directory" : strerror(errno);
		goto out;
	}
	close(fd);
	unlink(probe.buf);
	ret = 0;
out:
	sb_release(&probe);
	return ret;
}

int outset_check(struct out_set *o, int default_here)
{
	const char *why = NULL;
	int i;

	for (i = 0; i < o->nouts; i++) {
		const char *path = o->outs[i].path;

		if (strcmp(path, "-") && check_path(path, &why)) {
			cmd_errorf("cannot write '%s': %s; nothing was "
				   "recorded", path, why);
			return 2;
		}
	}
	if (!o->nouts && default_here &&
	    check_path("gilspy-output-check", &why)) {
		cmd_errorf("cannot write in the current directory: %s; give "
			   "-o FILE", why);
		return 2;
	}
	if (o->summary_path && strcmp(o->summary_path, "-") &&
	    check_path(o->summary_path, &why)) {
		cmd_errorf("cannot write the summary to '%s': %s; nothing was "
			   "recorded", o->summary_path, why);
		return 2;
	}
	return 0;
}

int outset_check_tree(const struct out_set *o)
{
	/* Every format holds several processes (speedscope and chrome since
	 * they learnt the process of each sample, raw since format 2): kept
	 * so a format that cannot is refused before anything starts. */
	(void)o;
	return 0;
}

int outset_write_error(const struct out_set *o, const char **path)
{
	int i, e;

	for (i = 0; i < o->nouts; i++) {
		if (o->outs[i].raw && (e = raw_writer_error(o->outs[i].raw))) {
			*path = o->outs[i].path;
			return e;
		}
	}
	return 0;
}

int outset_load(struct out_set *o)
{
	struct strbuf why = STRBUF_INIT;

	if (!o->baseline_path && gates_needs_baseline(o->gates)) {
		cmd_errorf("--fail-if: an expression compares with 'base'; "
			   "give the base branch's JSON report with "
			   "--baseline BASE.json");
		return 2;
	}
	if (o->baseline_path && !o->base &&
	    baseline_load(o->baseline_path, &o->base, &why)) {
		cmd_errorf("--baseline: %s", why.buf ? why.buf :
			   "cannot read the base report");
		sb_release(&why);
		return 1;
	}
	return 0;
}

int outset_begin(struct out_set *o)
{
	int i, r = outset_load(o);

	if (r)
		return r;
	for (i = 0; i < o->nouts; i++) {
		struct out_file *f = &o->outs[i];

		if (OUTPUT_IS_SEQUENCE(f->fmt)) {
			f->seq = seq_new(f->fmt, &o->oo);
		} else if (f->fmt == OUT_RAW) {
			/* Written as the recording goes, so a gilspy killed
			 * mid-run still leaves what it had sampled. */
			if (raw_writer_open(f->path, &f->raw)) {
				cmd_errorf("cannot create '%s': %s; nothing was "
					   "recorded", f->path, strerror(errno));
				return 1;
			}
		}
	}
	return 0;
}

void outset_meta(struct out_set *o, const struct record_info *ri)
{
	int i;

	for (i = 0; i < o->nouts; i++)
		if (o->outs[i].raw)
			raw_write_meta(o->outs[i].raw, ri);
}

void outset_sample(struct out_set *o, const struct record_process *proc,
		   const struct profile *p, const struct py_sample *s)
{
	int i;

	for (i = 0; i < o->nouts; i++) {
		if (o->outs[i].seq)
			seq_add_proc(o->outs[i].seq, proc, p, s);
		else if (o->outs[i].raw)
			raw_write_proc_sample(o->outs[i].raw, proc, p, s);
	}
}

void outset_failed(struct out_set *o, const struct record_process *proc,
		   uint64_t time_ns)
{
	int i;

	for (i = 0; i < o->nouts; i++) {
		if (o->outs[i].seq)
			seq_add_failed_proc(o->outs[i].seq, proc, time_ns);
		else if (o->outs[i].raw)
			raw_write_proc_failed(o->outs[i].raw, proc, time_ns);
	}
}

static void render(struct out_set *o, struct out_file *f,
		   const struct profile *p, const struct record_info *ri,
		   struct strbuf *sb)
{
	switch (f->fmt) {
	case OUT_JSON: output_json(sb, p, &o->oo, ri); break;
	case OUT_SVG: output_svg(sb, p, &o->oo, ri); break;
	case OUT_MARKDOWN: render_markdown(o, sb, p, ri); break;
	case OUT_PPROF:
		if (ri && ri->nprocs)
			output_pprof_tree(sb, ri, &o->oo);
		else
			output_pprof(sb, p, &o->oo, ri);
		break;
	case OUT_SPEEDSCOPE:
	case OUT_CHROME: seq_finish(f->seq, sb, p, ri); break;
	case OUT_COLLAPSED:
	default:
		if (ri && ri->nprocs)
			output_collapsed_tree(sb, ri, &o->oo);
		else
			output_collapsed(sb, p, &o->oo);
		break;
	}
}

static int write_stdout(const struct strbuf *sb)
{
	return sb->len && (fwrite(sb->buf, 1, sb->len, stdout) != sb->len ||
			   fflush(stdout)) ? -1 : 0;
}

/* Append to path (creating it): the step summary file is shared by every
 * step of a job. */
static int append_file(const char *path, const struct strbuf *sb)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < sb->len) {
		ssize_t n = write(fd, sb->buf + off, sb->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		off += (size_t)n;
	}
	return close(fd);
}

int outset_write(struct out_set *o, const struct profile *p,
		 const struct record_info *ri, struct strbuf *done)
{
	int i, ret = 0;

	check_gates(o, p, ri);
	for (i = 0; i < o->nouts; i++) {
		struct out_file *f = &o->outs[i];
		struct strbuf sb = STRBUF_INIT;
		const char *name = output_format_name(f->fmt);

		if (f->raw) {
			int bad = raw_writer_close(f->raw, p, ri);

			f->raw = NULL;
			if (bad) {
				cmd_errorf("cannot write '%s': %s; the raw "
					   "recording keeps what was written "
					   "before (gilspy report reads it)",
					   f->path, strerror(errno));
				ret = 1;
				continue;
			}
		} else {
			render(o, f, p, ri, &sb);
			if (!strcmp(f->path, "-") ? write_stdout(&sb) :
			    write_file_atomic(f->path, sb.buf ? sb.buf : "",
					      sb.len) < 0) {
				cmd_errorf("cannot write '%s': %s; the %s output "
					   "was not saved", f->path,
					   strerror(errno), name);
				sb_release(&sb);
				ret = 1;
				continue;
			}
			sb_release(&sb);
		}
		sb_addf(done, "%s%s (%s)", done->len ? ", " : "",
			strcmp(f->path, "-") ? f->path : "stdout", name);
	}
	if (o->summary_path) {
		struct strbuf sb = STRBUF_INIT;

		render_markdown(o, &sb, p, ri);
		if (!strcmp(o->summary_path, "-") ? write_stdout(&sb) :
		    append_file(o->summary_path, &sb)) {
			cmd_errorf("cannot append the summary to '%s': %s",
				   o->summary_path, strerror(errno));
			ret = 1;
		} else {
			sb_addf(done, "%ssummary to %s", done->len ? ", " : "",
				strcmp(o->summary_path, "-") ?
				o->summary_path : "stdout");
		}
		sb_release(&sb);
	}
	return ret;
}

int outset_gates(struct out_set *o, const struct profile *p,
		 const struct record_info *ri)
{
	const char *line, *nl;

	check_gates(o, p, ri);
	for (line = o->crossed.buf; line && *line; line = nl + 1) {
		nl = strchrnul(line, '\n');
		fprintf(stderr, "%s%.*s\n",
			strncmp(line, "gilspy: ", 8) ? "gilspy: " : "",
			(int)(nl - line), line);
		if (!*nl)
			break;
	}
	return o->ncrossed > 0;
}

void outset_release(struct out_set *o)
{
	int i;

	for (i = 0; i < o->nouts; i++) {
		struct out_file *f = &o->outs[i];

		seq_free(f->seq);
		if (f->raw) {
			struct record_info ri = { .exit_code = -1 };

			raw_writer_close(f->raw, NULL, &ri);
		}
		free(f->default_path);
	}
	baseline_free(o->base);
	gates_free(o->gates);
	sb_release(&o->crossed);
	memset(o, 0, sizeof(*o));
}
