/*
 * json.c - JSON writing helpers and the bounded streaming reader (json.h).
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gilspy/json.h"

/* --- writing ------------------------------------------------------------ */

void json_add_num(struct strbuf *sb, double v)
{
	if (v != v)	/* NaN is not JSON */
		v = 0;
	sb_addf(sb, "%.3f", v);
}

void json_add_str_or_null(struct strbuf *sb, const char *s)
{
	if (s)
		sb_add_json_str(sb, s);
	else
		sb_adds(sb, "null");
}

const char *json_bool(int v)
{
	return v ? "true" : "false";
}

/* --- reading ------------------------------------------------------------ */

int json_fail(struct json_reader *j, const char *fmt, ...)
{
	va_list ap;
	char buf[256];

	if (j->failed)
		return -1;
	j->failed = 1;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	sb_addf(&j->msg, "%s at line %lu, column %lu", buf, j->line, j->col);
	return -1;
}

static void adv(struct json_reader *j)
{
	if (j->c == EOF)
		return;
	if (j->c == '\n')
		j->line++, j->col = 1;
	else
		j->col++;
	j->c = getc(j->f);
	if (j->c != EOF && ++j->bytes > JSON_MAX_BYTES) {
		json_fail(j, "file larger than %llu MB",
		      (unsigned long long)(JSON_MAX_BYTES >> 20));
		j->c = EOF;
	}
}

void json_ws(struct json_reader *j)
{
	while (j->c == ' ' || j->c == '\t' || j->c == '\r' || j->c == '\n')
		adv(j);
}

/* "expected X" naming what was found instead. */
int json_expected(struct json_reader *j, const char *what)
{
	if (j->c == EOF)
		return json_fail(j, "unexpected end of file, expected %s (is it "
			     "truncated?)", what);
	if (j->c > 0x20 && j->c < 0x7f)
		return json_fail(j, "expected %s, found '%c'", what, j->c);
	return json_fail(j, "expected %s, found byte 0x%02x", what, j->c);
}

static int hex4(struct json_reader *j, uint32_t *v)
{
	int i;

	*v = 0;
	for (i = 0; i < 4; i++) {
		int c = j->c, d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return json_expected(j, "4 hex digits after \\u");
		*v = *v << 4 | (uint32_t)d;
		adv(j);
	}
	return 0;
}

/* At '"': read a string into out (may be NULL: skip), keeping at most keep
 * bytes; the result is valid UTF-8 without NUL bytes. */
static int str(struct json_reader *j, struct strbuf *out, size_t keep)
{
	struct strbuf tmp = STRBUF_INIT;
	int full = 0;

	if (out)
		sb_reset(out);
	adv(j);
	for (;;) {
		uint32_t cp, lo;

		if (j->c == EOF) {
			json_expected(j, "'\"' to end the string");
			goto fail;
		}
		if (j->c == '"') {
			adv(j);
			break;
		}
		if (j->c < 0x20) {
			json_fail(j, "control character 0x%02x in a string", j->c);
			goto fail;
		}
		sb_reset(&tmp);
		if (j->c != '\\') {
			sb_addc(&tmp, (char)j->c);
			adv(j);
		} else {
			adv(j);
			switch (j->c) {
			case '"': case '\\': case '/':
				sb_addc(&tmp, (char)j->c); break;
			case 'b': sb_addc(&tmp, '\b'); break;
			case 'f': sb_addc(&tmp, '\f'); break;
			case 'n': sb_addc(&tmp, '\n'); break;
			case 'r': sb_addc(&tmp, '\r'); break;
			case 't': sb_addc(&tmp, '\t'); break;
			case 'u': break;
			default:
				json_expected(j, "an escape (\\\" \\\\ \\/ \\b \\f "
					 "\\n \\r \\t \\u)");
				goto fail;
			}
			if (j->c != 'u') {
				adv(j);
			} else {
				adv(j);
				if (hex4(j, &cp) < 0)
					goto fail;
				if (cp >= 0xd800 && cp < 0xdc00 && j->c == '\\') {
					adv(j);
					if (j->c != 'u') {
						json_expected(j, "\\u of a low "
							 "surrogate");
						goto fail;
					}
					adv(j);
					if (hex4(j, &lo) < 0)
						goto fail;
					if (lo >= 0xdc00 && lo < 0xe000)
						cp = 0x10000 + ((cp - 0xd800) << 10) +
						     (lo - 0xdc00);
					else
						cp = 0xfffd;
				} else if ((cp >= 0xd800 && cp < 0xe000) || !cp) {
					cp = 0xfffd;	/* lone surrogate, NUL */
				}
				{
					char u[4];

					sb_add(&tmp, u, utf8_encode(cp, u));
				}
			}
		}
		if (out && !full) {
			if (out->len + tmp.len <= keep)
				sb_add(out, tmp.buf, tmp.len);
			else
				full = 1;
		}
	}
	sb_release(&tmp);
	if (out && full) {
		/* do not leave half a character at the cut */
		while (out->len && ((unsigned char)out->buf[out->len - 1] &
				    0xc0) == 0x80)
			out->len--;
		if (out->len && (unsigned char)out->buf[out->len - 1] >= 0xc0)
			out->len--;
		out->buf[out->len] = '\0';
	}
	if (out && out->buf)
		utf8_sanitize(out->buf);
	return 0;
fail:
	sb_release(&tmp);
	return -1;
}

