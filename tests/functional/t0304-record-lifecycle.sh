#!/bin/bash
# t0304-record-lifecycle.sh - every way a recording ends writes the output
# and prints the summary: the target exiting (launch mode, exit status
# passed through) and SIGTERM (attach mode) on every interpreter found,
# SIGINT on the first.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

need_pythons
covered=()
for l in $(py_interpreters); do
	# launch mode: a target that exits after 1 s with status 3, -d 10
	py_workdir "$l"
	cp "$TOP/tests/targets/exit1s.py" "$PY_HOSTDIR/"
	start=$(date +%s.%N)
	# shellcheck disable=SC2046
	"$GILSPY" record -d 10 -r 200 -o "$REC_DIR/out.json" \
		-o "$REC_DIR/out.txt" -- $(py_cmd "$l") "$PY_DIR/exit1s.py" 3 \
		2>"$REC_DIR/err" >/dev/null
	rc=$?
	end=$(date +%s.%N)
	rm -rf "$PY_HOSTDIR"
	PY_HOSTDIR=
	[ $rc = 3 ]
	ok $? "$l: launch mode exits with the target's status (got $rc)"
	fcmp "$(/usr/bin/python3 -c "print($end - $start)")" '<' 5
	ok $? "$l: recording ends when the target exits, not after -d 10"
	[ "$(jget "d['summary']['stopped_by']")" = "target exit" ] &&
		[ "$(jget "d['target']['exit_code']")" = 3 ]
	ok $? "$l: JSON written, stopped by target exit, exit_code 3"
	grep -q "^<module> (exit1s.py:[0-9]*);\[[^]]*\] [0-9]*$" "$REC_DIR/out.txt"
	ok $? "$l: collapsed output has the target's stack"
	grep -q '^gilspy record: pid' "$REC_DIR/err" &&
		grep -q 'stopped by target exit; wrote' "$REC_DIR/err"
	ok $? "$l: summary and closing line printed"

	# attach mode, ended by a signal
	sigs="TERM"
	[ ${#covered[@]} = 0 ] && sigs="TERM INT"
	for sig in $sigs; do
		if ! py_start "$l" spin_sleep.py; then
			ok 1 "$l: start target"
			py_stop
			continue
		fi
		rm -f "$REC_DIR/out.json"
		"$GILSPY" record -p "$PY_PID" -r 200 -o "$REC_DIR/out.json" \
			2>"$REC_DIR/err" >/dev/null &
		gpid=$!
		sleep 0.4
		kill -$sig $gpid
		wait $gpid
		rc=$?
		kill -0 "$PY_PID" 2>/dev/null
		alive=$?
		py_stop
		[ $rc = 0 ] && [ $alive = 0 ] &&
			[ "$(jget "d['summary']['samples'] > 30")" = True ]
		ok $? "$l: SIG$sig ends the recording with exit 0 and the output written (rc $rc)"
		grep -q "stopped by .*SIG$sig" "$REC_DIR/err"
		ok $? "$l: SIG$sig: the summary says why it stopped"
	done
	covered+=("$l")
done
diag "covered: ${covered[*]}"
done_testing
