/*
 * svg.c - write the laid-out graph as one self-contained SVG: title, the
 * GIL header band, the legend, one <g> per frame, and the viewer's CSS and
 * JavaScript (flamegraph/flamegraph.css and .js, embedded at build time).
 *
 * Every byte that came from the input goes through fg_xml_escape(); the
 * script reads names back with getAttribute and writes them with
 * textContent, never as markup.  Numbers are printed with fixed formats, so
 * the same input gives the same bytes.
 *
 * What the script relies on (the contract with flamegraph.js):
 *   <svg data-total data-countname data-diff data-top data-fh data-maxd
 *        data-inv data-xpad data-fw data-cw>
 *   <g class="f [sN|bN]" data-n=NAME data-v=SAMPLES [data-s="h,w,n,i"]
 *        [data-b=BASE]><rect .../>[<text>label</text>]</g>   in pre-order
 *   (bN: a blame frame, N an enum fg_blame; those carry no data-s)
 *   ids: frames, tip, search, reset, matched.
 */
#include <math.h>
#include <string.h>

#include "gilspy/embedded.h"
#include "fg_layout.h"

#define FH 16			/* frame height, pixels */
#define FONT 12			/* monospace font size */
#define CW 7.2			/* its advance width */
#define TITLE_CW 10.2		/* advance width of the 17 px title font */
#define BAND_ROWS 8		/* thread rows shown in the header band */

/* Blame frames (enum fg_blame): the thread that held the GIL in the held
 * colour, its code a lighter shade of it, a hand-off in dark grey. */
static const char *const blame_colours[] = {
	NULL, "#D55E00", "#7A7A7A", "#EE9A6E",
};
static const char *const blame_labels[] = {
	NULL, "held by (blame)", "GIL in hand-off", "holder's code",
};
#define BLAME_SUBTITLE "Blame view: above each [waiting for GIL], the " \
	"thread that held the GIL meanwhile and its code, in proportion"

void fg_xml_escape(struct strbuf *sb, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	static const char repl[] = "\xEF\xBF\xBD";	/* U+FFFD */
	uint32_t cp;
	int n, i;

	sb_grow(sb, len + 16);
	while (p < e) {
		unsigned char c = *p;

		if (c < 0x80) {
			switch (c) {
			case '&': sb_adds(sb, "&amp;"); break;
			case '<': sb_adds(sb, "&lt;"); break;
			case '>': sb_adds(sb, "&gt;"); break;
			case '"': sb_adds(sb, "&quot;"); break;
			case '\'': sb_adds(sb, "&#39;"); break;
			case '\t': case '\n': case '\r':
				sb_addc(sb, ' ');
				break;
			default:
				if (c < 0x20 || c == 0x7f)
					sb_add(sb, repl, 3);
				else
					sb_addc(sb, (char)c);
			}
			p++;
			continue;
		}
		/* Decode one UTF-8 sequence strictly: no overlong forms, no
		 * surrogates, nothing past U+10FFFF, no U+FFFE/U+FFFF. */
		if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
		else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
		else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
		else goto bad;
		if (e - p <= n)
			goto bad;
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				goto bad;
			cp = cp << 6 | (p[i] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
		    cp == 0xFFFE || cp == 0xFFFF)
			goto bad;
		sb_add(sb, p, (size_t)n + 1);
		p += n + 1;
		continue;
bad:
		sb_add(sb, repl, 3);
		p++;
	}
}

static void esc(struct strbuf *sb, const char *s)
{
	fg_xml_escape(sb, s, strlen(s));
}

/* Bytes of the first `chars` characters of s (a byte that does not
 * continue a sequence starts a character). */
static size_t prefix_bytes(const char *s, size_t chars)
{
	size_t i = 0;

	while (s[i] && chars) {
		i++;
		while ((s[i] & 0xC0) == 0x80)
			i++;
		chars--;
	}
	return i;
}

static size_t nchars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += (*s & 0xC0) != 0x80;
	return n;
}

/* The label that fits w pixels, or nothing. */
static void add_label(struct strbuf *sb, const char *name, double w)
{
	size_t fit = w > 6 ? (size_t)((w - 6) / CW) : 0;

	if (fit < 3)
		return;
	if (nchars(name) <= fit) {
		esc(sb, name);
	} else {
		fg_xml_escape(sb, name, prefix_bytes(name, fit - 2));
		sb_adds(sb, "..");
	}
}

