/*
 * json.h - the JSON that gilspy writes and the JSON it reads back.
 *
 * Writing: small helpers for the pieces every JSON renderer repeats (a
 * number as the reports print it, a string or null, a boolean); strings
 * themselves go through sb_add_json_str() (util.h).
 *
 * Reading: a bounded, streaming reader for input we do not trust (a CI
 * job's --baseline file may be anything: another tool's JSON, a truncated
 * upload, garbage).  One character of lookahead, nothing buffered beyond a
 * kept string: nesting depth, bytes read, and the length of every kept key
 * and string are bounded (JSON_MAX_*), so memory never grows with the
 * input.  The caller walks the document itself:
 *
 *	int first = 1, r;
 *	if ((r = json_enter_obj(j)) <= 0)          not an object, or an error
 *		return r;
 *	while ((r = json_obj_next(j, &first, &key)) > 0)
 *		r = !strcmp(key.buf, "n") ? json_get_num(j, &v) : json_skip(j);
 *
 * Every reading function returns -1 on a syntax error, after which the
 * reader stays failed: j->msg holds the first error, "what at line L,
 * column C", and later calls fail at once.  The typed getters return 1 when
 * they read a value of their type, 0 when the value had another type (it
 * is skipped), -1 on an error.
 */
#ifndef GILSPY_JSON_H
#define GILSPY_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "gilspy/util.h"

/* --- writing ------------------------------------------------------------ */

/* v with three decimals; NaN (not JSON) as 0. */
void json_add_num(struct strbuf *sb, double v);
/* s as a JSON string, or null when s is NULL. */
void json_add_str_or_null(struct strbuf *sb, const char *s);
/* "true" or "false". */
const char *json_bool(int v);

/* --- reading ------------------------------------------------------------ */

#define JSON_MAX_DEPTH	64
#define JSON_MAX_BYTES	(512ull << 20)
#define JSON_MAX_KEY	64		/* longer keys are cut (and so unknown) */
#define JSON_MAX_TEXT	4096		/* strings kept by json_get_str() */

struct json_reader {
	FILE *f;		/* not owned */
	int c;			/* the lookahead character, EOF at the end */
	unsigned long line, col;
	uint64_t bytes;
	int depth;
	int failed;
	struct strbuf msg;	/* the first error */
};

/* Start reading f: skips a UTF-8 byte order mark (not JSON, but editors
 * write it) and leading white space.  Release with json_reader_release. */
void json_reader_init(struct json_reader *j, FILE *f);
void json_reader_release(struct json_reader *j);

/* Fail with "fmt at line L, column C" (only the first failure is kept);
 * returns -1. */
int json_fail(struct json_reader *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Fail with "expected WHAT", naming what was found instead; -1. */
int json_expected(struct json_reader *j, const char *what);
/* Skip white space. */
void json_ws(struct json_reader *j);

/* At '{' or '[': enter it (bounded by JSON_MAX_DEPTH).  0 or -1. */
int json_open(struct json_reader *j);
/* At a value that should be an object (array): enter it as json_open
 * does and return 1, or skip a value of another type and return 0; -1 on
 * an error.  The usual start of reading a known field. */
int json_enter_obj(struct json_reader *j);
int json_enter_arr(struct json_reader *j);
/* After json_open at '{': 1 with the next key in key (at most JSON_MAX_KEY
 * bytes; key.buf is never NULL, even for "") and the reader at its value,
 * 0 when the object closed, -1.
 * *first must start at 1. */
int json_obj_next(struct json_reader *j, int *first, struct strbuf *key);
/* After json_open at '[': 1 with the reader at the next value, 0 when the
 * array closed, -1. */
int json_arr_next(struct json_reader *j, int *first);
/* Read and drop one value of any type.  0 or -1. */
int json_skip(struct json_reader *j);

/* Typed values: 1 read, 0 another type (skipped), -1 error. */
int json_get_num(struct json_reader *j, double *v);	/* finite only */
/* A number of 0 to 2^53, its fraction dropped (counts); another number
 * counts as another type. */
int json_get_count(struct json_reader *j, uint64_t *v);
/* A string of at most JSON_MAX_TEXT bytes (cut at a character boundary),
 * valid UTF-8 without NUL bytes; *out is freed and replaced (caller
 * frees). */
int json_get_str(struct json_reader *j, char **out);
int json_get_bool(struct json_reader *j, int *v);

#endif
