/*
 * elf.c - symbols and sections of a file mapped in the target, via libelf.
 *
 * The load bias is the difference between where the target mapped the file
 * and the virtual addresses the file declares: zero for non-PIE
 * executables, the mapping base for PIE executables and shared libraries.
 * The file stays open (libelf maps it) while the image lives; symbol names
 * point into the mapped string tables.  Symbol tables are read on the first
 * lookup that needs them (see struct sym_table): attaching to a libpython
 * costs a few hundred microseconds, not the milliseconds of indexing all
 * of its 17 000 names.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "gilspy/hashmap.h"
#include "gilspy/proc.h"
#include "gilspy/util.h"

struct elf_sym {
	const char *name;	/* points into the file's string table */
	uint64_t value, size;
};

struct elf_section {
	char *name;
	uint64_t addr, size;
};

/*
 * One symbol table (.dynsym or .symtab), read when first needed.  .dynsym
 * is small (a few thousand exported names) and answers nearly every
 * lookup, so it is indexed; .symtab (15 000 names in a libpython) is only
 * needed for names not exported - in a release build that is most often a
 * name that is not there at all, like _Py_RefTotal - and is scanned, and
 * indexed only once it has been scanned a few times.
 */
#define SCANS_BEFORE_INDEX 3

struct sym_table {
	Elf_Scn *scn;		/* NULL: the file has no such table */
	int loaded, scans;
	struct elf_sym *syms;	/* the symbols gilspy can use, in order */
	size_t nsyms;
	struct u64map index;	/* name hash (probed on collision) -> sym */
	int indexed;
};

struct elf_image {
	char *path;
	uint64_t bias;
	Elf *elf;
	int fd;
	struct sym_table *tabs;	/* [0] .dynsym, [1] .symtab; filled lazily */
	struct elf_section *secs;
	size_t nsecs;
	int has_symtab;
	uint64_t eh_hdr, eh_hdr_size;	/* PT_GNU_EH_FRAME, file vaddr */
	struct elf_sym *funcs;		/* by address (elf_symbol_at()) */
	size_t nfuncs;
	int funcs_loaded;
};

static uint64_t sym_key(const char *name, size_t probe)
{
	uint64_t h = hash_bytes(name, strlen(name)) + probe;

	return h ? h : 1;
}

/* Index sym i under its name unless the name is indexed already (the first
 * one wins). */
static void index_symbol(struct sym_table *t, size_t i)
{
	uint32_t j;

	for (size_t probe = 0;; probe++) {
		uint64_t key = sym_key(t->syms[i].name, probe);

		if (!u64map_get(&t->index, key, &j)) {
			u64map_put(&t->index, key, (uint32_t)i);
			return;
		}
		if (!strcmp(t->syms[j].name, t->syms[i].name))
			return;
	}
}

/* The usable symbols of a table: objects, functions and TLS, defined and
 * with an address, with a name. */
static void load_symbols(Elf *elf, struct sym_table *t)
{
	Elf_Data *data, *strs;
	GElf_Shdr sh, strsh;
	Elf_Scn *strscn;
	size_t count;

	t->loaded = 1;
	if (!t->scn || !gelf_getshdr(t->scn, &sh) || !sh.sh_entsize ||
	    !(data = elf_getdata(t->scn, NULL)))
		return;
	strscn = elf_getscn(elf, sh.sh_link);
	if (!strscn || !gelf_getshdr(strscn, &strsh) ||
	    !(strs = elf_getdata(strscn, NULL)) || !strs->d_buf || !strs->d_size ||
	    ((const char *)strs->d_buf)[strs->d_size - 1] != '\0')
		return;		/* (a string table ends with a NUL) */
	count = sh.sh_size / sh.sh_entsize;
	t->syms = xmalloc((count ? count : 1) * sizeof(*t->syms));
	for (size_t i = 0; i < count; i++) {
		GElf_Sym s;
		const char *name;
		int type;

		if (!gelf_getsym(data, (int)i, &s))
			continue;
		type = GELF_ST_TYPE(s.st_info);
		if ((type != STT_OBJECT && type != STT_FUNC &&
		     type != STT_TLS) || s.st_shndx == SHN_UNDEF || !s.st_value)
			continue;
		/* names straight from the string table's data: elf_strptr()
		 * per symbol was a visible share of attaching */
		if (s.st_name >= strs->d_size)
			continue;
		name = (const char *)strs->d_buf + s.st_name;
		if (!*name)
			continue;
		t->syms[t->nsyms].name = name;
		t->syms[t->nsyms].value = s.st_value;
		t->syms[t->nsyms].size = s.st_size;
		t->nsyms++;
	}
}

