/*
 * target.c - find CPython in a process: which file holds the interpreter,
 * which version it is, where _PyRuntime and the GIL are.
 *
 * Version cascade (never runs the target's binary):
 *   1. _Py_DebugOffsets at the start of _PyRuntime (3.13+), authoritative,
 *      and it fills the layout (so debug builds and new patches work);
 *   2. the exported `Py_Version` (3.11+);
 *   3. the version in the library or executable name (python3.X / libpython3.X);
 *   4. a scan of .bss/.data for Py_GetVersion()'s buffer ("3.10.13 (main, ...").
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gilspy/debugoffsets.h"
#include "gilspy/util.h"
#include "internal.h"

static int is_libpython(const char *base, void *arg)
{
	(void)arg;
	return !strncmp(base, "libpython", 9) && strstr(base, ".so");
}

/* 3 and 12 from a name like python3.12, python3.12d, libpython3.6m.so.1.0. */
static int version_from_name(const char *path, int *major, int *minor)
{
	const char *base = strrchr(path, '/');
	const char *p;

	base = base ? base + 1 : path;
	p = strstr(base, "python");
	if (!p || !isdigit((unsigned char)p[6]) || p[7] != '.' ||
	    !isdigit((unsigned char)p[8]))
		return 0;
	*major = p[6] - '0';
	*minor = atoi(p + 8);
	return 1;
}

/* Scan a range of the target for "3.X.Y" followed by a space and '('. */
static int scan_version(struct proc *p, uint64_t addr, uint64_t size,
			char *out, size_t outlen)
{
	size_t chunk = 1 << 16, n;
	char *buf;
	int found = 0;
	regex_t re;
	regmatch_t m[1];

	if (!addr || !size)
		return 0;
	if (size > (64u << 20))
		size = 64u << 20;
	if (regcomp(&re, "3\\.[0-9]{1,2}\\.[0-9]{1,2}[a-z0-9+]* \\(", REG_EXTENDED))
		return 0;
	buf = xmalloc(chunk + 1);
	for (uint64_t off = 0; off < size && !found; off += chunk - 64) {
		size_t want = size - off < chunk ? (size_t)(size - off) : chunk;

		n = proc_read_partial(p, addr + off, buf, want);
		if (!n)
			break;
		/* NULs split the buffer into strings; test each. */
		for (size_t i = 0; i < n && !found;) {
			size_t len;

			buf[n] = '\0';
			len = strnlen(buf + i, n - i);
			if (len >= 8 && !regexec(&re, buf + i, 1, m, 0) &&
			    m[0].rm_so == 0) {
				size_t vlen = strcspn(buf + i, " ");

				if (vlen < outlen) {
					memcpy(out, buf + i, vlen);
					out[vlen] = '\0';
					found = 1;
				}
			}
			i += len + 1;
		}
		if (n < want)
			break;
	}
	free(buf);
	regfree(&re);
	return found;
}

static void set_version_from_hex(struct py_target *t, unsigned long hex)
{
	static const char rel[] = { 'a', 'b', 'c', 'f' };
	int major = (int)(hex >> 24) & 0xff, minor = (int)(hex >> 16) & 0xff;
	int micro = (int)(hex >> 8) & 0xff, level = (int)(hex >> 4) & 0xf;
	int serial = (int)hex & 0xf;

	t->hexversion = hex;
	if (level == 0xf || level < 0xa)
		snprintf(t->version, sizeof(t->version), "%d.%d.%d", major,
			 minor, micro);
	else
		snprintf(t->version, sizeof(t->version), "%d.%d.%d%c%d", major,
			 minor, micro, rel[(level - 0xa) & 3], serial);
}

/* Find where the GIL of a 3.6 .. 3.11 target lives (3.12+ is per
 * interpreter and read during the sample). */
static enum gs_err find_static_gil(struct py_target *t, struct gs_error *err)
{
	const struct py_layout *l = &t->layout;
	struct gil_addrs *g = &t->gil;

	memset(g, 0, sizeof(*g));
	if (l->gil_kind == PY_GIL_STATIC) {
		/* 3.6: Python/ceval_gil.h keeps the GIL in static globals. */
		uint64_t sz = 0;

		g->locked = elf_symbol(t->elf, "gil_locked", NULL);
		g->last_holder = elf_symbol(t->elf, "gil_last_holder", NULL);
		g->switch_number = elf_symbol(t->elf, "gil_switch_number", NULL);
		g->interval = elf_symbol(t->elf, "gil_interval", NULL);
		g->wait_lo[0] = elf_symbol(t->elf, "gil_cond", &sz);
		g->wait_hi[0] = g->wait_lo[0] + (sz ? sz : 48);
		g->wait_lo[1] = elf_symbol(t->elf, "gil_mutex", &sz);
		g->wait_hi[1] = g->wait_lo[1] + (sz ? sz : 40);
		g->wait_lo[2] = elf_symbol(t->elf, "switch_cond", &sz);
		g->wait_hi[2] = g->wait_lo[2] + (sz ? sz : 48);
		g->nwait = 3;
		if (!g->locked || !g->last_holder)
			return gs_error_set(err, GS_ENOTPY,
					    "cannot find the GIL in '%s': python "
					    "%s needs the binary's symbol table "
					    "(.symtab); it was stripped",
					    elf_path(t->elf), t->version);
		return GS_OK;
	}
	if (l->gil_kind == PY_GIL_RUNTIME) {
		gil_addrs_at(l, t->runtime + (uint64_t)l->rt_gil, g);
		return GS_OK;
	}
	return GS_OK;	/* PY_GIL_INTERP: per interpreter, per sample */
}

