#!/bin/bash
# t0307-record-truth.sh - every GIL state share within 3 points of the
# truth measured from outside on the same run, on every interpreter found
# (tests/lib/truth.py says how: the threads' time on a CPU and queued for
# one from /proc/.../schedstat, the sleeper's count of 20 ms sleeps).
# Because the truth is read in the same run, the test holds on a loaded
# machine; the time a thread spent queued widens the bounds only where a
# preempted GIL holder makes the CPU share say less than the truth.
# Known shortfall, reported as a TAP TODO when it fails: on a loaded
# machine the sleeper's idle share reads 3-4 points under its count of
# sleeps x 20 ms (always under), and the cause is not found yet.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

covered=()
for l in $(py_interpreters); do
	if ! py_start "$l" truth.py; then
		ok 1 "$l: start truth.py"
		continue
	fi
	cnt_host=$PY_HOSTDIR/count	# the sleeper's count, beside ready
	for i in $(seq 1 100); do [ -s "$cnt_host" ] && break; sleep 0.05; done
	/usr/bin/python3 "$TOP/tests/lib/truth.py" "$GILSPY" "$PY_PID" \
		"$cnt_host" 3 1000 "$REC_DIR/out.json" >"$REC_DIR/truth" \
		2>"$REC_DIR/err"
	py_stop
	n=0
	while read -r st msg; do
		case $st in
		info) diag "$l: $msg" ;;
		ok) ok 0 "$l: $msg"; n=$((n + 1)) ;;
		skip) skip "$l: $msg"; n=$((n + 1)) ;;
		todo) ok_or_todo 1 "sleeper idle reads 3-4 points under its sleep count on a loaded machine, cause not found" \
			"$l: $msg"; n=$((n + 1)) ;;
		*) ok 1 "$l: $msg"; n=$((n + 1)) ;;
		esac
	done <"$REC_DIR/truth"
	[ $n -gt 0 ] || { ok 1 "$l: truth checks ran"; sed 's/^/#   /' "$REC_DIR/err"; continue; }
	covered+=("$l")
done
diag "covered: ${covered[*]}"
done_testing
