/* test_raw.c - raw recordings: a replay gives the profile that was written
 * (counts, names, frames, figures), blocks are self-contained, and a file
 * cut anywhere or with bytes flipped anywhere replays without a crash,
 * never inventing samples. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gilspy/output.h"
#include "gilspy/profile.h"
#include "gilspy/raw.h"
#include "harness.h"

static const struct py_frame_info *frame_of(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[48];

	(void)ctx;
	snprintf(name, sizeof(name), "fn_%u<|>\"q\"", id);
	fi.name = name;
	fi.filename = id % 3 ? "/srv/app/mod.py" : "/usr/lib/python3.12/x.py";
	fi.line = (int)id * 7 + 1;
	fi.firstlineno = (int)id * 7;
	return &fi;
}

static const char *name_of(void *ctx, pid_t tid, uint64_t thread_id)
{
	static char name[32];

	(void)ctx;
	(void)thread_id;
	snprintf(name, sizeof(name), "worker-%d", (int)tid - 1000);
	return name;
}

/* A recording of n samples of 4 threads with varied states and stacks,
 * written to path with small blocks; the profile is returned. */
static struct profile *record(const char *path, int n, size_t block)
{
	struct profile_resolver r = { frame_of, name_of, NULL };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	struct raw_writer *w = NULL;
	struct record_info ri = { .pid = 4242, .python = "3.12.1",
		.binary = "/usr/bin/python3.12", .command = "python app.py",
		.requested_hz = 1000, .exit_code = -1 };
	unsigned seed = 7;
	int i, t, k;

	CHECK(raw_writer_open(path, &w) == 0);
	raw_writer_block_size(w, block ? block : 2048);
	raw_write_meta(w, &ri);
	for (i = 0; i < n; i++) {
		if (i % 97 == 13) {
			profile_add_failed(p, 1000000ull * (uint64_t)i);
			raw_write_failed(w, 1000000ull * (uint64_t)i);
			continue;
		}
		memset(s, 0, offsetof(struct py_sample, pool));
		s->time_ns = 1000000ull * (uint64_t)i;
		s->gil_locked = 1;
		s->switch_number = (uint64_t)i / 3;
		s->interval_us = 5000;
		s->nthreads = 4;
		s->pool_used = 0;
		for (t = 0; t < 4; t++) {
			struct py_thread_sample *ts = &s->threads[t];
			int depth = 1 + (int)((seed = seed * 1103515245u + 12345u) >> 16) % 6;

			ts->tid = 1000 + t;
			ts->thread_id = 0x7f00 + (uint64_t)t;
			ts->state = t == i % 4 ? GIL_HELD :
				(enum gil_state)(1 + (seed >> 20) % 3);
			ts->evidence = ts->state == GIL_HELD ? EV_HOLDER :
				EV_OS_SLEEPING;
			ts->os_state = 'S';
			ts->incomplete = (seed >> 8) % 50 == 0;
			ts->frames = s->pool + s->pool_used;
			for (k = 0; k < depth; k++)
				ts->frames[k] = (uint32_t)(depth - k + t * 10 +
							   (k == 0 ? (seed >> 24) % 5 : 0));
			ts->nframes = depth;
			s->pool_used += depth;
		}
		profile_add(p, s);
		raw_write_sample(w, p, s);
	}
	ri.wall_ns = 1000000ull * (uint64_t)n;
	ri.stopped_by = "duration";
	CHECK(raw_writer_close(w, p, &ri) == 0);
	free(s);
	return p;
}

static char *render(const struct profile *p)
{
	struct output_options o;
	struct strbuf sb = STRBUF_INIT;

	output_options_init(&o);
	o.states |= 1u << GIL_IDLE;
	o.threads = 1;
	output_collapsed(&sb, p, &o);
	return sb_detach(&sb);
}

static char *tmp_path(const char *tag)
{
	static char path[64];

	snprintf(path, sizeof(path), "/tmp/gilspy-unit-raw-%d-%s", (int)getpid(),
		 tag);
	return path;
}

