/*
 * embedded.h - files compiled into the binary by scripts/embed.sh (the
 * flame graph's JavaScript and CSS).  The table ends with a NULL name.
 */
#ifndef GILSPY_EMBEDDED_H
#define GILSPY_EMBEDDED_H

#include <stddef.h>

struct embedded_file {
	const char *name;	/* base name, e.g. "flamegraph.js" */
	const char *data;	/* NUL-terminated */
	size_t size;		/* without the NUL */
};

extern const struct embedded_file embedded_files[];

/* The embedded file with this base name, or NULL. */
const struct embedded_file *embedded_find(const char *name);

#endif
