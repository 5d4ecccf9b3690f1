/*
 * image.c - a memory image that proc_read() and proc_readv() read instead
 * of the process (see struct proc_image in proc.h): the seam through which
 * the fuzz harness feeds the Python walker hostile memory, and through
 * which a real sample's reads are captured to seed it.
 *
 * The serialised form is a list of ranges, each "u64 address, u32 length
 * (little-endian), then that many bytes"; a cut or lying range ends the
 * list, so any bytes are an image.
 */
#include <stdlib.h>
#include <string.h>

#include "gilspy/proc.h"
#include "gilspy/util.h"

#define IMAGE_MAX_RANGES 4096

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

void proc_image_parse(struct proc_image *im, const uint8_t *data, size_t len)
{
	size_t off = 0;

	memset(im, 0, sizeof(*im));
	while (len - off >= 12 && im->n < IMAGE_MAX_RANGES) {
		uint64_t addr = get_le(data + off, 8);
		size_t n = (size_t)get_le(data + off + 8, 4);

		off += 12;
		if (n > len - off)
			n = len - off;
		im->r = xrealloc(im->r, (im->n + 1) * sizeof(*im->r));
		im->r[im->n].addr = addr;
		im->r[im->n].len = n;
		im->r[im->n].data = data + off;
		im->n++;
		off += n;
	}
}

void proc_image_release(struct proc_image *im)
{
	free(im->r);
	sb_release(&im->captured);
	memset(im, 0, sizeof(*im));
}

/* Copy [addr, addr + len) from the range holding it whole (the last one
 * listed wins, so a later range overrides an earlier one). */
int proc_image_read(const struct proc_image *im, uint64_t addr, void *buf,
		    size_t len)
{
	size_t i = im->n;

	if (addr + len < addr)
		return -1;
	while (i--) {
		const struct proc_image_range *r = &im->r[i];

		if (addr >= r->addr && addr - r->addr <= r->len &&
		    len <= r->len - (addr - r->addr)) {
			memcpy(buf, r->data + (addr - r->addr), len);
			return 0;
		}
	}
	return -1;
}

void proc_image_capture(struct proc_image *im, uint64_t addr,
			const void *buf, size_t len)
{
	uint8_t hdr[12];
	int k;

	if (!im->capture || !len || im->captured.len > PROC_IMAGE_CAPTURE_MAX)
		return;
	for (k = 0; k < 8; k++)
		hdr[k] = (uint8_t)(addr >> (8 * k));
	for (k = 0; k < 4; k++)
		hdr[8 + k] = (uint8_t)((uint64_t)len >> (8 * k));
	sb_add(&im->captured, hdr, sizeof(hdr));
	sb_add(&im->captured, buf, len);
}
