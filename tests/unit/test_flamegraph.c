/* test_flamegraph.c - the flame-graph renderer: folded parsing (whitespace,
 * decimals, diff columns, CRLF, garbage), XML escaping, GIL breakdowns,
 * pruning, differential graphs and byte-identical output. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gilspy/flamegraph.h"
#include "harness.h"
#include "../../flamegraph/fg_internal.h"

static struct fg *parse(const char *text, struct fg_stats *st)
{
	struct fg *g = fg_new(NULL);

	fg_read_mem(g, text, strlen(text), FG_NEW, st);
	return g;
}

/* The SVG of g, NUL-terminated; caller frees. */
static char *render(struct fg *g, struct fg_render_stats *rs)
{
	struct strbuf sb = STRBUF_INIT;

	fg_render(g, &sb, rs);
	return sb_detach(&sb);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay += strlen(needle))
		n++;
	return n;
}

/* The attributes of the frame named name (up to its rect), or NULL. */
static const char *frame(const char *svg, const char *name)
{
	char key[256];

	snprintf(key, sizeof(key), "data-n=\"%s\"", name);
	return strstr(svg, key);
}

TEST(flamegraph, parse_basic)
{
	struct fg_stats st;
	struct fg *g = parse("a;b;c 3\na;b 2\na;d 5\n", &st);

	CHECK_EQ_INT(st.lines, 3);
	CHECK_EQ_INT(st.stacks, 3);
	CHECK_EQ_INT(st.bad_lines, 0);
	CHECK(fg_total(g, FG_NEW) == 10);
	CHECK(fg_total(g, FG_BASE) == 0);
	fg_free(g);
}

TEST(flamegraph, parse_odd_whitespace_crlf_empty)
{
	struct fg_stats st;
	struct fg *g = parse("  a;b 1\r\n\r\n\n\ta;b\t\t2  \r\na;b   3\n"
			     "a;f (x.py:1);g (y.py:2) 4\n   \n", &st);
	char *svg = render(g, NULL);

	CHECK_EQ_INT(st.lines, 7);
	CHECK_EQ_INT(st.stacks, 4);
	CHECK_EQ_INT(st.bad_lines, 0);
	CHECK(fg_total(g, FG_NEW) == 10);
	/* CR and blanks are not part of names: one "b" frame with 6. */
	CHECK(frame(svg, "b") && !strncmp(frame(svg, "b"), "data-n=\"b\" data-v=\"6\"", 21));
	CHECK(frame(svg, "g (y.py:2)") != NULL);
	free(svg);
	fg_free(g);
}

TEST(flamegraph, parse_decimal_counts)
{
	struct fg_stats st;
	struct fg *g = parse("a;b 0.5\na;c 1.25\na .25\na;b 3.\n", &st);

	CHECK_EQ_INT(st.stacks, 4);
	CHECK_EQ_INT(st.bad_lines, 0);
	CHECK(fg_total(g, FG_NEW) == 5.0);
	fg_free(g);
}

TEST(flamegraph, parse_garbage)
{
	struct fg_stats st;
	struct fg *g = parse("a;b 1\nno count here\nx;y -3\nx;y 1e5\n12\n"
			     ";;; 4\nx;y 0x10\nx;y 2 3 4 junk\n\xff\xfe 2\n", &st);

	/* "\xff\xfe 2" is a valid line: names are bytes. */
	CHECK_EQ_INT(st.stacks, 2);
	CHECK_EQ_INT(st.bad_lines, 7);
	CHECK_EQ_INT(st.first_bad_line, 2);
	CHECK(fg_total(g, FG_NEW) == 3);
	fg_free(g);

	g = parse("only garbage\n\n", &st);
	CHECK_EQ_INT(st.stacks, 0);
	CHECK_EQ_INT(st.bad_lines, 1);
	fg_free(g);
}

