/* test_tui_procs.c - `top -s`: the view over a tree of processes
 * (src/tui/procs.c), each process with its own profile, fed with
 * synthetic samples: the rows put together, the root row per process, the
 * grouped view's header lines, a process that exits, a reset. */
#include <stdlib.h>
#include <string.h>

#include "gilspy/tui.h"
#include "../../src/tui/tui_int.h"
#include "harness.h"

#define SEC 1000000000ull

static const struct py_frame_info *frame_of(void *ctx, uint32_t id)
{
	static struct py_frame_info fi;
	static char name[32];

	(void)ctx;
	snprintf(name, sizeof(name), "g%u", id);
	fi.name = name;
	fi.filename = "/srv/app/pool.py";
	fi.line = (int)id;
	fi.firstlineno = (int)id;
	return &fi;
}

static const char *name_of(void *ctx, pid_t tid, uint64_t thread_id)
{
	(void)ctx;
	(void)tid;
	(void)thread_id;
	return "MainThread";
}

/* n samples from t0, 10 ms apart, of one thread tid on frame f: in state
 * a, or alternately a and b. */
static void feed1(struct tui *p, uint64_t t0, int n, pid_t tid, uint32_t f,
		  enum gil_state a, enum gil_state b)
{
	struct py_sample *s = calloc(1, sizeof(*s));
	int i;

	for (i = 0; i < n; i++) {
		memset(s, 0, sizeof(*s));
		s->time_ns = t0 + (uint64_t)i * 10000000ull;
		s->interval_us = 5000;
		s->nthreads = 1;
		s->threads[0].tid = tid;
		s->threads[0].state = i % 2 ? b : a;
		s->gil_locked = s->threads[0].state == GIL_HELD;
		s->threads[0].nframes = 1;
		s->threads[0].frames = s->pool;
		s->pool[0] = f;
		tui_add(p, s);
	}
	free(s);
}

struct fixture {
	struct tui *u, *a, *b;
};

/* Process 50 (the root) holds in g1 all the time; 51, its child, holds
 * and waits in turn in g2. */
static void setup(struct fixture *fx, int group)
{
	struct profile_resolver r = { frame_of, name_of, NULL };
	struct tui_options o;
	struct tui_target root = { 50, "python pool.py", "3.12.1", 100, 0, 0 };
	struct tui_target child = { 51, "python pool.py", "3.12.1", 100, 0, 0 };

	tui_options_init(&o);
	o.window_s = 5;
	o.group = group;
	fx->u = tui_new_tree(&o, &root, 0);
	fx->a = tui_add_process(fx->u, &r, &root, 0, 0);
	fx->b = tui_add_process(fx->u, &r, &child, 50, 0);
	feed1(fx->a, 0, 10, 500, 1, GIL_HELD, GIL_HELD);
	feed1(fx->b, 0, 10, 510, 2, GIL_HELD, GIL_WAITING);
	tui_refresh(fx->u, 1 * SEC);
}

static const struct tui_func_row *root_row(struct tui *u, pid_t pid)
{
	size_t i;

	tui_rows(u);
	for (i = 0; i < u->nfrows; i++)
		if (u->frows[i].root && u->frows[i].src->pid == pid)
			return &u->frows[i];
	return NULL;
}

TEST(tui_procs, rows_of_every_process_each_with_its_own)
{
	struct fixture fx;
	const struct tui_func_row *r;
	size_t i, n500 = 0, n510 = 0;

	setup(&fx, 0);
	/* the header: the sum of both windows, so the mean of their GILs */
	CHECK_EQ_INT(fx.u->win.d.samples, 20);
	CHECK_EQ_INT(fx.u->win.d.held_ticks, 15);
	CHECK_EQ_INT(fx.u->win.d.contended_ticks, 5);
	CHECK_EQ_INT(fx.u->nlast, 2);
	tui_rows(fx.u);
	CHECK_EQ_INT(fx.u->ntrows, 2);
	for (i = 0; i < fx.u->ntrows; i++) {
		const struct tui_thread_row *t = &fx.u->trows[i];

		if (t->tid == 500 && t->src == fx.a && t->state[GIL_HELD] == 10)
			n500++;
		if (t->tid == 510 && t->src == fx.b &&
		    t->state[GIL_HELD] == 5 && t->state[GIL_WAITING] == 5)
			n510++;
	}
	CHECK(n500 == 1 && n510 == 1);
	/* each process is the root of its stacks */
	CHECK_EQ_INT(fx.u->fsamples, 20);
	r = root_row(fx.u, 50);
	CHECK(r && r->total == 10 && r->held == 10 && r->waiting == 0);
	r = root_row(fx.u, 51);
	CHECK(r && r->total == 10 && r->held == 5 && r->waiting == 5);
	tui_free(fx.u);
}

