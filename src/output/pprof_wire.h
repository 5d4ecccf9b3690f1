/*
 * pprof_wire.h - the byte side of the pprof renderer, internal to
 * src/output/: the string table, protobuf-c packing and the gzip stream
 * (pprof_wire.c).  pprof.c decides what goes in the profile; this decides
 * how it is written.
 *
 * A protobuf message is the concatenation of its fields, and repeated
 * fields of concatenated messages add up, so pprof.c packs the tables as
 * one Profile and then each sample as a Profile of its own: every
 * pprof_pack() appends to one gzip stream (no file name, mtime 0, so the
 * same profile gives the same bytes) in the caller's strbuf.
 */
#ifndef GILSPY_OUTPUT_PPROF_WIRE_H
#define GILSPY_OUTPUT_PPROF_WIRE_H

#include <stdint.h>
#include <zlib.h>

#include "gilspy/util.h"
#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile pb_profile;
typedef Perftools__Profiles__ValueType pb_value_type;
typedef Perftools__Profiles__Sample pb_sample;
typedef Perftools__Profiles__Label pb_label;
typedef Perftools__Profiles__Mapping pb_mapping;
typedef Perftools__Profiles__Location pb_location;
typedef Perftools__Profiles__Line pb_line;
typedef Perftools__Profiles__Function pb_function;

struct pprof_wire {
	/* strings, each once, by index; [0] is "" */
	char **s;
	size_t n, alloc;
	uint32_t *slots;	/* open addressing: index + 1, 0 empty */
	size_t cap;		/* power of two */
	struct strbuf clean;	/* scratch for sanitizing */

	/* protobuf-c hands over a few bytes at a time: gathered here before
	 * each call to deflate */
	z_stream z;
	struct strbuf pending;
	struct strbuf *out;	/* not owned */
};

/* Start a profile written to out; string 0 is "". */
void pprof_wire_init(struct pprof_wire *w, struct strbuf *out);
/* End the gzip stream and free everything but out. */
void pprof_wire_finish(struct pprof_wire *w);
/* The index of s in the string table (NULL is ""), added when new.
 * Readers built on Go's protobuf package reject a string that is not
 * UTF-8: invalid bytes become U+FFFD, as in the JSON report. */
int64_t pprof_str(struct pprof_wire *w, const char *s);
/* Append msg to the stream. */
void pprof_pack(struct pprof_wire *w, const pb_profile *msg);

#endif
