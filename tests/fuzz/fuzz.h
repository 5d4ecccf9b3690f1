/*
 * fuzz.h - the entry points of the fuzz harnesses (tests/fuzz/entries.c),
 * one per reader of untrusted input.
 *
 * Each takes any bytes and must return without crashing, leaking or
 * tripping a sanitizer whatever they are.  The same functions are linked
 * into libFuzzer harnesses (`make fuzz`, tests/fuzz/driver.c) and into the
 * unit tests, which replay every input kept under tests/fuzz/regress/NAME/
 * and tests/fuzz/seeds/NAME/ (tests/unit/test_fuzz.c).
 */
#ifndef GILSPY_TESTS_FUZZ_H
#define GILSPY_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct fuzz_target {
	const char *name;
	int (*run)(const uint8_t *data, size_t len);	/* always 0 */
};

/* Every harness, ended by { NULL, NULL }. */
extern const struct fuzz_target fuzz_targets[];
const struct fuzz_target *fuzz_find(const char *name);

#endif
