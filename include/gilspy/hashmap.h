/*
 * hashmap.h - open-addressing maps used on the sampling hot path.
 *
 *  u64map: uint64_t key -> uint32_t value.  Key 0 is reserved (empty slot);
 *  callers that may see key 0 must remap it.  Grows at 50 % load, so
 *  lookups stay short; memory is 16 bytes a slot.
 *
 *  strpool: interns strings; equal strings get the same pointer, owned by
 *  the pool until strpool_release().
 */
#ifndef GILSPY_HASHMAP_H
#define GILSPY_HASHMAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, len;	/* cap is a power of two or 0 */
};

void u64map_init(struct u64map *m);
void u64map_release(struct u64map *m);
/* Returns 1 and sets *val if found, else 0. */
int u64map_get(const struct u64map *m, uint64_t key, uint32_t *val);
void u64map_put(struct u64map *m, uint64_t key, uint32_t val);
void u64map_clear(struct u64map *m);

/* A 64-bit mix of two values, never 0 (for composite keys). */
uint64_t hash_mix(uint64_t a, uint64_t b);
/* FNV-1a of a byte string. */
uint64_t hash_bytes(const void *data, size_t len);

struct strpool {
	struct u64map index;	/* hash -> slot in strs (chained by probing) */
	char **strs;
	size_t len, alloc;
};

void strpool_init(struct strpool *p);
void strpool_release(struct strpool *p);
/* The pooled copy of s (len bytes, need not be NUL-terminated). */
const char *strpool_intern(struct strpool *p, const char *s, size_t len);

#endif