static int digits(struct json_reader *j, char *buf, size_t *n,
		  size_t max)
{
	size_t start = *n;

	while (j->c >= '0' && j->c <= '9') {
		if (*n + 1 >= max)
			return json_fail(j, "number longer than %zu characters",
				     max - 1);
		buf[(*n)++] = (char)j->c;
		adv(j);
	}
	return *n > start ? 0 : json_expected(j, "a digit");
}

static int number(struct json_reader *j, double *v)
{
	char buf[64];
	size_t n = 0;

	if (j->c == '-') {
		buf[n++] = '-';
		adv(j);
	}
	if (j->c == '0') {
		buf[n++] = '0';
		adv(j);
	} else if (digits(j, buf, &n, sizeof(buf)) < 0) {
		return -1;
	}
	if (j->c == '.') {
		buf[n++] = '.';
		adv(j);
		if (digits(j, buf, &n, sizeof(buf)) < 0)
			return -1;
	}
	if (j->c == 'e' || j->c == 'E') {
		if (n + 2 >= sizeof(buf))
			return json_fail(j, "number too long");
		buf[n++] = 'e';
		adv(j);
		if (j->c == '+' || j->c == '-') {
			buf[n++] = (char)j->c;
			adv(j);
		}
		if (digits(j, buf, &n, sizeof(buf)) < 0)
			return -1;
	}
	buf[n] = '\0';
	*v = strtod(buf, NULL);
	return 0;
}

static int literal(struct json_reader *j, const char *word)
{
	const char *w;

	for (w = word; *w; w++) {
		if (j->c != *w)
			return json_expected(j, "a JSON value");
		adv(j);
	}
	return 0;
}

/* Objects and arrays: open at '{' / '[', then next() until it returns 0
 * (closed) or -1 (error); next() leaves the stream at the value. */
int json_open(struct json_reader *j)
{
	if (++j->depth > JSON_MAX_DEPTH)
		return json_fail(j, "nested deeper than %d levels", JSON_MAX_DEPTH);
	adv(j);
	json_ws(j);
	return 0;
}

static int enter(struct json_reader *j, int open)
{
	if (j->c != open)
		return json_skip(j) < 0 ? -1 : 0;
	return json_open(j) < 0 ? -1 : 1;
}

int json_enter_obj(struct json_reader *j)
{
	return enter(j, '{');
}

int json_enter_arr(struct json_reader *j)
{
	return enter(j, '[');
}

