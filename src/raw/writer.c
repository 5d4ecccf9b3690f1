/*
 * writer.c - write a raw recording (.gilspy); the format is described in
 * include/gilspy/raw.h, its bytes in codec.h.
 *
 * The writer follows the profile: a sample is written after profile_add()
 * interned it, so the profile's thread indices and stack ids are the
 * file's.  Each block defines the threads, stack nodes and frames its own
 * samples use (root first; a node's parent always has a smaller id) and
 * starts its times and switch counts from zero, so a block can be read
 * without any other: damage costs the samples of one block, not the rest
 * of the file.
 *
 * A recording of a process tree (-s) is format version 2: every process
 * has its own profile, so its own thread, stack and frame ids.  A PROC
 * record says who a process is (and is repeated in each block that uses
 * it), a WITH record says which process the records after it belong to,
 * and each process keeps its own time and switch-count deltas.  At the
 * end, every process again (final figures, those never sampled with why)
 * and ORDER, the order of record_info.procs.  A recording of one process
 * writes none of them and stays version 1, byte for byte.  The header is
 * written with the first block, when the version is known.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec.h"
#include "gilspy/hashmap.h"

#define BLOCK_TARGET (256u * 1024)	/* flush when this much is pending */

/* What the writer keeps per process (one, without processes): what its
 * samples' ids refer to is defined per block and per process. */
struct wproc {
	const struct profile *p;	/* identity (NULL: the only one) */
	struct strbuf rec;		/* its PROC record */
	char *binary;			/* as first given (the end's
					   record_info may not know it) */
	uint64_t stopped_ticks;		/* as rec says */
	size_t idx;			/* its index in the writer */
	uint32_t block;			/* rec written in this block */
	uint32_t names_gen;		/* the profile's, when threads were */
	uint32_t *thread_blk, *stack_blk, *frame_blk, *object_blk;
	size_t nthread_blk, nstack_blk, nframe_blk, nobject_blk;
	uint64_t last_time, last_switch, interval_us;
};

