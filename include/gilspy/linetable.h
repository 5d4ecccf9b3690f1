/*
 * linetable.h - map an instruction offset to a source line, for each of
 * CPython's three line-table formats (see enum py_lines_kind).
 *
 * Pure functions over a byte buffer copied from the target: they never read
 * past len, whatever the bytes say, so a torn or hostile table gives a wrong
 * line at worst, never a crash.
 */
#ifndef GILSPY_LINETABLE_H
#define GILSPY_LINETABLE_H

#include <stddef.h>
#include <stdint.h>

#include "gilspy/pylayout.h"

/*
 * Line of the instruction at byte offset addr (a byte offset into co_code,
 * i.e. code units * 2 on 3.6+).  firstlineno is co_firstlineno.
 * Returns the line, or -1 when the table says the instruction has no line
 * (3.10+), or firstlineno if addr is past the end of the table.
 */
int linetable_addr2line(enum py_lines_kind kind, const uint8_t *tab,
			size_t len, int firstlineno, int addr);

#endif