/* Locate _PyRuntime (3.7+) or the 3.6 globals in one ELF image. */
static uint64_t runtime_in(struct elf_image *e, uint64_t *size)
{
	uint64_t a = elf_symbol(e, "_PyRuntime", size);

	if (!a)
		a = elf_section(e, ".PyRuntime", size);
	return a;
}

static enum gs_err detect(struct py_target *t, struct gs_error *err)
{
	struct proc *p = t->proc;
	const struct proc_map *m = proc_find_map(p, is_libpython, NULL);
	const char *paths[2];
	int npaths = 0, major = 3, minor = 0, have_minor = 0;
	uint8_t dbg[8192];
	uint64_t a;
	unsigned long hex = 0;
	enum gs_err rc;

	if (m)
		paths[npaths++] = m->path;
	paths[npaths++] = p->exe;
	for (int i = 0; i < npaths && !t->elf; i++) {
		struct elf_image *e = NULL;

		if (elf_load(p, paths[i], &e, NULL) != GS_OK)
			continue;
		if (runtime_in(e, NULL) || elf_symbol(e, "_PyThreadState_Current", NULL) ||
		    elf_symbol(e, "Py_GetVersion", NULL)) {
			t->elf = e;
		} else {
			elf_free(e);
		}
	}
	if (!t->elf)
		return gs_error_set(err, GS_ENOTPY,
				    "pid %d is not a python process: its "
				    "executable is '%s' and no libpython is "
				    "mapped; pass the pid of a python process",
				    (int)p->pid, p->exe);

	t->runtime = runtime_in(t->elf, &t->runtime_size);
	/* 1. _Py_DebugOffsets (3.13+) */
	if (t->runtime) {
		size_t n = proc_read_partial(p, t->runtime, dbg, sizeof(dbg));

		if (n >= 8 && !memcmp(dbg, "xdebugpy", 8)) {
			int ft = 0;

			if (pydebug_parse(dbg, n, &t->layout, &hex, &ft) != 0) {
				set_version_from_hex(t, n >= 16 ? rd_u64(dbg, 8) : 0);
				return gs_error_set(err, GS_EVERSION,
						    "python %s in pid %d is not "
						    "supported (gilspy supports "
						    "3.6 to 3.15)", t->version,
						    (int)p->pid);
			}
			set_version_from_hex(t, hex);
			t->free_threaded = ft;
			goto found_layout;
		}
	}
	/* 2. Py_Version (3.11+) */
	a = elf_symbol(t->elf, "Py_Version", NULL);
	if (a && proc_read(p, a, &hex, sizeof(hex)) == GS_OK &&
	    (hex >> 24) == 3) {
		set_version_from_hex(t, hex);
		minor = (int)(hex >> 16) & 0xff;
		have_minor = 1;
	}
	/* 3. file names */
	if (!have_minor)
		have_minor = version_from_name(elf_path(t->elf), &major, &minor) ||
			     version_from_name(p->exe, &major, &minor);
	if (have_minor && major != 3) {
		snprintf(t->version, sizeof(t->version), "%d.%d", major, minor);
		return gs_error_set(err, GS_EVERSION,
				    "python %s in pid %d is not supported "
				    "(gilspy supports 3.6 to 3.15)", t->version,
				    (int)p->pid);
	}
	/* 4. Py_GetVersion's buffer, for the full version (and the minor if
	 * the names did not tell). */
	if (!t->version[0]) {
		uint64_t sz = 0, addr = elf_section(t->elf, ".bss", &sz);
		char v[32];

		if (scan_version(p, addr, sz, v, sizeof(v)) ||
		    ((addr = elf_section(t->elf, ".data", &sz)) &&
		     scan_version(p, addr, sz, v, sizeof(v)))) {
			int vmin = atoi(v + 2);

			if (!have_minor || vmin == minor) {
				snprintf(t->version, sizeof(t->version), "%s", v);
				minor = vmin;
				have_minor = 1;
			}
		}
	}
	if (!have_minor)
		return gs_error_set(err, GS_ENOTPY,
				    "cannot tell the python version of pid %d "
				    "('%s'): no version symbol, name or string "
				    "found", (int)p->pid, elf_path(t->elf));
	if (!t->version[0])
		snprintf(t->version, sizeof(t->version), "3.%d", minor);
	if (!t->hexversion)
		t->hexversion = 0x03000000ul | ((unsigned long)minor << 16);
	{
		const struct py_layout *l = py_layout_for(3, minor);

		if (!l || minor >= 13 || minor < 6)
			return gs_error_set(err, GS_EVERSION,
					    "python %s in pid %d is not supported "
					    "(gilspy supports 3.6 to 3.15%s)",
					    t->version, (int)p->pid,
					    minor >= 13 ? "; 3.13+ needs "
					    "_Py_DebugOffsets, which this binary "
					    "lacks" : "");
		t->layout = *l;
	}
found_layout:
	if (t->layout.gil_kind == PY_GIL_STATIC) {
		t->interp_head_addr = elf_symbol(t->elf, "interp_head", NULL);
		if (!t->interp_head_addr)
			return gs_error_set(err, GS_ENOTPY,
					    "cannot find the interpreter list "
					    "in '%s' (python %s needs .symtab; "
					    "the binary is stripped)",
					    elf_path(t->elf), t->version);
	} else {
		if (!t->runtime)
			return gs_error_set(err, GS_ENOTPY,
					    "cannot find _PyRuntime in '%s'",
					    elf_path(t->elf));
		t->interp_head_addr = t->runtime + (uint64_t)t->layout.rt_interp_head;
	}
	t->code_type = elf_symbol(t->elf, "PyCode_Type", NULL);
	/* Py_REF_DEBUG exports these only in debug builds (3.6-3.11 and
	 * 3.12+ respectively). */
	t->debug_build = elf_symbol(t->elf, "_Py_RefTotal", NULL) != 0 ||
			 elf_symbol(t->elf, "_Py_GetGlobalRefTotal", NULL) != 0;
	rc = find_static_gil(t, err);
	return rc;
}

