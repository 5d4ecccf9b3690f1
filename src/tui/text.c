/* text.c - the plain-text backend of the renderer: --batch frames. */
#include "tui_int.h"

static void text_put(void *ctx, const char *s, enum tui_attr a)
{
	(void)a;
	sb_adds(ctx, s);
}

static void text_eol(void *ctx)
{
	struct strbuf *sb = ctx;

	/* headings are padded for the screen's reverse video only */
	while (sb->len && sb->buf[sb->len - 1] == ' ')
		sb->buf[--sb->len] = '\0';
	sb_addc(sb, '\n');
}

void tui_render_text(struct tui *u, struct strbuf *sb, int max_funcs)
{
	struct tui_out out = {
		.put = text_put, .eol = text_eol, .ctx = sb,
		.max_funcs = max_funcs,
	};

	tui_render(u, &out);
	sb_addc(sb, '\n');
}
