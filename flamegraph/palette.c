/*
 * palette.c - frame colours.
 *
 * The GIL-state frames get fixed colours from the Okabe-Ito palette, which
 * stays distinct under the common colour-vision deficiencies; they are
 * saturated and dark, while ordinary frames are light, so a state leaf
 * stands out from the code beneath it whatever the palette.
 *
 * Ordinary frames are coloured by name (the same name always gets the same
 * colour, in every graph).  The python palette first sorts a frame into
 * your code, the standard library, third-party packages, native code or a
 * synthetic root, from the `function (path:line)` form `record` writes:
 * `record` shows library files relative to their library directory and
 * other files by base name, so a relative path with a directory is a
 * package, and a top-level module name from the standard library is the
 * standard library.
 */
#include <string.h>

#include "fg_internal.h"

const char *const fg_state_colours[FG_NSTATES] = {
	"#D55E00",	/* held: vermillion */
	"#0072B2",	/* waiting: blue */
	"#009E73",	/* running without GIL: bluish green */
	"#BBBBBB",	/* idle: grey */
};

const char *const fg_state_labels[FG_NSTATES] = {
	"GIL held", "waiting for GIL", "running without GIL", "idle",
};

/* Top-level modules of the standard library (sys.stdlib_module_names of
 * 3.11, public names), sorted for bsearch. */
static const char *const stdlib_modules[] = {
	"abc", "aifc", "antigravity", "argparse", "array", "ast", "asynchat",
	"asyncio", "asyncore", "atexit", "audioop", "base64", "bdb",
	"binascii", "bisect", "builtins", "bz2", "cProfile", "calendar", "cgi",
	"cgitb", "chunk", "cmath", "cmd", "code", "codecs", "codeop",
	"collections", "colorsys", "compileall", "concurrent", "configparser",
	"contextlib", "contextvars", "copy", "copyreg", "crypt", "csv",
	"ctypes", "curses", "dataclasses", "datetime", "dbm", "decimal",
	"difflib", "dis", "distutils", "doctest", "email", "encodings",
	"ensurepip", "enum", "errno", "faulthandler", "fcntl", "filecmp",
	"fileinput", "fnmatch", "fractions", "ftplib", "functools", "gc",
	"genericpath", "getopt", "getpass", "gettext", "glob", "graphlib",
	"grp", "gzip", "hashlib", "heapq", "hmac", "html", "http", "idlelib",
	"imaplib", "imghdr", "imp", "importlib", "inspect", "io", "ipaddress",
	"itertools", "json", "keyword", "lib2to3", "linecache", "locale",
	"logging", "lzma", "mailbox", "mailcap", "marshal", "math",
	"mimetypes", "mmap", "modulefinder", "msilib", "msvcrt",
	"multiprocessing", "netrc", "nis", "nntplib", "nt", "ntpath",
	"nturl2path", "numbers", "opcode", "operator", "optparse", "os",
	"ossaudiodev", "pathlib", "pdb", "pickle", "pickletools", "pipes",
	"pkgutil", "platform", "plistlib", "poplib", "posix", "posixpath",
	"pprint", "profile", "pstats", "pty", "pwd", "py_compile", "pyclbr",
	"pydoc", "pydoc_data", "pyexpat", "queue", "quopri", "random", "re",
	"readline", "reprlib", "resource", "rlcompleter", "runpy", "sched",
	"secrets", "select", "selectors", "shelve", "shlex", "shutil",
	"signal", "site", "smtpd", "smtplib", "sndhdr", "socket",
	"socketserver", "spwd", "sqlite3", "sre_compile", "sre_constants",
	"sre_parse", "ssl", "stat", "statistics", "string", "stringprep",
	"struct", "subprocess", "sunau", "symtable", "sys", "sysconfig",
	"syslog", "tabnanny", "tarfile", "telnetlib", "tempfile", "termios",
	"textwrap", "this", "threading", "time", "timeit", "tkinter", "token",
	"tokenize", "tomllib", "trace", "traceback", "tracemalloc", "tty",
	"turtle", "turtledemo", "types", "typing", "unicodedata", "unittest",
	"urllib", "uu", "uuid", "venv", "warnings", "wave", "weakref",
	"webbrowser", "winreg", "winsound", "wsgiref", "xdrlib", "xml",
	"xmlrpc", "zipapp", "zipfile", "zipimport", "zlib", "zoneinfo",
};

static int is_stdlib_module(const char *p, size_t len)
{
	size_t lo = 0, hi = ARRAY_SIZE(stdlib_modules), mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strncmp(stdlib_modules[mid], p, len);
		if (!c)
			c = stdlib_modules[mid][len] ? 1 : 0;
		if (!c)
			return 1;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(s + i, needle, n))
			return 1;
	return 0;
}