static void add_num(struct strbuf *sb, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		sb_addf(sb, "%.0f", v);
	else
		sb_addf(sb, "%.6g", v);
}

/* A stacked bar of the four states at (x, y), w by h pixels. */
static void state_bar(struct strbuf *sb, double x, double y, double w, double h,
		      const double pct[4])
{
	double sum = pct[0] + pct[1] + pct[2] + pct[3], cx = x, dw;
	int s;

	sb_addf(sb, "<rect class=\"barbg\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
		"height=\"%.2f\"/>", x, y, w, h);
	if (!(sum > 0))
		return;
	for (s = 0; s < FG_NSTATES; s++) {
		dw = w * pct[s] / sum;
		if (dw <= 0)
			continue;
		sb_addf(sb, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
			"height=\"%.2f\" fill=\"%s\"/>", cx, y, dw, h,
			fg_state_colours[s]);
		cx += dw;
	}
}

static void pct_text(struct strbuf *sb, const double v[4])
{
	double sum = v[0] + v[1] + v[2] + v[3];
	int s, first = 1;

	for (s = 0; s < FG_NSTATES; s++) {
		if (!(v[s] > 0))
			continue;
		sb_addf(sb, "%s%s %.1f %%", first ? "" : " \xC2\xB7 ",
			fg_state_labels[s], 100 * v[s] / sum);
		first = 0;
	}
}

struct band_row {
	const char *label;
	double v[4];
};

/* The header band: the run's GIL summary when record gave one, else what
 * the state frames of the input say.  Returns the height used. */
static int header_band(struct strbuf *sb, const struct fg *g,
		       const struct fg_layout *L, int y)
{
	const struct fg_gil_summary *s = g->summary;
	struct band_row rows[BAND_ROWS];
	int nrows = 0, more = 0, i, y0 = y;
	double all[4] = { 0 };

	if (!s && !g->has_states)
		return 0;
	sb_adds(sb, "<g id=\"band\">\n");
	if (s) {
		sb_addf(sb, "<text class=\"band\" x=\"%d\" y=\"%d\">", FG_XPAD, y + 12);
		if (s->free_threaded)
			sb_adds(sb, "Free-threaded build: no GIL");
		else
			sb_addf(sb, "GIL utilisation %.1f %% \xC2\xB7 contention "
				"%.1f %% \xC2\xB7 %.2f waiting threads on average "
				"\xC2\xB7 %.1f switches/s", s->utilisation_pct,
				s->contention_pct, s->mean_waiters,
				s->switches_per_s);
		sb_addf(sb, " \xC2\xB7 %llu samples", (unsigned long long)s->samples);
		if (s->duration_s > 0)
			sb_addf(sb, " in %.1f s", s->duration_s);
		if (s->interval_ms > 0)
			sb_addf(sb, " every %.1f ms", s->interval_ms);
		if (s->python_version) {
			sb_adds(sb, " \xC2\xB7 Python ");
			esc(sb, s->python_version);
		}
		sb_adds(sb, "</text>\n");
		for (i = 0; i < s->nthreads; i++) {
			const struct fg_gil_thread *t = &s->threads[i];

			if (nrows == BAND_ROWS) {
				more++;
				continue;
			}
			rows[nrows].label = t->name;
			rows[nrows].v[0] = t->held;
			rows[nrows].v[1] = t->waiting;
			rows[nrows].v[2] = t->native;
			rows[nrows].v[3] = t->idle;
			nrows++;
		}
	} else {
		memcpy(all, L->recs[0].st, sizeof(all));
		sb_addf(sb, "<text class=\"band\" x=\"%d\" y=\"%d\">GIL states of "
			"all samples: ", FG_XPAD, y + 12);
		pct_text(sb, all);
		sb_adds(sb, "</text>\n");
		/* One row per `thread NAME (tid)` root, when there are any. */
		for (i = 1; i < (int)L->n; i++) {
			const struct fg_rec *r = &L->recs[i];
			const char *name;

			if (r->depth != 1)
				continue;
			name = fg_name_str(g, g->nodes[r->node].name);
			if (strncmp(name, "thread ", 7))
				continue;
			if (nrows == BAND_ROWS) {
				more++;
				continue;
			}
			rows[nrows].label = name;
			memcpy(rows[nrows].v, r->st, sizeof(rows[nrows].v));
			nrows++;
		}
		if (!nrows) {
			/* No thread roots: one bar for everything, no text
			 * repeating the line above. */
			state_bar(sb, 250, y + 19, 300, 10, all);
			y += 14;
		}
	}
	y += 18;
	for (i = 0; i < nrows; i++) {
		const char *lab = rows[i].label;
		size_t lb = prefix_bytes(lab, 32);

		sb_addf(sb, "<text class=\"bandrow\" x=\"%d\" y=\"%d\">", FG_XPAD,
			y + 10);
		fg_xml_escape(sb, lab, lb);
		if (lab[lb])
			sb_adds(sb, "..");
		sb_adds(sb, "</text>");
		state_bar(sb, 250, y + 1, 300, 10, rows[i].v);
		sb_addf(sb, "<text class=\"bandrow\" x=\"%d\" y=\"%d\">", 560, y + 10);
		pct_text(sb, rows[i].v);
		sb_adds(sb, "</text>\n");
		y += 14;
	}
	if (more) {
		sb_addf(sb, "<text class=\"bandrow\" x=\"%d\" y=\"%d\">and %d more "
			"threads</text>\n", FG_XPAD, y + 10, more);
		y += 14;
	}
	sb_adds(sb, "</g>\n");
	return y - y0 + 6;
}

