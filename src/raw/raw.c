/*
 * raw.c - write and replay raw recordings (.gilspy); the format is
 * described in include/gilspy/raw.h.
 *
 * The writer follows the profile: a sample is written after profile_add()
 * interned it, so the profile's thread indices and stack ids are the
 * file's.  Each block defines the threads, stack nodes and frames its own
 * samples use (root first; a node's parent always has a smaller id) and
 * starts its times and switch counts from zero, so a block can be read
 * without any other: damage costs the samples of one block, not the rest
 * of the file.
 *
 * The reader trusts nothing: every length, count and id is bounded, a
 * block whose checksum or decompression fails is skipped with the reader
 * resynchronising on the next block magic, and a sample naming an
 * undefined thread or stack loses that thread's entry, not the sample.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gilspy/hashmap.h"
#include "gilspy/raw.h"

#define FILE_MAGIC "GILSPYRW"
#define BLOCK_MAGIC "GSBK"
#define HEADER_LEN 16
#define BLOCK_HEADER_LEN 16
#define BLOCK_TARGET (256u * 1024)	/* flush when this much is pending */
#define BLOCK_MAX (16u * 1024 * 1024)	/* reader: larger ulen is damage */
#define MAX_IDS (1u << 24)		/* reader: frame/stack/thread ids */
/* Reader: thread and stack ids are the profile's, handed out in order of
 * first use, so a new id is never far beyond how many are defined; the
 * slack covers what a few lost blocks may have defined.  A hostile id far
 * out costs a clear error, not an allocation of gigabytes. */
#define ID_SLACK (1u << 18)
#define MAX_STR 4096			/* reader: string length */

enum rec_type {
	REC_META = 'M',
	REC_THREAD = 'T',
	REC_FRAME = 'F',
	REC_STACK = 'K',
	REC_SAMPLE = 'S',
	REC_FAILED = 'X',
	REC_END = 'E',
};

/* --- encoding ------------------------------------------------------------ */

