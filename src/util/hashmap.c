/* hashmap.c - u64 -> u32 open addressing, and a string pool on top. */
#include <stdlib.h>
#include <string.h>

#include "gilspy/hashmap.h"
#include "gilspy/util.h"

void u64map_init(struct u64map *m)
{
	memset(m, 0, sizeof(*m));
}

void u64map_release(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	u64map_init(m);
}

void u64map_clear(struct u64map *m)
{
	if (m->keys)
		memset(m->keys, 0, m->cap * sizeof(*m->keys));
	m->len = 0;
}

static inline size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

int u64map_get(const struct u64map *m, uint64_t key, uint32_t *val)
{
	size_t i;

	if (!m->cap)
		return 0;
	for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			*val = m->vals[i];
			return 1;
		}
		if (!m->keys[i])
			return 0;
	}
}

static void grow(struct u64map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64, i;
	uint64_t *keys = xcalloc(ncap, sizeof(*keys));
	uint32_t *vals = xcalloc(ncap, sizeof(*vals));

	for (i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->keys[i])
			continue;
		for (j = slot_of(m->keys[i], ncap); keys[j]; j = (j + 1) & (ncap - 1))
			;
		keys[j] = m->keys[i];
		vals[j] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = ncap;
}

void u64map_put(struct u64map *m, uint64_t key, uint32_t val)
{
	size_t i;

	if ((m->len + 1) * 2 > m->cap)
		grow(m);
	for (i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return;
		}
		if (!m->keys[i]) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->len++;
			return;
		}
	}
}

uint64_t hash_mix(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ (b + 0x632be59bd9b4e019ull +
						   (a << 6) + (a >> 2));

	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 29;
	return h ? h : 1;
}

uint64_t hash_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--) {
		h ^= *p++;
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

void strpool_init(struct strpool *p)
{
	memset(p, 0, sizeof(*p));
	u64map_init(&p->index);
}

void strpool_release(struct strpool *p)
{
	for (size_t i = 0; i < p->len; i++)
		free(p->strs[i]);
	free(p->strs);
	u64map_release(&p->index);
	strpool_init(p);
}

const char *strpool_intern(struct strpool *p, const char *s, size_t len)
{
	uint64_t h = hash_bytes(s, len);
	uint32_t idx;
	char *copy;

	/* Probe h, h+1, ... in the index until the string or a free key. */
	for (;; h = h + 1 ? h + 1 : 1) {
		if (!u64map_get(&p->index, h, &idx))
			break;
		if (strlen(p->strs[idx]) == len && !memcmp(p->strs[idx], s, len))
			return p->strs[idx];
	}
	if (p->len == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 256;
		p->strs = xrealloc(p->strs, p->alloc * sizeof(*p->strs));
	}
	copy = xmalloc(len + 1);
	memcpy(copy, s, len);
	copy[len] = '\0';
	p->strs[p->len] = copy;
	u64map_put(&p->index, h, (uint32_t)p->len);
	p->len++;
	return copy;
}
