/* embedded.c - look up files compiled in by scripts/embed.sh. */
#include <string.h>

#include "gilspy/embedded.h"

const struct embedded_file *embedded_find(const char *name)
{
	const struct embedded_file *f;

	for (f = embedded_files; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}
