/*
 * util.h - small helpers every layer may use: checked allocation, a growable
 * string buffer, a JSON writer, time.
 *
 * xmalloc/xcalloc/xrealloc/xstrdup abort with a message on out-of-memory:
 * a profiler that cannot allocate a few bytes has nothing useful left to do,
 * and checking every call would hide the real error paths.
 */
#ifndef GILSPY_UTIL_H
#define GILSPY_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* A growable NUL-terminated buffer (git's strbuf, simplified). */
struct strbuf {
	char *buf;		/* always NUL-terminated once used */
	size_t len, alloc;
};
#define STRBUF_INIT { NULL, 0, 0 }
void sb_init(struct strbuf *sb);
void sb_release(struct strbuf *sb);
void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void sb_reset(struct strbuf *sb);
/* Take ownership of the buffer; sb is left empty. */
char *sb_detach(struct strbuf *sb);

/* Append s as a JSON string literal (with quotes); invalid UTF-8 bytes become
 * U+FFFD so the output is always valid JSON. */
void sb_add_json_str(struct strbuf *sb, const char *s);

/* Replace invalid UTF-8 sequences in s with '?' in place. */
void utf8_sanitize(char *s);
/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid
 * (overlong, surrogate, beyond U+10FFFF, or cut short by a NUL). */
size_t utf8_seq(const unsigned char *s);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);
/* CPU time of this process (user + system), in nanoseconds. */
uint64_t cpu_ns(void);

/* Write a whole buffer to path atomically (temp file + rename).  Returns 0,
 * or -1 with errno set. */
int write_file_atomic(const char *path, const void *data, size_t len);

/* Encode code point cp as UTF-8 into out; returns the bytes written (1-4).
 * A surrogate or a value beyond U+10FFFF, which have no valid encoding,
 * is written as U+FFFD. */
size_t utf8_encode(uint32_t cp, char out[4]);

#endif