int json_obj_next(struct json_reader *j, int *first, struct strbuf *key)
{
	json_ws(j);
	if (j->c == '}') {
		adv(j);
		j->depth--;
		return 0;
	}
	if (!*first) {
		if (j->c != ',')
			return json_expected(j, "',' or '}'");
		adv(j);
		json_ws(j);
	} else {
		*first = 0;
	}
	if (j->c != '"')
		return json_expected(j, "a string (an object key)");
	if (str(j, key, JSON_MAX_KEY) < 0)
		return -1;
	/* An empty key ("") leaves an empty strbuf without a buffer; callers
	 * strcmp() key.buf, so it must be a string. */
	if (!key->buf) {
		sb_grow(key, 1);
		key->buf[0] = 0;
	}
	json_ws(j);
	if (j->c != ':')
		return json_expected(j, "':'");
	adv(j);
	json_ws(j);
	return 1;
}

int json_arr_next(struct json_reader *j, int *first)
{
	json_ws(j);
	if (j->c == ']') {
		adv(j);
		j->depth--;
		return 0;
	}
	if (!*first) {
		if (j->c != ',')
			return json_expected(j, "',' or ']'");
		adv(j);
		json_ws(j);
	} else {
		*first = 0;
	}
	return 1;
}

int json_skip(struct json_reader *j)
{
	struct strbuf key = STRBUF_INIT;
	double v;
	int first = 1, r;

	json_ws(j);
	switch (j->c) {
	case '{':
		if (json_open(j) < 0)
			return -1;
		while ((r = json_obj_next(j, &first, &key)) > 0)
			if (json_skip(j) < 0) {
				r = -1;
				break;
			}
		sb_release(&key);
		return r;
	case '[':
		if (json_open(j) < 0)
			return -1;
		while ((r = json_arr_next(j, &first)) > 0)
			if (json_skip(j) < 0)
				return -1;
		return r;
	case '"':
		return str(j, NULL, 0);
	case 't':
		return literal(j, "true");
	case 'f':
		return literal(j, "false");
	case 'n':
		return literal(j, "null");
	default:
		if (j->c == '-' || (j->c >= '0' && j->c <= '9'))
			return number(j, &v);
		return json_expected(j, "a JSON value");
	}
}

/* Typed values: 1 read, 0 another type (skipped), -1 error. */
int json_get_num(struct json_reader *j, double *v)
{
	if (j->c == '-' || (j->c >= '0' && j->c <= '9')) {
		if (number(j, v) < 0)
			return -1;
		return isfinite(*v) ? 1 : 0;
	}
	return json_skip(j) < 0 ? -1 : 0;
}

int json_get_count(struct json_reader *j, uint64_t *v)
{
	double d;
	int r = json_get_num(j, &d);

	if (r <= 0)
		return r;
	if (d < 0 || d > 9007199254740992.0)	/* 2^53 */
		return 0;
	*v = (uint64_t)d;
	return 1;
}

int json_get_str(struct json_reader *j, char **out)
{
	struct strbuf sb = STRBUF_INIT;

	if (j->c != '"')
		return json_skip(j) < 0 ? -1 : 0;
	if (str(j, &sb, JSON_MAX_TEXT) < 0) {
		sb_release(&sb);
		return -1;
	}
	free(*out);
	*out = sb_detach(&sb);
	return 1;
}

int json_get_bool(struct json_reader *j, int *v)
{
	if (j->c == 't' || j->c == 'f') {
		*v = j->c == 't';
		return literal(j, *v ? "true" : "false") < 0 ? -1 : 1;
	}
	return json_skip(j) < 0 ? -1 : 0;
}

void json_reader_init(struct json_reader *j, FILE *f)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->line = j->col = 1;
	j->c = getc(f);
	j->bytes = j->c != EOF;
	/* a UTF-8 byte order mark is not JSON, but editors write it */
	if (j->c == 0xef) {
		adv(j);
		if (j->c == 0xbb)
			adv(j);
		if (j->c == 0xbf)
			adv(j);
		j->col = 1;
	}
	json_ws(j);
}

void json_reader_release(struct json_reader *j)
{
	sb_release(&j->msg);
}
