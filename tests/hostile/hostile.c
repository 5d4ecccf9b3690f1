/*
 * hostile.c - a process that looks like Python to gilspy but whose
 * interpreter state is garbage: it loads a real libpython (without starting
 * it), then fills _PyRuntime with random words, half of them pointers into a
 * random arena (so every walk meets cycles, wild lengths and torn chains).
 * gilspy must survive it: a clear error or a nonsense dump, never a crash or
 * a hang.
 *
 *   hostile LIBPYTHON SEED KEEP READY
 * KEEP bytes at the start of _PyRuntime are left intact (the 3.13+ debug
 * offsets, so the walkers rather than the parser meet the garbage).
 * Writes READY when done, then sleeps.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ARENA_WORDS (1 << 17)

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t word(const uint64_t *arena)
{
	uint64_t r = next();

	switch (r % 8) {
	case 0: case 1: case 2: case 3:	/* a pointer into the arena */
		return (uint64_t)(uintptr_t)&arena[next() % ARENA_WORDS] + (r >> 60);
	case 4:
		return 0;
	case 5:
		return r & 0xff;		/* small ints: lengths, kinds */
	default:
		return r;
	}
}

int main(int argc, char **argv)
{
	void *h, *rt;
	ElfW(Sym) *sym = NULL;
	Dl_info info;
	uint64_t *arena, *p;
	size_t size, keep, i;
	FILE *f;

	if (argc != 5) {
		fprintf(stderr, "usage: hostile LIBPYTHON SEED KEEP READY\n");
		return 2;
	}
	rng = strtoull(argv[2], NULL, 0) * 0x9e3779b97f4a7c15ull | 1;
	keep = strtoul(argv[3], NULL, 0);
	h = dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL);
	if (!h) {
		fprintf(stderr, "hostile: %s\n", dlerror());
		return 1;
	}
	rt = dlsym(h, "_PyRuntime");
	if (!rt || !dladdr1(rt, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym) {
		fprintf(stderr, "hostile: no _PyRuntime in %s\n", argv[1]);
		return 3;	/* 3.6: nothing to garble this way */
	}
	size = sym->st_size;
	arena = malloc(ARENA_WORDS * sizeof(*arena));
	for (i = 0; i < ARENA_WORDS; i++)
		arena[i] = word(arena);
	for (p = (uint64_t *)((char *)rt + (keep & ~7ul)); (char *)(p + 1) <= (char *)rt + size; p++)
		*p = word(arena);
	f = fopen(argv[4], "w");
	if (f)
		fclose(f);
	pause();
	return 0;
}
