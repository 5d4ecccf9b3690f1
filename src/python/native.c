/*
 * native.c - native stacks merged with the Python stacks (--native).
 *
 * For each thread of a sample: its C stack is copied and unwound
 * (src/proc/unwind.c), each return address becomes an interned frame of
 * the target's frame table (flag native, name the symbol or 0xADDR,
 * filename the file's base name, line 0), and the two stacks are merged in
 * true order: every call of the eval loop (_PyEval_EvalFrameDefault) is
 * replaced by the Python frames it ran - one frame before 3.11, the frames
 * up to the next entry mark from 3.11 (stack.c marks them: is_entry on
 * 3.11, the eval loop's entry shims on 3.12+).  Python frames left over
 * when the C stack has fewer eval calls than expected (a stripped build, a
 * truncated unwind, a stack that moved between the two reads) go outermost.
 * Where no eval call can be named at all (the chroot's 3.15 splits its
 * loop into unnamed parts) the C frames above the interpreter's code are
 * kept, then the Python stack: the callbacks' order is lost there.
 *
 * The default view keeps the C frames a user acts on: those of extensions
 * and libraries, the leaf, the functions that take or drop the GIL, and
 * the interpreter function a Python line called (builtin_sorted, not the
 * vectorcall machinery that led to it); the interpreter's own glue and the
 * thread start-up below the first Python frame go.  PYT_NATIVE_ALL keeps
 * every frame.
 *
 * The C stack also says whether a thread waits for the GIL: it is in
 * take_gil, or - in stripped builds, which export only public names - in a
 * GIL-taking entry point over unnamed interpreter code over a libc wait.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/util.h"
#include "native.h"

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path;
}

static uint32_t add_frame(struct py_target *t, const char *name,
			  const char *file)
{
	struct py_frame_info *f;

	if (t->nframes == t->aframes) {
		t->aframes = t->aframes ? t->aframes * 2 : 256;
		t->frames = xrealloc(t->frames, t->aframes * sizeof(*t->frames));
	}
	f = &t->frames[t->nframes];
	f->name = strpool_intern(&t->strings, name, strlen(name));
	f->filename = strpool_intern(&t->strings, file, strlen(file));
	f->line = 0;
	f->firstlineno = 0;
	f->native = 1;
	f->addr = 0;
	f->object = NULL;
	return t->nframes++;
}

static int is_one_of(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(name, *list))
			return 1;
	return 0;
}

static const char *const gil_names[] = {
	"take_gil", "drop_gil", "PyEval_RestoreThread", "PyEval_SaveThread",
	"PyEval_AcquireThread", "PyEval_AcquireLock", "PyGILState_Ensure",
	"_PyEval_TakeGIL", NULL
};

static const char *const entry_names[] = {
	"PyEval_RestoreThread", "PyEval_AcquireThread", "PyEval_AcquireLock",
	"PyGILState_Ensure", NULL
};

/* Is an interpreter function part of how calls are made (vectorcall,
 * PyObject_Call, the eval loop's helpers) rather than what a Python line
 * called (builtin_sorted, time_sleep, list_sort)? */
static int is_glue(const char *name)
{
	static const char *const prefixes[] = {
		"_Py", "Py", "cfunction_", "method_vectorcall", "vectorcall",
		"call_function", "do_call_core", "slot_tp_", "wrapper",
		"function_code_fastcall", "fast_function", "object_vacall",
		NULL
	};

	for (const char *const *p = prefixes; *p; p++)
		if (!strncmp(name, *p, strlen(*p)))
			return 1;
	return 0;
}

/* Is a libc function one that take_gil waits in? */
static int is_lock_wait(const char *name)
{
	while (*name == '_')	/* ___pthread_cond_timedwait in libc's .symtab */
		name++;
	return !strncmp(name, "pthread_cond_", 13) ||
	       !strncmp(name, "pthread_mutex_", 14) ||
	       strstr(name, "futex") || strstr(name, "lll_lock");
}