TEST(raw, replay_gives_the_recorded_profile)
{
	char *path = tmp_path("a");
	struct profile *p = record(path, 3000, 0), *q = NULL;
	struct raw_replay rp;
	char *a, *b;
	const struct profile_stats *x, *y;

	CHECK_EQ_INT(raw_replay(path, &rp, &q, NULL, NULL, NULL), 0);
	CHECK(q != NULL);
	if (q) {
		a = render(p);
		b = render(q);
		CHECK(!strcmp(a, b));
		x = profile_stats(p);
		y = profile_stats(q);
		CHECK_EQ_INT(x->ticks, y->ticks);
		CHECK_EQ_INT(x->failed, y->failed);
		CHECK_EQ_INT(x->held_ticks, y->held_ticks);
		CHECK_EQ_INT(x->switches, y->switches);
		CHECK_EQ_INT(x->torn_stacks, y->torn_stacks);
		CHECK_EQ_INT(x->interval_us, y->interval_us);
		CHECK(!memcmp(x->evidence, y->evidence, sizeof(x->evidence)));
		CHECK(!strcmp(profile_thread(q, 2)->name, "worker-2"));
		CHECK(rp.ri.pid == 4242);
		CHECK(rp.ri.python && !strcmp(rp.ri.python, "3.12.1"));
		CHECK(rp.ri.stopped_by && !strcmp(rp.ri.stopped_by, "duration"));
		CHECK_EQ_INT(rp.ri.wall_ns, 3000000000ull);
		CHECK(!rp.truncated);
		free(a);
		free(b);
	}
	profile_free(q);
	raw_replay_release(&rp);
	profile_free(p);
	unlink(path);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *d;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	d = malloc((size_t)n + 1);
	*len = fread(d, 1, (size_t)n, f);
	fclose(f);
	return d;
}

static void spill(const char *path, const unsigned char *d, size_t len)
{
	FILE *f = fopen(path, "wb");

	fwrite(d, 1, len, f);
	fclose(f);
}

/* Replay a damaged copy: never a crash, never more samples than written. */
static uint64_t replay_damaged(const char *path, uint64_t max, int *whole)
{
	struct raw_replay rp;
	struct profile *q = NULL;
	int r = raw_replay(path, &rp, &q, NULL, NULL, NULL);
	uint64_t got = rp.samples;

	CHECK(r >= -1 && r <= 1);
	CHECK(got <= max);
	CHECK(r < 0 ? q == NULL : q != NULL);
	if (r > 0)
		CHECK(rp.problems.len > 0);
	*whole = r == 0;
	profile_free(q);
	raw_replay_release(&rp);
	return got;
}

TEST(raw, cut_anywhere_replays_what_is_before_the_cut)
{
	char *path = tmp_path("b"), cut[80];
	struct profile *p = record(path, 1500, 0);
	size_t len = 0, at;
	unsigned char *d = slurp(path, &len);
	uint64_t max = profile_stats(p)->samples, got, prev = 0;
	int whole, monotone = 1;

	snprintf(cut, sizeof(cut), "%s.cut", path);
	CHECK(d && len > 4000);
	for (at = 0; d && at < len; at += len / 150 + 1) {
		spill(cut, d, at);
		got = replay_damaged(cut, max, &whole);
		CHECK(!whole);
		if (got < prev)
			monotone = 0;
		prev = got;
	}
	/* a longer prefix never replays fewer samples */
	CHECK(monotone);
	CHECK(prev > max / 2);
	free(d);
	profile_free(p);
	unlink(path);
	unlink(cut);
}

TEST(raw, flipped_bytes_cost_their_block_only)
{
	char *path = tmp_path("c"), bad[80];
	struct profile *p = record(path, 1500, 0);
	size_t len = 0, at;
	unsigned char *d = slurp(path, &len);
	uint64_t max = profile_stats(p)->samples, got;
	int whole, kept_most = 0, tries = 0;

	snprintf(bad, sizeof(bad), "%s.bad", path);
	for (at = 3; d && at < len; at += len / 200 + 1) {
		unsigned char save = d[at];

		d[at] ^= 0x41;
		spill(bad, d, len);
		got = replay_damaged(bad, max, &whole);
		tries++;
		/* blocks are small: one flip loses one of many */
		if (got >= max / 2)
			kept_most++;
		d[at] = save;
	}
	CHECK(kept_most >= tries * 9 / 10);
	/* random garbage is not a recording, whatever its length */
	for (at = 0; d && at < len; at++)
		d[at] = (unsigned char)(at * 2654435761u >> 13);
	spill(bad, d, len);
	replay_damaged(bad, max, &whole);
	free(d);
	profile_free(p);
	unlink(path);
	unlink(bad);
}

/* A block holding `rec` (len bytes of records), checksummed and framed as
 * the writer frames them, after a valid file header. */
