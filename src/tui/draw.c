/*
 * draw.c - the drawing primitives of `gilspy top` (tui_int.h), shared by
 * render.c (the layout) and panes.c (the threads pane, the blame view):
 * text through the backend with an attribute, fitted to a width, a line
 * at a time within the screen's height.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tui_int.h"

int tui_room(const struct tui_ctx *c)
{
	return !c->out->height || c->lines < c->out->height;
}

void tui_emit(struct tui_ctx *c, const char *s, enum tui_attr a)
{
	const unsigned char *p;

	if (!tui_room(c))
		return;
	for (p = (const unsigned char *)s; *p; p++)
		c->col += (*p & 0xc0) != 0x80;
	c->out->put(c->out->ctx, s, a);
}

void tui_put(struct tui_ctx *c, enum tui_attr a, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!tui_room(c))
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tui_emit(c, buf, a);
}

/* Spaces in a up to the width (a heading's reverse video runs across). */
void tui_fill(struct tui_ctx *c, enum tui_attr a)
{
	while (c->out->width && c->col < c->out->width && tui_room(c))
		tui_emit(c, " ", a);
}

void tui_eol(struct tui_ctx *c)
{
	if (!tui_room(c))
		return;
	c->out->eol(c->out->ctx);
	c->lines++;
	c->col = 0;
}

/* Copy s into dst, cut or padded to width columns (one per code point:
 * names are ASCII in practice; control bytes become '?'). */
void tui_fit(char *dst, size_t size, const char *s, int width, int left)
{
	size_t o = 0;
	int cols = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p && cols < width && o + 5 < size) {
		size_t n = 1;

		if (*p >= 0xf0)
			n = 4;
		else if (*p >= 0xe0)
			n = 3;
		else if (*p >= 0xc0)
			n = 2;
		if (*p < 0x20 || *p == 0x7f) {
			dst[o++] = '?';
			p++;
		} else {
			while (n-- && *p)
				dst[o++] = (char)*p++;
		}
		cols++;
	}
	dst[o] = '\0';
	if (left)
		return;
	while (cols < width && o + 1 < size) {
		dst[o++] = ' ';
		cols++;
	}
	dst[o] = '\0';
}

enum tui_attr tui_state_attr(int s)
{
	switch (s) {
	case GIL_HELD: return TA_HELD;
	case GIL_WAITING: return TA_WAITING;
	case GIL_NATIVE: case GIL_RUNNING: return TA_NATIVE;
	case GIL_IDLE: return TA_IDLE;
	default: return TA_DIM;
	}
}

/* --- header -------------------------------------------------------------- */

void tui_filter_name(struct tui_ctx *c, char *buf, size_t size)
{
	struct tui *u = c->u;
	size_t i;

	if (!u->filter_tid) {
		snprintf(buf, size, "all threads");
		return;
	}
	for (i = 0; i < u->ntrows; i++)
		if (u->trows[i].tid == u->filter_tid) {
			snprintf(buf, size, "thread %.40s (%d)",
				 u->trows[i].name, (int)u->filter_tid);
			return;
		}
	snprintf(buf, size, "thread %d (not in the window)",
		 (int)u->filter_tid);
}
