/* test_tui.c - the window of `gilspy top` (differences of profile
 * snapshots), its rows, filters and sort, and the text frame, fed with
 * synthetic samples. */
#include <stdlib.h>
#include <string.h>

#include "gilspy/tui.h"
#include "../../src/tui/tui_int.h"
#include "harness.h"

#define SEC 1000000000ull

static const struct py_frame_info *fake_frame(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[32];

	(void)ctx;
	snprintf(name, sizeof(name), "f%u", id);
	fi.name = name;
	fi.filename = "/srv/app/mod.py";
	fi.line = (int)id * 10;
	fi.firstlineno = (int)id * 10 - 1;
	return &fi;
}

static const char *fake_name(void *ctx, pid_t tid, uint64_t thread_id)
{
	(void)ctx;
	(void)thread_id;
	return tid == 100 ? "main" : "worker";
}

static struct tui *new_tui(double window_s)
{
	struct profile_resolver r = { fake_frame, fake_name, NULL };
	struct tui_options o;
	struct tui_target tg = { 42, "python app.py", "3.12.1", 100, 0, 0 };

	tui_options_init(&o);
	o.window_s = window_s;
	return tui_new(&r, &o, &tg, 0);
}

/* n samples from t0 on, 10 ms apart: thread 100 in state a on stack
 * {3} or {1}, thread 101 in state b on stack f2 <- f1. */
static void feed(struct tui *u, uint64_t t0, int n, enum gil_state a,
		 uint32_t a_frame, enum gil_state b)
{
	struct py_sample *s = calloc(1, sizeof(*s));
	static const uint32_t stack_b[] = { 2, 1 };
	int i;

	for (i = 0; i < n; i++) {
		memset(s, 0, sizeof(*s));
		s->time_ns = t0 + (uint64_t)i * 10000000ull;
		s->gil_locked = 1;
		s->switch_number = (uint64_t)i;
		s->interval_us = 5000;
		s->nthreads = 2;
		s->threads[0].tid = 100;
		s->threads[0].state = a;
		s->threads[0].nframes = 1;
		s->threads[0].frames = s->pool;
		s->pool[0] = a_frame;
		s->threads[1].tid = 101;
		s->threads[1].state = b;
		s->threads[1].nframes = 2;
		s->threads[1].frames = s->pool + 1;
		memcpy(s->pool + 1, stack_b, sizeof(stack_b));
		tui_add(u, s);
	}
	free(s);
}

static const struct tui_func_row *row(struct tui *u, uint32_t key)
{
	size_t i;

	tui_rows(u);
	for (i = 0; i < u->nfrows; i++)
		if (u->frows[i].key == key)
			return &u->frows[i];
	return NULL;
}

/* function ids are given in order of first sight: f1 (thread 100's
 * frame in phase 1) is 0, f2 is 1, f3 is 2 */
