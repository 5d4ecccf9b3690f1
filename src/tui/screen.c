/*
 * screen.c - the ncurses backend: taking and giving back the terminal,
 * colours, drawing the renderer's lines, and the keys.
 *
 * The terminal is given back on every way out: tui_screen_end() on the
 * normal paths (cmd/top.c calls it before printing any error, as htop's
 * CRT_fatalError does), and on a crash a signal handler that only uses
 * async-signal-safe calls: write() of the terminfo strings that leave the
 * alternate screen and show the cursor, and tcsetattr() of the modes saved
 * before curses started.
 */
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>

#include <curses.h>

#include "tui_int.h"

enum { PAIR_HELD = 1, PAIR_WAITING, PAIR_NATIVE, PAIR_IDLE, PAIR_ALERT };

static SCREEN *scr;
static int active, utf8;
static attr_t attrs[TA_NATTRS];

/* For the crash handler: prepared while curses is up. */
static struct termios saved_tio;
static int have_tio;
static char restore_seq[256];
static size_t restore_len;

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
static struct sigaction old_fatal[ARRAY_SIZE(fatal_signals)];

int tui_screen_active(void)
{
	return active;
}

static void on_fatal(int sig)
{
	if (restore_len && write(STDOUT_FILENO, restore_seq, restore_len) < 0)
		restore_len = 0;
	if (have_tio)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void add_cap(const char *name)
{
	char *s = tigetstr(name);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (restore_len + n < sizeof(restore_seq)) {
		memcpy(restore_seq + restore_len, s, n);
		restore_len += n;
	}
}

static void fatal_handlers(int install)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < ARRAY_SIZE(fatal_signals); i++) {
		if (install)
			sigaction(fatal_signals[i], &sa, &old_fatal[i]);
		else
			sigaction(fatal_signals[i], &old_fatal[i], NULL);
	}
}

static void colours(void)
{
	short bg = -1, held, waiting, native, idle, alert;

	attrs[TA_TITLE] = A_BOLD;
	attrs[TA_HEAD] = A_REVERSE;
	attrs[TA_SORTKEY] = A_REVERSE | A_BOLD | A_UNDERLINE;
	attrs[TA_DIM] = A_DIM;
	attrs[TA_SELECTED] = A_BOLD | A_UNDERLINE;
	attrs[TA_KEYS] = A_REVERSE;
	attrs[TA_ALERT] = A_BOLD;
	attrs[TA_HELD] = A_BOLD;
	attrs[TA_WAITING] = A_BOLD;
	if (!has_colors() || start_color() == ERR)
		return;
	if (use_default_colors() == ERR)
		bg = COLOR_BLACK;
	if (COLORS >= 256) {
		/* xterm-256 cells nearest the flame graph's state colours
		 * (flamegraph/palette.c), lightened a little for dark
		 * backgrounds; idle is a mid grey, not the graph's light
		 * #BBBBBB, so that it stays readable on light ones too */
		held = 166;		/* #d75f00 ~ #D55E00 */
		waiting = 32;		/* #0087d7 ~ #0072B2 */
		native = 36;		/* #00af87 ~ #009E73 */
		idle = 246;		/* #949494 */
		alert = 196;
	} else {
		held = COLOR_RED;
		waiting = COLOR_BLUE;
		native = COLOR_GREEN;
		idle = COLOR_WHITE;
		alert = COLOR_RED;
	}
	init_pair(PAIR_HELD, held, bg);
	init_pair(PAIR_WAITING, waiting, bg);
	init_pair(PAIR_NATIVE, native, bg);
	init_pair(PAIR_IDLE, idle, bg);
	init_pair(PAIR_ALERT, alert, bg);
	attrs[TA_HELD] = COLOR_PAIR(PAIR_HELD) | A_BOLD;
	attrs[TA_WAITING] = COLOR_PAIR(PAIR_WAITING) | A_BOLD;
	attrs[TA_NATIVE] = COLOR_PAIR(PAIR_NATIVE);
	attrs[TA_IDLE] = COLOR_PAIR(PAIR_IDLE);
	attrs[TA_ALERT] = COLOR_PAIR(PAIR_ALERT) | A_BOLD;
}

