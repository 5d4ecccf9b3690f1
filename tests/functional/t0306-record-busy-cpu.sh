#!/bin/bash
# t0306-record-busy-cpu.sh - GIL states on a machine with more runnable
# threads than CPUs: the target and a CPU hog pinned to one CPU.  A thread
# that lets the GIL go, or is woken in take_gil, and then sits in a run
# queue on its way back into take_gil is waiting, not native (it is not on
# a CPU at all): two pure-Python spinners still hold the GIL about half of
# the time and wait the rest, with almost no native share (15 % of their
# samples were read as native before).  A thread in a long native call
# (threads3.py's hasher, crc32 without the GIL) stays native.
#
# On the oldest, a middle and the newest interpreter found.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

if ! command -v taskset >/dev/null; then
	skip "taskset (util-linux) is not installed"
	done_testing
	exit
fi
cpu=$(/usr/bin/python3 -c 'import os; print(min(os.sched_getaffinity(0)))')
HOG=
hog_stop() {
	[ -n "$HOG" ] && { kill "$HOG" 2>/dev/null; wait "$HOG" 2>/dev/null; }
	HOG=
}
trap 'hog_stop; py_stop; rm -rf "$REC_DIR"' EXIT

# pinned LABEL SCRIPT: start SCRIPT, pin all its threads and a busy loop to
# one CPU, record 1.5 s at 400 Hz into $REC_DIR/out.json
pinned() {
	local l=$1 script=$2 rc
	rm -f "$REC_DIR/out.json"
	py_start "$l" "$script" || { py_stop; return 1; }
	taskset -a -p -c "$cpu" "$PY_PID" >/dev/null || { py_stop; return 1; }
	taskset -c "$cpu" sh -c 'while :; do :; done' &
	HOG=$!
	sleep 0.2
	"$GILSPY" record -p "$PY_PID" -d 1.5 -r 400 -o "$REC_DIR/out.json" \
		2>"$REC_DIR/err" >/dev/null
	rc=$?
	hog_stop
	py_stop
	[ $rc = 0 ] || sed 's/^/#   /' "$REC_DIR/err"
	return $rc
}

mapfile -t all < <(py_interpreters)
n=${#all[@]}
picked=()
[ "$n" -ge 1 ] && picked+=("${all[0]}")
[ "$n" -ge 3 ] && picked+=("${all[$((n / 2))]}")
[ "$n" -ge 2 ] && picked+=("${all[$((n - 1))]}")

covered=()
for l in "${picked[@]}"; do
	if ! pinned "$l" spin2.py; then
		ok 1 "$l: record spin2.py pinned to CPU $cpu with a busy loop"
		continue
	fi
	covered+=("$l")
	for t in spin-a spin-b; do
		held=$(jget "th('$t')['pct']['held']")
		wait=$(jget "th('$t')['pct']['waiting']")
		nat=$(jget "th('$t')['pct']['native']")
		fcmp "$held" '>=' 35 && fcmp "$held" '<=' 65
		ok $? "$l, busy CPU: $t holds the GIL about half of the time (held $held %)"
		fcmp "$nat" '<=' 5 && fcmp "$wait" '>=' 35
		ok $? "$l, busy CPU: $t waits for the GIL the rest, not native (waiting $wait %, native $nat %; evidence: $(jget "d['debug']['evidence']['waiting']"))"
	done
	if ! pinned "$l" threads3.py; then
		ok 1 "$l: record threads3.py pinned to CPU $cpu with a busy loop"
		continue
	fi
	nat=$(jget "th('hasher')['pct']['native']")
	wait=$(jget "th('hasher')['pct']['waiting']")
	fcmp "$nat" '>=' 70
	ok $? "$l, busy CPU: the hasher in crc32 without the GIL stays native (native $nat %, waiting $wait %)"
done
diag "covered: ${covered[*]:-none}"
[ ${#covered[@]} -gt 0 ]
ok $? "found at least one python interpreter"
done_testing
