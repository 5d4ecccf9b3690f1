/* error.c - the short phrase for each gs_err code, filling a struct
 * gs_error, and the exit status a code maps to (see gilspy/error.h). */
#include <stdarg.h>
#include <stdio.h>

#include "gilspy/error.h"

static const char *const messages[GS_ERR_MAX] = {
	[GS_OK] = "success",
	[GS_ENOPROC] = "no such process",
	[GS_EPERM] = "permission denied",
	[GS_EGONE] = "the process exited",
	[GS_EFAULT] = "bad address in target memory",
	[GS_ENOTPY] = "not a python process",
	[GS_EVERSION] = "unsupported python version",
	[GS_ENOGIL] = "free-threaded python has no gil",
	[GS_EBADDATA] = "unexpected data in target memory",
	[GS_ENOMEM] = "out of memory",
	[GS_EIO] = "input/output error",
	[GS_EFORMAT] = "malformed input",
	[GS_EUSAGE] = "usage error",
};

const char *gs_strerror(enum gs_err code)
{
	if ((unsigned)code >= GS_ERR_MAX || !messages[code])
		return "unknown error";
	return messages[code];
}

enum gs_err gs_error_set(struct gs_error *err, enum gs_err code,
			 const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

int gs_exit_code(enum gs_err code)
{
	if (code == GS_OK)
		return 0;
	return code == GS_EUSAGE ? 2 : 1;
}