enum gs_err tui_screen_usable(struct gs_error *err)
{
	const char *term = getenv("TERM");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return gs_error_set(err, GS_EUSAGE, "top needs a terminal; "
				    "use --batch (or -n N) for plain-text frames");
	if (!term || !*term || !strcmp(term, "dumb"))
		return gs_error_set(err, GS_EUSAGE, "the terminal type (TERM=%s) "
				    "cannot show a full-screen view; set TERM, "
				    "or use --batch", term ? term : "");
	return GS_OK;
}

enum gs_err tui_screen_start(struct gs_error *err)
{
	const char *term = getenv("TERM");
	enum gs_err rc;

	if (active)
		return GS_OK;
	rc = tui_screen_usable(err);
	if (rc != GS_OK)
		return rc;
	setlocale(LC_ALL, "");
	/* numbers are formatted by us: keep '.' as the decimal point */
	setlocale(LC_NUMERIC, "C");
	utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	have_tio = tcgetattr(STDIN_FILENO, &saved_tio) == 0;
	/* newterm, unlike initscr, returns NULL instead of exiting */
	scr = newterm(NULL, stdout, stdin);
	if (!scr)
		return gs_error_set(err, GS_EUSAGE, "cannot use the terminal "
				    "type '%s'; set TERM (e.g. xterm-256color) "
				    "or use --batch", term);
	set_term(scr);
	active = 1;
	restore_len = 0;
	add_cap("sgr0");
	add_cap("rmkx");
	add_cap("rmcup");
	add_cap("cnorm");
	fatal_handlers(1);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	colours();
	return GS_OK;
}

void tui_screen_end(void)
{
	if (!active)
		return;
	active = 0;
	curs_set(1);
	endwin();
	fatal_handlers(0);
	delscreen(scr);
	scr = NULL;
	fflush(stdout);
}

/* --- drawing ------------------------------------------------------------- */

struct scr_ctx {
	int y, x;
};

static void scr_put(void *ctx, const char *s, enum tui_attr a)
{
	struct scr_ctx *c = ctx;
	mbstate_t ms;
	char buf[1024];
	size_t o = 0;
	int x0 = c->x;

	if (c->y >= LINES)
		return;
	memset(&ms, 0, sizeof(ms));
	/* keep what fits in the line; bytes that are not printable text
	 * in this locale (hostile names) become '?' */
	while (*s && o + MB_LEN_MAX < sizeof(buf)) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, MB_LEN_MAX, &ms);
		int w;

		if (n == (size_t)-1 || n == (size_t)-2 || !n) {
			memset(&ms, 0, sizeof(ms));
			n = 1;
			w = 1;
			if (c->x + w > COLS)
				break;
			buf[o++] = '?';
		} else {
			w = wcwidth(wc);
			if (w < 0) {
				w = 1;
				if (c->x + w > COLS)
					break;
				buf[o++] = '?';
			} else {
				if (c->x + w > COLS)
					break;
				memcpy(buf + o, s, n);
				o += n;
			}
		}
		s += n;
		c->x += w;
	}
	if (!o)
		return;
	attrset(attrs[a]);
	mvaddnstr(c->y, x0, buf, (int)o);
	attrset(A_NORMAL);
}

static void scr_eol(void *ctx)
{
	struct scr_ctx *c = ctx;

	c->y++;
	c->x = 0;
}

void tui_screen_draw(struct tui *u)
{
	struct scr_ctx c = { 0, 0 };
	struct tui_out out = {
		.put = scr_put, .eol = scr_eol, .ctx = &c,
		.width = COLS, .height = LINES, .utf8 = utf8, .screen = 1,
	};

	if (!active)
		return;
	erase();
	if (COLS < 40 || LINES < 10) {
		mvaddnstr(0, 0, "gilspy top: the terminal is too small "
			  "(40x10 at least); q quits", COLS);
	} else {
		tui_render(u, &out);
	}
	refresh();
}

/* --- keys ---------------------------------------------------------------- */

