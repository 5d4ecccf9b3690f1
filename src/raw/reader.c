/*
 * reader.c - replay a raw recording (.gilspy) into a profile; the format is
 * described in include/gilspy/raw.h, its bytes in codec.h.
 *
 * The reader trusts nothing: every length, count and id is bounded, a
 * block whose checksum or decompression fails is skipped with the reader
 * resynchronising on the next block magic, and a sample naming an
 * undefined thread or stack loses that thread's entry, not the sample.
 *
 * Each process of a version-2 file is its own id space with its own
 * profile (struct space); a version-1 file is one space.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reader.h"

/* A pooled copy of the next string; NULL when absent (or bad). */
const char *rd_get_str(struct reader *r, struct raw_cur *c)
{
	uint64_t n = raw_get_varint(c);
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

void *rd_grow_to(void *arr, size_t *n, size_t want, size_t size)
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

static void read_meta(struct reader *r, struct raw_cur *c)
{
	struct record_info *ri = &r->rp->ri;
	const char *s;

	ri->pid = (pid_t)raw_get_varint(c);
	/* The pooled strings live as long as the replay. */
	s = rd_get_str(r, c); ri->python = s;
	s = rd_get_str(r, c); ri->binary = s;
	s = rd_get_str(r, c); ri->command = s;
	s = rd_get_str(r, c); ri->cmdline = s;
	ri->requested_hz = raw_double_bits(raw_get_varint(c));
	ri->blocking = raw_get_varint(c) != 0;
	if (!(ri->requested_hz > 0 && ri->requested_hz < 1e7))
		ri->requested_hz = 0;
}

static void read_thread(struct reader *r, struct raw_cur *c)
{
	struct space *sp = r->sp;
	uint64_t idx = raw_get_varint(c);
	uint64_t tid = raw_get_varint(c), id = raw_get_varint(c);
	const char *name = rd_get_str(r, c);
	struct rd_thread *t;

	if (c->bad || idx >= MAX_IDS || tid > 0x7fffffff ||
	    idx > 2 * sp->threads_defined + ID_SLACK) {
		c->bad = 1;
		return;
	}
	sp->threads = rd_grow_to(sp->threads, &sp->nthreads, idx,
				 sizeof(*sp->threads));
	t = &sp->threads[idx];
	if (!t->defined)
		sp->threads_defined++;
	if (t->defined && t->tid == (pid_t)tid && t->thread_id == id &&
	    name && (!t->name || strcmp(t->name, name)))
		sp->renamed = 1;
	t->tid = (pid_t)tid;
	t->thread_id = id;
	free(t->name);
	t->name = dup_or_null(name);
	t->defined = 1;
}

/* The slot of frame id (id < MAX_IDS) in the current process, made when
 * new.  Frame ids are the target's and may be sparse: indexed, not an
 * array by id. */
static struct py_frame_info *frame_slot(struct space *sp, uint64_t id)
{
	uint32_t at;

	if (!u64map_get(&sp->frame_index, id + 1, &at)) {
		if (sp->nframes == sp->aframes) {
			sp->aframes = sp->aframes ? 2 * sp->aframes : 256;
			sp->frames = xrealloc(sp->frames, sp->aframes *
					      sizeof(*sp->frames));
		}
		at = (uint32_t)sp->nframes++;
		u64map_put(&sp->frame_index, id + 1, at);
	}
	memset(&sp->frames[at], 0, sizeof(sp->frames[at]));
	return &sp->frames[at];
}

static void read_frame(struct reader *r, struct raw_cur *c)
{
	uint64_t id = raw_get_varint(c);
	const char *name = rd_get_str(r, c), *file = rd_get_str(r, c);
	uint64_t line = raw_get_varint(c), first = raw_get_varint(c);
	struct py_frame_info *f;

	if (c->bad || id >= MAX_IDS || line > 0x7fffffff || first > 0x7fffffff) {
		c->bad = 1;
		return;
	}
	f = frame_slot(r->sp, id);
	f->name = name ? name : "???";
	f->filename = file ? file : "???";
	f->line = (int)line;
	f->firstlineno = (int)first;
	/* a code object's first line is never 0; --native's C frames have
	 * no lines at all */
	f->native = !line && !first;
}

static void read_object(struct reader *r, struct raw_cur *c)
{
	struct space *sp = r->sp;
	uint64_t id = raw_get_varint(c);
	const char *path = rd_get_str(r, c), *build_id = rd_get_str(r, c);
	uint64_t start = raw_get_varint(c), limit = raw_get_varint(c);
	uint64_t offset = raw_get_varint(c);
	struct py_native_object *o;

	if (c->bad || id >= MAX_OBJECTS || !path || limit < start) {
		c->bad = 1;
		return;
	}
	sp->objects = rd_grow_to(sp->objects, &sp->nobjects, id,
				 sizeof(*sp->objects));
	if (!sp->objects[id])
		sp->objects[id] = xcalloc(1, sizeof(*sp->objects[id]));
	o = sp->objects[id];
	o->path = path;
	o->build_id = build_id;
	o->start = start;
	o->limit = limit;
	o->offset = offset;
}

static void read_native(struct reader *r, struct raw_cur *c)
{
	struct space *sp = r->sp;
	uint64_t id = raw_get_varint(c);
	const char *name = rd_get_str(r, c), *file = rd_get_str(r, c);
	uint64_t addr = raw_get_varint(c), object = raw_get_varint(c);
	struct py_frame_info *f;

	if (c->bad || id >= MAX_IDS || object > MAX_OBJECTS) {
		c->bad = 1;
		return;
	}
	f = frame_slot(sp, id);
	f->name = name ? name : "???";
	f->filename = file ? file : "???";
	f->native = 1;
	f->addr = addr;
	/* an object lost with a damaged block leaves the frame without its
	 * mapping, not the sample without the frame */
	if (object && object - 1 < sp->nobjects)
		f->object = sp->objects[object - 1];
}

static void read_stack(struct reader *r, struct raw_cur *c)
{
	struct space *sp = r->sp;
	uint64_t id = raw_get_varint(c), parent = raw_get_varint(c);
	uint64_t frame = raw_get_varint(c);

	/* A parent always comes before its children: no cycles. */
	if (c->bad || !id || id >= MAX_IDS || parent >= id || frame >= MAX_IDS ||
	    id > 2 * sp->stacks_defined + ID_SLACK) {
		c->bad = 1;
		return;
	}
	sp->stacks = rd_grow_to(sp->stacks, &sp->nstacks, id,
				sizeof(*sp->stacks));
	if (!sp->stacks[id].defined)
		sp->stacks_defined++;
	sp->stacks[id].parent = (uint32_t)parent;
	sp->stacks[id].frame = (uint32_t)frame;
	sp->stacks[id].defined = 1;
}

/* Frames of stack id, innermost first, into the sample's pool; -1 when a
 * node on the way is undefined. */
static int unwind(struct reader *r, uint32_t id, struct py_thread_sample *ts)
{
	const struct space *sp = r->sp;
	struct py_sample *s = r->s;
	int n = 0;

	ts->frames = s->pool + s->pool_used;
	while (id) {
		if (id >= sp->nstacks || !sp->stacks[id].defined)
			return -1;
		if (n == PY_MAX_DEPTH ||
		    s->pool_used + n >= (int)ARRAY_SIZE(s->pool)) {
			ts->incomplete = 1;
			break;
		}
		ts->frames[n++] = sp->stacks[id].frame;
		id = sp->stacks[id].parent;
	}
	ts->nframes = n;
	s->pool_used += n;
	return 0;
}

/* The record_process of the space records go to, NULL in a file of one
 * process. */
static const struct record_process *proc_of(const struct space *sp)
{
	return sp->declared ? &sp->info : NULL;
}

static void read_sample(struct reader *r, struct raw_cur *c)
{
	struct space *sp = r->sp;
	struct py_sample *s = r->s;
	uint64_t dt = raw_get_varint(c), flags = raw_get_varint(c);
	uint64_t dsw = raw_get_varint(c), n, i;
	int kept = 0;

	if (flags & 4)
		sp->interval = raw_get_varint(c);
	s->time_ns = sp->time + dt;
	s->gil_locked = (int)(flags & 3) - 1;
	s->gil_holder = 0;
	s->switch_number = sp->sw + (uint64_t)raw_unzigzag(dsw);
	s->interval_us = sp->interval;
	s->errors = (int)(raw_get_varint(c) & 0xffff);
	n = raw_get_varint(c);
	s->pool_used = 0;
	if (c->bad || n > PY_MAX_THREADS) {
		c->bad = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		struct py_thread_sample *ts = &s->threads[kept];
		uint64_t idx = raw_get_varint(c), se = raw_get_varint(c);
		int os = raw_get_byte(c);
		uint64_t stack = raw_get_varint(c);

		if (c->bad)
			return;
		memset(ts, 0, sizeof(*ts));
		if (idx >= sp->nthreads || !sp->threads[idx].defined ||
		    (se & 7) >= GIL_NSTATES || (se >> 3) >= EV_NSTATES) {
			r->rp->unknown_refs++;
			continue;
		}
		ts->tid = sp->threads[idx].tid;
		ts->thread_id = sp->threads[idx].thread_id;
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
	sp->time = s->time_ns;
	sp->sw = s->switch_number;
	profile_add(sp->prof, s);
	if (sp->renamed && sp->rename_refreshes < MAX_RENAME_REFRESHES) {
		profile_refresh_names(sp->prof, 0);
		sp->rename_refreshes++;
		sp->renamed = 0;
	}
	r->rp->samples++;
	if (r->on_sample)
		r->on_sample(r->ctx, proc_of(sp), sp->prof, s);
}

static void read_failed(struct reader *r, struct raw_cur *c)
{
	struct space *sp = r->sp;
	uint64_t t = sp->time + raw_get_varint(c);

	if (c->bad)
		return;
	sp->time = t;
	profile_add_failed(sp->prof, t);
	r->rp->failed++;
	if (r->on_failed)
		r->on_failed(r->ctx, proc_of(sp), t);
}

static void read_end(struct reader *r, struct raw_cur *c)
{
	struct record_info *ri = &r->rp->ri;

	ri->wall_ns = raw_get_varint(c);
	ri->stopped_by = rd_get_str(r, c);
	ri->profiler_cpu_ns = raw_get_varint(c);
	ri->missed_ticks = raw_get_varint(c);
	ri->peak_rss_kb = (long)(raw_get_varint(c) & 0x7fffffffffffull);
	ri->exit_code = (int)raw_unzigzag(raw_get_varint(c));
	if (!c->bad)
		r->ended = 1;
}

/* Replay one decompressed block; -1 when a record in it was malformed. */
static int read_records(struct reader *r, const unsigned char *data, size_t len)
{
	struct raw_cur c = { data, data + len, 0 };
	size_t i;

	/* Times and switch counts are deltas within a block only, and
	 * records are the first process's until a WITH says otherwise. */
	for (i = 0; i < r->nspaces; i++) {
		if (r->spaces[i]) {
			r->spaces[i]->time = 0;
			r->spaces[i]->sw = 0;
		}
	}
	r->sp = r->spaces[0];

	while (c.p < c.end && !c.bad) {
		int type = *c.p++;

		switch (type) {
		case REC_META: read_meta(r, &c); break;
		case REC_THREAD: read_thread(r, &c); break;
		case REC_FRAME: read_frame(r, &c); break;
		case REC_NATIVE: read_native(r, &c); break;
		case REC_OBJECT: read_object(r, &c); break;
		case REC_STACK: read_stack(r, &c); break;
		case REC_SAMPLE: read_sample(r, &c); break;
		case REC_FAILED: read_failed(r, &c); break;
		case REC_END: read_end(r, &c); break;
		case REC_PROC: rd_read_proc(r, &c); break;
		case REC_WITH: rd_read_with(r, &c); break;
		case REC_ORDER: rd_read_order(r, &c); break;
		default: c.bad = 1; break;
		}
	}
	return c.bad ? -1 : 0;
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
		struct raw_block b;
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
			next = raw_resync(d, len, off + 1);
			problem(rp, "bytes %zu-%zu are not a block: skipped", off,
				next - 1);
			rp->bad_blocks++;
			rp->lost_bytes += next - off;
			off = next;
			continue;
		}
		raw_block_header(d + off, &b);
		if (b.clen > len - off - BLOCK_HEADER_LEN) {
			problem(rp, "the file ends inside the block at byte %zu "
				"(%zu of its %u bytes are there): it was cut short",
				off, len - off - BLOCK_HEADER_LEN, b.clen);
			rp->lost_bytes += len - off;
			break;
		}
		next = off + BLOCK_HEADER_LEN + b.clen;
		free(ubuf);
		if (raw_block_unseal(&b, d + off + BLOCK_HEADER_LEN, &ubuf) < 0) {
			problem(rp, "the block at byte %zu is damaged (bad size, "
				"data or checksum): skipped", off);
			rp->bad_blocks++;
			rp->lost_bytes += next - off;
			off = raw_resync(d, len, off + 1);
			continue;
		}
		if (read_records(r, ubuf, b.ulen)) {
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
	struct reader *r;
	unsigned char *d = NULL;
	size_t len = 0, i;

	memset(rp, 0, sizeof(*rp));
	sb_init(&rp->problems);
	rp->ri.exit_code = -1;
	*prof = NULL;
	if (slurp(path, &d, &len, &rp->problems))
		return -1;
	if (!len) {
		/* the header goes out with the first block: a gilspy killed
		 * before that (its first second or so) leaves nothing */
		sb_addf(&rp->problems, "'%s' is empty: the recording was cut "
			"off before its first block was written", path);
		free(d);
		return -1;
	}
	if (len < HEADER_LEN || memcmp(d, FILE_MAGIC, 8)) {
		sb_addf(&rp->problems, "'%s' is not a gilspy raw recording "
			"(record one with 'gilspy record -o FILE.gilspy')", path);
		free(d);
		return -1;
	}
	rp->version = raw_get_u32le(d + 8);
	if (rp->version != RAW_VERSION && rp->version != RAW_VERSION_ONE) {
		sb_addf(&rp->problems, "'%s' is a raw recording of format "
			"version %u; this gilspy reads versions %u and %u (use "
			"the gilspy that recorded it)", path, rp->version,
			RAW_VERSION_ONE, RAW_VERSION);
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
	{
		struct raw_cur c0 = { NULL, NULL, 0 };

		rd_space_at(r, &c0, 0);
	}
	read_blocks(r, d, len);
	free(d);
	/* Names redefined later in the file (a thread Python named after
	 * it was first seen) replace the first ones. */
	for (i = 0; i < r->nspaces; i++)
		if (r->spaces[i])
			profile_refresh_names(r->spaces[i]->prof, 1);
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
	*prof = rd_gather(r);
	return rp->problems.len ? 1 : 0;
}

void raw_replay_release(struct raw_replay *rp)
{
	struct reader *r = rp->priv;
	size_t i;

	if (r) {
		for (i = 0; i < r->nspaces; i++)
			rd_space_free(r->spaces[i]);
		free(r->spaces);
		free(r->order);
		free(r->procs);
		free(r->s);
		strpool_release(&r->strs);
		free(r);
	}
	sb_release(&rp->problems);
	rp->priv = NULL;
}