static void legend(struct strbuf *sb, const struct fg *g,
		   const struct fg_layout *L, int diff, int y)
{
	static const struct { const char *label, *fill; } py[] = {
		{ "your code", "#F4A65F" }, { "standard library", "#C8BEE6" },
		{ "site-packages", "#C9D88A" }, { "native / other", "#AFC4CF" },
	};
	double x = FG_XPAD;
	size_t i;
	int s;

	sb_adds(sb, "<g id=\"legend\">\n");
	if (diff) {
		sb_addf(sb, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" "
			"fill=\"#E03030\"/><text class=\"leg\" x=\"%.0f\" y=\"%d\">"
			"more samples than base</text>", x, y, x + 16, y + 10);
		x += 200;
		sb_addf(sb, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" height=\"12\" "
			"fill=\"#3070E0\"/><text class=\"leg\" x=\"%.0f\" y=\"%d\">"
			"fewer samples than base</text>", x, y, x + 16, y + 10);
		x += 200;
	}
	if (g->has_states || g->summary) {
		for (s = 0; s < FG_NSTATES; s++) {
			sb_addf(sb, "<rect class=\"sw s%d\" x=\"%.0f\" y=\"%d\" "
				"width=\"12\" height=\"12\" fill=\"%s\"/>"
				"<text class=\"leg\" x=\"%.0f\" y=\"%d\">%s</text>",
				s, x, y, fg_state_colours[s], x + 16, y + 10,
				fg_state_labels[s]);
			x += 16 + CW * (double)strlen(fg_state_labels[s]) + 14;
		}
	}
	if (L->has_blame && !diff) {
		for (s = FG_BLAME_HELD_BY; s <= FG_BLAME_HOLDER; s++) {
			sb_addf(sb, "<rect class=\"sw b%d\" x=\"%.0f\" y=\"%d\" "
				"width=\"12\" height=\"12\" fill=\"%s\"/>"
				"<text class=\"leg\" x=\"%.0f\" y=\"%d\">%s</text>",
				s, x, y, blame_colours[s], x + 16, y + 10,
				blame_labels[s]);
			x += 16 + CW * (double)strlen(blame_labels[s]) + 14;
		}
		/* The code palette's entries would run off the width. */
		sb_adds(sb, "\n</g>\n");
		return;
	}
	if (!diff && g->o.palette == FG_PALETTE_PYTHON) {
		x += 10;
		for (i = 0; i < ARRAY_SIZE(py); i++) {
			sb_addf(sb, "<rect x=\"%.0f\" y=\"%d\" width=\"12\" "
				"height=\"12\" fill=\"%s\"/><text class=\"leg\" "
				"x=\"%.0f\" y=\"%d\">%s</text>", x, y, py[i].fill,
				x + 16, y + 10, py[i].label);
			x += 16 + CW * (double)strlen(py[i].label) + 14;
		}
	}
	sb_adds(sb, "\n</g>\n");
}

