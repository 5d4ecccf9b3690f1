/* test_markdown.c - the markdown summary: its figures and tables, escaping
 * of hostile names, the 64 KB bound with hundreds of threads and functions,
 * determinism, and the deltas against a base report read back from
 * output_json. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gilspy/baseline.h"
#include "gilspy/output.h"
#include "harness.h"

/* Names of frames and threads, settable per test. */
struct md_names {
	char *frame[2048];		/* by frame id: "name\tfile" */
	char *thread[4096];		/* by tid - 1000 */
};

static const struct py_frame_info *md_frame(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[4096], file[4096];
	struct md_names *n = ctx;
	const char *tab;

	if (id >= ARRAY_SIZE(n->frame) || !n->frame[id]) {
		snprintf(name, sizeof(name), "fn%u", id);
		snprintf(file, sizeof(file), "/srv/app/mod%u.py", id % 3);
	} else {
		tab = strchr(n->frame[id], '\t');
		snprintf(name, sizeof(name), "%.*s",
			 (int)(tab - n->frame[id]), n->frame[id]);
		snprintf(file, sizeof(file), "%s", tab + 1);
	}
	fi.name = name;
	fi.filename = file;
	fi.line = (int)id + 1;
	fi.firstlineno = (int)id;
	return &fi;
}

static const char *md_thread(void *ctx, pid_t tid, uint64_t thread_id)
{
	struct md_names *n = ctx;

	(void)thread_id;
	if (tid >= 1000 && tid - 1000 < (pid_t)ARRAY_SIZE(n->thread))
		return n->thread[tid - 1000];
	return NULL;
}

static void md_names_free(struct md_names *n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(n->frame); i++)
		free(n->frame[i]);
	for (i = 0; i < ARRAY_SIZE(n->thread); i++)
		free(n->thread[i]);
	free(n);
}

static void md_set(struct py_sample *s, int i, pid_t tid, enum gil_state st,
		   uint32_t leaf)
{
	struct py_thread_sample *t = &s->threads[i];

	t->tid = tid;
	t->thread_id = (uint64_t)tid << 8;
	t->tstate = 0x7000 + (uint64_t)tid;
	t->state = st;
	t->evidence = EV_OS_RUNNING;
	t->nframes = 2;
	t->frames = &s->pool[s->pool_used];
	t->frames[0] = leaf;
	t->frames[1] = 1;
	s->pool_used += 2;
	if (i >= s->nthreads)
		s->nthreads = i + 1;
}

static void md_tick(struct py_sample *s, uint64_t t_ns)
{
	s->nthreads = 0;
	s->pool_used = 0;
	s->time_ns = t_ns;
	s->gil_locked = 1;
	s->switch_number = t_ns / 1000000;
	s->interval_us = 5000;
}

/*
 * "Head" run, 100 ticks 10 ms apart (1 s):
 *   1000 MainThread  idle
 *   1001 worker-a    held 0-49 (fn10), waiting 50-99 (fn11)
 *   1002 worker-b    waiting 0-49 (fn11), held 50-89 (fn12), native 90-99
 * held 90 of 200 busy, waiting 100, native 10; utilisation 100 %,
 * contention 100 %, 10 switches per tick.
 * With swap, the slots of a tick are filled in another order (the
 * rendering must not change).
 */
static struct profile *head_profile(struct md_names *names, int swap)
{
	struct profile_resolver r = { md_frame, md_thread, names };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	int i;

	names->thread[0] = xstrdup("MainThread");
	names->thread[1] = xstrdup("worker-a");
	names->thread[2] = xstrdup("worker-b");
	for (i = 0; i < 100; i++) {
		enum gil_state a = i < 50 ? GIL_HELD : GIL_WAITING;
		enum gil_state b = i < 50 ? GIL_WAITING : i < 90 ? GIL_HELD :
				   GIL_NATIVE;

		md_tick(s, 1000000000ull + (uint64_t)i * 10000000ull);
		md_set(s, swap ? 2 : 0, 1000, GIL_IDLE, 2);
		md_set(s, 1, 1001, a, i < 50 ? 10 : 11);
		md_set(s, swap ? 0 : 2, 1002, b,
		       i < 50 ? 11 : i < 90 ? 12 : 13);
		profile_add(p, s);
	}
	free(s);
	return p;
}

static const struct record_info md_ri = {
	.pid = 4242, .python = "3.12.1",
	.command = "python app.py --workers 2", .requested_hz = 100,
	.wall_ns = 1000000000ull, .stopped_by = "duration", .exit_code = -1,
};

