/*
 * driver.c - the libFuzzer side of one harness: FUZZ_NAME (set by the
 * Makefile's fuzz target) picks the entry point of tests/fuzz/entries.c.
 */
#include <stdlib.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
#error "build with -DFUZZ_NAME=\"name\""
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fuzz_target *t;

	if (!t && !(t = fuzz_find(FUZZ_NAME)))
		abort();
	return t->run(data, size);
}