const char *fg_frame_kind(const char *name)
{
	const char *open, *close, *path, *e, *slash;
	size_t len = strlen(name), plen;

	if (!strncmp(name, "thread ", 7) || !strncmp(name, "process ", 8))
		return "root";
	/* `function (path:line)`: the path is inside the last parentheses. */
	close = len ? name + len - 1 : name;
	open = strrchr(name, '(');
	if (!len || *close != ')' || !open || open == name)
		return "native";
	path = open + 1;
	plen = (size_t)(close - path);
	e = memchr(path, ':', plen);
	if (e)
		plen = (size_t)(e - path);
	if (!plen)
		return "native";
	if (contains(path, plen, "site-packages/") ||
	    contains(path, plen, "dist-packages/"))
		return "lib";
	if (path[0] == '<')	/* <frozen importlib._bootstrap>, <string> */
		return contains(path, plen, "frozen") ? "std" : "app";
	if (contains(path, plen, "/lib/python") ||
	    contains(path, plen, "/lib64/python"))
		return "std";
	if (!contains(path, plen, ".py"))
		return "native";
	if (path[0] == '/')
		return "app";
	slash = memchr(path, '/', plen);
	if (slash) {
		/* Relative with a directory: the stdlib's packages or a
		 * site-packages module, told apart by the top-level name. */
		return is_stdlib_module(path, (size_t)(slash - path)) ? "std" : "lib";
	}
	e = memchr(path, '.', plen);
	if (e && is_stdlib_module(path, (size_t)(e - path)))
		return "std";
	return "app";
}

/* FNV-1a over the function part of the name (before " (" when there is
 * one), so a function keeps its colour when its line number changes. */
static uint32_t name_hash(const char *name)
{
	const char *e = strstr(name, " (");
	uint32_t h = 2166136261u;

	if (!e)
		e = name + strlen(name);
	for (; name < e; name++)
		h = (h ^ (unsigned char)*name) * 16777619u;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

static void hsl_hex(double h, double s, double l, char buf[8])
{
	double c = (1 - (2 * l - 1 < 0 ? 1 - 2 * l : 2 * l - 1)) * s;
	double hp = h / 60, x, r = 0, gr = 0, b = 0, m;
	double f = hp - 2 * (int)(hp / 2);

	x = c * (1 - (f - 1 < 0 ? 1 - f : f - 1));
	if (hp < 1) { r = c; gr = x; }
	else if (hp < 2) { r = x; gr = c; }
	else if (hp < 3) { gr = c; b = x; }
	else if (hp < 4) { gr = x; b = c; }
	else if (hp < 5) { r = x; b = c; }
	else { r = c; b = x; }
	m = l - c / 2;
	snprintf(buf, 8, "#%02X%02X%02X", (int)((r + m) * 255 + 0.5),
		 (int)((gr + m) * 255 + 0.5), (int)((b + m) * 255 + 0.5));
}

void fg_frame_colour(enum fg_palette p, const char *name, char buf[8])
{
	uint32_t h = name_hash(name);
	double a = (h & 0xffff) / 65535.0, b = (h >> 16) / 65535.0;
	const char *kind;

	switch (p) {
	case FG_PALETTE_HOT:
		hsl_hex(0 + 45 * a, 0.85, 0.55 + 0.1 * b, buf);
		return;
	case FG_PALETTE_MEM:
		hsl_hex(95 + 40 * a, 0.45, 0.62 + 0.12 * b, buf);
		return;
	case FG_PALETTE_IO:
		hsl_hex(195 + 35 * a, 0.55, 0.68 + 0.1 * b, buf);
		return;
	case FG_PALETTE_GRAY:
		hsl_hex(0, 0, 0.78 + 0.12 * a, buf);
		return;
	case FG_PALETTE_PYTHON:
		break;
	}
	kind = fg_frame_kind(name);
	if (!strcmp(kind, "app"))		/* warm: your code */
		hsl_hex(28 + 24 * a, 0.90, 0.66 + 0.08 * b, buf);
	else if (!strcmp(kind, "std"))		/* lilac */
		hsl_hex(255 + 30 * a, 0.40, 0.78 + 0.06 * b, buf);
	else if (!strcmp(kind, "lib"))		/* yellow-green */
		hsl_hex(70 + 30 * a, 0.50, 0.68 + 0.08 * b, buf);
	else if (!strcmp(kind, "root"))		/* neutral */
		hsl_hex(40, 0.10, 0.84 + 0.04 * a, buf);
	else					/* native: grey-blue */
		hsl_hex(200 + 20 * a, 0.22, 0.74 + 0.08 * b, buf);
}