static void craft(const char *path, const unsigned char *rec, size_t len)
{
	unsigned char hdr[16] = "GILSPYRW\x01\0\0\0\0\0\0\0", bh[16];
	unsigned char z[256];
	uLongf zl = sizeof(z);
	uint32_t crc = (uint32_t)crc32(0, rec, (uInt)len);
	FILE *f = fopen(path, "wb");

	compress2(z, &zl, rec, (uLong)len, 1);
	memcpy(bh, "GSBK", 4);
	for (int i = 0; i < 4; i++) {
		bh[4 + i] = (unsigned char)(len >> (8 * i));
		bh[8 + i] = (unsigned char)(zl >> (8 * i));
		bh[12 + i] = (unsigned char)(crc >> (8 * i));
	}
	fwrite(hdr, 1, 16, f);
	fwrite(bh, 1, 16, f);
	fwrite(z, 1, zl, f);
	fclose(f);
}

TEST(raw, far_out_ids_are_refused_not_allocated)
{
	char *path = tmp_path("d");
	/* THREAD index 16777200, STACK id 16777200: valid varints, each
	 * would make an array of gigabytes if trusted */
	static const unsigned char thread[] = {
		'T', 0xf0, 0xff, 0xff, 0x07, 0x01, 0x01, 0x00 };
	static const unsigned char stack[] = {
		'K', 0xf0, 0xff, 0xff, 0x07, 0x00, 0x01 };
	const unsigned char *recs[] = { thread, stack };
	size_t lens[] = { sizeof(thread), sizeof(stack) };

	for (int i = 0; i < 2; i++) {
		struct raw_replay rp;
		struct profile *q = NULL;

		craft(path, recs[i], lens[i]);
		CHECK_EQ_INT(raw_replay(path, &rp, &q, NULL, NULL, NULL), 1);
		CHECK(rp.problems.buf && strstr(rp.problems.buf, "malformed"));
		CHECK_EQ_INT(rp.samples, 0);
		profile_free(q);
		raw_replay_release(&rp);
	}
	unlink(path);
}

/* --- several processes (format 2) --------------------------------------- */

static uint64_t tree_samples[2];

static void count_proc(void *ctx, const struct record_process *proc,
		       const struct profile *p, const struct py_sample *s)
{
	(void)ctx;
	(void)s;
	CHECK(proc != NULL && proc->prof == p);
	if (proc)
		tree_samples[proc->pid == 11]++;
}

/* Two processes sampled in turn (10: four threads, 11: two, its own
 * thread and frame ids), a third never sampled; *a and *b get their
 * profiles. */
static void record_tree(const char *path, int n, struct profile **a,
			struct profile **b)
{
	struct profile_resolver r = { frame_of, name_of, NULL };
	struct py_sample *s = calloc(1, sizeof(*s));
	struct raw_writer *w = NULL;
	struct record_process procs[3] = {
		{ .pid = 10, .cmdline = "python pool.py", .python = "3.12.1",
		  .binary = "/usr/bin/python3.12" },
		{ .pid = 11, .ppid = 10, .cmdline = "python pool.py",
		  .python = "3.12.1" },
		{ .pid = 12, .ppid = 10, .cmdline = "sh -c true",
		  .skip = "not Python" },
	};
	struct record_info ri = { .pid = 10, .python = "3.12.1",
		.requested_hz = 100, .exit_code = -1 };
	int i, t;

	*a = profile_new(&r);
	*b = profile_new(&r);
	procs[0].prof = *a;
	procs[1].prof = *b;
	CHECK(raw_writer_open(path, &w) == 0);
	raw_writer_block_size(w, 1024);
	raw_write_meta(w, &ri);
	for (i = 0; i < n; i++) {
		struct record_process *rp = &procs[i % 2];
		struct profile *p = i % 2 ? *b : *a;
		int nt = i % 2 ? 2 : 4;

		if (i % 89 == 7) {
			profile_add_failed(p, 1000000ull * (uint64_t)i);
			raw_write_proc_failed(w, rp, 1000000ull * (uint64_t)i);
			continue;
		}
		memset(s, 0, offsetof(struct py_sample, pool));
		s->time_ns = 1000000ull * (uint64_t)i;
		s->gil_locked = 1;
		/* each GIL its own switch count */
		s->switch_number = (uint64_t)i * (i % 2 ? 7 : 1);
		s->interval_us = 5000;
		s->nthreads = nt;
		for (t = 0; t < nt; t++) {
			struct py_thread_sample *ts = &s->threads[t];

			ts->tid = (i % 2 ? 2000 : 1000) + t;
			ts->thread_id = 0x7f00 + (uint64_t)t;
			ts->state = t == (i / 2) % nt ? GIL_HELD : GIL_WAITING;
			ts->evidence = EV_HOLDER;
			ts->os_state = 'R';
			ts->frames = s->pool + s->pool_used;
			ts->frames[0] = (uint32_t)(i % 2 ? 500 + t : 3 + t);
			ts->frames[1] = (uint32_t)(i % 2 ? 600 : 1);
			ts->nframes = 2;
			s->pool_used += 2;
		}
		profile_add(p, s);
		raw_write_proc_sample(w, rp, p, s);
	}
	procs[1].stopped_ticks = 3;
	ri.procs = procs;
	ri.nprocs = 3;
	ri.stopped_by = "target exit";
	CHECK(raw_writer_close(w, *a, &ri) == 0);
	free(s);
}

