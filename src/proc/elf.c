/*
 * elf.c - symbols and sections of a file mapped in the target, via libelf.
 *
 * The load bias is the difference between where the target mapped the file
 * and the virtual addresses the file declares: zero for non-PIE
 * executables, the mapping base for PIE executables and shared libraries.
 * The file stays open (libelf maps it) while the image lives; symbol names
 * point into libelf's data and are indexed by a hash of the name, so loading
 * a libpython with 15 000 symbols costs one pass, not a sort.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gilspy/hashmap.h"
#include "gilspy/proc.h"
#include "gilspy/util.h"

struct elf_sym {
	const char *name;	/* points into libelf's string table */
	uint64_t value, size;
};

struct elf_section {
	char *name;
	uint64_t addr, size;
};

struct elf_image {
	char *path;
	uint64_t bias;
	Elf *elf;
	int fd;
	struct elf_sym *syms;
	size_t nsyms;
	struct u64map index;	/* name hash (probed on collision) -> sym */
	struct elf_section *secs;
	size_t nsecs;
	int has_symtab;
};

static uint64_t sym_key(const char *name, size_t probe)
{
	uint64_t h = hash_bytes(name, strlen(name)) + probe;

	return h ? h : 1;
}

/* Index sym i under its name unless the name is indexed already (the first
 * one wins: .dynsym is added before .symtab). */
static void index_symbol(struct elf_image *e, size_t i)
{
	uint32_t j;

	for (size_t probe = 0;; probe++) {
		uint64_t key = sym_key(e->syms[i].name, probe);

		if (!u64map_get(&e->index, key, &j)) {
			u64map_put(&e->index, key, (uint32_t)i);
			return;
		}
		if (!strcmp(e->syms[j].name, e->syms[i].name))
			return;
	}
}

static void add_symbols(struct elf_image *e, Elf *elf, Elf_Scn *scn,
			GElf_Shdr *sh)
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
		e->syms[e->nsyms].name = name;
		e->syms[e->nsyms].value = s.st_value;
		e->syms[e->nsyms].size = s.st_size;
		index_symbol(e, e->nsyms);
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
	e->elf = elf;
	e->fd = fd;
	u64map_init(&e->index);

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
		/* .dynsym first: exported names win over local ones */
		for (int pass = 0; pass < 2; pass++) {
			scn = NULL;
			while ((scn = elf_nextscn(elf, scn)) != NULL) {
				GElf_Shdr sh;

				if (!gelf_getshdr(scn, &sh) ||
				    sh.sh_type != (pass ? SHT_SYMTAB : SHT_DYNSYM))
					continue;
				e->has_symtab |= pass;
				add_symbols(e, elf, scn, &sh);
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

void elf_free(struct elf_image *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->nsecs; i++)
		free(e->secs[i].name);
	free(e->syms);
	free(e->secs);
	free(e->path);
	u64map_release(&e->index);
	elf_end(e->elf);
	close(e->fd);
	free(e);
}

uint64_t elf_symbol(const struct elf_image *e, const char *name, uint64_t *size)
{
	uint32_t j;

	for (size_t probe = 0; u64map_get(&e->index, sym_key(name, probe), &j);
	     probe++) {
		if (!strcmp(e->syms[j].name, name)) {
			if (size)
				*size = e->syms[j].size;
			return e->syms[j].value + e->bias;
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
