/* test_native_loc.c - where native frames are (--native): their address
 * and file mapping, copied by the profile, carried by raw recordings and
 * written as pprof mappings and locations. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "gilspy/output.h"
#include "gilspy/profile.h"
#include "gilspy/raw.h"
#include "harness.h"
#include "profile.pb-c.h"

/* Two mappings: libc's code and an extension's (no build id). */
static const struct py_native_object nl_libc = {
	"/usr/lib/x86_64-linux-gnu/libc.so.6", "0123abcd",
	0x7f0000028000ull, 0x7f000017d000ull, 0x28000
};
static const struct py_native_object nl_ext = {
	"/tmp/ext/spin.cpython-311-x86_64-linux-gnu.so", NULL,
	0x7f1000001000ull, 0x7f1000002000ull, 0x1000
};

/* Ids 1-2 are Python frames; 10 and 11 C functions in libc, 12 one in the
 * extension, 13 [truncated] (native, in no mapping). */
static const struct py_frame_info *nl_frame(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[32];

	(void)ctx;
	memset(&fi, 0, sizeof(fi));
	if (id < 10) {
		snprintf(name, sizeof(name), "py%u", id);
		fi.name = name;
		fi.filename = "/srv/app.py";
		fi.line = (int)id * 10;
		fi.firstlineno = (int)id * 10 - 1;
		return &fi;
	}
	fi.native = 1;
	switch (id) {
	case 10: fi.name = "__libc_read"; fi.object = &nl_libc;
		 fi.addr = 0x7f0000030000ull; break;
	case 11: fi.name = "clock_nanosleep"; fi.object = &nl_libc;
		 fi.addr = 0x7f0000040000ull; break;
	case 12: fi.name = "spin"; fi.object = &nl_ext;
		 fi.addr = 0x7f1000001100ull; break;
	default: fi.name = "[truncated]"; break;
	}
	fi.filename = fi.object ? strrchr(fi.object->path, '/') + 1 : "?";
	return &fi;
}

static void nl_add(struct profile *p, struct py_sample *s, int n,
		   const uint32_t *ids)
{
	struct py_thread_sample *t = &s->threads[0];

	memset(s, 0, sizeof(*s));
	s->time_ns = 1000000;
	s->nthreads = 1;
	t->tid = 100;
	t->state = GIL_NATIVE;
	t->nframes = n;
	t->frames = s->pool;
	memcpy(s->pool, ids, (size_t)n * sizeof(*ids));
	profile_add(p, s);
}

TEST(profile, native_frames_keep_address_and_mapping)
{
	struct profile_resolver r = { nl_frame, NULL, NULL };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	const uint32_t a[] = { 10, 12, 1 }, b[] = { 11, 13, 2 };
	const struct profile_frame *f;
	const struct profile_object *o;

	nl_add(p, s, 3, a);
	nl_add(p, s, 3, b);
	CHECK_EQ_INT(profile_nobjects(p), 2);
	f = profile_frame(p, 10);
	CHECK(f && f->native && f->addr == 0x7f0000030000ull && f->object);
	o = f ? profile_object(p, f->object - 1) : NULL;
	CHECK(o && !strcmp(o->path, nl_libc.path) &&
	      !strcmp(o->build_id, "0123abcd") && o->start == nl_libc.start &&
	      o->limit == nl_libc.limit && o->offset == nl_libc.offset);
	/* a copy: the profile's own string, not the resolver's */
	CHECK(o && o->path != nl_libc.path);
	CHECK(profile_frame(p, 11) && f &&
	      profile_frame(p, 11)->object == f->object);
	f = profile_frame(p, 12);
	o = f && f->object ? profile_object(p, f->object - 1) : NULL;
	CHECK(o && o->build_id == NULL && o->start == nl_ext.start);
	f = profile_frame(p, 13);
	CHECK(f && f->native && !f->object && !f->addr);
	f = profile_frame(p, 1);
	CHECK(f && !f->native && !f->object && !f->addr);
	CHECK(profile_object(p, 2) == NULL);
	free(s);
	profile_free(p);
}

/* Two samples, with small blocks so the second block must define the
 * mapping again; then replayed. */