/* Apply one key; 1 when the view changed, -1 to quit. */
static int key(struct tui *u, int k, uint64_t now_ns)
{
	int page = LINES > 20 ? LINES / 2 : 5;
	int *scroll = u->focus == TUI_FOCUS_THREADS ? &u->tscroll : &u->scroll;

	if (k == KEY_RESIZE)
		return 1;
	if (k == 'q' || k == 'Q')
		return -1;
	if (u->help) {
		u->help = 0;	/* any key leaves the help */
		return 1;
	}
	switch (k) {
	case '?': case 'h': case KEY_F(1):
		u->help = 1;
		break;
	case '1': case '2': case '3': case '4': case '5':
		u->o.sort = (enum tui_sort)(k - '1');
		u->scroll = 0;
		u->dirty = 1;
		break;
	case '<': case ',':
		u->o.sort = (enum tui_sort)((u->o.sort + TUI_NSORTS - 1) %
					    TUI_NSORTS);
		u->scroll = 0;
		u->dirty = 1;
		break;
	case '>': case '.':
		u->o.sort = (enum tui_sort)((u->o.sort + 1) % TUI_NSORTS);
		u->scroll = 0;
		u->dirty = 1;
		break;
	case 'L': case 'l':
		if (!u->o.lineno) {
			tui_set_status(u, 0, "no line numbers (--nolineno): "
				       "rows are functions");
			break;
		}
		u->o.lines = !u->o.lines;
		u->scroll = 0;
		u->dirty = 1;
		break;
	case 't':
		tui_cycle_thread(u, 1);
		break;
	case 'T':
		tui_cycle_thread(u, -1);
		break;
	case 'i': case 'I':
		u->o.idle = !u->o.idle;
		u->dirty = 1;
		break;
	case 'b': case 'B':
		u->view = u->view == TUI_VIEW_BLAME ? TUI_VIEW_FUNCTIONS :
			  TUI_VIEW_BLAME;
		u->scroll = 0;
		break;
	case 'a': case 'A':
		u->o.all_threads = !u->o.all_threads;
		u->tscroll = 0;
		u->dirty = 1;
		tui_set_status(u, 0, u->o.all_threads ? "every thread listed "
			       "(a folds idle ones)" : "idle threads folded "
			       "into one row (a lists them)");
		break;
	case '\t':
		u->focus = u->focus == TUI_FOCUS_THREADS ? TUI_FOCUS_LOWER :
			   TUI_FOCUS_THREADS;
		tui_set_status(u, 0, "the scroll keys move the %s",
			       u->focus == TUI_FOCUS_THREADS ? "threads pane" :
			       u->view == TUI_VIEW_BLAME ? "blame view" :
			       "functions pane");
		break;
	case 's': case 'S':
		if (!u->tree) {
			tui_set_status(u, 0, "one process: -s follows its "
				       "subprocesses");
			break;
		}
		u->group = !u->group;
		u->tscroll = u->scroll = 0;
		u->dirty = 1;
		tui_set_status(u, 0, u->group ? "rows grouped by process (s: "
			       "one list)" : "one list, a PID column (s: "
			       "grouped by process)");
		break;
	case 'w': case 'W':
		u->o.cumulative = !u->o.cumulative;
		tui_window_update(u);
		break;
	case 'p': case 'P': case ' ':
		u->paused = !u->paused;
		if (!u->paused)
			tui_window_update(u);
		break;
	case 'r': case 'R':
		tui_reset(u, now_ns);
		break;
	case KEY_UP: case 'k':
		(*scroll)--;
		break;
	case KEY_DOWN: case 'j':
		(*scroll)++;
		break;
	case KEY_PPAGE:
		*scroll -= page;
		break;
	case KEY_NPAGE:
		*scroll += page;
		break;
	case KEY_HOME: case 'g':
		*scroll = 0;
		break;
	case KEY_END: case 'G':
		/* the renderer brings it back to the last page */
		*scroll = INT_MAX / 2;
		break;
	case 12:	/* ^L */
		clearok(curscr, TRUE);
		break;
	default:
		return 0;
	}
	if (*scroll < 0)
		*scroll = 0;
	return 1;
}

enum tui_action tui_screen_keys(struct tui *u, int wait_ms, uint64_t now_ns)
{
	int k, changed = 0, r;

	if (!active)
		return TUI_CONTINUE;
	if (wait_ms > 0)
		timeout(wait_ms);
	for (;;) {
		k = getch();
		if (wait_ms > 0) {
			nodelay(stdscr, TRUE);
			wait_ms = 0;
		}
		if (k == ERR)
			break;
		r = key(u, k, now_ns);
		if (r < 0)
			return TUI_QUIT;
		changed |= r;
	}
	if (changed)
		tui_screen_draw(u);
	return TUI_CONTINUE;
}