TEST(flamegraph, parse_empty_frames_and_no_newline)
{
	struct fg_stats st;
	struct fg *g = parse("a;;b; 2\na;b 3", &st);
	char *svg = render(g, NULL);

	CHECK_EQ_INT(st.stacks, 2);
	CHECK(frame(svg, "b") && !strncmp(frame(svg, "b"), "data-n=\"b\" data-v=\"5\"", 21));
	CHECK(!strstr(svg, "data-n=\"\""));
	free(svg);
	fg_free(g);
}

TEST(flamegraph, parse_diff_columns)
{
	struct fg_stats st;
	struct fg *g = parse("a;b 10 4\na;c 0 6\na;d 5\n", &st);
	char *svg = render(g, NULL);

	CHECK_EQ_INT(st.diff_columns, 1);
	CHECK_EQ_INT(st.stacks, 2);
	CHECK_EQ_INT(st.bad_lines, 1);	/* one count in a two-column file */
	CHECK(fg_total(g, FG_BASE) == 10);
	CHECK(fg_total(g, FG_NEW) == 10);
	CHECK(strstr(svg, "data-diff=\"1\"") != NULL);
	CHECK(strstr(svg, "data-n=\"b\" data-v=\"4\" data-b=\"10\"") != NULL);
	CHECK(strstr(svg, "data-n=\"c\" data-v=\"6\" data-b=\"0\"") != NULL);
	free(svg);
	fg_free(g);

	/* The first valid line decides: after it, a name ending in a
	 * number stays a name in a one-column file. */
	g = parse("process 1234;main 5\na;process 1234 5\na;process 99 7\n", &st);
	CHECK_EQ_INT(st.diff_columns, 0);
	CHECK(fg_total(g, FG_NEW) == 17);
	svg = render(g, NULL);
	CHECK(frame(svg, "process 99") != NULL);
	free(svg);
	fg_free(g);
}

TEST(flamegraph, xml_escape)
{
	struct strbuf sb = STRBUF_INIT;
	static const char in[] = "<script>alert(1)</script> & \"q\" 'a' "
				 "\xff ok\xC3\xA9 \xC0\x80 \xED\xA0\x80 \xE2\x82 \x01\x7f"
				 " \xF0\x9F\x94\xA5";

	fg_xml_escape(&sb, in, sizeof(in) - 1);
	CHECK_EQ_STR(sb.buf, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; "
		     "&quot;q&quot; &#39;a&#39; \xEF\xBF\xBD ok\xC3\xA9 "
		     "\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
		     "\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD"
		     " \xF0\x9F\x94\xA5");
	sb_release(&sb);
}