static void set_flags(struct py_native *n, uint32_t id, uint16_t flags)
{
	if (id >= n->nfflags) {
		uint32_t m = n->nfflags ? n->nfflags : 1024;

		while (m <= id)
			m *= 2;
		n->fflags = xrealloc(n->fflags, m * sizeof(*n->fflags));
		memset(n->fflags + n->nfflags, 0,
		       (m - n->nfflags) * sizeof(*n->fflags));
		n->nfflags = m;
	}
	n->fflags[id] = flags;
}

static struct nframe lookup_frame(struct py_target *t, uint64_t ip, int call,
				  uint64_t fstart);

/* The frame of the code at ip (call: a return address; fstart: where the
 * unwind info says its function starts, 0 unknown), with its flags;
 * cached by address, until the unwinder re-reads the maps. */
static struct nframe native_frame(struct py_target *t, uint64_t ip, int call,
				  uint64_t fstart)
{
	struct py_native *n = t->native;
	uint64_t key = ip << 1 | (uint64_t)!!call;
	struct nframe out;

	if (unwinder_generation(n->unw) != n->generation) {
		u64map_clear(&n->by_ip);
		n->generation = unwinder_generation(n->unw);
	}
	if (u64map_get(&n->by_ip, key, &out.id)) {
		out.flags = n->fflags[out.id];
		return out;
	}
	out = lookup_frame(t, ip, call, fstart);
	set_flags(n, out.id, out.flags);
	u64map_put(&n->by_ip, key, out.id);
	return out;
}

static struct nframe lookup_frame(struct py_target *t, uint64_t ip, int call,
				  uint64_t fstart)
{
	struct py_native *n = t->native;
	const char *name, *lib;
	struct nframe out = { 0, 0 };
	uint64_t start, vaddr, key;
	char buf[64];
	int file = unwinder_symbol(n->unw, ip, call, fstart, &name, &lib,
				   &start, &vaddr);

	if (lib && (!strcmp(lib, n->interp_base[0]) ||
		    (n->interp_base[1] && !strcmp(lib, n->interp_base[1]))))
		out.flags |= NF_INTERP;
	if (lib && (!strncmp(lib, "libc.", 5) || !strncmp(lib, "libc-", 5) ||
		    !strncmp(lib, "libpthread", 10) || !strncmp(lib, "ld-", 3)))
		out.flags |= NF_LIBC;
	if (name) {
		if (!strcmp(name, "_PyEval_EvalFrameDefault"))
			out.flags |= NF_EVAL;
		if (is_one_of(name, gil_names))
			out.flags |= NF_GIL;
		if (!strcmp(name, "take_gil"))
			out.flags |= NF_TAKE;
		if (is_one_of(name, entry_names))
			out.flags |= NF_ENTRY;
		if ((out.flags & NF_LIBC) && is_lock_wait(name))
			out.flags |= NF_LOCKWAIT;
		if ((out.flags & NF_INTERP) && is_glue(name))
			out.flags |= NF_GLUE;
	} else {
		out.flags |= NF_NONAME;
	}
	/* one frame per function, named by its symbol, else by its start
	 * as the file numbers it (what addr2line and objdump take) */
	key = ((uint64_t)(file + 2) << 48) ^ start;
	if (u64map_get(&n->by_key, key, &out.id))
		return out;
	if (!name) {
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)vaddr);
		name = buf;
	}
	out.id = add_frame(t, name, lib ? lib : "?");
	pymap_locate(t, &n->maps, n->unw, out.id, start);
	u64map_put(&n->by_key, key, out.id);
	return out;
}

/* Is the thread whose C frames are nf[0..nn) waiting for the GIL? */
static int waits_for_gil(const struct nframe *nf, int nn)
{
	int k = 0, libc = 0;

	for (int i = 0; i < nn; i++)
		if (nf[i].flags & NF_TAKE)
			return 1;
	while (k < nn && (nf[k].flags & NF_LIBC))
		libc |= nf[k++].flags & NF_LOCKWAIT;
	while (k < nn && (nf[k].flags & NF_INTERP) && (nf[k].flags & NF_NONAME))
		k++;
	/* a condvar or mutex wait in libc reached from an exported
	 * GIL-taking function through nothing but nameless interpreter code
	 * (or straight: take_gil inlined): take_gil, stripped */
	return libc && k < nn && (nf[k].flags & NF_ENTRY) &&
	       (nf[k].flags & NF_INTERP);
}