/* The first usable symbol named name in table t, or NULL. */
static const struct elf_sym *table_find(Elf *elf, struct sym_table *t,
					int always_index, const char *name)
{
	uint32_t j;

	if (!t->loaded)
		load_symbols(elf, t);
	if (!t->indexed && !always_index && t->scans < SCANS_BEFORE_INDEX) {
		t->scans++;
		for (size_t i = 0; i < t->nsyms; i++)
			if (t->syms[i].name[0] == name[0] &&
			    !strcmp(t->syms[i].name, name))
				return &t->syms[i];
		return NULL;
	}
	if (!t->indexed) {
		u64map_init(&t->index);
		for (size_t i = 0; i < t->nsyms; i++)
			index_symbol(t, i);
		t->indexed = 1;
	}
	for (size_t probe = 0; u64map_get(&t->index, sym_key(name, probe), &j);
	     probe++)
		if (!strcmp(t->syms[j].name, name))
			return &t->syms[j];
	return NULL;
}

/* Load path; its bias is *bias when given (a debug file lies where the
 * file it completes is mapped), else from where p maps it. */
static enum gs_err load(const struct proc *p, const char *path,
			const uint64_t *bias, struct elf_image **out,
			struct gs_error *err)
{
	struct elf_image *e;
	uint64_t first_vaddr = UINT64_MAX, map_base;
	size_t shstrndx, nphdr, i;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	Elf *elf;
	int fd;

	*out = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return gs_error_set(err, GS_EIO, "libelf initialisation failed");
	fd = proc_open_file(p, path);
	if (fd < 0)
		return gs_error_set(err, GS_EIO, "cannot open '%s' of pid %d: %s",
				    path, (int)p->pid, strerror(errno));
	/* mapped, not read: a libpython's symbol and string tables are most
	 * of a megabyte, and .symtab is often not needed at all */
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
	    eh.e_machine != EM_X86_64) {
		if (elf)
			elf_end(elf);
		close(fd);
		return gs_error_set(err, GS_EIO, "'%s' is not an x86-64 ELF file",
				    path);
	}
	e = xcalloc(1, sizeof(*e));
	e->path = xstrdup(path);
	e->elf = elf;
	e->fd = fd;
	e->tabs = xcalloc(2, sizeof(*e->tabs));

	/* Bias: mapping base minus the first PT_LOAD's page-aligned vaddr. */
	if (elf_getphdrnum(elf, &nphdr) == 0) {
		for (i = 0; i < nphdr; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, (int)i, &ph))
				continue;
			if (ph.p_type == PT_GNU_EH_FRAME) {
				e->eh_hdr = ph.p_vaddr;
				e->eh_hdr_size = ph.p_memsz;
			}
			if (ph.p_type == PT_LOAD &&
			    ph.p_vaddr - ph.p_offset < first_vaddr)
				first_vaddr = ph.p_vaddr - ph.p_offset;
		}
	}
	if (first_vaddr == UINT64_MAX)
		first_vaddr = 0;
	map_base = bias ? 0 : proc_map_base(p, path);
	e->bias = bias ? *bias : eh.e_type == ET_EXEC ? 0 :
		  map_base - (first_vaddr & ~0xfffull);

	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		/* the symbol tables, read when a lookup needs them */
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn)) != NULL) {
			GElf_Shdr sh;

			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type == SHT_DYNSYM && !e->tabs[0].scn)
				e->tabs[0].scn = scn;
			if (sh.sh_type == SHT_SYMTAB && !e->tabs[1].scn) {
				e->tabs[1].scn = scn;
				e->has_symtab = 1;
			}
		}
		scn = NULL;
		while ((scn = elf_nextscn(elf, scn)) != NULL) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (name && sh.sh_addr) {
				e->secs = xrealloc(e->secs, (e->nsecs + 1) *
						   sizeof(*e->secs));
				e->secs[e->nsecs].name = xstrdup(name);
				e->secs[e->nsecs].addr = sh.sh_addr;
				e->secs[e->nsecs].size = sh.sh_size;
				e->nsecs++;
			}
		}
	}
	*out = e;
	return GS_OK;
}