TEST(flamegraph, hostile_names_render_as_text)
{
	const char *frames[] = { "<script>alert(1)</script>",
				 "a&b \"c\" 'd' ]]> \xff\xfe",
				 "<img src=x onerror=alert(2)>" };
	struct fg_options o;
	struct fg *g;
	char *svg;

	fg_options_init(&o);
	o.title = "<script>alert(3)</script>";
	o.subtitle = "x\" onload=\"alert(4)";
	g = fg_new(&o);
	CHECK_EQ_INT(fg_add_stack(g, frames, 3, 10, FG_NEW), 0);
	svg = render(g, NULL);
	CHECK(!strstr(svg, "<script>alert"));
	CHECK(!strstr(svg, "<img"));
	CHECK(!strstr(svg, "\" onload=\""));
	CHECK_EQ_INT(count(svg, "<script type="), 1);	/* the viewer's own */
	CHECK_EQ_INT(count(svg, "]]>"), 1);	/* closes that script only */
	CHECK(strstr(svg, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL);
	CHECK(strstr(svg, "a&amp;b &quot;c&quot; &#39;d&#39; ]]&gt; "
			  "\xEF\xBF\xBD\xEF\xBF\xBD") != NULL);
	free(svg);
	fg_free(g);
}

TEST(flamegraph, add_stack_keeps_names_whole)
{
	const char *f1[] = { "main (app.py:1)", "a;b c 12" };
	struct fg *g = fg_new(NULL);
	char *svg;

	CHECK_EQ_INT(fg_add_stack(g, f1, 2, 3, FG_NEW), 0);
	CHECK_EQ_INT(fg_add_stack(g, f1, 0, 3, FG_NEW), -1);
	CHECK_EQ_INT(fg_add_stack(g, f1, 2, -1, FG_NEW), -1);
	svg = render(g, NULL);
	CHECK(frame(svg, "a;b c 12") != NULL);
	free(svg);
	fg_free(g);
}

TEST(flamegraph, gil_breakdown)
{
	struct fg *g = parse("t;f;[GIL held] 3\nt;f;g;[waiting for GIL] 2\n"
			     "t;f;g;[running without GIL] 1\nt;h;[idle] 4\n"
			     "t;f 5\n", NULL);
	char *svg = render(g, NULL);

	CHECK(strstr(svg, "data-n=\"f\" data-v=\"11\" data-s=\"3,2,1,0\"") != NULL);
	CHECK(strstr(svg, "data-n=\"g\" data-v=\"3\" data-s=\"0,2,1,0\"") != NULL);
	CHECK(strstr(svg, "data-n=\"t\" data-v=\"15\" data-s=\"3,2,1,4\"") != NULL);
	/* State frames: their class and fixed colour, and a legend. */
	CHECK(strstr(svg, "<g class=\"f s1\" data-n=\"[waiting for GIL]\"") != NULL);
	CHECK(strstr(svg, "fill=\"#0072B2\"") != NULL);
	CHECK(strstr(svg, "id=\"legend\"") != NULL);
	CHECK(strstr(svg, "GIL states of all samples") != NULL);
	free(svg);
	fg_free(g);
}

TEST(flamegraph, blame_frames)
{
	struct fg *g = parse("t;spin;[waiting for GIL];[held by hog];hog_loop;"
			     "deep 6\n"
			     "t;spin;[waiting for GIL];[GIL in hand-off] 1\n"
			     "t;spin;[held by hog];x 2\n"
			     "t;spin;[GIL held] 3\n", NULL);
	char *svg = render(g, NULL);

	/* Above a waiting frame: the holder in the held colour, its code in
	 * the lighter shade, a hand-off in grey; no GIL breakdown there. */
	CHECK(strstr(svg, "<g class=\"f b1\" data-n=\"[held by hog]\" "
			  "data-v=\"6\"><rect") != NULL);
	CHECK(strstr(svg, "<g class=\"f b3\" data-n=\"hog_loop\"") != NULL);
	CHECK(strstr(svg, "<g class=\"f b3\" data-n=\"deep\"") != NULL);
	CHECK(strstr(svg, "<g class=\"f b2\" data-n=\"[GIL in hand-off]\"") != NULL);
	/* Elsewhere the same name is an ordinary frame. */
	CHECK(strstr(svg, "<g class=\"f\" data-n=\"[held by hog]\"") != NULL);
	CHECK(strstr(svg, "<g class=\"f\" data-n=\"x\"") != NULL);
	CHECK(strstr(svg, "data-n=\"[waiting for GIL]\" data-v=\"7\" "
			  "data-s=\"0,7,0,0\"") != NULL);
	CHECK(strstr(svg, "id=\"subtitle\"") != NULL);
	CHECK(strstr(svg, "Blame view") != NULL);
	CHECK(strstr(svg, "holder's code") != NULL);
	free(svg);
	fg_free(g);

	/* Without blame frames: no subtitle, no blame legend. */
	g = parse("t;spin;[waiting for GIL] 1\n", NULL);
	svg = render(g, NULL);
	CHECK(strstr(svg, "Blame view") == NULL);
	CHECK(strstr(svg, "class=\"sw b1\"") == NULL);
	free(svg);
	fg_free(g);
}

TEST(flamegraph, gil_breakdown_reversed)
{
	struct fg_options o;
	struct fg *g;
	char *svg;

	fg_options_init(&o);
	o.reverse = 1;
	g = fg_new(&o);
	fg_read_mem(g, "f;[GIL held] 3\nf;[waiting for GIL] 2\n", 38, FG_NEW, NULL);
	svg = render(g, NULL);
	/* Leaf first: the states are roots, everything above one is in it. */
	CHECK(strstr(svg, "data-n=\"f\" data-v=\"3\" data-s=\"3,0,0,0\"") != NULL);
	CHECK(strstr(svg, "data-n=\"f\" data-v=\"2\" data-s=\"0,2,0,0\"") != NULL);
	free(svg);
	fg_free(g);
}

TEST(flamegraph, summary_band)
{
	struct fg_gil_thread th[2] = {
		{ "MainThread", 100, 10, 80, 5, 5 },
		{ "<worker>", 101, 90, 5, 5, 0 },
	};
	struct fg_gil_summary s = { 0 };
	struct fg *g = parse("a;[GIL held] 1\n", NULL);
	char *svg;

	s.utilisation_pct = 94.8;
	s.contention_pct = 83;
	s.switches_per_s = 120.9;
	s.python_version = "3.12.1";
	s.samples = 801;
	s.nthreads = 2;
	s.threads = th;
	fg_set_gil_summary(g, &s);
	svg = render(g, NULL);
	CHECK(strstr(svg, "GIL utilisation 94.8 %") != NULL);
	CHECK(strstr(svg, "120.9 switches/s") != NULL);
	CHECK(strstr(svg, "&lt;worker&gt;") != NULL);
	CHECK(strstr(svg, "Python 3.12.1") != NULL);
	free(svg);
	fg_free(g);
}

TEST(flamegraph, pruning)
{
	struct fg_options o;
	struct fg_render_stats rs;
	struct fg *g;
	char *svg;

	fg_options_init(&o);
	o.minwidth = 5;
	o.minwidth_pct = 1;
	g = fg_new(&o);
	fg_read_mem(g, "a;big 96\na;small1 1\na;small2;deep 2\nb 1\n", 41,
		    FG_NEW, NULL);
	svg = render(g, &rs);
	CHECK_EQ_INT(rs.frames, 3);	/* all, a, big */
	CHECK_EQ_INT(rs.pruned, 4);	/* small1, small2, deep, b */
	CHECK(!frame(svg, "small1") && !frame(svg, "b"));
	CHECK(strstr(svg, "4 frames narrower than 5 % of the total are not drawn") != NULL);
	free(svg);
	fg_free(g);

	/* Pixels: 1 sample of 1000 is 1.18 px at 1200 px wide. */
	fg_options_init(&o);
	o.minwidth = 2;
	g = fg_new(&o);
	fg_read_mem(g, "a 999\nb 1\n", 10, FG_NEW, NULL);
	svg = render(g, &rs);
	CHECK_EQ_INT(rs.pruned, 1);
	free(svg);
	fg_free(g);
}

TEST(flamegraph, deterministic_in_any_order)
{
	static const char *lines[] = {
		"main;work;[GIL held] 5\n", "main;io;[idle] 2.5\n",
		"main;work;calc 3\n", "thread x (1);main 1\n", "z 7\n",
	};
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	struct fg *g1 = fg_new(NULL), *g2 = fg_new(NULL);
	char *s1, *s2, *s3;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lines); i++) {
		sb_adds(&a, lines[i]);
		sb_adds(&b, lines[ARRAY_SIZE(lines) - 1 - i]);
	}
	fg_read_mem(g1, a.buf, a.len, FG_NEW, NULL);
	fg_read_mem(g2, b.buf, b.len, FG_NEW, NULL);
	s1 = render(g1, NULL);
	s2 = render(g2, NULL);
	s3 = render(g1, NULL);
	CHECK_EQ_STR(s1, s2);
	CHECK_EQ_STR(s1, s3);
	free(s1);
	free(s2);
	free(s3);
	sb_release(&a);
	sb_release(&b);
	fg_free(g1);
	fg_free(g2);
}

