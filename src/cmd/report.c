/*
 * report.c - `gilspy report FILE.gilspy`: render a raw recording again, in
 * any format, with any filters, without re-recording.
 *
 * A damaged or truncated file is read as far as it is intact: what could
 * be read is rendered and written, each problem is said on stderr, and the
 * exit status is 1.
 */
#include <getopt.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/cmd.h"
#include "gilspy/output.h"
#include "gilspy/profile.h"
#include "gilspy/raw.h"
#include "outputs.h"

static const char usage_text[] =
	"usage: gilspy report [options] FILE.gilspy\n"
	"\n"
	"Render a raw recording (from 'gilspy record -o FILE.gilspy') again, in\n"
	"any format and with any filters.  The summary is printed on stderr.\n"
	"\n"
	"  -o, --output FILE      where to write (repeatable; default stdout)\n"
	OUTSET_HELP
	"  -q, --quiet            no summary on stderr\n"
	"  -h, --help             show this help\n";

/* An output that is the recording itself would destroy it before (raw,
 * written as the replay goes) or after it is read. */
static int overwrites_input(const struct out_set *os, const char *path)
{
	struct stat in, out;
	int i;

	if (!strcmp(path, "-") || stat(path, &in))
		return 0;
	for (i = 0; i < os->nouts; i++) {
		const char *o = os->outs[i].path;

		if (strcmp(o, "-") && !stat(o, &out) && out.st_dev == in.st_dev &&
		    out.st_ino == in.st_ino) {
			cmd_errorf("-o %s is the recording being read; write "
				   "to another file", o);
			return 1;
		}
	}
	return 0;
}

/* What the replay callbacks need.  A raw output gets the recording's META
 * as soon as the first block has been read (before its first sample), so
 * each block it writes carries it, as record's do: a copy cut short keeps
 * who was recorded. */
struct replay_ctx {
	struct out_set *os;
	const struct raw_replay *rp;
	int meta_sent;
};

static void send_meta(struct replay_ctx *rc)
{
	if (!rc->meta_sent) {
		outset_meta(rc->os, &rc->rp->ri);
		rc->meta_sent = 1;
	}
}

static void on_sample(void *ctx, const struct record_process *proc,
		      const struct profile *p, const struct py_sample *s)
{
	struct replay_ctx *rc = ctx;

	send_meta(rc);
	outset_sample(rc->os, proc, p, s);
}

static void on_failed(void *ctx, const struct record_process *proc,
		      uint64_t time_ns)
{
	struct replay_ctx *rc = ctx;

	send_meta(rc);
	outset_failed(rc->os, proc, time_ns);
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		OUTSET_LONGOPTS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct out_set os;
	struct raw_replay rp;
	struct replay_ctx rc = { &os, &rp, 0 };
	struct profile *prof = NULL;
	struct strbuf done = STRBUF_INIT, sum = STRBUF_INIT;
	const char *path, *line, *nl;
	int c, k, quiet = 0, ret = 0, got;

	outset_init(&os);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:f:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		case 'h':
			fputs(usage_text, stdout);
			outset_release(&os);
			return 0;
		default:
			k = outset_option(&os, c, optarg);
			if (k <= 0) {
				outset_release(&os);
				return k < 0 ? 2 : cmd_bad_option("report", c, argv);
			}
		}
	}
	if (optind != argc - 1) {
		cmd_errorf(optind == argc ? "no recording given; usage: gilspy "
			   "report [options] FILE.gilspy" :
			   "give one recording (got %d); usage: gilspy report "
			   "[options] FILE.gilspy", argc - optind);
		outset_release(&os);
		return 2;
	}
	path = argv[optind];
	outset_resolve(&os, NULL);
	if (overwrites_input(&os, path) || outset_check(&os, 0)) {
		outset_release(&os);
		return 2;
	}
	if ((k = outset_begin(&os))) {
		outset_release(&os);
		return k;
	}
	got = raw_replay(path, &rp, &prof, on_sample, on_failed, &rc);
	for (line = rp.problems.buf; line && *line; line = *nl ? nl + 1 : nl) {
		nl = strchrnul(line, '\n');
		fprintf(stderr, "gilspy: %s: %.*s\n", path, (int)(nl - line),
			line);
	}
	if (got < 0) {
		raw_replay_release(&rp);
		outset_release(&os);
		return 1;
	}
	if (got > 0) {
		fprintf(stderr, "gilspy: %s: rendering the %llu samples that "
			"could be read\n", path,
			(unsigned long long)rp.samples);
		ret = 1;
	}
	send_meta(&rc);		/* a recording without samples */
	rp.ri.cores = os.cores;
	if (outset_write(&os, prof, &rp.ri, &done))
		ret = 1;
	if (!quiet) {
		output_summary(&sum, prof, &rp.ri);
		fputs(sum.buf ? sum.buf : "", stderr);
		fprintf(stderr, "gilspy: %llu samples from %s; %s%s\n",
			(unsigned long long)profile_stats(prof)->ticks, path,
			done.len ? "wrote " : "nothing written",
			done.len ? done.buf : "");
	}
	if (outset_gates(&os, prof, &rp.ri))
		ret = 1;
	sb_release(&sum);
	sb_release(&done);
	profile_free(prof);
	raw_replay_release(&rp);
	outset_release(&os);
	return ret;
}