/* The line of text starting with prefix, as a new string ("" if none). */
static char *line_of(const char *text, const char *prefix)
{
	const char *l = text;
	size_t n = strlen(prefix);

	while (l && *l) {
		const char *e = strchr(l, '\n');

		if (!strncmp(l, prefix, n)) {
			size_t len = e ? (size_t)(e - l) : strlen(l);
			char *r = xmalloc(len + 1);

			memcpy(r, l, len);
			r[len] = '\0';
			return r;
		}
		l = e ? e + 1 : NULL;
	}
	return xstrdup("");
}

#define CHECK_LINE(text, prefix, want)                                       \
	do {                                                                 \
		char *l_ = line_of(text, prefix);                            \
		CHECK_EQ_STR(l_, want);                                      \
		free(l_);                                                    \
	} while (0)

/* Every table row (a line starting with '|') has cells separated by
 * unescaped pipes: n of them; code spans are closed. */
static void check_tables(const char *md)
{
	const char *l = md;
	size_t want = 0;

	while (*l) {
		const char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l), i, pipes = 0;

		if (len && l[0] == '|') {
			for (i = 0; i < len; i++)
				if (l[i] == '|' && (!i || l[i - 1] != '\\'))
					pipes++;
			if (i && l[len - 1] != '|') {
				printf("#   row does not end in '|': %.*s\n",
				       (int)len, l);
				unit_failed = 1;
			}
			if (want && pipes != want) {
				printf("#   %zu cells, expected %zu: %.*s\n",
				       pipes - 1, want - 1, (int)len, l);
				unit_failed = 1;
			}
			want = pipes;
		} else {
			want = 0;
		}
		if (!e)
			break;
		l = e + 1;
	}
}

TEST(markdown, figures_threads_and_top_functions)
{
	struct md_names *names = xcalloc(1, sizeof(*names));
	struct profile *p = head_profile(names, 0);
	struct strbuf md = STRBUF_INIT;

	output_markdown(&md, p, &md_ri, NULL);
	CHECK_LINE(md.buf, "###", "### gilspy: `python app.py --workers 2`");
	CHECK_LINE(md.buf, "pid ", "pid 4242 · Python 3.12.1 · 1.00 s · "
		   "100 samples at 100.0 Hz (requested 100 Hz) · stopped by "
		   "duration");
	CHECK_LINE(md.buf, "| figure", "| figure | `--fail-if` | value |");
	CHECK_LINE(md.buf, "| GIL utilisation", "| GIL utilisation (samples "
		   "with a holder) | `utilisation` | 100.0% |");
	CHECK_LINE(md.buf, "| contention", "| contention (samples with a "
		   "waiter) | `contention` | 100.0% |");
	CHECK_LINE(md.buf, "| mean threads", "| mean threads waiting | "
		   "`waiters` | 1.00 |");
	CHECK_LINE(md.buf, "| GIL switches", "| GIL switches | `switches` | "
		   "990.0 /s |");
	CHECK_LINE(md.buf, "| held,", "| held, of busy thread samples | "
		   "`held` | 45.0% |");
	CHECK_LINE(md.buf, "| waiting,", "| waiting, of busy thread samples | "
		   "`waiting` | 50.0% |");
	CHECK_LINE(md.buf, "| native", "| native (no GIL), of busy thread "
		   "samples | `native` | 5.0% |");
	CHECK_LINE(md.buf, "| idle,", "| idle, of all thread samples | "
		   "`idle` | 33.3% |");
	CHECK_LINE(md.buf, "| errors", "| errors (torn or unreadable "
		   "samples) | `errors` | 0.0% |");
	CHECK_LINE(md.buf, "| samples", "| samples read | `samples` | 100 |");
	CHECK_LINE(md.buf, "| `MainThread`", "| `MainThread` | 1000 | 0.0% | "
		   "0.0% | 0.0% | 100.0% |");
	CHECK_LINE(md.buf, "| `worker-a`", "| `worker-a` | 1001 | 50.0% | "
		   "50.0% | 0.0% | 0.0% |");
	CHECK_LINE(md.buf, "| `worker-b`", "| `worker-b` | 1002 | 40.0% | "
		   "50.0% | 10.0% | 0.0% |");
	CHECK(strstr(md.buf, "#### Top functions holding the GIL\n\n"
		     "| % of held samples | function |\n|--:|:--|\n"
		     "| 55.6% | `fn10 (mod1.py:10)` |\n"
		     "| 44.4% | `fn12 (mod0.py:12)` |\n"));
	CHECK(strstr(md.buf, "#### Top functions waiting for the GIL\n\n"
		     "| % of waiting samples | function |\n|--:|:--|\n"
		     "| 100.0% | `fn11 (mod2.py:11)` |\n"));
	check_tables(md.buf);
	CHECK(md.len < 4096);
	sb_release(&md);
	profile_free(p);
	md_names_free(names);
}