/* Merge thread th's Python frames (entry marks em) with its C frames
 * nf[0..nn), innermost first, into n->merged; returns the count. */
static int merge(struct py_target *t, const struct py_thread_sample *th,
		 const uint8_t *em, const struct nframe *nf, int nn,
		 int truncated)
{
	struct py_native *n = t->native;
	int all = t->opt.native == PYT_NATIVE_ALL;
	int pi = 0, m = 0, last_eval = -1, seen_interp = 0, want = 0, cut = 0;
	uint8_t called[UNWIND_MAX_FRAMES];

	/* The C function a Python line called is worth its row even in the
	 * interpreter (builtin_sorted, time_sleep): the first named one that
	 * is not calling machinery, inside each eval call. */
	for (int k = nn - 1; k >= 0; k--) {
		called[k] = 0;
		if (nf[k].flags & NF_EVAL) {
			want = 1;
		} else if (want && !(nf[k].flags & NF_INTERP)) {
			want = 0;	/* an extension's own: kept anyway */
		} else if (want && !(nf[k].flags & (NF_NONAME | NF_GLUE))) {
			called[k] = 1;
			want = 0;
		}
	}

#define PUT(id) do { if (m < PY_MAX_DEPTH) n->merged[m++] = (id); } while (0)
	for (int k = 0; k < nn; k++)
		if (nf[k].flags & NF_EVAL)
			last_eval = k;
	for (int k = 0; k < nn; k++) {
		if (nf[k].flags & NF_EVAL) {
			/* the Python frames this call ran, then (all) the
			 * call itself, which is outer to them */
			while (pi < th->nframes) {
				PUT(th->frames[pi]);
				if (em[pi++])
					break;
			}
			if (all)
				PUT(nf[k].id);
			continue;
		}
		if (!all) {
			if (last_eval >= 0 && k > last_eval) {
				cut = 1;	/* the thread's start-up */
				break;
			}
			/* no eval call named (a stripped build that does not
			 * export it, or one whose loop is split into unnamed
			 * parts): past the interpreter's code comes the
			 * thread's start-up */
			if (last_eval < 0 && th->nframes && seen_interp &&
			    !(nf[k].flags & NF_INTERP)) {
				cut = 1;
				break;
			}
			if (nf[k].flags & NF_INTERP)
				seen_interp = 1;
			if ((nf[k].flags & NF_INTERP) && k &&
			    !(nf[k].flags & NF_GIL) && !called[k])
				continue;	/* interpreter glue */
		}
		PUT(nf[k].id);
	}
	if (truncated && !cut)	/* (a cut start-up hides where it ended) */
		PUT(n->truncated_id);
	while (pi < th->nframes)
		PUT(th->frames[pi++]);
#undef PUT
	return m;
}

void pynative_merge(struct py_target *t, struct py_sample *s)
{
	struct py_native *n = t->native;
	struct py_scratch *sc = t->scratch;

	for (int i = 0; i < s->nthreads; i++) {
		struct py_thread_sample *th = &s->threads[i];
		struct thread_entry *e;
		int nn, trunc, m;

		if (!n->snaps[i]->len && !n->kept[i])
			continue;
		e = pythread_entry(t, th->tid, th->thread_id);
		nn = pynative_walk(n, e, i, &trunc);
		for (int k = 0; k < nn; k++)
			n->nf[k] = native_frame(t, n->ips[k], k > 0, n->starts[k]);
		n->truncated += trunc;
		if (!n->kept[i])
			pynative_copy_size(e, n->snaps[i]);
		sc->facts[i].native_wait = waits_for_gil(n->nf, nn) ?
					    GIL_STACK_TAKING :
					    GIL_STACK_ELSEWHERE;
		m = merge(t, th, sc->entry + (size_t)i * PY_MAX_DEPTH, n->nf,
			  nn, trunc);
		memcpy(th->frames, n->merged, (size_t)m * sizeof(*th->frames));
		th->nframes = m;
		if (m == PY_MAX_DEPTH)	/* (the bound may have cut it) */
			th->incomplete = 1;
	}
}

