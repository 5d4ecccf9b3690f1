/*
 * flamegraph.c - `gilspy flamegraph [FILE...]`: render folded stacks (ours,
 * perf's, py-spy's raw output, flamegraph.pl's input) as an interactive SVG;
 * and, with diff = 1, `gilspy diff BASE NEW`.  The rendering is flamegraph/;
 * this file maps options to struct fg_options, reads the files, says what
 * was skipped or pruned, and writes the output atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gilspy/cmd.h"
#include "gilspy/flamegraph.h"
#include "gilspy/util.h"
#include "fgcmd.h"

static const char usage_flamegraph[] =
	"usage: gilspy flamegraph [options] [FILE...]\n"
	"\n"
	"Render folded stacks ('root;caller;leaf COUNT' lines, from gilspy record,\n"
	"perf + stackcollapse, py-spy --format raw or any flamegraph.pl input) as one\n"
	"self-contained interactive SVG.  FILEs are merged; none or '-' reads stdin.\n"
	"Lines with two counts (BASE NEW) give a differential graph.\n"
	"\n";
static const char usage_diff[] =
	"usage: gilspy diff [options] BASE NEW\n"
	"\n"
	"Render NEW's folded stacks as a flame graph coloured by the change from\n"
	"BASE: red frames grew, blue frames shrank; tooltips give the delta.\n"
	"\n";
static const char usage_options[] =
	"  -o, --output FILE      write the SVG here (default: stdout)\n"
	"      --title TEXT       title (default: the input file name)\n"
	"      --subtitle TEXT    a second line under the title\n"
	"      --width PX         image width (default 1200)\n"
	"      --minwidth N[%]    leave out frames narrower than N pixels, or N\n"
	"                         percent of all samples (default 0.1 px)\n"
	"      --inverted         icicle graph: roots at the top\n"
	"      --reverse          merge stacks leaf first\n"
	"      --colors NAME      python (default), hot, mem, io or gray\n"
	"      --countname NAME   what a count is, in tooltips (default samples)\n";
static const char usage_normalize[] =
	"  -n, --normalize        scale BASE to NEW's total before comparing\n";
static const char usage_help[] =
	"  -h, --help             show this help\n";

enum {
	OPT_TITLE = 256, OPT_SUBTITLE, OPT_WIDTH, OPT_MINWIDTH, OPT_INVERTED,
	OPT_REVERSE, OPT_COLORS, OPT_COUNTNAME,
};

static const struct option long_opts[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "title", required_argument, NULL, OPT_TITLE },
	{ "subtitle", required_argument, NULL, OPT_SUBTITLE },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "minwidth", required_argument, NULL, OPT_MINWIDTH },
	{ "inverted", no_argument, NULL, OPT_INVERTED },
	{ "reverse", no_argument, NULL, OPT_REVERSE },
	{ "colors", required_argument, NULL, OPT_COLORS },
	{ "colours", required_argument, NULL, OPT_COLORS },
	{ "countname", required_argument, NULL, OPT_COUNTNAME },
	{ "normalize", no_argument, NULL, 'n' },
	{ "normalise", no_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f, int diff)
{
	fputs(diff ? usage_diff : usage_flamegraph, f);
	fputs(usage_options, f);
	if (diff)
		fputs(usage_normalize, f);
	fputs(usage_help, f);
}

/* "0.5", "0.5px" or "2%". */
static int parse_minwidth(const char *arg, struct fg_options *o)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || !(v >= 0) || v > 100000)
		goto bad;
	o->minwidth_pct = 0;
	if (!strcmp(end, "%")) {
		if (v > 100)
			goto bad;
		o->minwidth_pct = 1;
	} else if (*end && strcmp(end, "px")) {
		goto bad;
	}
	o->minwidth = v;
	return 0;
bad:
	cmd_errorf("--minwidth '%s' is not a width; pass pixels (0.1, 2px) or "
		   "a percentage of all samples (0.5%%)", arg);
	return 2;
}

static const char *display_name(const char *path)
{
	return strcmp(path, "-") ? path : "stdin";
}

/* Read one input into g; prints what went wrong.  Returns 0, or 1 when
 * the file cannot be read or has no valid stack. */