static void put_u32le(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t get_u32le(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
		(uint32_t)p[3] << 24;
}

static void put_varint(struct strbuf *sb, uint64_t v)
{
	unsigned char b[10];
	int n = 0;

	do {
		b[n] = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			b[n] |= 0x80;
		n++;
	} while (v);
	sb_add(sb, b, (size_t)n);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void put_str(struct strbuf *sb, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n > MAX_STR)
		n = MAX_STR;
	/* 0: absent, else length + 1 */
	put_varint(sb, s ? n + 1 : 0);
	if (n)
		sb_add(sb, s, n);
}

/* --- writer -------------------------------------------------------------- */

struct raw_writer {
	int fd, own_fd;
	int err;			/* first errno of a failed write */
	struct strbuf buf;		/* records not yet in a block */
	struct strbuf meta;		/* the META record, repeated per block */
	uint64_t last_flush_ns;
	uint64_t block_t0;		/* first sample time in the block */
	int block_has_t0;
	uint64_t last_time;
	uint64_t last_switch;
	uint64_t interval_us;
	/* Every block defines what its samples use, so any block can be
	 * read without the others: an id is defined in the current block
	 * when its entry equals block (0: never). */
	uint32_t block;
	uint32_t names_gen;		/* the profile's, when threads were */
	uint32_t *thread_blk, *stack_blk, *frame_blk;
	size_t nthread_blk, nstack_blk, nframe_blk;
	uint32_t chain[PY_MAX_DEPTH + 1];
	size_t block_target;		/* flush at this many bytes */
	unsigned char *zbuf;
	size_t zcap;
};

static void write_all(struct raw_writer *w, const void *data, size_t len)
{
	const char *p = data;

	while (len && !w->err) {
		ssize_t n = write(w->fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			w->err = errno;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void flush_block(struct raw_writer *w)
{
	unsigned char hdr[BLOCK_HEADER_LEN];
	uLongf clen;
	uLong bound;

	if (!w->buf.len)
		return;
	bound = compressBound((uLong)w->buf.len);
	if (w->zcap < bound) {
		w->zcap = bound;
		w->zbuf = xrealloc(w->zbuf, w->zcap);
	}
	clen = (uLongf)w->zcap;
	if (compress2(w->zbuf, &clen, (const Bytef *)w->buf.buf,
		      (uLong)w->buf.len, 1) != Z_OK) {
		/* Only out-of-memory makes compress2 fail here. */
		if (!w->err)
			w->err = ENOMEM;
		sb_reset(&w->buf);
		return;
	}
	memcpy(hdr, BLOCK_MAGIC, 4);
	put_u32le(hdr + 4, (uint32_t)w->buf.len);
	put_u32le(hdr + 8, (uint32_t)clen);
	put_u32le(hdr + 12, (uint32_t)crc32(0, (const Bytef *)w->buf.buf,
					    (uInt)w->buf.len));
	write_all(w, hdr, sizeof(hdr));
	write_all(w, w->zbuf, clen);
	sb_reset(&w->buf);
	w->last_flush_ns = now_ns();
	w->block_has_t0 = 0;
	/* The next block starts afresh: it defines again what it uses. */
	w->block++;
	if (w->meta.len)
		sb_add(&w->buf, w->meta.buf, w->meta.len);
	/* ... and its first sample's time and switch count are absolute. */
	w->last_time = 0;
	w->last_switch = 0;
	w->interval_us = UINT64_MAX;
}

/* A block ends after RAW_FLUSH_NS of wall time (so a killed gilspy loses
 * at most that) or of recorded time (so a file written by `report`, which
 * replays faster than real time, is cut into blocks as fine as the
 * recording it came from), or at block_target bytes. */
static void maybe_flush(struct raw_writer *w, uint64_t time_ns)
{
	if (!w->block_has_t0) {
		w->block_t0 = time_ns;
		w->block_has_t0 = 1;
	}
	if (w->buf.len >= w->block_target ||
	    now_ns() - w->last_flush_ns >= RAW_FLUSH_NS ||
	    time_ns - w->block_t0 >= RAW_FLUSH_NS)
		flush_block(w);
}

static struct raw_writer *writer_new(int fd, int own)
{
	struct raw_writer *w = xcalloc(1, sizeof(*w));
	unsigned char hdr[HEADER_LEN];

	w->fd = fd;
	w->own_fd = own;
	w->block = 1;
	w->block_target = BLOCK_TARGET;
	w->interval_us = UINT64_MAX;
	sb_init(&w->buf);
	sb_init(&w->meta);
	w->last_flush_ns = now_ns();
	memcpy(hdr, FILE_MAGIC, 8);
	put_u32le(hdr + 8, RAW_VERSION);
	put_u32le(hdr + 12, 0);
	write_all(w, hdr, sizeof(hdr));
	return w;
}

int raw_writer_open(const char *path, struct raw_writer **out)
{
	int fd;

	if (!strcmp(path, "-")) {
		*out = writer_new(1, 0);
		return 0;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	*out = writer_new(fd, 1);
	return 0;
}

struct raw_writer *raw_writer_fd(int fd)
{
	return writer_new(fd, 0);
}

void raw_writer_block_size(struct raw_writer *w, size_t bytes)
{
	w->block_target = bytes ? bytes : BLOCK_TARGET;
}

static void put_double(struct strbuf *sb, double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	put_varint(sb, bits);
}

static double get_double_bits(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

void raw_write_meta(struct raw_writer *w, const struct record_info *ri)
{
	struct strbuf *b = &w->meta;

	sb_reset(b);
	sb_addc(b, REC_META);
	put_varint(b, (uint64_t)(ri->pid > 0 ? ri->pid : 0));
	put_str(b, ri->python);
	put_str(b, ri->binary);
	put_str(b, ri->command);
	put_str(b, ri->cmdline);
	put_double(b, ri->requested_hz);
	put_varint(b, (uint64_t)!!ri->blocking);
	sb_add(&w->buf, b->buf, b->len);
}

/* The block-number slot of id in *arr, growing it; 1 when id was already
 * defined in the current block, else marks it and returns 0. */
static int defined_here(struct raw_writer *w, uint32_t **arr, size_t *n,
			uint32_t id)
{
	if (id >= *n) {
		size_t cap = *n ? *n : 256;

		while (cap <= id)
			cap *= 2;
		*arr = xrealloc(*arr, cap * sizeof(**arr));
		memset(*arr + *n, 0, (cap - *n) * sizeof(**arr));
		*n = cap;
	}
	if ((*arr)[id] == w->block)
		return 1;
	(*arr)[id] = w->block;
	return 0;
}

static void define_frame(struct raw_writer *w, const struct profile *p,
			 uint32_t id)
{
	const struct profile_frame *f;
	struct strbuf *b = &w->buf;

	if (defined_here(w, &w->frame_blk, &w->nframe_blk, id))
		return;
	f = profile_frame(p, id);
	sb_addc(b, REC_FRAME);
	put_varint(b, id);
	put_str(b, f ? f->name : NULL);
	put_str(b, f ? f->file : NULL);
	put_varint(b, (uint64_t)(f && f->line > 0 ? f->line : 0));
	put_varint(b, (uint64_t)(f && f->firstlineno > 0 ? f->firstlineno : 0));
}

static void define_thread(struct raw_writer *w, const struct profile *p,
			  uint32_t idx)
{
	const struct profile_thread *t;
	struct strbuf *b = &w->buf;

	if (idx >= profile_nthreads(p) ||
	    defined_here(w, &w->thread_blk, &w->nthread_blk, idx))
		return;
	t = profile_thread(p, idx);
	sb_addc(b, REC_THREAD);
	put_varint(b, idx);
	put_varint(b, (uint64_t)(t->tid > 0 ? t->tid : 0));
	put_varint(b, t->thread_id);
	put_str(b, t->name);
}

/* Define stack id and the ancestors not yet defined in this block, root
 * first (a parent always has a smaller id than its children). */
static void define_stack(struct raw_writer *w, const struct profile *p,
			 uint32_t id)
{
	struct strbuf *b = &w->buf;
	int n = 0;

	while (id && n <= PY_MAX_DEPTH &&
	       !defined_here(w, &w->stack_blk, &w->nstack_blk, id)) {
		w->chain[n++] = id;
		id = profile_stack_parent(p, id);
	}
	while (n--) {
		uint32_t s = w->chain[n], frame = profile_stack_frame(p, s);

		define_frame(w, p, frame);
		sb_addc(b, REC_STACK);
		put_varint(b, s);
		put_varint(b, profile_stack_parent(p, s));
		put_varint(b, frame);
	}
}

/* A thread renamed since it was defined is defined again. */
static void check_renames(struct raw_writer *w, const struct profile *p)
{
	if (w->names_gen != profile_names_generation(p)) {
		w->names_gen = profile_names_generation(p);
		if (w->nthread_blk)
			memset(w->thread_blk, 0,
			       w->nthread_blk * sizeof(*w->thread_blk));
	}
}

void raw_write_sample(struct raw_writer *w, const struct profile *p,
		      const struct py_sample *s)
{
	struct strbuf *b = &w->buf;
	int i, n = s->nthreads;
	unsigned flags;

	if (n < 0)
		n = 0;
	if (n > PY_MAX_THREADS)
		n = PY_MAX_THREADS;
	check_renames(w, p);
	for (i = 0; i < n; i++) {
		uint32_t stack = profile_last_stack(p, i);

		define_thread(w, p, profile_last_thread(p, i));
		if (stack != PROFILE_NO_STACK)
			define_stack(w, p, stack);
	}
	flags = (unsigned)(s->gil_locked + 1) & 3;
	if (s->interval_us != w->interval_us)
		flags |= 4;
	sb_addc(b, REC_SAMPLE);
	put_varint(b, s->time_ns - w->last_time);
	put_varint(b, flags);
	put_varint(b, zigzag((int64_t)(s->switch_number - w->last_switch)));
	if (flags & 4)
		put_varint(b, s->interval_us);
	put_varint(b, (uint64_t)(s->errors > 0 ? s->errors : 0));
	put_varint(b, (uint64_t)n);
	for (i = 0; i < n; i++) {
		const struct py_thread_sample *ts = &s->threads[i];
		uint32_t stack = profile_last_stack(p, i);

		put_varint(b, profile_last_thread(p, i));
		put_varint(b, ((uint64_t)ts->evidence << 3) |
			   ((uint64_t)ts->state & 7));
		sb_addc(b, ts->os_state ? ts->os_state : '?');
		put_varint(b, stack == PROFILE_NO_STACK ? 0 : (uint64_t)stack + 1);
	}
	w->last_time = s->time_ns;
	w->last_switch = s->switch_number;
	w->interval_us = s->interval_us;
	maybe_flush(w, s->time_ns);
}

void raw_write_failed(struct raw_writer *w, uint64_t time_ns)
{
	sb_addc(&w->buf, REC_FAILED);
	put_varint(&w->buf, time_ns - w->last_time);
	w->last_time = time_ns;
	maybe_flush(w, time_ns);
}

int raw_writer_close(struct raw_writer *w, const struct profile *p,
		     const struct record_info *ri)
{
	struct strbuf *b = &w->buf;
	int err;

	if (p) {
		size_t i, n = profile_nthreads(p);

		check_renames(w, p);
		for (i = 0; i < n; i++)
			define_thread(w, p, (uint32_t)i);
	}
	sb_addc(b, REC_END);
	put_varint(b, ri->wall_ns);
	put_str(b, ri->stopped_by);
	put_varint(b, ri->profiler_cpu_ns);
	put_varint(b, ri->missed_ticks);
	put_varint(b, (uint64_t)(ri->peak_rss_kb > 0 ? ri->peak_rss_kb : 0));
	put_varint(b, zigzag(ri->exit_code));
	flush_block(w);
	if (w->own_fd && close(w->fd) && !w->err)
		w->err = errno;
	err = w->err;
	sb_release(&w->buf);
	sb_release(&w->meta);
	free(w->thread_blk);
	free(w->stack_blk);
	free(w->frame_blk);
	free(w->zbuf);
	free(w);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

/* --- reader -------------------------------------------------------------- */

struct rd_thread {
	pid_t tid;
	uint64_t thread_id;
	char *name;
	int defined;
};

struct rd_stack {
	uint32_t parent, frame;
	int defined;
};

struct reader {
	struct raw_replay *rp;
	struct profile *prof;
	struct py_sample *s;
	raw_sample_fn on_sample;
	raw_failed_fn on_failed;
	void *ctx;

	struct rd_thread *threads;
	size_t nthreads;
	struct py_frame_info *frames;	/* dense, in order of definition */
	size_t nframes, aframes;
	struct u64map frame_index;	/* frame id + 1 -> index in frames */
	size_t threads_defined, stacks_defined;
	struct rd_stack *stacks;
	size_t nstacks;
	struct strpool strs;

	uint64_t time, sw, interval;
	int ended;
	/* A thread defined again under a new name (Python named it after it
	 * was first seen): the next sample's threads are renamed in the
	 * profile, so what is written from the replay (a raw copy) follows
	 * the renames as the recording did.  Bounded against a file that
	 * renames on every sample; the final names are set at the end. */
	int renamed;
	unsigned rename_refreshes;
};

#define MAX_RENAME_REFRESHES 4096

/* A cursor over one block's records. */
struct cur {
	const unsigned char *p, *end;
	int bad;
};

static uint64_t get_varint(struct cur *c)
{
	uint64_t v = 0;
	int shift = 0;

	while (c->p < c->end && shift < 64) {
		unsigned char b = *c->p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
		shift += 7;
	}
	c->bad = 1;
	return 0;
}

static int get_byte(struct cur *c)
{
	if (c->p >= c->end) {
		c->bad = 1;
		return 0;
	}
	return *c->p++;
}

/* A pooled copy of the next string; NULL when absent (or bad). */
static const char *get_str(struct reader *r, struct cur *c)
{
	uint64_t n = get_varint(c);
	const char *s;

	if (c->bad || !n)
		return NULL;
	n--;
	if (n > MAX_STR || n > (uint64_t)(c->end - c->p)) {
		c->bad = 1;
		return NULL;
	}
	s = strpool_intern(&r->strs, (const char *)c->p, (size_t)n);
	c->p += n;
	return s;
}

static void *grow_to(void *arr, size_t *n, size_t want, size_t size)
{
	size_t cap = *n ? *n : 64;

	if (want < *n)
		return arr;
	while (cap <= want)
		cap *= 2;
	arr = xrealloc(arr, cap * size);
	memset((char *)arr + *n * size, 0, (cap - *n) * size);
	*n = cap;
	return arr;
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

static void read_meta(struct reader *r, struct cur *c)
{
	struct record_info *ri = &r->rp->ri;
	const char *s;

	ri->pid = (pid_t)get_varint(c);
	/* The pooled strings live as long as the replay. */
	s = get_str(r, c); ri->python = s;
	s = get_str(r, c); ri->binary = s;
	s = get_str(r, c); ri->command = s;
	s = get_str(r, c); ri->cmdline = s;
	ri->requested_hz = get_double_bits(get_varint(c));
	ri->blocking = get_varint(c) != 0;
	if (!(ri->requested_hz > 0 && ri->requested_hz < 1e7))
		ri->requested_hz = 0;
}

static void read_thread(struct reader *r, struct cur *c)
{
	uint64_t idx = get_varint(c);
	uint64_t tid = get_varint(c), id = get_varint(c);
	const char *name = get_str(r, c);
	struct rd_thread *t;

	if (c->bad || idx >= MAX_IDS || tid > 0x7fffffff ||
	    idx > 2 * r->threads_defined + ID_SLACK) {
		c->bad = 1;
		return;
	}
	r->threads = grow_to(r->threads, &r->nthreads, idx, sizeof(*r->threads));
	t = &r->threads[idx];
	if (!t->defined)
		r->threads_defined++;
	if (t->defined && t->tid == (pid_t)tid && t->thread_id == id &&
	    name && (!t->name || strcmp(t->name, name)))
		r->renamed = 1;
	t->tid = (pid_t)tid;
	t->thread_id = id;
	free(t->name);
	t->name = dup_or_null(name);
	t->defined = 1;
}

static void read_frame(struct reader *r, struct cur *c)
{
	uint64_t id = get_varint(c);
	const char *name = get_str(r, c), *file = get_str(r, c);
	uint64_t line = get_varint(c), first = get_varint(c);
	struct py_frame_info *f;
	uint32_t at;

	if (c->bad || id >= MAX_IDS || line > 0x7fffffff || first > 0x7fffffff) {
		c->bad = 1;
		return;
	}
	/* Frame ids are the target's and may be sparse: indexed, not an
	 * array by id. */
	if (!u64map_get(&r->frame_index, id + 1, &at)) {
		if (r->nframes == r->aframes) {
			r->aframes = r->aframes ? 2 * r->aframes : 256;
			r->frames = xrealloc(r->frames,
					     r->aframes * sizeof(*r->frames));
		}
		at = (uint32_t)r->nframes++;
		u64map_put(&r->frame_index, id + 1, at);
	}
	f = &r->frames[at];
	f->name = name ? name : "???";
	f->filename = file ? file : "???";
	f->line = (int)line;
	f->firstlineno = (int)first;
}

static void read_stack(struct reader *r, struct cur *c)
{
	uint64_t id = get_varint(c), parent = get_varint(c);
	uint64_t frame = get_varint(c);

	/* A parent always comes before its children: no cycles. */
	if (c->bad || !id || id >= MAX_IDS || parent >= id || frame >= MAX_IDS ||
	    id > 2 * r->stacks_defined + ID_SLACK) {
		c->bad = 1;
		return;
	}
	r->stacks = grow_to(r->stacks, &r->nstacks, id, sizeof(*r->stacks));
	if (!r->stacks[id].defined)
		r->stacks_defined++;
	r->stacks[id].parent = (uint32_t)parent;
	r->stacks[id].frame = (uint32_t)frame;
	r->stacks[id].defined = 1;
}

/* Frames of stack id, innermost first, into the sample's pool; -1 when a
 * node on the way is undefined. */
static int unwind(struct reader *r, uint32_t id, struct py_thread_sample *ts)
{
	struct py_sample *s = r->s;
	int n = 0;

	ts->frames = s->pool + s->pool_used;
	while (id) {
		if (id >= r->nstacks || !r->stacks[id].defined)
			return -1;
		if (n == PY_MAX_DEPTH ||
		    s->pool_used + n >= (int)ARRAY_SIZE(s->pool)) {
			ts->incomplete = 1;
			break;
		}
		ts->frames[n++] = r->stacks[id].frame;
		id = r->stacks[id].parent;
	}
	ts->nframes = n;
	s->pool_used += n;
	return 0;
}

static void read_sample(struct reader *r, struct cur *c)
{
	struct py_sample *s = r->s;
	uint64_t dt = get_varint(c), flags = get_varint(c);
	uint64_t dsw = get_varint(c), n, i;
	int kept = 0;

	if (flags & 4)
		r->interval = get_varint(c);
	s->time_ns = r->time + dt;
	s->gil_locked = (int)(flags & 3) - 1;
	s->gil_holder = 0;
	s->switch_number = r->sw + (uint64_t)unzigzag(dsw);
	s->interval_us = r->interval;
	s->errors = (int)(get_varint(c) & 0xffff);
	n = get_varint(c);
	s->pool_used = 0;
	if (c->bad || n > PY_MAX_THREADS) {
		c->bad = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		struct py_thread_sample *ts = &s->threads[kept];
		uint64_t idx = get_varint(c), se = get_varint(c);
		int os = get_byte(c);
		uint64_t stack = get_varint(c);

		if (c->bad)
			return;
		memset(ts, 0, sizeof(*ts));
		if (idx >= r->nthreads || !r->threads[idx].defined ||
		    (se & 7) >= GIL_NSTATES || (se >> 3) >= EV_NSTATES) {
			r->rp->unknown_refs++;
			continue;
		}
		ts->tid = r->threads[idx].tid;
		ts->thread_id = r->threads[idx].thread_id;
		ts->state = (enum gil_state)(se & 7);
		ts->evidence = (enum gil_evidence)(se >> 3);
		ts->os_state = (char)os;
		if (!stack) {
			ts->incomplete = 1;
		} else if (stack - 1 >= MAX_IDS ||
			   unwind(r, (uint32_t)(stack - 1), ts)) {
			r->rp->unknown_refs++;
			continue;
		}
		kept++;
	}
	s->nthreads = kept;
	r->time = s->time_ns;
	r->sw = s->switch_number;
	profile_add(r->prof, s);
	if (r->renamed && r->rename_refreshes < MAX_RENAME_REFRESHES) {
		profile_refresh_names(r->prof, 0);
		r->rename_refreshes++;
		r->renamed = 0;
	}
	r->rp->samples++;
	if (r->on_sample)
		r->on_sample(r->ctx, r->prof, s);
}

static void read_failed(struct reader *r, struct cur *c)
{
	uint64_t t = r->time + get_varint(c);

	if (c->bad)
		return;
	r->time = t;
	profile_add_failed(r->prof, t);
	r->rp->failed++;
	if (r->on_failed)
		r->on_failed(r->ctx, t);
}

static void read_end(struct reader *r, struct cur *c)
{
	struct record_info *ri = &r->rp->ri;

	ri->wall_ns = get_varint(c);
	ri->stopped_by = get_str(r, c);
	ri->profiler_cpu_ns = get_varint(c);
	ri->missed_ticks = get_varint(c);
	ri->peak_rss_kb = (long)(get_varint(c) & 0x7fffffffffffull);
	ri->exit_code = (int)unzigzag(get_varint(c));
	if (!c->bad)
		r->ended = 1;
}

/* Replay one decompressed block; -1 when a record in it was malformed. */
static int read_records(struct reader *r, const unsigned char *data, size_t len)
{
	struct cur c = { data, data + len, 0 };

	/* Times and switch counts are deltas within a block only. */
	r->time = 0;
	r->sw = 0;

	while (c.p < c.end && !c.bad) {
		int type = *c.p++;

		switch (type) {
		case REC_META: read_meta(r, &c); break;
		case REC_THREAD: read_thread(r, &c); break;
		case REC_FRAME: read_frame(r, &c); break;
		case REC_STACK: read_stack(r, &c); break;
		case REC_SAMPLE: read_sample(r, &c); break;
		case REC_FAILED: read_failed(r, &c); break;
		case REC_END: read_end(r, &c); break;
		default: c.bad = 1; break;
		}
	}
	return c.bad ? -1 : 0;
}

static const struct py_frame_info *rd_frame(void *ctx, uint32_t id)
{
	struct reader *r = ctx;
	uint32_t at;

	return u64map_get(&r->frame_index, (uint64_t)id + 1, &at) ?
		&r->frames[at] : NULL;
}

static const char *rd_thread_name(void *ctx, pid_t tid, uint64_t thread_id)
{
	struct reader *r = ctx;
	size_t i;

	for (i = 0; i < r->nthreads; i++)
		if (r->threads[i].defined && r->threads[i].tid == tid &&
		    r->threads[i].thread_id == thread_id)
			return r->threads[i].name;
	return NULL;
}

/* Read a whole file (or stdin) into memory. */
static int slurp(const char *path, unsigned char **data, size_t *len,
		 struct strbuf *why)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	struct strbuf sb = STRBUF_INIT;
	struct stat st;

	if (fd < 0) {
		sb_addf(why, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	if (!fstat(fd, &st) && S_ISDIR(st.st_mode)) {
		sb_addf(why, "'%s' is a directory, not a raw recording", path);
		close(fd);
		return -1;
	}
	for (;;) {
		ssize_t n;

		sb_grow(&sb, 1 << 16);
		n = read(fd, sb.buf + sb.len, sb.alloc - sb.len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sb_addf(why, "cannot read '%s': %s", path, strerror(errno));
			if (fd)
				close(fd);
			sb_release(&sb);
			return -1;
		}
		if (!n)
			break;
		sb.len += (size_t)n;
		sb.buf[sb.len] = 0;
	}
	if (fd)
		close(fd);
	*len = sb.len;
	*data = (unsigned char *)sb_detach(&sb);
	return 0;
}

/* Offset of the next block magic at or after from, or len. */
static size_t resync(const unsigned char *d, size_t len, size_t from)
{
	for (; from + 4 <= len; from++)
		if (!memcmp(d + from, BLOCK_MAGIC, 4))
			return from;
	return len;
}

static void problem(struct raw_replay *rp, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct raw_replay *rp, const char *fmt, ...)
{
	va_list ap;
	char line[512];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sb_addf(&rp->problems, "%s\n", line);
}

static void read_blocks(struct reader *r, const unsigned char *d, size_t len)
{
	struct raw_replay *rp = r->rp;
	size_t off = HEADER_LEN;
	unsigned char *ubuf = NULL;

	while (off < len) {
		uint32_t ulen, clen, crc;
		uLongf got;
		size_t next;

		if (len - off < BLOCK_HEADER_LEN ||
		    memcmp(d + off, BLOCK_MAGIC, 4)) {
			if (len - off < BLOCK_HEADER_LEN &&
			    !memcmp(d + off, BLOCK_MAGIC, len - off < 4 ? len - off : 4)) {
				problem(rp, "the file ends inside a block header at "
					"byte %zu: it was cut short", off);
				rp->lost_bytes += len - off;
				break;
			}
			next = resync(d, len, off + 1);
			problem(rp, "bytes %zu-%zu are not a block: skipped", off,
				next - 1);
			rp->bad_blocks++;
			rp->lost_bytes += next - off;
			off = next;
			continue;
		}
		ulen = get_u32le(d + off + 4);
		clen = get_u32le(d + off + 8);
		crc = get_u32le(d + off + 12);
		if (clen > len - off - BLOCK_HEADER_LEN) {
			problem(rp, "the file ends inside the block at byte %zu "
				"(%zu of its %u bytes are there): it was cut short",
				off, len - off - BLOCK_HEADER_LEN, clen);
			rp->lost_bytes += len - off;
			break;
		}
		next = off + BLOCK_HEADER_LEN + clen;
		free(ubuf);
		ubuf = ulen <= BLOCK_MAX ? xmalloc(ulen ? ulen : 1) : NULL;
		got = ulen;
		if (!ubuf ||
		    uncompress(ubuf, &got, d + off + BLOCK_HEADER_LEN, clen) != Z_OK ||
		    got != ulen ||
		    (uint32_t)crc32(0, ubuf, (uInt)ulen) != crc) {
			problem(rp, "the block at byte %zu is damaged (bad size, "
				"data or checksum): skipped", off);
			rp->bad_blocks++;
			rp->lost_bytes += next - off;
			off = resync(d, len, off + 1);
			continue;
		}
		if (read_records(r, ubuf, ulen)) {
			problem(rp, "the block at byte %zu holds a malformed "
				"record: the rest of it was skipped", off);
			rp->bad_blocks++;
		}
		off = next;
	}
	free(ubuf);
}

int raw_replay(const char *path, struct raw_replay *rp, struct profile **prof,
	       raw_sample_fn on_sample, raw_failed_fn on_failed, void *ctx)
{
	struct profile_resolver res = { rd_frame, rd_thread_name, NULL };
	struct reader *r;
	unsigned char *d = NULL;
	size_t len = 0;

	memset(rp, 0, sizeof(*rp));
	sb_init(&rp->problems);
	rp->ri.exit_code = -1;
	*prof = NULL;
	if (slurp(path, &d, &len, &rp->problems))
		return -1;
	if (len < HEADER_LEN || memcmp(d, FILE_MAGIC, 8)) {
		sb_addf(&rp->problems, "'%s' is not a gilspy raw recording "
			"(record one with 'gilspy record -o FILE.gilspy')", path);
		free(d);
		return -1;
	}
	rp->version = get_u32le(d + 8);
	if (rp->version != RAW_VERSION) {
		sb_addf(&rp->problems, "'%s' is a raw recording of format "
			"version %u; this gilspy reads version %u (use the "
			"gilspy that recorded it)", path, rp->version,
			RAW_VERSION);
		free(d);
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	rp->priv = r;
	r->rp = rp;
	r->s = xcalloc(1, sizeof(*r->s));
	r->on_sample = on_sample;
	r->on_failed = on_failed;
	r->ctx = ctx;
	strpool_init(&r->strs);
	u64map_init(&r->frame_index);
	res.ctx = r;
	r->prof = profile_new(&res);
	read_blocks(r, d, len);
	free(d);
	/* Names redefined later in the file (a thread Python named after
	 * it was first seen) replace the first ones. */
	profile_refresh_names(r->prof, 1);
	if (rp->unknown_refs)
		problem(rp, "%llu thread entries named threads or stacks defined "
			"in a lost block: dropped",
			(unsigned long long)rp->unknown_refs);
	if (!r->ended) {
		rp->truncated = 1;
		problem(rp, "no end record: the recording was cut off (gilspy "
			"killed, or the file truncated); %llu samples read",
			(unsigned long long)rp->samples);
	}
	*prof = r->prof;
	return rp->problems.len ? 1 : 0;
}

void raw_replay_release(struct raw_replay *rp)
{
	struct reader *r = rp->priv;
	size_t i;

	if (r) {
		for (i = 0; i < r->nthreads; i++)
			free(r->threads[i].name);
		free(r->threads);
		free(r->frames);
		u64map_release(&r->frame_index);
		free(r->stacks);
		free(r->s);
		strpool_release(&r->strs);
		free(r);
	}
	sb_release(&rp->problems);
	rp->priv = NULL;
}