TEST(raw, native_frames_keep_address_and_mapping)
{
	struct profile_resolver r = { nl_frame, NULL, NULL };
	struct profile *p = profile_new(&r), *q = NULL;
	struct py_sample *s = calloc(1, sizeof(*s));
	const uint32_t a[] = { 10, 12, 1 }, b[] = { 11, 13, 2 };
	struct record_info ri = { .pid = 7, .exit_code = -1 };
	struct raw_writer *w = NULL;
	struct raw_replay rp;
	char path[64];

	snprintf(path, sizeof(path), "/tmp/gilspy-unit-nl-%d", (int)getpid());
	CHECK(raw_writer_open(path, &w) == 0);
	if (!w)
		goto out;
	raw_writer_block_size(w, 1);
	raw_write_meta(w, &ri);
	nl_add(p, s, 3, a);
	raw_write_sample(w, p, s);
	nl_add(p, s, 3, b);
	raw_write_sample(w, p, s);
	nl_add(p, s, 3, a);
	raw_write_sample(w, p, s);
	CHECK(raw_writer_close(w, p, &ri) == 0);
	CHECK_EQ_INT(raw_replay(path, &rp, &q, NULL, NULL, NULL), 0);
	if (q) {
		CHECK_EQ_INT(profile_nobjects(q), profile_nobjects(p));
		for (uint32_t id = 1; id <= 13; id++) {
			const struct profile_frame *x = profile_frame(p, id);
			const struct profile_frame *y = profile_frame(q, id);
			const struct profile_object *ox, *oy;

			CHECK(!x == !y);
			if (!x || !y)
				continue;
			CHECK(!strcmp(x->name, y->name));
			CHECK_EQ_INT(y->native, x->native);
			CHECK_EQ_INT(y->addr, x->addr);
			CHECK(!x->object == !y->object);
			if (!x->object || !y->object)
				continue;
			ox = profile_object(p, x->object - 1);
			oy = profile_object(q, y->object - 1);
			CHECK(!strcmp(ox->path, oy->path));
			CHECK(!ox->build_id == !oy->build_id);
			CHECK(!ox->build_id || !strcmp(ox->build_id, oy->build_id));
			CHECK(ox->start == oy->start && ox->limit == oy->limit &&
			      ox->offset == oy->offset);
		}
	}
	raw_replay_release(&rp);
	profile_free(q);
out:
	unlink(path);
	free(s);
	profile_free(p);
}

static Perftools__Profiles__Profile *nl_decode(const struct strbuf *sb)
{
	Perftools__Profiles__Profile *pr = NULL;
	unsigned char *out = malloc(1 << 20);
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (!out || inflateInit2(&z, 15 + 16) != Z_OK)
		goto out;
	z.next_in = (unsigned char *)sb->buf;
	z.avail_in = (unsigned)sb->len;
	z.next_out = out;
	z.avail_out = 1 << 20;
	if (inflate(&z, Z_FINISH) == Z_STREAM_END)
		pr = perftools__profiles__profile__unpack(NULL, z.total_out, out);
	inflateEnd(&z);
out:
	free(out);
	return pr;
}

TEST(pprof, native_frames_are_locations_in_their_mapping)
{
	struct profile_resolver r = { nl_frame, NULL, NULL };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	const uint32_t a[] = { 10, 12, 1 }, b[] = { 11, 13, 2 };
	struct output_options o;
	struct strbuf sb = STRBUF_INIT;
	Perftools__Profiles__Profile *pr;
	size_t i, j, native = 0;

	nl_add(p, s, 3, a);
	nl_add(p, s, 3, b);
	output_options_init(&o);
	output_pprof(&sb, p, &o, NULL);
	pr = nl_decode(&sb);
	CHECK(pr != NULL);
	if (!pr)
		goto out;
	CHECK_EQ_INT(pr->n_mapping, 3);		/* python, libc, the extension */
	for (i = 0; i < pr->n_mapping; i++)
		CHECK(pr->mapping[i]->has_functions);
	for (i = 1; i < pr->n_mapping; i++) {
		const Perftools__Profiles__Mapping *m = pr->mapping[i];
		const struct py_native_object *want =
			m->memory_start == nl_libc.start ? &nl_libc : &nl_ext;

		CHECK_EQ_INT(m->memory_start, want->start);
		CHECK_EQ_INT(m->memory_limit, want->limit);
		CHECK_EQ_INT(m->file_offset, want->offset);
		CHECK_EQ_STR(pr->string_table[m->filename], want->path);
		if (want->build_id)
			CHECK_EQ_STR(pr->string_table[m->build_id],
				     want->build_id);
		else
			CHECK_EQ_INT(m->build_id, 0);
	}
	for (i = 0; i < pr->n_location; i++) {
		const Perftools__Profiles__Location *l = pr->location[i];
		const char *fn = NULL;

		for (j = 0; j < pr->n_function; j++)
			if (pr->function[j]->id == l->line[0]->function_id)
				fn = pr->string_table[pr->function[j]->name];
		CHECK(fn != NULL);
		if (!fn || !strncmp(fn, "py", 2)) {
			CHECK_EQ_INT(l->mapping_id, 1);
			CHECK_EQ_INT(l->address, 0);
			continue;
		}
		native++;
		if (!strcmp(fn, "[truncated]")) {
			CHECK_EQ_INT(l->mapping_id, 0);
			continue;
		}
		/* an address inside the mapping it names */
		CHECK(l->mapping_id >= 2 && l->mapping_id <= pr->n_mapping);
		if (l->mapping_id >= 2 && l->mapping_id <= pr->n_mapping) {
			const Perftools__Profiles__Mapping *m =
				pr->mapping[l->mapping_id - 1];

			CHECK(l->address >= m->memory_start &&
			      l->address < m->memory_limit);
		}
	}
	CHECK_EQ_INT(native, 4);
	perftools__profiles__profile__free_unpacked(pr, NULL);
out:
	sb_release(&sb);
	free(s);
	profile_free(p);
}
