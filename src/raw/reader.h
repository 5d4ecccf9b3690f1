/*
 * reader.h - the inside of a replay (internal to src/raw/): reader.c reads
 * the blocks and the records of one process; procs.c keeps the processes
 * of a version-2 file apart, each one an id space with its own profile.
 */
#ifndef GILSPY_RAW_READER_H
#define GILSPY_RAW_READER_H

#include "codec.h"
#include "gilspy/hashmap.h"

#define MAX_IDS (1u << 24)		/* frame/stack/thread ids */
#define MAX_OBJECTS (1u << 16)		/* file mappings (OBJECT ids) */
/* Thread and stack ids are the profile's, handed out in order of first
 * use, so a new id is never far beyond how many are defined; the slack
 * covers what a few lost blocks may have defined.  A hostile id far out
 * costs a clear error, not an allocation of gigabytes. */
#define ID_SLACK (1u << 18)
/* Processes: indices are handed out in order too.  Each one is a
 * profile (some 50 kB, mostly its timeline): a hostile file may cost a few
 * hundred megabytes of mostly untouched memory, not more; a recording of
 * more processes loses the blocks of those beyond. */
#define MAX_PROCS (1u << 13)
#define PROC_SLACK 1024u

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

/* One process: its ids, its profile, who it is. */
struct space {
	struct reader *r;
	struct profile *prof;		/* owned unless given to the caller */
	int given;
	int declared;			/* a PROC record named it */
	struct record_process info;	/* strings pooled; prof set */
	struct rd_thread *threads;
	size_t nthreads;
	struct py_frame_info *frames;	/* dense, in order of definition */
	size_t nframes, aframes;
	struct u64map frame_index;	/* frame id + 1 -> index in frames */
	struct py_native_object **objects;	/* by id; each its own
						   allocation, never moved */
	size_t nobjects;
	size_t threads_defined, stacks_defined;
	struct rd_stack *stacks;
	size_t nstacks;
	uint64_t time, sw, interval;	/* deltas within a block */
	/* A thread defined again under a new name (Python named it after it
	 * was first seen): the next sample's threads are renamed in the
	 * profile, so what is written from the replay (a raw copy) follows
	 * the renames as the recording did.  Bounded against a file that
	 * renames on every sample; the final names are set at the end. */
	int renamed;
	unsigned rename_refreshes;
};

struct reader {
	struct raw_replay *rp;
	struct py_sample *s;
	raw_sample_fn on_sample;
	raw_failed_fn on_failed;
	void *ctx;

	struct space **spaces;		/* by process index */
	size_t nspaces, aspaces, declared;
	struct space *sp;		/* the one records go to now */
	size_t *order, norder;		/* ORDER */
	struct record_process *procs;	/* rp->ri.procs */
	struct strpool strs;
	int ended;
};

#define MAX_RENAME_REFRESHES 4096

/* A pooled copy of the next string; NULL when absent (or bad). */
const char *rd_get_str(struct reader *r, struct raw_cur *c);
/* arr of *n zeroed entries of size bytes, grown so index want fits. */
void *rd_grow_to(void *arr, size_t *n, size_t want, size_t size);

/* --- procs.c --- */
struct space *rd_space_new(struct reader *r);
void rd_space_free(struct space *sp);	/* NULL is a no-op */
/* Process idx's space, made on first use; NULL (c marked bad) when idx
 * is out of bounds. */
struct space *rd_space_at(struct reader *r, struct raw_cur *c, uint64_t idx);
void rd_read_proc(struct reader *r, struct raw_cur *c);
void rd_read_with(struct reader *r, struct raw_cur *c);
void rd_read_order(struct reader *r, struct raw_cur *c);
/* At the end: rp->ri.procs, and the profile the caller gets. */
struct profile *rd_gather(struct reader *r);

#endif
