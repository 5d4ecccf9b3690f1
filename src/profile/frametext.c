/* frametext.c - the text of a frame as every output shows it (profile.h). */
#include <string.h>

#include "gilspy/profile.h"

/* The part of a path worth showing: relative to a library directory when
 * under one, else the base name. */
static const char *short_file(const char *path)
{
	static const char *const marks[] = {
		"/site-packages/", "/dist-packages/",
	};
	const char *p, *best = NULL;
	size_t i;

	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++) {
		p = strstr(path, marks[i]);
		if (p)
			return p + strlen(marks[i]);
	}
	/* .../lib/python3.12/x.py -> x.py, but .../lib/python3.12/a/b.py
	 * -> a/b.py (the module path). */
	p = strstr(path, "/lib/python");
	if (p) {
		const char *slash = strchr(p + strlen("/lib/python"), '/');

		if (slash)
			return slash + 1;
	}
	best = strrchr(path, '/');
	return best ? best + 1 : path;
}

/* Append s with the characters that would break a folded line replaced. */
static void add_clean(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		char c = *s;

		if (c == ';')
			c = ':';
		else if ((unsigned char)c < 0x20)
			c = ' ';
		sb_addc(sb, c);
	}
}

void profile_frame_text(struct strbuf *sb, const struct profile_frame *f,
			int lineno, int function)
{
	int line;

	if (!f) {
		sb_adds(sb, "???");
		return;
	}
	add_clean(sb, f->name);
	sb_adds(sb, " (");
	add_clean(sb, short_file(f->file));
	line = function ? f->firstlineno : f->line;
	if (lineno && line > 0)
		sb_addf(sb, ":%d", line);
	sb_addc(sb, ')');
}