TEST(raw, a_tree_replays_each_process_apart)
{
	char *path = tmp_path("t");
	struct profile *a, *b, *q = NULL;
	struct raw_replay rp;
	size_t len = 0;
	unsigned char *d;

	record_tree(path, 1200, &a, &b);
	d = slurp(path, &len);
	CHECK(d && len > 16 && d[8] == 2);	/* format version 2 */
	free(d);
	tree_samples[0] = tree_samples[1] = 0;
	CHECK_EQ_INT(raw_replay(path, &rp, &q, count_proc, NULL, NULL), 0);
	CHECK_EQ_INT(rp.version, 2);
	CHECK_EQ_INT(rp.ri.nprocs, 3);
	if (rp.ri.nprocs == 3) {
		const struct record_process *v = rp.ri.procs;
		char *x, *y;

		CHECK(q == v[0].prof);
		CHECK_EQ_INT(v[0].pid, 10);
		CHECK_EQ_INT(v[1].pid, 11);
		CHECK_EQ_INT(v[1].ppid, 10);
		CHECK_EQ_INT(v[1].stopped_ticks, 3);
		CHECK(v[0].binary && !strcmp(v[0].binary, "/usr/bin/python3.12"));
		CHECK(v[2].prof == NULL && v[2].skip &&
		      !strcmp(v[2].skip, "not Python"));
		CHECK(v[2].cmdline && !strcmp(v[2].cmdline, "sh -c true"));
		x = render(a);
		y = render(v[0].prof);
		CHECK(!strcmp(x, y));
		free(x);
		free(y);
		x = render(b);
		y = render(v[1].prof);
		CHECK(!strcmp(x, y));
		free(x);
		free(y);
		CHECK_EQ_INT(profile_stats(v[1].prof)->switches,
			     profile_stats(b)->switches);
		CHECK_EQ_INT(profile_stats(v[1].prof)->failed,
			     profile_stats(b)->failed);
		CHECK_EQ_INT(profile_nthreads(v[1].prof), 2);
	}
	CHECK_EQ_INT(tree_samples[0], profile_stats(a)->samples);
	CHECK_EQ_INT(tree_samples[1], profile_stats(b)->samples);
	profile_free(q);
	raw_replay_release(&rp);
	profile_free(a);
	profile_free(b);
	unlink(path);
}

TEST(raw, a_tree_cut_or_damaged_replays_what_is_intact)
{
	char *path = tmp_path("u"), bad[80];
	struct profile *a, *b;
	size_t len = 0, at;
	unsigned char *d;
	uint64_t max;
	int whole, kept_most = 0, tries = 0;

	record_tree(path, 1200, &a, &b);
	max = profile_stats(a)->samples + profile_stats(b)->samples;
	d = slurp(path, &len);
	snprintf(bad, sizeof(bad), "%s.bad", path);
	if (d) {
		struct raw_replay rp;
		struct profile *q = NULL;

		/* cut in half: both processes, in the order first sampled,
		 * the one never sampled unknown */
		spill(bad, d, len / 2);
		CHECK_EQ_INT(raw_replay(bad, &rp, &q, NULL, NULL, NULL), 1);
		CHECK_EQ_INT(rp.ri.nprocs, 2);
		if (rp.ri.nprocs == 2)
			CHECK(rp.ri.procs[0].pid == 10 && q == rp.ri.procs[0].prof);
		CHECK(rp.samples > max / 3 && rp.samples < max);
		profile_free(q);
		raw_replay_release(&rp);
	}
	for (at = 3; d && at < len; at += len / 150 + 1) {
		unsigned char save = d[at];

		d[at] ^= 0x41;
		spill(bad, d, len);
		if (replay_damaged(bad, max, &whole) >= max / 2)
			kept_most++;
		tries++;
		d[at] = save;
	}
	CHECK(kept_most >= tries * 9 / 10);
	free(d);
	profile_free(a);
	profile_free(b);
	unlink(path);
	unlink(bad);
}

TEST(raw, one_process_is_still_format_1)
{
	char *path = tmp_path("v");
	struct profile *p = record(path, 50, 0);
	size_t len = 0;
	unsigned char *d = slurp(path, &len);

	CHECK(d && len > 16 && d[8] == 1);
	free(d);
	profile_free(p);
	unlink(path);
}