TEST(tui_procs, text_frames_flat_and_grouped)
{
	struct fixture fx;
	struct strbuf sb = STRBUF_INIT;

	setup(&fx, 0);
	tui_render_text(fx.u, &sb, 30);
	CHECK(strstr(sb.buf, "pid 50 and subprocesses: 2 Python processes - "
			     "python pool.py\n") != NULL);
	CHECK(strstr(sb.buf, "GIL held  75.0%  contention  25.0% of ticks") !=
	      NULL);
	CHECK(strstr(sb.buf, "\n     PID    TID  THREAD ") != NULL);
	CHECK(strstr(sb.buf, "\n      50    500  MainThread       held  "
			     "     100.0") != NULL);
	CHECK(strstr(sb.buf, "\n      51    510  MainThread       waiting"
			     "     50.0    50.0") != NULL);
	CHECK(strstr(sb.buf, "      50    0.0   50.0   50.0    0.0  "
			     "process 50 (python pool.py)\n") != NULL);
	CHECK(strstr(sb.buf, "      51   50.0   50.0   25.0   25.0  "
			     "g2 (pool.py:2)\n") != NULL);
	CHECK(strstr(sb.buf, "\nprocess 5") == NULL);	/* not grouped */
	if (unit_failed)
		printf("# frame:\n%s", sb.buf);

	/* key s: a line per process, its threads under it */
	fx.u->group = 1;
	fx.u->dirty = 1;
	sb_reset(&sb);
	tui_render_text(fx.u, &sb, 30);
	CHECK(strstr(sb.buf, "\nprocess 50  Python 3.12.1  GIL held 100.0%  "
			     "contention   0.0%  python pool.py\n      50    "
			     "500  MainThread ") != NULL);
	CHECK(strstr(sb.buf, "\nprocess 51 (child of 50)  Python 3.12.1  GIL "
			     "held  50.0%  contention  50.0%  python pool.py\n"
			     "      51    510  MainThread ") != NULL);
	if (unit_failed)
		printf("# grouped frame:\n%s", sb.buf);
	sb_release(&sb);
	tui_free(fx.u);
}

TEST(tui_procs, an_exited_process_stays_frozen_until_reset)
{
	struct fixture fx;
	struct strbuf sb = STRBUF_INIT;

	setup(&fx, 1);
	feed1(fx.b, 1 * SEC, 4, 510, 2, GIL_WAITING, GIL_WAITING);
	tui_process_exited(fx.b, 2 * SEC);
	/* its last samples count; later refreshes leave it as it was */
	CHECK_EQ_INT(fx.b->win.d.samples, 14);
	feed1(fx.a, 2 * SEC, 10, 500, 1, GIL_HELD, GIL_HELD);
	tui_refresh(fx.u, 3 * SEC);
	tui_refresh(fx.u, 9 * SEC);
	CHECK_EQ_INT(fx.b->win.d.samples, 14);
	CHECK_EQ_INT(fx.b->win.d.contended_ticks, 9);
	/* the header: the processes still running only */
	CHECK_EQ_INT(fx.u->win.d.samples, fx.a->win.d.samples);
	tui_render_text(fx.u, &sb, 30);
	CHECK(strstr(sb.buf, "2 Python processes (1 exited)") != NULL);
	CHECK(strstr(sb.buf, "\nprocess 51 (child of 50)  Python 3.12.1  GIL "
			     "held  35.7%  contention  64.3%  exited  python "
			     "pool.py\n      51    510  MainThread       exited")
	      != NULL);
	if (unit_failed)
		printf("# frame:\n%s", sb.buf);
	/* a reset forgets it */
	tui_reset(fx.u, 10 * SEC);
	CHECK_EQ_INT(fx.u->nprocs, 1);
	CHECK(fx.u->procs[0] == fx.a);
	sb_release(&sb);
	tui_free(fx.u);
}
