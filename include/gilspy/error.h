/*
 * error.h - error codes shared by every layer.
 *
 * Lower layers (proc, python, gil, sampler, profile, output, raw) never
 * print and never exit: they return one of these codes and, where a sentence
 * helps the user, fill a struct gs_error (gs_error_set) with a lowercase
 * message that says what happened and what to do.  Only src/cmd/ prints:
 * cmd_report_error() in src/cmd/common.c writes err->msg, or gs_strerror()
 * of the code when there is no message, and returns gs_exit_code(), the
 * status the command exits with.  errno from process_vm_readv becomes a
 * code in one place, proc_read() in src/proc/proc.c.
 */
#ifndef GILSPY_ERROR_H
#define GILSPY_ERROR_H

#include <stdarg.h>

enum gs_err {
	GS_OK = 0,
	GS_ENOPROC,     /* no such process */
	GS_EPERM,       /* not permitted to read the target */
	GS_EGONE,       /* the target exited while we read it */
	GS_EFAULT,      /* an address in the target is not mapped: a torn read */
	GS_ENOTPY,      /* the target is not a CPython process */
	GS_EVERSION,    /* CPython, but a version we do not support */
	GS_ENOGIL,      /* free-threaded build: there is no GIL */
	GS_EBADDATA,    /* target memory did not look like what we expected */
	GS_ENOMEM,
	GS_EIO,         /* a local file could not be read or written */
	GS_EFORMAT,     /* an input file is malformed */
	GS_EUSAGE,
	GS_ERR_MAX
};

struct gs_error {
	enum gs_err code;
	char msg[512];
};

/* A short, lowercase phrase for a code: "no such process". */
const char *gs_strerror(enum gs_err code);

/* Fill err (may be NULL) with code and a printf-style message; returns code
 * so callers can write `return gs_error_set(err, GS_EPERM, "...")`. */
enum gs_err gs_error_set(struct gs_error *err, enum gs_err code,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Exit status for a failure: 2 for usage errors, 1 for everything else. */
int gs_exit_code(enum gs_err code);

#endif
