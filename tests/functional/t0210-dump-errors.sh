#!/bin/bash
# t0210-dump-errors.sh - every error of `gilspy dump` is one clear line and a
# non-zero exit: bad usage, no such pid, not python, no permission, target
# gone mid-read, unsupported version.
. "$TOP/tests/lib/common.sh"

tmp=$(mktemp -d)
cleanup() { py_stop; [ -n "${other:-}" ] && kill -9 "$other" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

expect() {  # expect CODE REGEX DESCRIPTION -- command...
	local code=$1 re=$2 desc=$3 st
	shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ "$st" = "$code" ] && grep -Eq "$re" "$tmp/err" &&
	   [ "$(wc -l <"$tmp/err")" -le 2 ] && [ ! -s "$tmp/out" ]; then
		ok 0 "$desc"
	else
		ok 1 "$desc (exit $st, want $code; stderr must match /$re/)"
		sed 's/^/#   stderr: /' "$tmp/err" | head -5
		sed 's/^/#   stdout: /' "$tmp/out" | head -5
	fi
}

expect 2 "no process given" "no -p is a usage error" -- "$GILSPY" dump
expect 2 "'abc' is not a process id" "bad pid is a usage error" -- "$GILSPY" dump -p abc
expect 2 "unknown option .--bogus.; see .gilspy dump --help." "unknown option is a usage error" -- "$GILSPY" dump --bogus
expect 2 "option '-p' needs a value" "missing value is a usage error" -- "$GILSPY" dump -p
"$GILSPY" dump --help >"$tmp/out" 2>&1 && grep -q -- '--json' "$tmp/out"
ok $? "dump --help exits 0 and documents --json"

# A pid that surely does not exist: a child that has been reaped.
sh -c 'exit 0' & dead=$!; wait $dead
expect 1 "no process with pid $dead" "no such pid" -- "$GILSPY" dump -p "$dead"

sleep 60 & other=$!
# until the forked shell has exec'd sleep
for _ in $(seq 100); do
	[ "$(readlink "/proc/$other/exe")" = /usr/bin/sleep ] && break
	sleep 0.02
done
expect 1 "pid $other is not a python process: its executable is '/usr/bin/sleep'" \
	"not a python process names the binary found" -- "$GILSPY" dump -p "$other"
kill -9 "$other"; wait "$other" 2>/dev/null; other=

py=$(py_interpreters | grep -v chroot | head -1)
if [ -z "$py" ]; then
	skip "no host interpreter for the permission and exit tests"
else
	py_start "$py" threads3.py
	# Permission: an unprivileged user may not read root's process.
	if command -v setpriv >/dev/null && [ "$(id -u)" = 0 ]; then
		cp "$GILSPY" "$tmp/gilspy" && chmod 755 "$tmp" "$tmp/gilspy"
		expect 1 "cannot read memory of pid $PY_PID: permission denied .*ptrace_scope.*CAP_SYS_PTRACE" \
			"no permission explains ptrace_scope, root and CAP_SYS_PTRACE" -- \
			setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/gilspy" dump -p "$PY_PID"
	else
		skip "permission test needs root and setpriv"
	fi
	# The target exits between attach and read.
	# (killed 1 s in, inside a 3 s pause after attaching; on a slow
	# machine the attach itself may be what the exit interrupts)
	# The pause is a test hook, only in the test build (gilspy-hooks,
	# linked by `make` beside gilspy; see the Makefile).
	hooks=${GILSPY_HOOKS:-$GILSPY-hooks}
	if [ -x "$hooks" ]; then
		( sleep 1; kill -9 "$PY_PID" ) &
		GILSPY_TEST_ATTACH_DELAY_MS=3000 expect 1 "process $PY_PID exited while gilspy (was reading it|attached)" \
			"target exiting during the read is reported" -- "$hooks" dump -p "$PY_PID"
		wait
	else
		skip "no test build of gilspy at '$hooks' (make builds it; or set GILSPY_HOOKS)"
	fi
	py_stop
fi

# Unsupported version: Python 2.7 if pyenv has it.
py2=$(ls "$PYENV_ROOT"/versions/2.7*/bin/python2.7 2>/dev/null | head -1)
if [ -n "$py2" ]; then
	"$py2" -c 'import time; time.sleep(60)' & other=$!
	sleep 0.3
	expect 1 "python 2\.7[.0-9]* in pid $other is not supported \(gilspy supports 3\.6 to 3\.15\)" \
		"unsupported version is named" -- "$GILSPY" dump -p "$other"
	kill -9 "$other"; wait "$other" 2>/dev/null; other=
else
	skip "no python 2.7 to test the unsupported-version error"
fi
done_testing
