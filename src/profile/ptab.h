/*
 * ptab.h - the profile's private open-addressing table: uint64_t key ->
 * uint32_t value, key 0 reserved for empty slots (callers set a high bit).
 * Grows at 50 % load.  Internal to src/profile/.
 */
#ifndef GILSPY_PROFILE_PTAB_H
#define GILSPY_PROFILE_PTAB_H

#include <stddef.h>
#include <stdint.h>

struct ptab {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, len;
};

void ptab_release(struct ptab *t);
/* Pointer to the value stored for key, or NULL. */
uint32_t *ptab_get(const struct ptab *t, uint64_t key);
/* Insert (key must not be present). */
void ptab_put(struct ptab *t, uint64_t key, uint32_t val);
size_t ptab_memory(const struct ptab *t);
uint64_t ptab_hash(uint64_t x);
/* FNV-1a of a NUL-terminated string. */
uint64_t ptab_hash_str(const char *s);

#endif