/* Red for growth, blue for shrinkage, white for none; t in -1..1. */
static void diff_colour(double t, char buf[8])
{
	double a = fabs(t) > 1 ? 1 : fabs(t);
	int lo;

	/* A square root so a small change is still visibly tinted. */
	a = sqrt(a);
	lo = (int)(255 - 205 * a + 0.5);
	if (t > 0)
		snprintf(buf, 8, "#FF%02X%02X", lo, lo);
	else if (t < 0)
		snprintf(buf, 8, "#%02X%02XFF", lo, lo);
	else
		snprintf(buf, 8, "#F2F2F2");
}

static void add_embedded(struct strbuf *sb, const char *name)
{
	const struct embedded_file *f = embedded_find(name);

	if (f)
		sb_add(sb, f->data, f->size);
}

int fg_render(struct fg *g, struct strbuf *sb, struct fg_render_stats *st)
{
	struct fg_layout L;
	double usable = g->o.width - 2 * FG_XPAD, scale, base_scale = 1, maxd = 0;
	int W = g->o.width, y, top, height, diff, ret = 0;
	const char *title = g->o.title ? g->o.title : "Flame Graph";
	const char *subtitle = g->o.subtitle;
	const char *countname = g->o.countname ? g->o.countname : "samples";
	struct strbuf band = STRBUF_INIT;
	size_t i;
	char col[8];

	fg_drop_index(g);
	fg_layout_build(g, &L);
	diff = g->base && g->total[1] > 0;
	if (diff && g->o.normalize && g->total[1] > 0)
		base_scale = g->total[0] / g->total[1];
	scale = L.total > 0 ? usable / L.total : 0;

	if (!subtitle && L.has_blame && !diff)
		subtitle = BLAME_SUBTITLE;
	/* Heights first: the band's size depends on its rows. */
	y = 34;
	if (subtitle)
		y += 18;
	if (L.n) {
		int h = header_band(&band, g, &L, y);

		y += h;
	}
	y += 6;
	top = y + 22;		/* below the legend row */
	height = top + ((int)L.max_depth + 1) * FH + 44;

	sb_adds(sb, "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n");
	sb_addf(sb, "<svg version=\"1.1\" xmlns=\"http://www.w3.org/2000/svg\" "
		"id=\"gilspy-fg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"data-total=\"", W, height, W, height);
	add_num(sb, L.total);
	sb_adds(sb, "\" data-countname=\"");
	esc(sb, countname);
	sb_addf(sb, "\" data-diff=\"%d\" data-top=\"%d\" data-fh=\"%d\" "
		"data-maxd=\"%u\" data-inv=\"%d\" data-xpad=\"%d\" data-fw=\"%.0f\" "
		"data-cw=\"%.1f\">\n", diff, top, FH, L.max_depth,
		g->o.inverted ? 1 : 0, FG_XPAD, usable, CW);
	sb_adds(sb, "<title>");
	esc(sb, title);
	sb_adds(sb, "</title>\n<style>\n");
	add_embedded(sb, "flamegraph.css");
	sb_adds(sb, "</style>\n");
	sb_addf(sb, "<rect class=\"bg\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\"/>\n",
		W, height);
	/* Titles keep clear of the buttons at either end. */
	sb_addf(sb, "<text id=\"title\" x=\"%d\" y=\"24\">", W / 2);
	add_label(sb, title, (W - 240) * CW / TITLE_CW);
	sb_adds(sb, "</text>\n");
	if (subtitle) {
		sb_addf(sb, "<text id=\"subtitle\" x=\"%d\" y=\"44\">", W / 2);
		add_label(sb, subtitle, W - 240);
		sb_adds(sb, "</text>\n");
	}
	sb_addf(sb, "<text id=\"reset\" class=\"btn hide\" x=\"%d\" y=\"24\">"
		"Reset zoom</text>\n", FG_XPAD);
	sb_addf(sb, "<text id=\"search\" class=\"btn\" x=\"%d\" y=\"24\">"
		"Search</text>\n", W - FG_XPAD);
	sb_add(sb, band.buf ? band.buf : "", band.len);
	legend(sb, g, &L, diff, top - 20);

	if (!L.n) {
		sb_addf(sb, "<text class=\"note\" x=\"%d\" y=\"%d\">No samples: "
			"the input had no valid stacks with a count above "
			"zero.</text>\n", FG_XPAD, top + 12);
		ret = -1;
	}
	/* The frames, in pre-order. */
	sb_adds(sb, "<g id=\"frames\">\n");
	if (diff) {
		for (i = 0; i < L.n; i++) {
			double v = g->nodes[L.recs[i].node].value;
			double d = fabs(v - L.recs[i].base * base_scale);

			if (d > maxd)
				maxd = d;
		}
	}
	for (i = 0; i < L.n; i++) {
		const struct fg_rec *r = &L.recs[i];
		const char *name = i ? fg_name_str(g, g->nodes[r->node].name) : "all";
		double v = g->nodes[r->node].value, x = FG_XPAD + r->x * scale;
		double w = v * scale;
		int fy = g->o.inverted ? top + (int)r->depth * FH
				       : top + ((int)L.max_depth - (int)r->depth) * FH;
		int s = r->anc_state >= 0 && g->nodes[r->node].name < FG_NSTATES ?
			(int)g->nodes[r->node].name : -1;

		if (diff) {
			double b = r->base * base_scale;

			diff_colour(maxd > 0 ? (v - b) / maxd : 0, col);
		} else if (r->blame) {
			memcpy(col, blame_colours[r->blame], 8);
		} else if (s >= 0) {
			memcpy(col, fg_state_colours[s], 8);
		} else if (!i) {
			memcpy(col, "#E0DCD0", 8);
		} else {
			fg_frame_colour(g->o.palette, name, col);
		}
		if (r->blame && !diff)
			sb_addf(sb, "<g class=\"f b%d\" data-n=\"", r->blame);
		else if (s >= 0 && !diff)
			sb_addf(sb, "<g class=\"f s%d\" data-n=\"", s);
		else
			sb_adds(sb, "<g class=\"f\" data-n=\"");
		esc(sb, name);
		sb_adds(sb, "\" data-v=\"");
		add_num(sb, v);
		if (!r->blame && r->st[0] + r->st[1] + r->st[2] + r->st[3] > 0) {
			sb_adds(sb, "\" data-s=\"");
			add_num(sb, r->st[0]);
			sb_addc(sb, ',');
			add_num(sb, r->st[1]);
			sb_addc(sb, ',');
			add_num(sb, r->st[2]);
			sb_addc(sb, ',');
			add_num(sb, r->st[3]);
		}
		if (diff) {
			sb_adds(sb, "\" data-b=\"");
			add_num(sb, r->base * base_scale);
		}
		sb_addf(sb, "\"><rect x=\"%.3f\" y=\"%d\" width=\"%.3f\" "
			"height=\"%d\" fill=\"%s\"/>", x, fy, w, FH - 1, col);
		if (w >= 6 + 3 * CW) {
			sb_addf(sb, "<text x=\"%.2f\" y=\"%d\">", x + 3, fy + FH - 4);
			add_label(sb, name, w);
			sb_adds(sb, "</text>");
		}
		sb_adds(sb, "</g>\n");
	}
	sb_adds(sb, "</g>\n");

	/* Status lines: what was pruned, the search result. */
	y = top + ((int)L.max_depth + 1) * FH + 16;
	sb_addf(sb, "<text id=\"status\" class=\"note\" x=\"%d\" y=\"%d\">", FG_XPAD, y);
	if (L.pruned) {
		sb_addf(sb, "%llu frames narrower than ", (unsigned long long)L.pruned);
		if (g->o.minwidth_pct)
			sb_addf(sb, "%g %% of the total", g->o.minwidth);
		else
			sb_addf(sb, "%g px", g->o.minwidth);
		sb_adds(sb, " are not drawn (--minwidth)");
	}
	if (diff)
		sb_addf(sb, "%sdifferential: widths are the new profile, colour the "
			"change from base%s", L.pruned ? " \xC2\xB7 " : "",
			g->o.normalize ? " (base normalised to the new total)" : "");
	sb_adds(sb, "</text>\n");
	sb_addf(sb, "<text id=\"matched\" class=\"note hide\" x=\"%d\" y=\"%d\">"
		"</text>\n", W - FG_XPAD, y);
	sb_adds(sb, "<g id=\"tip\" class=\"hide\"><rect id=\"tipbg\" x=\"0\" y=\"0\" "
		"width=\"10\" height=\"10\"/></g>\n");
	sb_adds(sb, "<script type=\"text/ecmascript\"><![CDATA[\n");
	add_embedded(sb, "flamegraph.js");
	sb_adds(sb, "]]></script>\n</svg>\n");

	if (st) {
		st->frames = L.n;
		st->pruned = L.pruned;
		st->total = L.total;
	}
	sb_release(&band);
	fg_layout_release(&L);
	return ret;
}