static int read_input(struct fg *g, const char *path, enum fg_side side)
{
	struct fg_stats st;
	int fd = 0, ret;

	if (strcmp(path, "-")) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cmd_errorf("cannot open '%s': %s", path, strerror(errno));
			return 1;
		}
	}
	ret = fg_read_fd(g, fd, side, &st);
	if (ret) {
		cmd_errorf("cannot read '%s': %s", display_name(path), strerror(errno));
		if (fd)
			close(fd);
		return 1;
	}
	if (fd)
		close(fd);
	if (!st.stacks) {
		cmd_errorf("no valid folded stacks in '%s' (%llu lines); expected "
			   "lines like 'main;work;leaf 12'", display_name(path),
			   (unsigned long long)st.lines);
		return 1;
	}
	if (st.bad_lines)
		cmd_errorf("warning: skipped %llu malformed line%s in '%s' "
			   "(first: line %llu); expected 'frame;frame COUNT'",
			   (unsigned long long)st.bad_lines,
			   st.bad_lines == 1 ? "" : "s", display_name(path),
			   (unsigned long long)st.first_bad_line);
	return 0;
}

static int write_output(const char *path, const struct strbuf *svg)
{
	if (!path || !strcmp(path, "-")) {
		if (fwrite(svg->buf, 1, svg->len, stdout) != svg->len ||
		    fflush(stdout)) {
			cmd_errorf("cannot write the SVG to stdout: %s", strerror(errno));
			return 1;
		}
		return 0;
	}
	if (write_file_atomic(path, svg->buf, svg->len)) {
		cmd_errorf("cannot write '%s': %s (check the directory exists "
			   "and is writable)", path, strerror(errno));
		return 1;
	}
	return 0;
}

int fg_cmd_main(int argc, char **argv, int diff)
{
	const char *cmd = diff ? "diff" : "flamegraph", *out = NULL;
	struct fg_options o;
	struct fg_render_stats rs;
	struct strbuf svg = STRBUF_INIT, title = STRBUF_INIT;
	struct fg *g = NULL;
	double v;
	int c, i, ret = 0;

	fg_options_init(&o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, diff ? ":o:nh" : ":o:h", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case OPT_TITLE: o.title = optarg; break;
		case OPT_SUBTITLE: o.subtitle = optarg; break;
		case OPT_WIDTH:
			if (cmd_parse_double("--width", optarg, 200, 100000, &v))
				return 2;
			o.width = (int)v;
			break;
		case OPT_MINWIDTH:
			if (parse_minwidth(optarg, &o))
				return 2;
			break;
		case OPT_INVERTED: o.inverted = 1; break;
		case OPT_REVERSE: o.reverse = 1; break;
		case OPT_COLORS:
			if (fg_palette_parse(optarg, &o.palette)) {
				cmd_errorf("unknown --colors '%s'; use python, hot, "
					   "mem, io or gray", optarg);
				return 2;
			}
			break;
		case OPT_COUNTNAME: o.countname = optarg; break;
		case 'n':
			if (!diff)
				return cmd_bad_option(cmd, '?', argv);
			o.normalize = 1;
			break;
		case 'h':
			usage(stdout, diff);
			return 0;
		default:
			return cmd_bad_option(cmd, c, argv);
		}
	}
	if (diff && argc - optind != 2) {
		cmd_errorf("diff needs two folded files, BASE and NEW; see "
			   "'gilspy diff --help'");
		return 2;
	}
	if (!o.title) {
		if (diff)
			sb_addf(&title, "Differential flame graph: %s \xE2\x86\x92 %s",
				argv[optind], argv[optind + 1]);
		else if (argc - optind == 1)
			sb_addf(&title, "Flame graph: %s", display_name(argv[optind]));
		else
			sb_adds(&title, "Flame graph");
		o.title = title.buf;
	}
	g = fg_new(&o);
	if (diff) {
		if (read_input(g, argv[optind], FG_BASE) ||
		    read_input(g, argv[optind + 1], FG_NEW)) {
			ret = 1;
			goto out;
		}
	} else if (optind == argc) {
		if (read_input(g, "-", FG_NEW)) {
			ret = 1;
			goto out;
		}
	} else {
		for (i = optind; i < argc; i++)
			if (read_input(g, argv[i], FG_NEW)) {
				ret = 1;
				goto out;
			}
	}
	if (!(fg_total(g, FG_NEW) > 0)) {
		cmd_errorf("the %s has no samples (every count is zero)",
			   diff ? "new profile" : "input");
		ret = 1;
		goto out;
	}
	fg_render(g, &svg, &rs);
	ret = write_output(out, &svg);
	if (!ret && out && strcmp(out, "-")) {
		fprintf(stderr, "gilspy: wrote %s: %llu frames", out,
			(unsigned long long)rs.frames);
		if (rs.pruned)
			fprintf(stderr, ", %llu narrower than --minwidth left out",
				(unsigned long long)rs.pruned);
		fputc('\n', stderr);
	}
out:
	fg_free(g);
	sb_release(&svg);
	sb_release(&title);
	return ret;
}

int cmd_flamegraph(int argc, char **argv)
{
	return fg_cmd_main(argc, argv, 0);
}
