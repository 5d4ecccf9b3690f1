/*
 * elf.c - symbols and sections of a file mapped in the target, via libelf.
 *
 * The load bias is the difference between where the target mapped the file
 * and the virtual addresses the file declares: zero for non-PIE
 * executables, the mapping base for PIE executables and shared libraries.
 * Symbols are kept sorted by name for lookup; only data and function
 * symbols are kept.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gilspy/proc.h"
#include "gilspy/util.h"

struct elf_sym {
	char *name;
	uint64_t value, size;
	int dynamic;
};

struct elf_section {
	char *name;
	uint64_t addr, size;
};

struct elf_image {
	char *path;
	uint64_t bias;
	struct elf_sym *syms;
	size_t nsyms;
	struct elf_section *secs;
	size_t nsecs;
	int has_symtab;
};

static int sym_cmp(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	/* .dynsym before .symtab for the same name */
	return c ? c : y->dynamic - x->dynamic;
}

static void add_symbols(struct elf_image *e, Elf *elf, Elf_Scn *scn,
			GElf_Shdr *sh, int dynamic)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count, i;

	if (!data || !sh->sh_entsize)
		return;
	count = sh->sh_size / sh->sh_entsize;
	e->syms = xrealloc(e->syms, (e->nsyms + count) * sizeof(*e->syms));
	for (i = 0; i < count; i++) {
		GElf_Sym s;
		const char *name;
		int type;

		if (!gelf_getsym(data, (int)i, &s))
			continue;
		type = GELF_ST_TYPE(s.st_info);
		if ((type != STT_OBJECT && type != STT_FUNC &&
		     type != STT_TLS) || s.st_shndx == SHN_UNDEF || !s.st_value)
			continue;
		name = elf_strptr(elf, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		e->syms[e->nsyms].name = xstrdup(name);
		e->syms[e->nsyms].value = s.st_value;
		e->syms[e->nsyms].size = s.st_size;
		e->syms[e->nsyms].dynamic = dynamic;
		e->nsyms++;
	}
}

enum gs_err elf_load(const struct proc *p, const char *path,
		     struct elf_image **out, struct gs_error *err)
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
	elf = elf_begin(fd, ELF_C_READ, NULL);
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

	/* Bias: mapping base minus the first PT_LOAD's page-aligned vaddr. */
	if (elf_getphdrnum(elf, &nphdr) == 0) {
		for (i = 0; i < nphdr; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
			    ph.p_vaddr - ph.p_offset < first_vaddr)
				first_vaddr = ph.p_vaddr - ph.p_offset;
		}
	}
	if (first_vaddr == UINT64_MAX)
		first_vaddr = 0;
	map_base = proc_map_base(p, path);
	e->bias = eh.e_type == ET_EXEC ? 0 : map_base - (first_vaddr & ~0xfffull);

	if (elf_getshdrstrndx(elf, &shstrndx) == 0) {
		while ((scn = elf_nextscn(elf, scn)) != NULL) {
			GElf_Shdr sh;
			const char *name;

			if (!gelf_getshdr(scn, &sh))
				continue;
			name = elf_strptr(elf, shstrndx, sh.sh_name);
			if (sh.sh_type == SHT_SYMTAB) {
				e->has_symtab = 1;
				add_symbols(e, elf, scn, &sh, 0);
			} else if (sh.sh_type == SHT_DYNSYM) {
				add_symbols(e, elf, scn, &sh, 1);
			}
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
	elf_end(elf);
	close(fd);
	if (e->nsyms)
		qsort(e->syms, e->nsyms, sizeof(*e->syms), sym_cmp);
	*out = e;
	return GS_OK;
}

void elf_free(struct elf_image *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nsyms; i++)
		free(e->syms[i].name);
	for (size_t i = 0; i < e->nsecs; i++)
		free(e->secs[i].name);
	free(e->syms);
	free(e->secs);
	free(e->path);
	free(e);
}

uint64_t elf_symbol(const struct elf_image *e, const char *name, uint64_t *size)
{
	size_t lo = 0, hi = e->nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(e->syms[mid].name, name);

		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < e->nsyms && !strcmp(e->syms[lo].name, name)) {
		if (size)
			*size = e->syms[lo].size;
		return e->syms[lo].value + e->bias;
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
