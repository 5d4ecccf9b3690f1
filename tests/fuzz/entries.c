/*
 * entries.c - the fuzz harnesses' entry points (see fuzz.h): each feeds
 * its bytes to one reader of untrusted input the way gilspy does, through
 * the same public API, and throws the result away.
 *
 * Readers that take a path (raw_replay, baseline_load, elf_load) are given
 * a memfd holding the bytes, as /proc/self/fd/N: no file system traffic
 * and nothing left behind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "gilspy/baseline.h"
#include "gilspy/flamegraph.h"
#include "gilspy/gates.h"
#include "gilspy/output.h"
#include "gilspy/proc.h"
#include "gilspy/profile.h"
#include "gilspy/raw.h"
#include "gilspy/util.h"

/* A memfd holding data; its path in *path (PATH_MAX-free: 64 bytes). */
static int mem_file(const uint8_t *data, size_t len, char path[64])
{
	int fd = memfd_create("gilspy-fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

static int fuzz_raw(const uint8_t *data, size_t len)
{
	struct raw_replay rp;
	struct profile *prof = NULL;
	char path[64];
	int fd = mem_file(data, len, path);

	if (fd < 0)
		return 0;
	if (raw_replay(path, &rp, &prof, NULL, NULL, NULL) >= 0 && prof) {
		/* what report does next: render from the profile */
		struct strbuf sb = STRBUF_INIT;
		struct output_options oo;

		output_options_init(&oo);
		output_collapsed(&sb, prof, &oo);
		sb_release(&sb);
	}
	profile_free(prof);
	raw_replay_release(&rp);
	close(fd);
	return 0;
}

static int fuzz_folded(const uint8_t *data, size_t len)
{
	struct fg_options o;
	struct fg *g;
	struct strbuf svg = STRBUF_INIT;

	fg_options_init(&o);
	g = fg_new(&o);
	fg_read_mem(g, (const char *)data, len, FG_NEW, NULL);
	/* a second pass as the base side: `gilspy diff` */
	fg_read_mem(g, (const char *)data, len / 2, FG_BASE, NULL);
	fg_render(g, &svg, NULL);
	sb_release(&svg);
	fg_free(g);
	return 0;
}

static int fuzz_baseline(const uint8_t *data, size_t len)
{
	struct baseline *b = NULL;
	struct strbuf why = STRBUF_INIT;
	char path[64];
	int fd = mem_file(data, len, path);

	if (fd < 0)
		return 0;
	baseline_load(path, &b, &why);
	baseline_free(b);
	sb_release(&why);
	close(fd);
	return 0;
}

static int fuzz_gates(const uint8_t *data, size_t len)
{
	struct gates *g = gates_new();
	struct strbuf why = STRBUF_INIT;
	char *s = xmalloc(len + 1);

	memcpy(s, data, len);
	s[len] = 0;
	/* several expressions, one per line, as repeated --fail-if */
	for (char *line = s, *nl; line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		gates_parse(g, line, &why);
		sb_reset(&why);
	}
	gates_count(g);
	gates_needs_baseline(g);
	sb_release(&why);
	gates_free(g);
	free(s);
	return 0;
}

static int fuzz_elf(const uint8_t *data, size_t len)
{
	static const char *const names[] = {
		"_PyRuntime", "Py_Version", "PyThreadState_Get",
		"_Py_DebugOffsets", "missing_symbol_xyz",
	};
	struct proc_map map = { 0x7f0000000000ull, 0x7f0000100000ull, 0,
				0, NULL };
	struct proc p = { .pid = getpid(), .maps = &map, .nmaps = 1 };
	struct gs_error err = { 0 };
	struct elf_image *e = NULL;
	char path[64];
	int fd = mem_file(data, len, path);
	uint64_t size;

	if (fd < 0)
		return 0;
	map.path = path;
	if (elf_load(&p, path, &e, &err) == GS_OK) {
		/* each lookup thrice: a scanned .symtab gets indexed */
		for (int k = 0; k < 4; k++)
			for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
				elf_symbol(e, names[i], &size);
		elf_section(e, ".data", &size);
		elf_section(e, ".PyRuntime", &size);
		elf_has_symtab(e);
		elf_bias(e);
	}
	elf_free(e);
	close(fd);
	return 0;
}

const struct fuzz_target fuzz_targets[] = {
	{ "raw", fuzz_raw },
	{ "folded", fuzz_folded },
	{ "baseline", fuzz_baseline },
	{ "gates", fuzz_gates },
	{ "elf", fuzz_elf },
	{ NULL, NULL },
};

const struct fuzz_target *fuzz_find(const char *name)
{
	for (const struct fuzz_target *t = fuzz_targets; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}
