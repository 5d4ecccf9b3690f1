/*
 * raw.h - the raw recording (.gilspy): every sample, in order, so one
 * recording can be rendered again in any format, with any filters.
 *
 * File layout (all integers little-endian):
 *
 *   header  "GILSPYRW" u32 version u32 reserved
 *   blocks  "GSBK" u32 ulen u32 clen u32 crc32(uncompressed) + clen bytes
 *           of zlib data holding whole records
 *
 * Records (type byte, then LEB128 varints and length-prefixed strings):
 * META (who was recorded), THREAD (index, tid, thread id, name), FRAME (id,
 * function, file, line, first line), STACK (id, parent, frame id),
 * SAMPLE (time delta, GIL facts, per thread: index, state, evidence,
 * stack), FAILED (a tick that could not be read), END (how the recording
 * ended).  Every block is self-contained: it repeats META, defines the
 * threads, frames and stacks its samples use before they use them, and
 * its first sample's time and switch count are absolute.
 *
 * --native adds two records (same format version: a file without native
 * frames is written as before, and gilspy before them reads a block that
 * holds them as damaged): OBJECT (id, path, build id, start, limit, file
 * offset: a file mapping) and NATIVE (id, function, file, address, 1 + the
 * OBJECT id or 0), which defines a native frame that has a location in
 * place of its FRAME.  A native frame without one ([truncated]) is a FRAME
 * with no lines, as before.
 *
 * Version 2 (a recording of a process tree, -s) adds PROC (index, pid,
 * ppid, command line, Python version, binary, why it was not sampled,
 * ticks while stopped), WITH (index: the records after it are that
 * process's; each process has its own thread, frame and stack ids and its
 * own time deltas) and ORDER (the processes in record_info order).  A
 * block repeats the PROC of every process it holds records of; the last
 * block has every process again, with its final figures and the
 * processes never sampled, then ORDER.
 *
 * Blocks are written as the recording goes (at most RAW_FLUSH_NS of wall
 * or recorded time apart), so a gilspy killed mid-run leaves a file that
 * renders up to its last block, and a copy written by `report` is cut as
 * finely as the recording it came from.  A reader checks every block; a
 * damaged one is skipped (the reader resynchronises on the next block
 * magic) and reported, and what is intact still renders.
 */
#ifndef GILSPY_RAW_H
#define GILSPY_RAW_H

#include <stdint.h>

#include "gilspy/record_info.h"
#include "gilspy/profile.h"
#include "gilspy/python.h"
#include "gilspy/util.h"

/* Version 2 adds processes (-s); a recording of one process is still
 * written as version 1, and both are read. */
#define RAW_VERSION 2
#define RAW_VERSION_ONE 1
#define RAW_FLUSH_NS 1000000000ull

struct raw_writer;

/* Create path (truncating it) and write the header; path "-" is stdout
 * written as a stream.  0, or -1 with errno set. */
int raw_writer_open(const char *path, struct raw_writer **out);
/* Write to an already open descriptor (not closed by raw_writer_close). */
struct raw_writer *raw_writer_fd(int fd);
/* Flush a block every `bytes` of records instead of 256 KB (tests use
 * small blocks to get many). */
void raw_writer_block_size(struct raw_writer *w, size_t bytes);
/* Who is being recorded: written once, at any time before closing. */
void raw_write_meta(struct raw_writer *w, const struct record_info *ri);
/* One sample, right after profile_add(p, s): thread names, frames and
 * stacks are taken from p as they first appear. */
void raw_write_sample(struct raw_writer *w, const struct profile *p,
		      const struct py_sample *s);
void raw_write_failed(struct raw_writer *w, uint64_t time_ns);
/* The same for one process of a recording of several (-s): rp says who
 * it is (rp->prof, the profile its samples go to, identifies it; the
 * strings are copied).  Once one is written the file is version 2. */
void raw_write_proc_sample(struct raw_writer *w,
			   const struct record_process *rp,
			   const struct profile *p, const struct py_sample *s);
void raw_write_proc_failed(struct raw_writer *w,
			   const struct record_process *rp, uint64_t time_ns);
/* The errno of the first write that failed (disk full), 0 while all went
 * well.  After one, the writer writes nothing more: the file is cut back
 * to its last whole block, which `report` reads like a recording cut
 * short. */
int raw_writer_error(const struct raw_writer *w);
/* Write what p has gained since the last sample (renamed threads; p may
 * be NULL) - with ri->procs, every process's, the processes and their
 * order -, the END record and the last block, and close.  0, or -1 with
 * errno set from the first failed write (the writer keeps going after a
 * failure so the caller learns of it once, here). */
int raw_writer_close(struct raw_writer *w, const struct profile *p,
		     const struct record_info *ri);

/* What a replay found, beyond the samples. */
struct raw_replay {
	struct record_info ri;		/* strings owned by the replay */
	uint64_t samples, failed;	/* records delivered */
	uint64_t bad_blocks;		/* damaged blocks skipped */
	uint64_t lost_bytes;		/* bytes of the file skipped */
	uint64_t unknown_refs;		/* samples' threads with undefined
					   thread/stack ids (after a damaged
					   block), dropped */
	int truncated;			/* no END record */
	unsigned version;
	struct strbuf problems;		/* one line per problem found */
	void *priv;
};

/* Called for every replayed sample, after it was added to the profile
 * (its process's, in a recording of several: proc says which, NULL in a
 * recording of one). */
typedef void (*raw_sample_fn)(void *ctx, const struct record_process *proc,
			      const struct profile *p,
			      const struct py_sample *s);
typedef void (*raw_failed_fn)(void *ctx, const struct record_process *proc,
			      uint64_t time_ns);

/* Read path (or "-" for stdin) into a new profile (*prof, the caller's to
 * free), calling on_sample/on_failed (may be NULL) for each record in
 * order.  A recording of several processes (version 2) gives each its own
 * profile and fills rp->ri.procs (profiles and strings owned by the
 * replay, but for *prof, the first process's, or an empty profile when
 * none was sampled).  Returns 0
 * when the file was whole; 1 when it was damaged or truncated but some of
 * it was read (rp->problems says what); -1 when nothing usable could be
 * read (not a gilspy raw file, unreadable, unknown version), with a one-line
 * reason in rp->problems and *prof NULL. */
int raw_replay(const char *path, struct raw_replay *rp, struct profile **prof,
	       raw_sample_fn on_sample, raw_failed_fn on_failed, void *ctx);
void raw_replay_release(struct raw_replay *rp);

#endif
