/* ptab.c - the profile's uint64 -> uint32 open-addressing table. */
#include <stdlib.h>

#include "gilspy/util.h"
#include "ptab.h"

uint64_t ptab_hash(uint64_t x)
{
	/* A 64-bit finaliser (splitmix64): spreads packed keys whose low bits
	 * are small counters over the whole table. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

uint64_t ptab_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

void ptab_release(struct ptab *t)
{
	free(t->keys);
	free(t->vals);
	t->keys = NULL;
	t->vals = NULL;
	t->cap = t->len = 0;
}

uint32_t *ptab_get(const struct ptab *t, uint64_t key)
{
	size_t mask, i;

	if (!t->cap)
		return NULL;
	mask = t->cap - 1;
	for (i = ptab_hash(key) & mask; t->keys[i]; i = (i + 1) & mask)
		if (t->keys[i] == key)
			return &t->vals[i];
	return NULL;
}

static void insert(uint64_t *keys, uint32_t *vals, size_t cap, uint64_t key,
		   uint32_t val)
{
	size_t mask = cap - 1, i;

	for (i = ptab_hash(key) & mask; keys[i]; i = (i + 1) & mask)
		;
	keys[i] = key;
	vals[i] = val;
}

void ptab_put(struct ptab *t, uint64_t key, uint32_t val)
{
	if ((t->len + 1) * 2 > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 64, i;
		uint64_t *nk = xcalloc(ncap, sizeof(*nk));
		uint32_t *nv = xcalloc(ncap, sizeof(*nv));

		for (i = 0; i < t->cap; i++)
			if (t->keys[i])
				insert(nk, nv, ncap, t->keys[i], t->vals[i]);
		free(t->keys);
		free(t->vals);
		t->keys = nk;
		t->vals = nv;
		t->cap = ncap;
	}
	insert(t->keys, t->vals, t->cap, key, val);
	t->len++;
}

size_t ptab_memory(const struct ptab *t)
{
	return t->cap * (sizeof(uint64_t) + sizeof(uint32_t));
}