TEST(markdown, deterministic_and_independent_of_slot_order)
{
	struct md_names *n1 = xcalloc(1, sizeof(*n1));
	struct md_names *n2 = xcalloc(1, sizeof(*n2));
	struct profile *p1 = head_profile(n1, 0), *p2 = head_profile(n2, 1);
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, c = STRBUF_INIT;

	output_markdown(&a, p1, &md_ri, NULL);
	output_markdown(&b, p1, &md_ri, NULL);
	output_markdown(&c, p2, &md_ri, NULL);
	CHECK_EQ_STR(a.buf, b.buf);
	CHECK_EQ_STR(a.buf, c.buf);
	sb_release(&a);
	sb_release(&b);
	sb_release(&c);
	profile_free(p1);
	profile_free(p2);
	md_names_free(n1);
	md_names_free(n2);
}

TEST(markdown, hostile_names_are_escaped)
{
	struct md_names *names = xcalloc(1, sizeof(*names));
	struct profile_resolver r = { md_frame, md_thread, names };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	struct record_info ri = md_ri;
	struct strbuf md = STRBUF_INIT;
	static const char *const tnames[] = {
		"a|b", "<script>alert(1)</script>", "x`y``z", "`edge`",
		"line\nbreak\r\ttab\x1b", "@everyone **bold** [l](http://x)",
		"bad\xff\xfeutf8", " padded ",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tnames); i++)
		names->thread[i] = xstrdup(tnames[i]);
	names->frame[5] = xstrdup("f|<b>`\n\tx.py");
	ri.command = "python -c 'print(1)' | tee `log` <x>\n#2";
	md_tick(s, 1000);
	for (i = 0; i < ARRAY_SIZE(tnames); i++)
		md_set(s, (int)i, 1000 + (pid_t)i, i ? GIL_WAITING : GIL_HELD,
		       5);
	profile_add(p, s);
	output_markdown(&md, p, &ri, NULL);

	/* the command: a code span outside a table keeps its pipe */
	CHECK_LINE(md.buf, "###", "### gilspy: ``python -c 'print(1)' | tee "
		   "`log` <x>\\n#2``");
	CHECK(strstr(md.buf, "| `a\\|b` | 1000 |"));
	CHECK(strstr(md.buf, "| `<script>alert(1)</script>` | 1001 |"));
	CHECK(strstr(md.buf, "| ```x`y``z``` | 1002 |"));
	CHECK(strstr(md.buf, "| `` `edge` `` | 1003 |"));
	CHECK(strstr(md.buf, "| `line\\nbreak\\r\\ttab\\x1b` | 1004 |"));
	CHECK(strstr(md.buf, "| `@everyone **bold** [l](http://x)` | 1005 |"));
	CHECK(strstr(md.buf, "| `bad\xef\xbf\xbd\xef\xbf\xbdutf8` | 1006 |"));
	CHECK(strstr(md.buf, "| `  padded  ` | 1007 |"));
	/* a function label with all of it (the frame text already made the
	 * newline a space) */
	CHECK(strstr(md.buf, "| 100.0% | ``f\\|<b>`  (x.py:5)`` |"));
	/* nothing outside a code span but our own markup: no raw '<' */
	{
		const char *c;
		int in_code = 0;
		size_t fence = 0;

		for (c = md.buf; *c; c++) {
			if (*c == '`') {
				size_t run = strspn(c, "`");

				if (!in_code) {
					in_code = 1;
					fence = run;
				} else if (run == fence) {
					in_code = 0;
				}
				c += run - 1;
				continue;
			}
			if (!in_code && (*c == '<' || *c == '@' ||
					 *c == '*' || *c == '['))
				break;
		}
		CHECK_EQ_INT(*c, 0);
		CHECK_EQ_INT(in_code, 0);
	}
	check_tables(md.buf);
	sb_release(&md);
	free(s);
	profile_free(p);
	md_names_free(names);
}

