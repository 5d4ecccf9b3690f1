/* test_utf8.c - utf8_encode (src/util/utf8.c). */
#include <string.h>

#include "gilspy/util.h"
#include "harness.h"

static int enc(uint32_t cp, const char *want)
{
	char out[4];
	size_t n = utf8_encode(cp, out);

	return n == strlen(want) && !memcmp(out, want, n);
}

TEST(utf8, encode_lengths)
{
	CHECK(enc('A', "A"));
	CHECK(enc(0x7f, "\x7f"));
	CHECK(enc(0x80, "\xc2\x80"));
	CHECK(enc(0xe9, "\xc3\xa9"));
	CHECK(enc(0x7ff, "\xdf\xbf"));
	CHECK(enc(0x800, "\xe0\xa0\x80"));
	CHECK(enc(0x20ac, "\xe2\x82\xac"));
	CHECK(enc(0xffff, "\xef\xbf\xbf"));
	CHECK(enc(0x10000, "\xf0\x90\x80\x80"));
	CHECK(enc(0x1f600, "\xf0\x9f\x98\x80"));
	CHECK(enc(0x10ffff, "\xf4\x8f\xbf\xbf"));
}

TEST(utf8, encode_invalid_is_replacement)
{
	CHECK(enc(0xd800, "\xef\xbf\xbd"));
	CHECK(enc(0xdfff, "\xef\xbf\xbd"));
	CHECK(enc(0x110000, "\xef\xbf\xbd"));
	CHECK(enc(0xffffffff, "\xef\xbf\xbd"));
}

TEST(utf8, encode_round_trips_through_utf8_seq)
{
	static const uint32_t cps[] = { 1, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff,
					0xe000, 0xfffd, 0x10000, 0x10ffff };

	for (size_t i = 0; i < ARRAY_SIZE(cps); i++) {
		unsigned char buf[5] = { 0 };
		size_t n = utf8_encode(cps[i], (char *)buf);

		CHECK_EQ_INT(utf8_seq(buf), n);
	}
}