enum gs_err elf_load(const struct proc *p, const char *path,
		     struct elf_image **out, struct gs_error *err)
{
	return load(p, path, NULL, out, err);
}

/* The bytes of section name, or NULL. */
static const uint8_t *section_data(const struct elf_image *e, const char *name,
				   size_t *len)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;

	if (elf_getshdrstrndx(e->elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(e->elf, scn)) != NULL) {
		GElf_Shdr sh;
		Elf_Data *d;
		const char *n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
			continue;
		n = elf_strptr(e->elf, shstrndx, sh.sh_name);
		if (!n || strcmp(n, name) || !(d = elf_getdata(scn, NULL)) ||
		    !d->d_buf)
			continue;
		*len = d->d_size;
		return d->d_buf;
	}
	return NULL;
}

/* Load a debug file candidate at path for e; with crc, only if the file's
 * CRC-32 (.gnu_debuglink's) matches. */
static struct elf_image *try_debug(const struct proc *p,
				   const struct elf_image *e, const char *path,
				   const uint32_t *crc)
{
	struct elf_image *d = NULL;
	struct gs_error err;
	size_t size;
	const char *raw;

	if (load(p, path, &e->bias, &d, &err) != GS_OK)
		return NULL;
	if (!d->has_symtab || (crc && (!(raw = elf_rawfile(d->elf, &size)) ||
		(uint32_t)crc32(0, (const Bytef *)raw, (uInt)size) != *crc))) {
		elf_free(d);
		return NULL;
	}
	return d;
}

const uint8_t *elf_build_id(const struct elf_image *e, size_t *len)
{
	const uint8_t *note;
	uint32_t descsz;
	size_t n;

	/* the GNU build-id note: namesz, descsz, type, "GNU\0", then the id */
	note = section_data(e, ".note.gnu.build-id", &n);
	if (!note || n <= 16 || memcmp(note + 12, "GNU", 4))
		return NULL;
	memcpy(&descsz, note + 4, 4);
	if (descsz < 2 || descsz > 64 || 16 + (size_t)descsz > n)
		return NULL;
	*len = descsz;
	return note + 16;
}

struct elf_image *elf_load_debug(const struct proc *p,
				 const struct elf_image *e)
{
	static const char *const dirs[] = { "%s/%s", "%s/.debug/%s",
					    "/usr/lib/debug%s/%s" };
	struct elf_image *d = NULL;
	const uint8_t *id, *link;
	size_t len, n;
	char path[4096], dir[2048];
	char *slash;

	/* /usr/lib/debug/.build-id/xx/yyyy.debug */
	if ((id = elf_build_id(e, &len))) {
		n = (size_t)snprintf(path, sizeof(path),
				     "/usr/lib/debug/.build-id/%02x/", id[0]);
		for (size_t i = 1; i < len; i++)
			n += (size_t)snprintf(path + n, sizeof(path) - n,
					      "%02x", id[i]);
		snprintf(path + n, sizeof(path) - n, ".debug");
		if ((d = try_debug(p, e, path, NULL)))
			return d;
	}
	/* .gnu_debuglink: a name, NUL, padding to 4, the file's CRC-32 */
	link = section_data(e, ".gnu_debuglink", &len);
	if (!link || !(n = strnlen((const char *)link, len)) || n == len ||
	    ((n + 4) & ~3ul) + 4 > len)
		return NULL;
	snprintf(dir, sizeof(dir), "%s", e->path);
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		uint32_t crc;

		memcpy(&crc, link + ((n + 4) & ~3ul), 4);
		snprintf(path, sizeof(path), dirs[i], dir, (const char *)link);
		if ((d = try_debug(p, e, path, &crc)))
			return d;
	}
	return NULL;
}