struct raw_writer {
	int fd, own_fd;
	int tree;			/* processes: version 2 */
	int header_done;
	int err;			/* first errno of a failed write */
	off_t good;			/* bytes written up to the last whole
					   block (the header, at first) */
	struct strbuf buf;		/* records not yet in a block */
	struct strbuf meta;		/* the META record, repeated per block */
	uint64_t last_flush_ns;
	uint64_t block_t0;		/* first sample time in the block */
	int block_has_t0;
	/* Every block defines what its samples use, so any block can be
	 * read without the others: an id is defined in the current block
	 * when its entry equals block (0: never). */
	uint32_t block;
	struct wproc **procs;		/* nprocs, by process index */
	size_t nprocs;
	struct u64map by_prof;		/* profile address -> index */
	struct wproc *wp;		/* the process being written */
	size_t cur;			/* index the last WITH said (SIZE_MAX:
					   none yet in this block) */
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

/* A failed write (disk full) leaves part of a block: cut the file back to
 * the last whole one, so what reached the disk reads cleanly (a recording
 * without its END record) instead of ending in a damaged block.  Only a
 * regular file we opened can be cut; a pipe or a terminal keeps what went
 * through. */
static void cut_back(struct raw_writer *w)
{
	struct stat st;

	if (w->own_fd && !fstat(w->fd, &st) && S_ISREG(st.st_mode) &&
	    !ftruncate(w->fd, w->good))
		lseek(w->fd, w->good, SEEK_SET);
}

/* The file header, before the first block: by then the writer knows
 * whether the recording has processes (version 2) or not. */
static void write_header(struct raw_writer *w)
{
	unsigned char hdr[HEADER_LEN];

	w->header_done = 1;
	memcpy(hdr, FILE_MAGIC, 8);
	raw_put_u32le(hdr + 8, w->tree ? RAW_VERSION : RAW_VERSION_ONE);
	raw_put_u32le(hdr + 12, 0);
	write_all(w, hdr, sizeof(hdr));
	if (!w->err)
		w->good = sizeof(hdr);
	else
		cut_back(w);
}

static void flush_block(struct raw_writer *w)
{
	unsigned char hdr[BLOCK_HEADER_LEN];
	size_t clen, i;
	int had_err;

	if (!w->header_done)
		write_header(w);
	had_err = w->err;
	if (!w->buf.len)
		return;
	if (raw_block_seal(&w->buf, hdr, &w->zbuf, &w->zcap, &clen) < 0) {
		if (!w->err)
			w->err = ENOMEM;
		sb_reset(&w->buf);
		return;
	}
	write_all(w, hdr, sizeof(hdr));
	write_all(w, w->zbuf, clen);
	if (!w->err)
		w->good += (off_t)(sizeof(hdr) + clen);
	else if (!had_err)
		cut_back(w);
	sb_reset(&w->buf);
	w->last_flush_ns = now_ns();
	w->block_has_t0 = 0;
	/* The next block starts afresh: it defines again what it uses. */
	w->block++;
	if (w->meta.len)
		sb_add(&w->buf, w->meta.buf, w->meta.len);
	/* ... and its first sample's time and switch count are absolute. */
	for (i = 0; i < w->nprocs; i++) {
		w->procs[i]->last_time = 0;
		w->procs[i]->last_switch = 0;
		w->procs[i]->interval_us = UINT64_MAX;
	}
	w->cur = SIZE_MAX;
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

static struct wproc *wproc_add(struct raw_writer *w, const struct profile *p)
{
	struct wproc *wp = xcalloc(1, sizeof(*wp));

	wp->p = p;
	wp->idx = w->nprocs;
	if (p)
		u64map_put(&w->by_prof, (uint64_t)(uintptr_t)p,
			   (uint32_t)w->nprocs);
	wp->interval_us = UINT64_MAX;
	sb_init(&wp->rec);
	w->procs = xrealloc(w->procs, (w->nprocs + 1) * sizeof(*w->procs));
	w->procs[w->nprocs++] = wp;
	return wp;
}

static struct raw_writer *writer_new(int fd, int own)
{
	struct raw_writer *w = xcalloc(1, sizeof(*w));

	w->fd = fd;
	w->own_fd = own;
	w->block = 1;
	w->block_target = BLOCK_TARGET;
	w->cur = SIZE_MAX;
	u64map_init(&w->by_prof);
	sb_init(&w->buf);
	sb_init(&w->meta);
	w->last_flush_ns = now_ns();
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

void raw_write_meta(struct raw_writer *w, const struct record_info *ri)
{
	struct strbuf *b = &w->meta;

	sb_reset(b);
	sb_addc(b, REC_META);
	raw_put_varint(b, (uint64_t)(ri->pid > 0 ? ri->pid : 0));
	raw_put_str(b, ri->python);
	raw_put_str(b, ri->binary);
	raw_put_str(b, ri->command);
	raw_put_str(b, ri->cmdline);
	raw_put_double(b, ri->requested_hz);
	raw_put_varint(b, (uint64_t)!!ri->blocking);
	sb_add(&w->buf, b->buf, b->len);
}

/* The block-number slot of id in *arr, growing it; 1 when id was already
 * defined in the current block, else marks it and returns 0. */
static int defined_here(const struct raw_writer *w, uint32_t **arr,
			size_t *n, uint32_t id)
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

static void define_object(struct raw_writer *w, const struct profile *p,
			  uint32_t idx)
{
	const struct profile_object *o = profile_object(p, idx);
	struct strbuf *b = &w->buf;

	if (!o || defined_here(w, &w->wp->object_blk, &w->wp->nobject_blk,
			       idx))
		return;
	sb_addc(b, REC_OBJECT);
	raw_put_varint(b, idx);
	raw_put_str(b, o->path);
	raw_put_str(b, o->build_id);
	raw_put_varint(b, o->start);
	raw_put_varint(b, o->limit);
	raw_put_varint(b, o->offset);
}

static void define_frame(struct raw_writer *w, const struct profile *p,
			 uint32_t id)
{
	const struct profile_frame *f;
	struct strbuf *b = &w->buf;

	if (defined_here(w, &w->wp->frame_blk, &w->wp->nframe_blk, id))
		return;
	f = profile_frame(p, id);
	if (f && f->native && (f->addr || f->object)) {
		if (f->object)
			define_object(w, p, f->object - 1);
		sb_addc(b, REC_NATIVE);
		raw_put_varint(b, id);
		raw_put_str(b, f->name);
		raw_put_str(b, f->file);
		raw_put_varint(b, f->addr);
		raw_put_varint(b, f->object);
		return;
	}
	sb_addc(b, REC_FRAME);
	raw_put_varint(b, id);
	raw_put_str(b, f ? f->name : NULL);
	raw_put_str(b, f ? f->file : NULL);
	raw_put_varint(b, (uint64_t)(f && f->line > 0 ? f->line : 0));
	raw_put_varint(b, (uint64_t)(f && f->firstlineno > 0 ? f->firstlineno : 0));
}

static void define_thread(struct raw_writer *w, const struct profile *p,
			  uint32_t idx)
{
	const struct profile_thread *t;
	struct strbuf *b = &w->buf;

	if (idx >= profile_nthreads(p) ||
	    defined_here(w, &w->wp->thread_blk, &w->wp->nthread_blk, idx))
		return;
	t = profile_thread(p, idx);
	sb_addc(b, REC_THREAD);
	raw_put_varint(b, idx);
	raw_put_varint(b, (uint64_t)(t->tid > 0 ? t->tid : 0));
	raw_put_varint(b, t->thread_id);
	raw_put_str(b, t->name);
}

/* Define stack id and the ancestors not yet defined in this block, root
 * first (a parent always has a smaller id than its children). */
static void define_stack(struct raw_writer *w, const struct profile *p,
			 uint32_t id)
{
	struct strbuf *b = &w->buf;
	int n = 0;

	while (id && n <= PY_MAX_DEPTH &&
	       !defined_here(w, &w->wp->stack_blk, &w->wp->nstack_blk, id)) {
		w->chain[n++] = id;
		id = profile_stack_parent(p, id);
	}
	while (n--) {
		uint32_t s = w->chain[n], frame = profile_stack_frame(p, s);

		define_frame(w, p, frame);
		sb_addc(b, REC_STACK);
		raw_put_varint(b, s);
		raw_put_varint(b, profile_stack_parent(p, s));
		raw_put_varint(b, frame);
	}
}

/* A thread renamed since it was defined is defined again. */
static void check_renames(struct raw_writer *w, const struct profile *p)
{
	struct wproc *wp = w->wp;

	if (wp->names_gen != profile_names_generation(p)) {
		wp->names_gen = profile_names_generation(p);
		if (wp->nthread_blk)
			memset(wp->thread_blk, 0,
			       wp->nthread_blk * sizeof(*wp->thread_blk));
	}
}

/* The PROC record of process index i. */
static void proc_record(struct wproc *wp, size_t i,
			const struct record_process *rp)
{
	struct strbuf *b = &wp->rec;

	if (!wp->binary && rp->binary)
		wp->binary = xstrdup(rp->binary);
	sb_reset(b);
	sb_addc(b, REC_PROC);
	raw_put_varint(b, i);
	raw_put_varint(b, (uint64_t)(rp->pid > 0 ? rp->pid : 0));
	raw_put_varint(b, (uint64_t)(rp->ppid > 0 ? rp->ppid : 0));
	raw_put_str(b, rp->cmdline);
	raw_put_str(b, rp->python);
	raw_put_str(b, rp->binary ? rp->binary : wp->binary);
	raw_put_str(b, rp->skip);
	raw_put_varint(b, rp->stopped_ticks);
	wp->stopped_ticks = rp->stopped_ticks;
}

/* The records that follow are rp's (NULL: the only process): say who it
 * is in this block, and switch to it. */
static void use_proc(struct raw_writer *w, const struct record_process *rp,
		     const struct profile *p)
{
	const struct profile *key = rp && rp->prof ? rp->prof : p;
	struct wproc *wp = NULL;
	uint32_t at;
	size_t i;

	if (!rp) {
		w->wp = w->nprocs ? w->procs[0] : wproc_add(w, NULL);
		return;
	}
	w->tree = 1;
	if (w->wp && w->wp->p == key) {
		wp = w->wp;
		i = wp->idx;
	} else if (key && u64map_get(&w->by_prof, (uint64_t)(uintptr_t)key,
				     &at)) {
		i = at;
		wp = w->procs[i];
	} else {
		i = w->nprocs;
		wp = wproc_add(w, key);
		proc_record(wp, i, rp);
	}
	if (wp->stopped_ticks != rp->stopped_ticks || !wp->rec.len) {
		proc_record(wp, i, rp);
		wp->block = 0;
	}
	if (wp->block != w->block) {
		sb_add(&w->buf, wp->rec.buf, wp->rec.len);
		wp->block = w->block;
	}
	if (w->cur != i) {
		sb_addc(&w->buf, REC_WITH);
		raw_put_varint(&w->buf, i);
		w->cur = i;
	}
	w->wp = wp;
}

void raw_write_sample(struct raw_writer *w, const struct profile *p,
		      const struct py_sample *s)
{
	raw_write_proc_sample(w, NULL, p, s);
}

void raw_write_proc_sample(struct raw_writer *w,
			   const struct record_process *rp,
			   const struct profile *p, const struct py_sample *s)
{
	struct strbuf *b = &w->buf;
	struct wproc *wp;
	int i, n = s->nthreads;
	unsigned flags;

	use_proc(w, rp, p);
	wp = w->wp;
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
	if (s->interval_us != wp->interval_us)
		flags |= 4;
	sb_addc(b, REC_SAMPLE);
	raw_put_varint(b, s->time_ns - wp->last_time);
	raw_put_varint(b, flags);
	raw_put_varint(b, raw_zigzag((int64_t)(s->switch_number - wp->last_switch)));
	if (flags & 4)
		raw_put_varint(b, s->interval_us);
	raw_put_varint(b, (uint64_t)(s->errors > 0 ? s->errors : 0));
	raw_put_varint(b, (uint64_t)n);
	for (i = 0; i < n; i++) {
		const struct py_thread_sample *ts = &s->threads[i];
		uint32_t stack = profile_last_stack(p, i);

		raw_put_varint(b, profile_last_thread(p, i));
		raw_put_varint(b, ((uint64_t)ts->evidence << 3) |
			   ((uint64_t)ts->state & 7));
		sb_addc(b, ts->os_state ? ts->os_state : '?');
		raw_put_varint(b, stack == PROFILE_NO_STACK ? 0 : (uint64_t)stack + 1);
	}
	wp->last_time = s->time_ns;
	wp->last_switch = s->switch_number;
	wp->interval_us = s->interval_us;
	maybe_flush(w, s->time_ns);
}

void raw_write_failed(struct raw_writer *w, uint64_t time_ns)
{
	raw_write_proc_failed(w, NULL, time_ns);
}

void raw_write_proc_failed(struct raw_writer *w,
			   const struct record_process *rp, uint64_t time_ns)
{
	use_proc(w, rp, NULL);
	sb_addc(&w->buf, REC_FAILED);
	raw_put_varint(&w->buf, time_ns - w->wp->last_time);
	w->wp->last_time = time_ns;
	maybe_flush(w, time_ns);
}

int raw_writer_error(const struct raw_writer *w)
{
	return w->err;
}

/* Define again the threads of p renamed since they were defined. */
static void final_names(struct raw_writer *w, const struct profile *p)
{
	size_t i, n = profile_nthreads(p);

	check_renames(w, p);
	for (i = 0; i < n; i++)
		define_thread(w, p, (uint32_t)i);
}

/* A recording of processes ends with every process as the recording saw
 * it last (those never sampled too, with why), and their order. */
static void close_tree(struct raw_writer *w, const struct record_info *ri)
{
	struct strbuf *b = &w->buf;
	size_t i, *idx = xcalloc(ri->nprocs + 1, sizeof(*idx));

	raw_write_meta(w, ri);	/* -s: the root may have become Python */
	for (i = 0; i < ri->nprocs; i++) {
		const struct record_process *rp = &ri->procs[i];
		struct wproc *wp = NULL;
		uint32_t at;

		if (rp->prof && u64map_get(&w->by_prof,
					   (uint64_t)(uintptr_t)rp->prof, &at))
			wp = w->procs[at];
		if (!wp)
			wp = wproc_add(w, rp->prof);
		idx[i] = wp->idx;
		proc_record(wp, idx[i], rp);
		sb_add(b, wp->rec.buf, wp->rec.len);
		wp->block = w->block;
		if (rp->prof) {
			sb_addc(b, REC_WITH);
			raw_put_varint(b, idx[i]);
			w->cur = idx[i];
			w->wp = wp;
			final_names(w, rp->prof);
		}
	}
	sb_addc(b, REC_ORDER);
	raw_put_varint(b, ri->nprocs);
	for (i = 0; i < ri->nprocs; i++)
		raw_put_varint(b, idx[i]);
	free(idx);
}

int raw_writer_close(struct raw_writer *w, const struct profile *p,
		     const struct record_info *ri)
{
	struct strbuf *b = &w->buf;
	size_t i;
	int err;

	if (ri->nprocs) {
		w->tree = 1;
		close_tree(w, ri);
	} else if (p) {
		use_proc(w, NULL, p);
		final_names(w, p);
	}
	sb_addc(b, REC_END);
	raw_put_varint(b, ri->wall_ns);
	raw_put_str(b, ri->stopped_by);
	raw_put_varint(b, ri->profiler_cpu_ns);
	raw_put_varint(b, ri->missed_ticks);
	raw_put_varint(b, (uint64_t)(ri->peak_rss_kb > 0 ? ri->peak_rss_kb : 0));
	raw_put_varint(b, raw_zigzag(ri->exit_code));
	flush_block(w);
	if (w->own_fd && close(w->fd) && !w->err)
		w->err = errno;
	err = w->err;
	sb_release(&w->buf);
	sb_release(&w->meta);
	for (i = 0; i < w->nprocs; i++) {
		sb_release(&w->procs[i]->rec);
		free(w->procs[i]->binary);
		free(w->procs[i]->thread_blk);
		free(w->procs[i]->stack_blk);
		free(w->procs[i]->frame_blk);
		free(w->procs[i]->object_blk);
		free(w->procs[i]);
	}
	free(w->procs);
	u64map_release(&w->by_prof);
	free(w->zbuf);
	free(w);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