TEST(tui, sliding_window_is_the_difference_of_snapshots)
{
	struct tui *u = new_tui(1);
	const struct tui_func_row *r;

	/* phase 1: 100 holds in f1, 101 waits in f2 <- f1 */
	feed(u, 0, 10, GIL_HELD, 1, GIL_WAITING);
	tui_refresh(u, 1 * SEC);
	/* phase 2: 100 idle in f3, 101 holds in f2 <- f1 */
	feed(u, 1 * SEC, 10, GIL_IDLE, 3, GIL_HELD);
	tui_refresh(u, 2 * SEC);

	CHECK_EQ_INT(u->win.d.samples, 10);
	CHECK_EQ_INT(u->win.d.contended_ticks, 0);
	CHECK_EQ_INT(u->win.t1_ns - u->win.t0_ns, 1 * SEC);
	tui_rows(u);
	CHECK_EQ_INT(u->ntrows, 2);
	/* the busy thread first */
	CHECK_EQ_INT(u->trows[1].tid, 100);
	CHECK_EQ_INT(u->trows[1].state[GIL_IDLE], 10);
	CHECK_EQ_INT(u->trows[1].now, GIL_IDLE);
	CHECK_EQ_INT(u->trows[0].state[GIL_HELD], 10);
	CHECK_EQ_INT(u->trows[0].state[GIL_WAITING], 0);
	/* idle left out: only 101's ten held samples */
	CHECK_EQ_INT(u->fsamples, 10);
	r = row(u, 1);		/* f2 */
	CHECK(r && r->own == 10 && r->total == 10 && r->held == 10 &&
	      r->waiting == 0);
	r = row(u, 0);		/* f1 */
	CHECK(r && r->own == 0 && r->total == 10 && r->held == 10);
	CHECK(!row(u, 2));	/* f3 is idle */

	/* sparklines: one value per refresh */
	CHECK_EQ_INT(u->win.nhist, 2);
	CHECK(u->win.wait_hist[0] == 100.0 && u->win.wait_hist[1] == 0.0);
	CHECK(u->win.held_hist[0] == 100.0 && u->win.held_hist[1] == 100.0);
	tui_free(u);
}

TEST(tui, cumulative_filters_idle_and_lines)
{
	struct tui *u = new_tui(1);
	const struct tui_func_row *r;

	feed(u, 0, 10, GIL_HELD, 1, GIL_WAITING);
	tui_refresh(u, 1 * SEC);
	feed(u, 1 * SEC, 10, GIL_IDLE, 3, GIL_HELD);
	tui_refresh(u, 2 * SEC);

	u->o.cumulative = 1;
	tui_window_update(u);
	CHECK_EQ_INT(u->win.d.samples, 20);
	CHECK_EQ_INT(u->win.d.contended_ticks, 10);
	r = row(u, 0);		/* f1: 100's own in phase 1, 101's stack */
	CHECK(r && r->own == 10 && r->total == 30 && r->held == 20 &&
	      r->waiting == 10);
	CHECK_EQ_INT(u->fsamples, 30);

	u->o.idle = 1;
	u->dirty = 1;
	r = row(u, 2);		/* f3 now counts */
	CHECK(r && r->own == 10 && r->held == 0);
	CHECK_EQ_INT(u->fsamples, 40);

	u->filter_tid = 101;
	u->dirty = 1;
	CHECK(!row(u, 2));
	r = row(u, 1);
	CHECK(r && r->total == 20 && r->held == 10 && r->waiting == 10);
	CHECK_EQ_INT(u->fsamples, 20);

	/* line-level rows are keyed by frame id */
	u->filter_tid = 0;
	u->o.lines = 1;
	u->dirty = 1;
	r = row(u, 3);
	CHECK(r && r->own == 10);
	tui_free(u);
}

TEST(tui, sort_cycle_pause_reset)
{
	struct tui *u = new_tui(5);

	feed(u, 0, 10, GIL_HELD, 1, GIL_WAITING);
	tui_refresh(u, 1 * SEC);
	u->o.sort = TUI_SORT_WAITING;
	u->dirty = 1;
	tui_rows(u);
	/* f2 and f1 both have 10 waiting; f1 has the bigger total */
	CHECK(u->nfrows == 2 && u->frows[0].key == 0 && u->frows[1].key == 1);
	u->o.sort = TUI_SORT_NAME;
	u->dirty = 1;
	tui_rows(u);
	CHECK(u->nfrows == 2 && u->frows[0].key == 0);

	/* t: all -> 100 -> 101 -> all; T backwards */
	tui_cycle_thread(u, 1);
	CHECK_EQ_INT(u->filter_tid, 100);
	tui_cycle_thread(u, 1);
	CHECK_EQ_INT(u->filter_tid, 101);
	tui_cycle_thread(u, 1);
	CHECK_EQ_INT(u->filter_tid, 0);
	tui_cycle_thread(u, -1);
	CHECK_EQ_INT(u->filter_tid, 101);

	/* paused: new snapshots, the same window */
	u->paused = 1;
	feed(u, 1 * SEC, 10, GIL_HELD, 1, GIL_WAITING);
	tui_refresh(u, 2 * SEC);
	CHECK_EQ_INT(u->win.d.samples, 10);
	u->paused = 0;
	tui_window_update(u);
	CHECK_EQ_INT(u->win.d.samples, 20);

	tui_reset(u, 3 * SEC);
	CHECK_EQ_INT(u->win.d.samples, 0);
	tui_rows(u);
	CHECK_EQ_INT(u->ntrows, 0);
	CHECK_EQ_INT(u->nfrows, 0);
	tui_free(u);
}