/* Stacks added after a render (which drops the node index) land on the
 * same nodes as when all are added before it. */
TEST(flamegraph, add_after_render)
{
	const char *first = "a;b;c 2\na;b;d 3\nx;b;c 1\n";
	const char *more = "a;b;c 4\nx;b;c;e 1\na;b 2\nq 1\n";
	struct fg *g1 = fg_new(NULL), *g2 = fg_new(NULL);
	struct strbuf all = STRBUF_INIT;
	char *s1, *s2;

	sb_adds(&all, first);
	sb_adds(&all, more);
	fg_read_mem(g1, first, strlen(first), FG_NEW, NULL);
	free(render(g1, NULL));
	fg_read_mem(g1, more, strlen(more), FG_NEW, NULL);
	fg_read_mem(g2, all.buf, all.len, FG_NEW, NULL);
	s1 = render(g1, NULL);
	s2 = render(g2, NULL);
	CHECK_EQ_STR(s1, s2);
	CHECK_EQ_INT(g1->nnodes, g2->nnodes);
	free(s1);
	free(s2);
	sb_release(&all);
	fg_free(g1);
	fg_free(g2);
}

TEST(flamegraph, read_fd_long_lines)
{
	int fds[2];
	struct fg_stats st;
	struct fg *g = fg_new(NULL);
	size_t n = 3 << 20, i;
	char *big = xmalloc(n + 16);
	pid_t pid;

	/* One 3 MB line (longer than the read buffer) between short ones. */
	for (i = 0; i < n; i += 2)
		memcpy(big + i, "x;", 2);
	memcpy(big + n, " 4\n", 4);
	CHECK_EQ_INT(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (write(fds[1], "a 1\n", 4) < 0 ||
		    write(fds[1], big, n + 3) < 0 || write(fds[1], "b 2", 3) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	CHECK_EQ_INT(fg_read_fd(g, fds[0], FG_NEW, &st), 0);
	close(fds[0]);
	CHECK_EQ_INT(st.stacks, 3);
	CHECK(fg_total(g, FG_NEW) == 7);
	free(big);
	fg_free(g);
}

TEST(flamegraph, empty_graph)
{
	struct fg *g = parse("\n\n", NULL);
	struct strbuf sb = STRBUF_INIT;

	CHECK_EQ_INT(fg_render(g, &sb, NULL), -1);
	CHECK(strstr(sb.buf, "No samples") != NULL);
	sb_release(&sb);
	fg_free(g);
}

TEST(flamegraph, palette_kinds)
{
	CHECK_EQ_STR(fg_palette_parse("hot", &(enum fg_palette){ 0 }) ? "bad" : "ok", "ok");
	CHECK(fg_palette_parse("nope", &(enum fg_palette){ 0 }) == -1);
	/* How record names files: stdlib relative to lib/pythonX.Y,
	 * packages relative to site-packages, your files by base name. */
	CHECK_EQ_STR(fg_frame_kind("Thread.run (threading.py:982)"), "std");
	CHECK_EQ_STR(fg_frame_kind("submit (concurrent/futures/thread.py:3)"), "std");
	CHECK_EQ_STR(fg_frame_kind("get (requests/api.py:73)"), "lib");
	CHECK_EQ_STR(fg_frame_kind("f (/x/site-packages/numpy/a.py:1)"), "lib");
	CHECK_EQ_STR(fg_frame_kind("f (/usr/lib/python3.12/json/x.py:1)"), "std");
	CHECK_EQ_STR(fg_frame_kind("is_prime (gil_lab.py:24)"), "app");
	CHECK_EQ_STR(fg_frame_kind("main (/srv/app/main.py:5)"), "app");
	CHECK_EQ_STR(fg_frame_kind("thread MainThread (123)"), "root");
	CHECK_EQ_STR(fg_frame_kind("process 42"), "root");
	CHECK_EQ_STR(fg_frame_kind("memcpy"), "native");
	CHECK_EQ_STR(fg_frame_kind("_bootstrap (<frozen importlib._bootstrap>:1)"), "std");
	CHECK_EQ_STR(fg_frame_kind(""), "native");
}
