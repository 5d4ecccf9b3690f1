/*
 * debugoffsets.h - read CPython 3.13+'s own description of its structs.
 *
 * From 3.13 on, _PyRuntime starts with _Py_DebugOffsets: the cookie
 * "xdebugpy", PY_VERSION_HEX, a free-threaded flag, then per-struct blocks
 * of {size, offsets...} filled in by the interpreter that was built.  With
 * them gilspy reads new patch releases, debug builds (python3.14d) and
 * free-threaded builds without a table per build.  The blocks' own layout
 * still differs per minor (and between 3.15 pre-releases), so the parser
 * knows one format per supported minor.
 *
 * Invariant: the buffer is untrusted target memory.  Every offset taken
 * from it is bounded (below its struct's size field, below
 * PYDEBUG_MAX_OFF) and aligned as its field must be, or the parse fails.
 */
#ifndef GILSPY_DEBUGOFFSETS_H
#define GILSPY_DEBUGOFFSETS_H

#include <stddef.h>
#include <stdint.h>

#include "gilspy/pylayout.h"

/* Bytes of _PyRuntime to read so that any known format fits (3.15: 888). */
#define PYDEBUG_READ_SIZE 1024

/* No offset or struct size we accept may reach this (1 MiB). */
#define PYDEBUG_MAX_OFF (1L << 20)

#define PYDEBUG_COOKIE "xdebugpy"
#define PYDEBUG_COOKIE_LEN 8

/*
 * Parse the first len bytes of a target's _PyRuntime.  On success fill *out
 * with a copy of the minor's template table (pylayout.h) whose offsets are
 * replaced by the target's, set *hexversion (PY_VERSION_HEX) and
 * *free_threaded (0 or 1), and return 0.  Either output pointer other than
 * out may be NULL.
 *
 * Returns -1, leaving the outputs untouched, when the cookie is missing,
 * the version is not a supported 3.13+ release (3.15 before b4 included:
 * its table has another layout), len is too short for the version's
 * format, or any offset fails the checks above.
 */
int pydebug_parse(const uint8_t *buf, size_t len, struct py_layout *out,
		  unsigned long *hexversion, int *free_threaded);

#endif