TEST(tui, old_snapshots_drop_their_counts)
{
	struct tui *u = new_tui(2);
	size_t i, with = 0;
	int k;

	for (k = 0; k < 100; k++) {
		feed(u, (uint64_t)k * SEC, 5, GIL_HELD, (uint32_t)(1 + k % 7),
		     GIL_WAITING);
		tui_refresh(u, (uint64_t)(k + 1) * SEC);
	}
	CHECK_EQ_INT(u->nsnaps, TUI_HISTORY);
	for (i = 0; i < TUI_HISTORY; i++)
		with += u->ring[i].counts != NULL;
	/* the newest, and the ones a 2 s window can start from */
	CHECK(with <= 3);
	CHECK_EQ_INT(u->win.d.samples, 10);
	CHECK_EQ_INT(u->win.nhist, TUI_HISTORY - 1);
	tui_free(u);
}

TEST(tui, text_frame)
{
	struct tui *u = new_tui(5);
	struct strbuf sb = STRBUF_INIT;

	feed(u, 0, 10, GIL_HELD, 1, GIL_WAITING);
	tui_refresh(u, 1 * SEC);
	tui_set_status(u, 1, "process exited");
	tui_render_text(u, &sb, 30);
	CHECK(strstr(sb.buf, "pid 42 - Python 3.12.1 - python app.py\n") != NULL);
	CHECK(strstr(sb.buf, "GIL held 100.0%  contention 100.0% of ticks "
			     "(mean 1.00 waiting)") != NULL);
	CHECK(strstr(sb.buf, "\nprocess exited\n") != NULL);
	CHECK(strstr(sb.buf, "\nthreads 2 now: 1 held, 1 waiting, 0 native, "
			     "0 idle\n") != NULL);
	CHECK(strstr(sb.buf, "    100  main             held       100.0"
			     "     0.0     0.0     0.0  -                  "
			     "####################\n") != NULL);
	CHECK(strstr(sb.buf, "    101  worker           waiting      0.0"
			     "   100.0     0.0     0.0  main         100%  "
			     "~~~~~~~~~~~~~~~~~~~~\n") != NULL);
	CHECK(strstr(sb.buf, "   50.0  100.0   50.0   50.0  f1 (mod.py:9)\n")
	      != NULL);
	CHECK(strstr(sb.buf, "   50.0   50.0    0.0   50.0  f2 (mod.py:19)\n")
	      != NULL);
	if (unit_failed)
		printf("# frame:\n%s", sb.buf);
	sb_release(&sb);
	tui_free(u);
}

/* n samples from t0, 10 ms apart, of nthreads (<= PY_MAX_THREADS)
 * threads, tids 200, 201, ...: thread i in states[i] on stack {10 + i},
 * the rest idle on {9}. */
