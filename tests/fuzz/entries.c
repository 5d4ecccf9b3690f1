/*
 * entries.c - the fuzz harnesses' entry points (see fuzz.h): each feeds
 * its bytes to one reader of untrusted input the way gilspy does, through
 * the same public API, and throws the result away.
 *
 * Readers that take a path (raw_replay, baseline_load, elf_load) are given
 * a memfd holding the bytes, as /proc/self/fd/N: no file system traffic
 * and nothing left behind.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "gilspy/baseline.h"
#include "gilspy/flamegraph.h"
#include "gilspy/gates.h"
#include "gilspy/output.h"
#include "gilspy/proc.h"
#include "gilspy/profile.h"
#include "gilspy/python.h"
#include "gilspy/raw.h"
#include "gilspy/util.h"

/* A memfd holding data; its path in *path (PATH_MAX-free: 64 bytes). */
static int mem_file(const uint8_t *data, size_t len, char path[64])
{
	int fd = memfd_create("gilspy-fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	snprintf(path, 64, "/proc/self/fd/%d", fd);
	return fd;
}

static int fuzz_raw(const uint8_t *data, size_t len)
{
	struct raw_replay rp;
	struct profile *prof = NULL;
	char path[64];
	int fd = mem_file(data, len, path);

	if (fd < 0)
		return 0;
	if (raw_replay(path, &rp, &prof, NULL, NULL, NULL) >= 0 && prof) {
		/* what report does next: render from the profile (pprof
		 * too: it takes the native frames' mappings as they came) */
		struct strbuf sb = STRBUF_INIT;
		struct output_options oo;

		output_options_init(&oo);
		output_collapsed(&sb, prof, &oo);
		sb_reset(&sb);
		output_pprof(&sb, prof, &oo, &rp.ri);
		sb_release(&sb);
	}
	profile_free(prof);
	raw_replay_release(&rp);
	close(fd);
	return 0;
}

static int fuzz_folded(const uint8_t *data, size_t len)
{
	struct fg_options o;
	struct fg *g;
	struct strbuf svg = STRBUF_INIT;

	fg_options_init(&o);
	g = fg_new(&o);
	fg_read_mem(g, (const char *)data, len, FG_NEW, NULL);
	/* a second pass as the base side: `gilspy diff` */
	fg_read_mem(g, (const char *)data, len / 2, FG_BASE, NULL);
	fg_render(g, &svg, NULL);
	sb_release(&svg);
	fg_free(g);
	return 0;
}

static int fuzz_baseline(const uint8_t *data, size_t len)
{
	struct baseline *b = NULL;
	struct strbuf why = STRBUF_INIT;
	char path[64];
	int fd = mem_file(data, len, path);

	if (fd < 0)
		return 0;
	baseline_load(path, &b, &why);
	baseline_free(b);
	sb_release(&why);
	close(fd);
	return 0;
}

static int fuzz_gates(const uint8_t *data, size_t len)
{
	struct gates *g = gates_new();
	struct strbuf why = STRBUF_INIT;
	char *s = xmalloc(len + 1);

	memcpy(s, data, len);
	s[len] = 0;
	/* several expressions, one per line, as repeated --fail-if */
	for (char *line = s, *nl; line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		gates_parse(g, line, &why);
		sb_reset(&why);
	}
	gates_count(g);
	gates_needs_baseline(g);
	sb_release(&why);
	gates_free(g);
	free(s);
	return 0;
}

static int fuzz_elf(const uint8_t *data, size_t len)
{
	static const char *const names[] = {
		"_PyRuntime", "Py_Version", "PyThreadState_Get",
		"_Py_DebugOffsets", "missing_symbol_xyz",
	};
	struct proc_map map = { 0x7f0000000000ull, 0x7f0000100000ull, 0,
				0, NULL };
	struct proc p = { .pid = getpid(), .maps = &map, .nmaps = 1 };
	struct gs_error err = { 0 };
	struct elf_image *e = NULL;
	char path[64];
	int fd = mem_file(data, len, path);
	uint64_t size;

	if (fd < 0)
		return 0;
	map.path = path;
	if (elf_load(&p, path, &e, &err) == GS_OK) {
		/* each lookup thrice: a scanned .symtab gets indexed */
		for (int k = 0; k < 4; k++)
			for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
				elf_symbol(e, names[i], &size);
		elf_section(e, ".data", &size);
		elf_section(e, ".PyRuntime", &size);
		elf_has_symtab(e);
		elf_bias(e);
	}
	elf_free(e);
	close(fd);
	return 0;
}

/*
 * The walker: a real Python process is attached (so version, layout and
 * _PyRuntime come from a real interpreter), then every read of its memory
 * comes from the input instead (proc_image, src/proc/image.c) while a few
 * samples are taken and resolved.  The process runs with address-space
 * randomisation off, so the addresses in an input captured from one run
 * (GILSPY_FUZZ_CAPTURE=DIR: the first call writes the reads of three real
 * samples there, the harness's seed) mean the same in the next.
 */
static const char walker_script[] =
	"import threading, time\n"
	"def leaf(n):\n"
	"    while True: n = (n * 7 + 1) % 1000003\n"
	"def mid(d, n):\n"
	"    return leaf(n) if d == 0 else mid(d - 1, n)\n"
	"def gen():\n"
	"    while True: yield sum(range(100))\n"
	"def churn():\n"
	"    for _ in gen(): pass\n"
	"threading.Thread(target=mid, args=(5, 1), name='spin', daemon=True).start()\n"
	"threading.Thread(target=churn, name='churn', daemon=True).start()\n"
	"time.sleep(3600)\n";

static pid_t walker_pid = -1;	/* -1: not started; 0: cannot be */

static void walker_stop(void)
{
	if (walker_pid > 0) {
		kill(walker_pid, SIGKILL);
		waitpid(walker_pid, NULL, 0);
	}
}

static pid_t walker_start(void)
{
	const char *py = getenv("GILSPY_FUZZ_PYTHON");
	pid_t parent = getpid(), pid;

	if (walker_pid >= 0)
		return walker_pid;
	walker_pid = 0;
	fflush(NULL);	/* the child's freopen() would flush our buffers */
	pid = fork();
	if (pid < 0)
		return 0;
	if (!pid) {
		/* dies with us; same addresses every run */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		personality(ADDR_NO_RANDOMIZE);
		setenv("PYTHONHASHSEED", "0", 1);
		freopen("/dev/null", "w", stdout);
		execlp(py ? py : "python3", "python3", "-c", walker_script,
		       (char *)NULL);
		_exit(127);
	}
	walker_pid = pid;
	atexit(walker_stop);
	return pid;
}

/* Attach, waiting for the interpreter to have started its threads. */
static struct py_target *walker_attach(pid_t pid, struct py_sample *s)
{
	struct pyt_options opt = { .with_syscall = 1, .with_lines = 1 };
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	static int ready;	/* 1 attached once, -1 never could */

	for (int i = 0; ready >= 0 && i < (ready ? 1 : 100); i++) {
		struct gs_error err = { 0 };
		struct py_target *t = NULL;

		if (pyt_attach(pid, &opt, &t, &err) == GS_OK) {
			/* the first time, until the script's threads run:
			 * a seed captured during start-up is all imports */
			for (int k = 0; !ready && k < 150; k++) {
				memset(s, 0, sizeof(*s));
				if (pyt_sample(t, s) == GS_OK && s->nthreads >= 3)
					break;
				nanosleep(&ts, NULL);
			}
			ready = 1;
			return t;
		}
		nanosleep(&ts, NULL);
	}
	if (!ready)
		ready = -1;	/* no Python to attach: do not wait again */
	return NULL;
}

static void walker_samples(struct py_target *t, struct py_sample *s, int n)
{
	struct profile_resolver res = {
		pyt_resolve_frame, pyt_resolve_thread_name, t,
	};
	struct profile *prof = profile_new(&res);
	struct output_options oo;
	struct strbuf sb = STRBUF_INIT;

	for (int i = 0; i < n; i++) {
		memset(s, 0, sizeof(*s));
		if (pyt_sample(t, s) == GS_OK)
			profile_add(prof, s);
		else
			profile_add_failed(prof, s->time_ns);
	}
	profile_refresh_names(prof, 0);
	output_options_init(&oo);
	oo.threads = 1;
	output_collapsed(&sb, prof, &oo);
	/* GILSPY_FUZZ_VERBOSE=1: what the samples read (is a seed still
	 * good on this machine?) */
	if (getenv("GILSPY_FUZZ_VERBOSE"))
		fprintf(stderr, "walker: %s\n", sb.buf ? sb.buf : "(no stacks)");
	sb_release(&sb);
	profile_free(prof);
}

static void walker_capture(struct py_target *t, struct py_sample *s,
			   const char *dir)
{
	struct proc_image im;
	struct strbuf path = STRBUF_INIT;

	memset(&im, 0, sizeof(im));
	im.capture = 1;
	pyt_proc(t)->image = &im;
	walker_samples(t, s, 3);
	pyt_proc(t)->image = NULL;
	sb_addf(&path, "%s/captured-%d", dir, (int)getpid());
	write_file_atomic(path.buf, im.captured.buf ? im.captured.buf : "",
			  im.captured.len);
	sb_release(&path);
	proc_image_release(&im);
}

static int fuzz_walker(const uint8_t *data, size_t len)
{
	static struct py_sample *s;
	static int captured;
	const char *dir = getenv("GILSPY_FUZZ_CAPTURE");
	pid_t pid = walker_start();
	struct proc_image im;
	struct py_target *t;

	if (!s)
		s = xmalloc(sizeof(*s));
	if (pid <= 0 || !(t = walker_attach(pid, s)))
		return 0;
	if (dir && !captured) {
		captured = 1;
		walker_capture(t, s, dir);
	}
	proc_image_parse(&im, data, len);
	pyt_proc(t)->image = &im;
	walker_samples(t, s, 3);
	pyt_proc(t)->image = NULL;
	proc_image_release(&im);
	pyt_free(t);
	return 0;
}

const struct fuzz_target fuzz_targets[] = {
	{ "raw", fuzz_raw },
	{ "folded", fuzz_folded },
	{ "baseline", fuzz_baseline },
	{ "gates", fuzz_gates },
	{ "elf", fuzz_elf },
	{ "walker", fuzz_walker },
	{ NULL, NULL },
};

const struct fuzz_target *fuzz_find(const char *name)
{
	for (const struct fuzz_target *t = fuzz_targets; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}
