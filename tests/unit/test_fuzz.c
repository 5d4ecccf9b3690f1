/* test_fuzz.c - replay every input kept for the fuzz harnesses: the seeds
 * (tests/fuzz/seeds/NAME/) and the inputs that once broke a reader
 * (tests/fuzz/regress/NAME/), through the harnesses' own entry points
 * (tests/fuzz/entries.c).  A crash here is a reader that broke again. */
#include <dirent.h>
#include <stdlib.h>

#include "../fuzz/fuzz.h"
#include "gilspy/util.h"
#include "harness.h"

/* Where tests/fuzz is: $TOP (set by tests/run.sh), else the current
 * directory (make test runs from the top). */
static void fuzz_dir(struct strbuf *sb, const char *kind, const char *name)
{
	const char *top = getenv("TOP");

	sb_reset(sb);
	sb_addf(sb, "%s/tests/fuzz/%s/%s", top ? top : ".", kind, name);
}

/* The whole file, malloc'ed (NULL on error). */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = STRBUF_INIT;
	char chunk[65536];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		sb_add(&sb, chunk, n);
	fclose(f);
	*len = sb.len;
	if (!sb.buf)
		return xcalloc(1, 1);
	return sb_detach(&sb);
}

static int replay_dir(const struct fuzz_target *t, const char *dir)
{
	struct strbuf path = STRBUF_INIT;
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *buf = NULL;
		size_t len = 0;

		if (de->d_name[0] == '.')
			continue;
		sb_reset(&path);
		sb_addf(&path, "%s/%s", dir, de->d_name);
		if (!(buf = slurp(path.buf, &len))) {
			printf("#   cannot read %s\n", path.buf);
			unit_failed = 1;
			continue;
		}
		t->run((const uint8_t *)buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	sb_release(&path);
	return n;
}

TEST(fuzz, replay_kept_inputs)
{
	struct strbuf dir = STRBUF_INIT;
	int n = 0;

	for (const struct fuzz_target *t = fuzz_targets; t->name; t++) {
		fuzz_dir(&dir, "seeds", t->name);
		n += replay_dir(t, dir.buf);
		fuzz_dir(&dir, "regress", t->name);
		n += replay_dir(t, dir.buf);
	}
	sb_release(&dir);
	if (!n)
		SKIP("no tests/fuzz/seeds or regress inputs found (run from the top)");
}

TEST(fuzz, empty_and_tiny_inputs)
{
	static const uint8_t junk[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0,
					'G', 'I', 'L', 'S', 'P', 'Y', 'R', 'W' };

	for (const struct fuzz_target *t = fuzz_targets; t->name; t++) {
		t->run(junk, 0);
		t->run(junk, 1);
		t->run(junk, sizeof(junk));
	}
	CHECK(fuzz_find("raw") != NULL);
	CHECK(fuzz_find("nope") == NULL);
}