static void feed_many(struct tui *u, uint64_t t0, int n, int nthreads,
		      const enum gil_state *states, int nstates)
{
	struct py_sample *s = calloc(1, sizeof(*s));
	int i, k;

	for (i = 0; i < n; i++) {
		memset(s, 0, sizeof(*s));
		s->time_ns = t0 + (uint64_t)i * 10000000ull;
		s->gil_locked = 1;
		s->switch_number = (uint64_t)i;
		s->interval_us = 5000;
		s->nthreads = nthreads;
		for (k = 0; k < nthreads; k++) {
			struct py_thread_sample *t = &s->threads[k];

			t->tid = 200 + k;
			t->state = k < nstates ? states[k] : GIL_IDLE;
			t->nframes = 1;
			t->frames = s->pool + k;
			s->pool[k] = k < nstates ? 10 + (uint32_t)k : 9;
		}
		tui_add(u, s);
	}
	free(s);
}

/* The threads pane with many idle threads: the busy ones first, the idle
 * ones one folded row, every one with all_threads; t cycles through the
 * rows shown. */
TEST(tui, busy_threads_first_idle_folded)
{
	/* tids 200, 201 idle; 202 waits, 203 holds */
	static const enum gil_state st[] = { GIL_IDLE, GIL_IDLE, GIL_WAITING,
					     GIL_HELD };
	struct tui *u = new_tui(5);
	struct strbuf sb = STRBUF_INIT;
	char want[160], label[40];

	/* as many as a sample holds: the header says there may be more */
	feed_many(u, 0, 10, PY_MAX_THREADS, st, 4);
	tui_refresh(u, 1 * SEC);
	tui_rows(u);
	CHECK_EQ_INT(u->ntrows, PY_MAX_THREADS);
	CHECK_EQ_INT(u->nshown, 2);
	CHECK_EQ_INT(u->trows[0].tid, 202);	/* both 100 % busy: by tid */
	CHECK_EQ_INT(u->trows[1].tid, 203);
	CHECK(u->trows[2].folded && u->trows[PY_MAX_THREADS - 1].folded);

	tui_render_text(u, &sb, 30);
	snprintf(want, sizeof(want), "\nthreads %d+ now: 1 held, 1 waiting, "
		 "0 native, %d idle  (gilspy reads at most %d per sample)\n",
		 PY_MAX_THREADS, PY_MAX_THREADS - 2, PY_MAX_THREADS);
	CHECK(strstr(sb.buf, want) != NULL);
	/* the count, then "idle threads" as far as the name column holds */
	snprintf(label, sizeof(label), "%d idle threads", PY_MAX_THREADS - 2);
	if (strlen(label) > 16)
		snprintf(label, sizeof(label), "%d idle", PY_MAX_THREADS - 2);
	snprintf(want, sizeof(want), "      +  %-16s idle        no busy sample "
		 "in the window (--all-threads lists them)\n", label);
	CHECK(strstr(sb.buf, want) != NULL);
	CHECK(strstr(sb.buf, "    202  worker           waiting") <
	      strstr(sb.buf, "    203  worker           held"));
	/* every thread is a "worker": the blocker is named by its tid */
	CHECK(strstr(sb.buf, "    202  worker           waiting      0.0   "
			     "100.0     0.0     0.0  203          100%  ") != NULL);
	CHECK(!strstr(sb.buf, "    200  worker"));

	/* t: all -> 202 -> 203 -> all, idle ones skipped */
	tui_cycle_thread(u, 1);
	CHECK_EQ_INT(u->filter_tid, 202);
	tui_cycle_thread(u, 1);
	CHECK_EQ_INT(u->filter_tid, 203);
	tui_cycle_thread(u, 1);
	CHECK_EQ_INT(u->filter_tid, 0);

	/* the thread filtered to is never folded */
	u->filter_tid = 250;
	u->dirty = 1;
	tui_rows(u);
	CHECK_EQ_INT(u->nshown, 3);
	CHECK_EQ_INT(u->trows[2].tid, 250);
	u->filter_tid = 0;

	u->o.all_threads = 1;
	u->dirty = 1;
	tui_rows(u);
	CHECK_EQ_INT(u->nshown, PY_MAX_THREADS);
	CHECK_EQ_INT(u->trows[2].tid, 200);
	sb_reset(&sb);
	tui_render_text(u, &sb, PY_MAX_THREADS + 30);
	snprintf(want, sizeof(want), "%7d  worker", 200 + PY_MAX_THREADS - 1);
	CHECK(strstr(sb.buf, "    200  worker") && strstr(sb.buf, want));
	CHECK(!strstr(sb.buf, "idle threads"));
	if (unit_failed)
		printf("# frame:\n%s", sb.buf);
	sb_release(&sb);
	tui_free(u);
}