void elf_free(struct elf_image *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nsecs; i++)
		free(e->secs[i].name);
	for (int i = 0; i < 2; i++) {
		free(e->tabs[i].syms);
		if (e->tabs[i].indexed)
			u64map_release(&e->tabs[i].index);
	}
	free(e->tabs);
	free(e->funcs);
	free(e->secs);
	free(e->path);
	elf_end(e->elf);
	close(e->fd);
	free(e);
}

uint64_t elf_symbol(const struct elf_image *e, const char *name, uint64_t *size)
{
	/* .dynsym first: exported names win over local ones */
	for (int i = 0; i < 2; i++) {
		const struct elf_sym *s = table_find(e->elf, &e->tabs[i], i == 0,
						     name);

		if (s) {
			if (size)
				*size = s->size;
			return s->value + e->bias;
		}
	}
	return 0;
}

uint64_t elf_section(const struct elf_image *e, const char *name, uint64_t *size)
{
	for (size_t i = 0; i < e->nsecs; i++) {
		if (!strcmp(e->secs[i].name, name)) {
			if (size)
				*size = e->secs[i].size;
			return e->secs[i].addr + e->bias;
		}
	}
	return 0;
}

int elf_has_symtab(const struct elf_image *e)
{
	return e->has_symtab;
}

const char *elf_path(const struct elf_image *e)
{
	return e->path;
}

uint64_t elf_bias(const struct elf_image *e)
{
	return e->bias;
}

/* --- addresses to names (native stacks) ---------------------------------- */

static int sym_cmp(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;

	if (x->value != y->value)
		return x->value < y->value ? -1 : 1;
	/* at one address, a sized symbol first, then the shorter name (the
	 * exported alias tends to be the short one) */
	if ((x->size == 0) != (y->size == 0))
		return x->size ? -1 : 1;
	return (int)strlen(x->name) - (int)strlen(y->name);
}

/* Every function symbol of both tables, sorted by address, duplicates of
 * one address dropped. */
static void load_funcs(struct elf_image *e)
{
	size_t n = 0, m = 0;

	e->funcs_loaded = 1;
	for (int i = 0; i < 2; i++) {
		if (!e->tabs[i].loaded)
			load_symbols(e->elf, &e->tabs[i]);
		n += e->tabs[i].nsyms;
	}
	e->funcs = xmalloc((n ? n : 1) * sizeof(*e->funcs));
	for (int i = 0; i < 2; i++)
		for (size_t j = 0; j < e->tabs[i].nsyms; j++)
			if (e->tabs[i].syms[j].size)
				e->funcs[m++] = e->tabs[i].syms[j];
	qsort(e->funcs, m, sizeof(*e->funcs), sym_cmp);
	n = 0;
	for (size_t j = 0; j < m; j++)
		if (!n || e->funcs[n - 1].value != e->funcs[j].value)
			e->funcs[n++] = e->funcs[j];
	e->nfuncs = n;
}

const char *elf_symbol_at(struct elf_image *e, uint64_t addr, uint64_t *start)
{
	size_t lo = 0, hi;
	uint64_t v;

	if (!e->funcs_loaded)
		load_funcs(e);
	if (addr < e->bias)
		return NULL;
	v = addr - e->bias;
	hi = e->nfuncs;
	while (lo < hi) {		/* the last symbol at or below v */
		size_t mid = lo + (hi - lo) / 2;

		if (e->funcs[mid].value <= v)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	/* a symbol covers [value, value + size): past it the address is
	 * in a function whose name was stripped */
	if (v - e->funcs[lo - 1].value >= e->funcs[lo - 1].size)
		return NULL;
	if (start)
		*start = e->funcs[lo - 1].value + e->bias;
	return e->funcs[lo - 1].name;
}

uint64_t elf_eh_frame_hdr(const struct elf_image *e, uint64_t *size)
{
	if (!e->eh_hdr)
		return 0;
	if (size)
		*size = e->eh_hdr_size;
	return e->eh_hdr + e->bias;
}

const uint8_t *elf_file_bytes(const struct elf_image *e, size_t *size)
{
	char *raw = elf_rawfile(e->elf, size);

	return (const uint8_t *)raw;
}