enum gs_err pyt_attach(pid_t pid, const struct pyt_options *opt,
		       struct py_target **out, struct gs_error *err)
{
	struct py_target *t;
	enum gs_err rc;

	*out = NULL;
	t = xcalloc(1, sizeof(*t));
	if (opt) {
		t->opt = *opt;
	} else {
		t->opt.with_syscall = 1;
		t->opt.with_lines = 1;
	}
	t->pthread_tid_off = -1;
	t->loadavg_fd = -1;
	t->scratch = xcalloc(1, sizeof(*t->scratch));
	t->tsbufs = xmalloc((size_t)PY_MAX_THREADS * TS_MAX);
	t->code_pfbuf = xmalloc((size_t)PF_CODES * 512);
	strpool_init(&t->strings);
	u64map_init(&t->code_index);
	u64map_init(&t->frame_by_addr);
	u64map_init(&t->frame_by_line);
	rc = proc_open(pid, &t->proc, err);
	if (rc != GS_OK)
		goto fail;
	t->pidns_nested = proc_pidns_nested(pid);
	rc = detect(t, err);
	if (rc != GS_OK)
		goto fail;
	if (t->opt.native && (rc = pynative_init(t, err)) != GS_OK)
		goto fail;
	*out = t;
	return GS_OK;
fail:
	pyt_free(t);
	return rc;
}

void pyt_free(struct py_target *t)
{
	if (!t)
		return;
	pynative_release(t);
	for (size_t i = 0; i < t->ncodes; i++)
		free(t->codes[i].lines);
	free(t->codes);
	free(t->frames);
	for (size_t i = 0; i < t->nthreads; i++) {
		proc_task_release(&t->threads[i].task);
		free(t->threads[i].frames);
		free(t->threads[i].nat_walk);
	}
	free(t->threads);
	free(t->tidmap);
	if (t->loadavg_fd >= 0)
		close(t->loadavg_fd);
	pystack_release(t);
	free(t->tsbufs);
	free(t->code_pfbuf);
	free(t->scratch);
	u64map_release(&t->code_index);
	u64map_release(&t->frame_by_addr);
	u64map_release(&t->frame_by_line);
	strpool_release(&t->strings);
	elf_free(t->elf);
	elf_free(t->exe_elf);
	proc_free(t->proc);
	free(t);
}

void pyt_set_period(struct py_target *t, uint64_t period_ns)
{
	t->period_ns = period_ns;
}

const struct py_frame_info *pyt_frame(const struct py_target *t, uint32_t id)
{
	return id < t->nframes ? &t->frames[id] : NULL;
}

uint32_t pyt_nframes(const struct py_target *t) { return t->nframes; }
const char *pyt_version(const struct py_target *t) { return t->version; }
unsigned long pyt_hexversion(const struct py_target *t) { return t->hexversion; }
const struct py_layout *pyt_layout(const struct py_target *t) { return &t->layout; }
int pyt_free_threaded(const struct py_target *t) { return t->free_threaded; }
int pyt_debug_build(const struct py_target *t) { return t->debug_build; }
struct proc *pyt_proc(struct py_target *t) { return t->proc; }
pid_t pyt_pid(const struct py_target *t) { return t->proc->pid; }
const char *pyt_binary(const struct py_target *t) { return elf_path(t->elf); }