/* One idle thread is a row of its own: a summary would take a line too. */
TEST(tui, one_idle_thread_is_not_folded)
{
	static const enum gil_state st[] = { GIL_HELD, GIL_IDLE };
	struct tui *u = new_tui(5);

	feed_many(u, 0, 10, 2, st, 2);
	tui_refresh(u, 1 * SEC);
	tui_rows(u);
	CHECK_EQ_INT(u->nshown, 2);
	CHECK_EQ_INT(u->trows[1].tid, 201);
	tui_free(u);
}

/* Blame over the sliding window: phase 1 has 101 waiting for 100, phase 2
 * has 100 waiting for 101; the window after phase 2 holds phase 2 only,
 * the cumulative view both. */
TEST(tui, blame_follows_the_window)
{
	struct tui *u = new_tui(1);
	struct strbuf sb = STRBUF_INIT;
	const struct tui_thread_row *r;

	feed(u, 0, 10, GIL_HELD, 1, GIL_WAITING);
	tui_refresh(u, 1 * SEC);
	feed(u, 1 * SEC, 6, GIL_WAITING, 3, GIL_HELD);
	tui_refresh(u, 2 * SEC);
	tui_rows(u);
	CHECK_EQ_INT(u->bsamples, 6);
	CHECK_EQ_INT(u->nbrows, 1);
	/* thread ids by first sight: 100 is 0, 101 is 1; f3 is function 2,
	 * f2 function 1 */
	CHECK(u->nbrows == 1 && u->brows[0].waiter_thread == 0 &&
	      u->brows[0].waiter_func == 2 && u->brows[0].holder_thread == 1 &&
	      u->brows[0].holder_func == 1 && u->brows[0].samples == 6);
	r = &u->trows[0];
	CHECK(r->tid == 100 && r->blocker == 1 && r->blocker_n == 6 &&
	      r->blamed == 6);
	CHECK(u->trows[1].blamed == 0);

	u->o.cumulative = 1;
	tui_window_update(u);
	tui_rows(u);
	CHECK_EQ_INT(u->bsamples, 16);
	CHECK(u->nbrows == 2 && u->brows[0].samples == 10 &&
	      u->brows[0].waiter_thread == 1 && u->brows[1].samples == 6);

	/* filtered to a thread: the rows where it waits or holds */
	u->view = TUI_VIEW_BLAME;
	u->filter_tid = 101;
	u->dirty = 1;
	tui_render_text(u, &sb, 30);
	CHECK(strstr(sb.buf, "\nBLAME  waiting caused by, most first, thread "
			     "worker (101), 16 waiting samples\n") != NULL);
	CHECK(strstr(sb.buf, "   62.5       10  worker: f2 (mod.py:19)    <-  "
			     "main: f1 (mod.py:9)\n") != NULL);
	CHECK(strstr(sb.buf, "   37.5        6  main: f3 (mod.py:29)      <-  "
			     "worker: f2 (mod.py:19)\n") != NULL);
	CHECK(!strstr(sb.buf, "FUNCTIONS"));
	if (unit_failed)
		printf("# frame:\n%s", sb.buf);
	sb_release(&sb);
	tui_free(u);
}

static void sb_put(void *ctx, const char *s, enum tui_attr a)
{
	(void)a;
	sb_adds(ctx, s);
}

static void sb_eol(void *ctx)
{
	sb_addc(ctx, '\n');
}