TEST(markdown, bounded_with_hundreds_of_threads_and_functions)
{
	struct md_names *names = xcalloc(1, sizeof(*names));
	struct profile_resolver r = { md_frame, md_thread, names };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	struct record_info ri = md_ri;
	struct strbuf md = STRBUF_INIT, big = STRBUF_INIT, base = STRBUF_INIT;
	struct output_options o;
	struct baseline *b = NULL;
	char *path;
	int i, k, fd;

	/* worst cases for escaping: 4-byte characters, pipes (2 bytes each),
	 * control characters (4), backtick runs (longer fences) */
	for (i = 0; i < 600; i++) {
		sb_reset(&big);
		for (k = 0; k < 300; k++)
			sb_adds(&big, (k + i) % 4 == 0 ? "\xf0\x9f\x90\x8d" :
				(k + i) % 4 == 1 ? "|" : (k + i) % 4 == 2 ?
				"\x01" : "`");
		names->thread[i] = xstrdup(big.buf);
	}
	for (i = 2; i < 1200; i++) {
		sb_reset(&big);
		for (k = 0; k < 500; k++)
			sb_adds(&big, k % 3 ? "|\x02" : "\xf0\x9f\x90\x8d`");
		sb_addf(&big, "%d\t/srv/", i);
		for (k = 0; k < 300; k++)
			sb_adds(&big, "\xe2\x82\xac|");
		sb_adds(&big, ".py");
		names->frame[i] = xstrdup(big.buf);
	}
	sb_reset(&big);
	for (k = 0; k < 10000; k++)
		sb_adds(&big, "|\n`");
	ri.command = big.buf;
	ri.python = "3.12\n<b>";
	/* 600 threads over 3 ticks of 200, each busy in its own function */
	for (k = 0; k < 30; k++) {
		md_tick(s, (uint64_t)k * 1000000);
		for (i = 0; i < 200; i++) {
			int t = (k % 3) * 200 + i;

			md_set(s, i, 1000 + t, (enum gil_state)((t + k) % 4),
			       2 + (uint32_t)((t * 7 + k) % 1198));
		}
		profile_add(p, s);
	}
	CHECK_EQ_INT(profile_nthreads(p), 600);

	/* and a baseline made of the same, so every delta cell is there */
	output_options_init(&o);
	output_json(&base, p, &o, &ri);
	path = xstrdup("/tmp/gilspy-unit-md.XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, base.buf, base.len) == (ssize_t)base.len);
	close(fd);
	sb_reset(&big);
	CHECK_EQ_INT(baseline_load(path, &b, &big), 0);
	unlink(path);
	free(path);

	output_markdown(&md, p, &ri, NULL);
	printf("# %zu bytes without a baseline\n", md.len);
	CHECK(md.len <= OUTPUT_MARKDOWN_MAX);
	/* within the bound by construction, not by the last-resort cut */
	CHECK(!strstr(md.buf, "summary cut"));
	CHECK(strstr(md.buf, "\n560 more threads not shown (the 40 busiest "
		     "are; the JSON report has them all).\n"));
	CHECK(md.len > 10000);
	check_tables(md.buf);

	sb_reset(&md);
	output_markdown(&md, p, &ri, b);
	printf("# %zu bytes with a baseline\n", md.len);
	CHECK(md.len <= OUTPUT_MARKDOWN_MAX);
	CHECK(!strstr(md.buf, "summary cut"));
	CHECK(!strstr(md.buf, "(new)"));
	CHECK(!strstr(md.buf, "In the base only"));
	check_tables(md.buf);

	sb_release(&md);
	sb_release(&big);
	sb_release(&base);
	baseline_free(b);
	free(s);
	profile_free(p);
	md_names_free(names);
}

/* The base: 100 ticks where worker-a holds 70 and waits 30, worker-b (a
 * different tid) waits 30, holds 30, is idle 40; a thread "gone" that the
 * head run does not have; fn10 and fn99 where fn12 is in the head. */
static struct baseline *load_base(struct md_names *names)
{
	struct profile_resolver r = { md_frame, md_thread, names };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	struct strbuf json = STRBUF_INIT, why = STRBUF_INIT;
	struct output_options o;
	struct baseline *b = NULL;
	struct record_info ri = md_ri;
	char *path;
	int i, fd;

	names->thread[10] = xstrdup("worker-a");
	names->thread[11] = xstrdup("worker-b");
	names->thread[12] = xstrdup("gone");
	for (i = 0; i < 100; i++) {
		md_tick(s, 1000000000ull + (uint64_t)i * 10000000ull);
		md_set(s, 0, 1010, i < 70 ? GIL_HELD : GIL_WAITING,
		       i < 70 ? 10 : 11);
		md_set(s, 1, 1011, i < 30 ? GIL_WAITING : i < 60 ? GIL_IDLE :
		       i < 70 ? GIL_IDLE : i < 100 ? GIL_HELD : GIL_IDLE,
		       i < 30 ? 11 : 99);
		md_set(s, 2, 1012, GIL_IDLE, 2);
		profile_add(p, s);
	}
	ri.python = "3.11.7";
	output_options_init(&o);
	output_json(&json, p, &o, &ri);
	path = xstrdup("/tmp/gilspy-unit-md.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, json.buf, json.len) != (ssize_t)json.len)
		unit_failed = 1;
	close(fd);
	if (baseline_load(path, &b, &why))
		printf("#   %s\n", why.buf);
	unlink(path);
	free(path);
	sb_release(&json);
	sb_release(&why);
	free(s);
	profile_free(p);
	return b;
}

TEST(markdown, deltas_against_a_base_report)
{
	struct md_names *names = xcalloc(1, sizeof(*names));
	struct md_names *bnames = xcalloc(1, sizeof(*bnames));
	struct profile *p = head_profile(names, 0);
	struct baseline *b = load_base(bnames);
	struct strbuf md = STRBUF_INIT;

	CHECK(b != NULL);
	output_markdown(&md, p, &md_ri, b);
	CHECK(strstr(md.buf, "\nΔ against the base report (`gilspy "));
	CHECK(strstr(md.buf, "Python 3.11.7, 1.00 s, 100 samples, schema 1); "
		     "**worse** marks a rise of 1 pp or more in contention, "
		     "waiting or errors (0.05 in waiters).\n"));
	CHECK_LINE(md.buf, "| figure", "| figure | `--fail-if` | value | "
		   "base | Δ |");
	/* base: every tick held; one waiter in ticks 0-29 and 70-99 */
	CHECK_LINE(md.buf, "| GIL utilisation", "| GIL utilisation (samples "
		   "with a holder) | `utilisation` | 100.0% | 100.0% | "
		   "0.0 pp |");
	CHECK_LINE(md.buf, "| contention", "| contention (samples with a "
		   "waiter) | `contention` | 100.0% | 60.0% | "
		   "**+40.0 pp worse** |");
	CHECK_LINE(md.buf, "| mean threads", "| mean threads waiting | "
		   "`waiters` | 1.00 | 0.60 | **+0.40 worse** |");
	/* base busy: held 100, waiting 60 of 160: 62.5 % and 37.5 % */
	CHECK_LINE(md.buf, "| held,", "| held, of busy thread samples | "
		   "`held` | 45.0% | 62.5% | -17.5 pp |");
	CHECK_LINE(md.buf, "| waiting,", "| waiting, of busy thread samples | "
		   "`waiting` | 50.0% | 37.5% | **+12.5 pp worse** |");
	CHECK_LINE(md.buf, "| samples", "| samples read | `samples` | 100 | "
		   "100 | 0 |");
	/* threads matched by name, whatever their tid */
	CHECK_LINE(md.buf, "| `worker-a`", "| `worker-a` | 1001 | 50.0% "
		   "(-20.0) | 50.0% (+20.0) | 0.0% (0.0) | 0.0% (0.0) |");
	CHECK_LINE(md.buf, "| `worker-b`", "| `worker-b` | 1002 | 40.0% "
		   "(+10.0) | 50.0% (+20.0) | 10.0% (+10.0) | 0.0% (-40.0) |");
	CHECK_LINE(md.buf, "| `MainThread`", "| `MainThread` (new) | 1000 | "
		   "0.0% | 0.0% | 0.0% | 100.0% |");
	CHECK(strstr(md.buf, "\nIn the base only: `gone`.\n"));
	/* functions matched by name and file: fn10 held 70 of 100 in the
	 * base, fn12 not there; fn11 waited 60 of 60 */
	CHECK(strstr(md.buf, "| % of held samples | function | base | Δ |\n"
		     "|--:|:--|--:|--:|\n"
		     "| 55.6% | `fn10 (mod1.py:10)` | 70.0% | -14.4 pp |\n"
		     "| 44.4% | `fn12 (mod0.py:12)` | | new |\n"));
	CHECK(strstr(md.buf, "| 100.0% | `fn11 (mod2.py:11)` | 100.0% | "
		     "0.0 pp |\n"));
	check_tables(md.buf);
	sb_release(&md);
	baseline_free(b);
	profile_free(p);
	md_names_free(names);
	md_names_free(bnames);
}

TEST(markdown, empty_free_threaded_and_without_record_info)
{
	struct md_names *names = xcalloc(1, sizeof(*names));
	struct profile_resolver r = { md_frame, md_thread, names };
	struct profile *p = profile_new(&r);
	struct py_sample *s = calloc(1, sizeof(*s));
	struct strbuf md = STRBUF_INIT;

	output_markdown(&md, p, NULL, NULL);
	CHECK_LINE(md.buf, "###", "### gilspy: GIL profile");
	CHECK(strstr(md.buf, "No thread was sampled."));
	CHECK(strstr(md.buf, "#### Top functions holding the GIL\n\nNone.\n"));
	check_tables(md.buf);

	names->thread[0] = xstrdup("ft");
	md_tick(s, 5);
	s->gil_locked = -1;
	md_set(s, 0, 1000, GIL_RUNNING, 7);
	profile_add(p, s);
	sb_reset(&md);
	output_markdown(&md, p, &md_ri, NULL);
	CHECK(strstr(md.buf, "| GIL | | none: free-threaded build |\n"));
	CHECK(!strstr(md.buf, "utilisation"));
	CHECK(strstr(md.buf, "| running, of busy thread samples | `native` | "
		     "100.0% |"));
	CHECK(strstr(md.buf, "#### Top functions running\n"));
	CHECK(!strstr(md.buf, "waiting for the GIL"));
	check_tables(md.buf);
	sb_release(&md);
	free(s);
	profile_free(p);
	md_names_free(names);
}

TEST(markdown, a_base_with_few_figures_gets_na_not_deltas)
{
	static const char text[] =
		"{\"version\": 2, \"generator\": \"gilspy 9\", \"summary\": "
		"{\"contention_pct\": 50, \"future\": 1}, \"extra\": []}";
	struct md_names *names = xcalloc(1, sizeof(*names));
	struct profile *p = head_profile(names, 0);
	struct strbuf md = STRBUF_INIT, why = STRBUF_INIT;
	struct baseline *b = NULL;
	char *path = xstrdup("/tmp/gilspy-unit-md.XXXXXX");
	int fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, text, sizeof(text) - 1) ==
			 (ssize_t)sizeof(text) - 1);
	close(fd);
	CHECK_EQ_INT(baseline_load(path, &b, &why), 0);
	unlink(path);
	free(path);
	output_markdown(&md, p, &md_ri, b);
	CHECK(strstr(md.buf, "schema 2, newer than this gilspy: unknown "
		     "fields ignored)"));
	CHECK_LINE(md.buf, "| contention", "| contention (samples with a "
		   "waiter) | `contention` | 100.0% | 50.0% | "
		   "**+50.0 pp worse** |");
	CHECK_LINE(md.buf, "| GIL utilisation", "| GIL utilisation (samples "
		   "with a holder) | `utilisation` | 100.0% | n/a | |");
	/* no threads or functions in the base: nothing is "new" */
	CHECK(!strstr(md.buf, "(new)"));
	CHECK(!strstr(md.buf, "In the base only"));
	CHECK(!strstr(md.buf, "| base | Δ |\n|--:|:--|"));
	CHECK_LINE(md.buf, "| `worker-a`", "| `worker-a` | 1001 | 50.0% | "
		   "50.0% | 0.0% | 0.0% |");
	check_tables(md.buf);
	sb_release(&md);
	sb_release(&why);
	baseline_free(b);
	profile_free(p);
	md_names_free(names);
}

/* A raw file may say anything about how its recording stopped: a plain
 * phrase is shown as is, anything else as code. */
TEST(markdown, how_it_stopped_is_escaped)
{
	struct md_names *names = xcalloc(1, sizeof(*names));
	struct profile_resolver r = { md_frame, md_thread, names };
	struct profile *p = profile_new(&r);
	struct record_info ri = md_ri;
	struct strbuf md = STRBUF_INIT;

	ri.stopped_by = "interrupt (SIGINT)";
	output_markdown(&md, p, &ri, NULL);
	CHECK(strstr(md.buf, " · stopped by interrupt (SIGINT)\n"));
	sb_reset(&md);
	ri.stopped_by = "<img src=x onerror=alert(1)>|x";
	output_markdown(&md, p, &ri, NULL);
	CHECK(strstr(md.buf, " · stopped by `<img"));
	CHECK(!strstr(md.buf, "stopped by <img"));
	sb_release(&md);
	profile_free(p);
	md_names_free(names);
}
