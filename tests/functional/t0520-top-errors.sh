#!/bin/bash
# t0520-top-errors.sh - every error of `gilspy top` is one clear line and a
# non-zero exit, and leaves the terminal sane: usage errors, no such pid,
# not python, no permission, no terminal; inside tmux, the same errors
# before the screen starts and one after it started (a ptrace stop refused
# with --blocking) end with the terminal as it was.
. "$TOP/tests/lib/common.sh"

tmp=$(mktemp -d)
sock=gilspy-t0520-$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
	command -v tmux >/dev/null && T kill-server 2>/dev/null
	py_stop
	[ -n "${other:-}" ] && kill -9 "$other" 2>/dev/null
	[ -n "${tracer:-}" ] && kill "$tracer" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

expect() {  # expect CODE REGEX DESCRIPTION -- command...
	local code=$1 re=$2 desc=$3 st
	shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$st" = "$code" ] && grep -Eq "$re" "$tmp/err" &&
	   [ "$(wc -l <"$tmp/err")" = 1 ] && [ ! -s "$tmp/out" ]; then
		ok 0 "$desc"
	else
		ok 1 "$desc (exit $st, want $code; stderr must match /$re/)"
		sed 's/^/#   stderr: /' "$tmp/err" | head -5
		sed 's/^/#   stdout: /' "$tmp/out" | head -5
	fi
}

expect 2 "nothing to watch; give -p PID or -- COMMAND" "no pid is a usage error" -- "$GILSPY" top
expect 2 "'abc' is not a process id" "bad pid is a usage error" -- "$GILSPY" top -p abc
expect 2 "unknown option .--bogus.; see .gilspy top --help." "unknown option" -- "$GILSPY" top --bogus
expect 2 "option '-p' needs a value" "missing value" -- "$GILSPY" top -p
expect 2 "unknown sort column 'x'" "bad --sort" -- "$GILSPY" top -b --sort x -p 1
expect 2 "rate '0' is not a number from" "bad --rate" -- "$GILSPY" top -b -r 0 -p 1
expect 2 "give either -p PID or a command, not both" "pid and command" -- "$GILSPY" top -b -p 1 -- python3
expect 2 "top needs a terminal; use --batch" "no terminal without --batch" -- "$GILSPY" top -p 1
"$GILSPY" top --help >"$tmp/out" 2>&1 && grep -q -- '--batch' "$tmp/out" &&
	grep -q -- '--window' "$tmp/out"
ok $? "top --help exits 0 and documents the options"

sh -c 'exit 0' & dead=$!; wait $dead
expect 1 "no process with pid $dead" "no such pid" -- "$GILSPY" top -b -p "$dead"
sleep 60 & other=$!
expect 1 "pid $other is not a python process" "not a python process" -- "$GILSPY" top -b -p "$other"
expect 127 "cannot run '/nonexistent/python': No such file" "command not found" -- \
	"$GILSPY" top -b -- /nonexistent/python

py=$(py_interpreters | grep -v chroot | head -1)
if [ -n "$py" ] && command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
	py_start "$py" spin2.py
	cp "$GILSPY" "$tmp/gilspy" && chmod 755 "$tmp" "$tmp/gilspy"
	expect 1 "cannot read memory of pid $PY_PID: permission denied" \
		"no permission" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/gilspy" top -b -p "$PY_PID"
	py_stop
else
	skip "permission test needs root, setpriv and a host interpreter"
fi

# --- in a terminal ------------------------------------------------------------
if ! command -v tmux >/dev/null; then
	skip "tmux is not installed: terminal checks"
	done_testing
	exit
fi
T new-session -d -s top -x 100 -y 30 "env PS1='$ ' bash --norc --noprofile" ||
	{ ok 1 "tmux starts a session"; done_testing; exit; }
T set-option -g status off >/dev/null
screen() { T capture-pane -p -t top; }
pane() { T display-message -p -t top "#{$1}"; }
wait_file() {
	local i
	for i in $(seq 1 50); do [ -s "$1" ] && return 0; sleep 0.1; done
	return 1
}
T send-keys -t top "stty -g >$tmp/stty.before" Enter
wait_file "$tmp/stty.before"

in_tty() {  # in_tty CODE REGEX DESCRIPTION -- ARGS...
	local code=$1 re=$2 desc=$3 st
	shift 4
	rm -f "$tmp/exit" "$tmp/stty.after"
	T send-keys -t top "clear; $GILSPY top $* 2>$tmp/tty.err; echo \$? >$tmp/exit.tmp; stty -g >$tmp/stty.after; mv $tmp/exit.tmp $tmp/exit" Enter
	wait_file "$tmp/exit"
	st=$(cat "$tmp/exit" 2>/dev/null)
	[ "$st" = "$code" ] && grep -Eq "$re" "$tmp/tty.err" &&
		[ "$(wc -l <"$tmp/tty.err")" = 1 ] &&
		[ "$(pane alternate_on)" = 0 ] && [ "$(pane cursor_flag)" = 1 ] &&
		cmp -s "$tmp/stty.before" "$tmp/stty.after"
	ok $? "$desc: exit ${st:-?}, one line, terminal as it was" ||
		{ sed 's/^/#   stderr: /' "$tmp/tty.err"; screen | sed 's/^/#   /' | head -5; }
}

in_tty 1 "no process with pid $dead" "terminal, no such pid" -- -p "$dead"
in_tty 1 "pid $other is not a python process" "terminal, not python" -- -p "$other"
in_tty 2 "nothing to watch" "terminal, no pid" --
kill -9 "$other"; wait "$other" 2>/dev/null; other=
T send-keys -t top "export TERM_SAVED=\$TERM TERM=dumb" Enter
in_tty 2 "terminal type \(TERM=dumb\) cannot show a full-screen view" "TERM=dumb" -- -p 1
T send-keys -t top "export TERM=\$TERM_SAVED" Enter

# An error after the screen started: a ptrace stop refused (--blocking on a
# target another tracer holds) must restore the terminal, then say why.
if [ -n "$py" ] && command -v strace >/dev/null; then
	py_start "$py" spin2.py
	strace -f -p "$PY_PID" -o /dev/null 2>/dev/null & tracer=$!
	sleep 0.5
	in_tty 1 "cannot stop thread .* with ptrace" "error after the screen started (--blocking, traced target)" -- \
		--blocking -p "$PY_PID"
	kill "$tracer"; wait "$tracer" 2>/dev/null; tracer=
	py_stop
else
	skip "no strace (or no host interpreter) to make a ptrace stop fail"
fi
[ -c /dev/null ]
ok $? "/dev/null is still a character device"
done_testing