/* A screen-sized frame (100x30) of as many threads as a sample holds,
 * every one listed: the
 * threads pane takes what the functions pane leaves, says which rows it
 * shows, and End (a scroll past the end) shows the last page. */
TEST(tui, threads_pane_scrolls_on_a_screen)
{
	static const enum gil_state st[] = { GIL_HELD, GIL_WAITING };
	struct tui *u = new_tui(5);
	struct strbuf sb = STRBUF_INIT;
	struct tui_out out = {
		.put = sb_put, .eol = sb_eol, .ctx = &sb,
		.width = 100, .height = 30, .screen = 1,
	};
	const char *p;
	char want[160];
	int lines = 0;

	feed_many(u, 0, 10, PY_MAX_THREADS, st, 2);
	tui_refresh(u, 1 * SEC);
	u->o.all_threads = 1;
	u->dirty = 1;
	tui_render(u, &out);
	for (p = sb.buf; *p; p++)
		lines += *p == '\n';
	CHECK_EQ_INT(lines, 30);
	/* header 6, the key bar, the threads heading, a blank, the
	 * functions title and heading: 19 lines left, the functions need
	 * 3 (2 rows), the threads pane takes 16: 15 rows and "rows" */
	snprintf(want, sizeof(want), "        ... rows 1-15 of %d (Tab, then "
		 "arrows, scroll them; t picks one)\n", PY_MAX_THREADS);
	CHECK(strstr(sb.buf, want) != NULL);
	CHECK(strstr(sb.buf, "    200  worker           held") != NULL);

	u->focus = TUI_FOCUS_THREADS;
	u->tscroll = 1 << 29;
	sb_reset(&sb);
	tui_render(u, &out);
	CHECK_EQ_INT(u->tscroll, PY_MAX_THREADS - 15);
	snprintf(want, sizeof(want), "        ... rows %d-%d of %d (arrows "
		 "scroll, Tab: the lower pane)\n", PY_MAX_THREADS - 14,
		 PY_MAX_THREADS, PY_MAX_THREADS);
	CHECK(strstr(sb.buf, want) != NULL);
	snprintf(want, sizeof(want), "%7d  worker", 200 + PY_MAX_THREADS - 1);
	CHECK(strstr(sb.buf, want) && !strstr(sb.buf, "    200  worker"));
	if (unit_failed)
		printf("# frame:\n%s", sb.buf);
	sb_release(&sb);
	tui_free(u);
}

static int named_yet;

static const char *late_name(void *ctx, pid_t tid, uint64_t thread_id)
{
	(void)ctx;
	(void)thread_id;
	if (!named_yet)
		return "python3";
	return tid == 100 ? "main" : "worker";
}

/* A launched command's threads are seen before Python names them: each
 * refresh asks again, so the view (and BLOCKED BY) gets the names. */
TEST(tui, refresh_picks_up_late_thread_names)
{
	struct profile_resolver r = { fake_frame, late_name, NULL };
	struct tui_options o;
	struct tui_target tg = { 42, "python app.py", "3.12.1", 100, 0, 0 };
	struct tui *u;

	named_yet = 0;
	tui_options_init(&o);
	u = tui_new(&r, &o, &tg, 0);
	feed(u, 0, 10, GIL_HELD, 1, GIL_WAITING);
	tui_refresh(u, 1 * SEC);
	tui_rows(u);
	CHECK(u->ntrows == 2 && !strcmp(u->trows[0].name, "python3"));
	/* both "python3": a blocker is told apart by its tid */
	CHECK(tui_thread_name_shared(u, 0));
	named_yet = 1;
	feed(u, 1 * SEC, 10, GIL_HELD, 1, GIL_WAITING);
	tui_refresh(u, 2 * SEC);
	tui_rows(u);
	CHECK(u->ntrows == 2 && !strcmp(u->trows[0].name, "main") &&
	      !strcmp(u->trows[1].name, "worker"));
	CHECK(!tui_thread_name_shared(u, 0));
	tui_free(u);
}
