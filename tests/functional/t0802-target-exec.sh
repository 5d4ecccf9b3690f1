#!/bin/bash
# t0802-target-exec.sh - the target execs into a program that is not Python
# (/bin/sleep) in the middle of a recording.
#
# Expected: record stops at once with a line saying what the pid exec'd,
# "stopped by target exec", exit 0, and every output holds what was
# sampled before (the busy() frames); the raw recording reads whole.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

n=0
for l in $(py_interpreters); do
	py_start "$l" exec_sleep.py 1.0 || { ok 1 "$l: exec_sleep.py starts"; continue; }
	start=$(date +%s%N)
	timeout 30 "$GILSPY" record -p "$PY_PID" -d 20 -r 200 \
		-o "$REC_DIR/out.json" -o "$REC_DIR/out.gilspy" 2>"$REC_DIR/err"; rc=$?
	el=$((($(date +%s%N) - start) / 1000000))
	py_stop
	spl=$(jget 'd["summary"]["samples"]')
	[ $rc = 0 ] && [ "$el" -lt 5000 ] &&
		grep -q "exec'd '.*sleep' and is no longer the Python program" "$REC_DIR/err" &&
		grep -q 'stopped by target exec' "$REC_DIR/err" && [ "${spl:-0}" -ge 50 ] &&
		grep -q busy "$REC_DIR/out.json"
	ok $? "$l: clean stop after ${el} ms, $spl samples of busy() kept (exit $rc)" ||
		sed 's/^/#   /' "$REC_DIR/err"
	"$GILSPY" report -o "$REC_DIR/r.txt" "$REC_DIR/out.gilspy" 2>"$REC_DIR/rerr"; rc=$?
	[ $rc = 0 ] && grep -q 'busy' "$REC_DIR/r.txt"
	ok $? "$l: the raw recording reads whole (exit $rc)" || sed 's/^/#   /' "$REC_DIR/rerr"
	n=$((n + 1))
	diag "covered: $l"
done
[ $n -gt 0 ] || skip "no interpreter found"
done_testing