enum gs_err pynative_init(struct py_target *t, struct gs_error *err)
{
	struct py_native *n;
	enum gs_err rc;
	int e;

	n = xcalloc(1, sizeof(*n));
	n->unw = unwinder_new(t->proc->pid, err);
	if (!n->unw) {
		free(n);
		return err ? err->code : GS_EIO;
	}
	/* ptrace is refused for the whole process or not at all: try it on
	 * the main thread once, so the error comes at the start */
	n->snap = xmalloc(sizeof(*n->snap));
	rc = proc_unwind_capture(n->unw, t->proc->pid, NULL, COPY_MIN, 0,
				 n->snap);
	e = errno;
	if (rc == GS_EPERM) {
		pid_t tracer = proc_tracer(t->proc->pid);

		unwinder_free(n->unw);
		free(n->snap);
		free(n);
		if (tracer > 0)		/* one tracer per thread, no more */
			return gs_error_set(err, GS_EPERM,
				"cannot stop the threads of pid %d for --native: "
				"it is already traced by pid %d (a debugger or "
				"strace); detach that, or drop --native",
				(int)t->proc->pid, (int)tracer);
		return gs_error_set(err, GS_EPERM,
			"cannot stop the threads of pid %d for --native: %s "
			"(run as root, or give gilspy CAP_SYS_PTRACE, or set "
			"kernel.yama.ptrace_scope=0; or drop --native)",
			(int)t->proc->pid, strerror(e));
	}
	n->boost = proc_sched_save(&n->sched) == 0;
	n->stop_hist = xcalloc(STOP_BUCKETS, sizeof(*n->stop_hist));
	u64map_init(&n->by_key);
	u64map_init(&n->by_ip);
	pymap_init(&n->maps);
	n->interp_base[0] = base_name(elf_path(t->elf));
	n->interp_base[1] = base_name(t->proc->exe);
	t->native = n;
	n->truncated_id = add_frame(t, "[truncated]", "?");
	return GS_OK;
}

void pynative_release(struct py_target *t)
{
	struct py_native *n = t->native;

	if (!n)
		return;
	unwinder_free(n->unw);
	u64map_release(&n->by_key);
	u64map_release(&n->by_ip);
	pymap_release(&n->maps);
	free(n->fflags);
	free(n->snap);
	for (size_t i = 0; i < n->nsnaps; i++)
		free(n->snaps[i]);
	free(n->snaps);
	free(n->marks);
	free(n->kept);
	free(n->stop_hist);
	free(n);
	t->native = NULL;
}

/* The stop time below which a share q of the stops fell. */
static uint64_t quantile(const struct py_native *n, double q)
{
	uint64_t want = (uint64_t)(q * (double)n->stops), seen = 0;

	for (size_t b = 0; b < STOP_BUCKETS; b++) {
		seen += n->stop_hist[b];
		if (seen > want)
			return (b + 1) * 1000;
	}
	return n->max_ns;
}

int pyt_native_stats(const struct py_target *t, struct pyt_native_stats *out)
{
	const struct py_native *n = t->native;

	memset(out, 0, sizeof(*out));
	if (!n)
		return 0;
	out->stops = n->stops;
	out->median_ns = n->stops ? quantile(n, 0.5) : 0;
	out->p99_ns = n->stops ? quantile(n, 0.99) : 0;
	out->max_ns = n->max_ns;
	out->truncated = n->truncated;
	out->failed = n->failed;
	out->unstopped = n->unstopped - n->restopped;
	out->kept = n->kept_walks;
	return 1;
}
