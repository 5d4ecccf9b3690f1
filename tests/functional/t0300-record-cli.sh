#!/bin/bash
# t0300-record-cli.sh - `gilspy record` options and output formats: usage
# errors, the svg format chosen by -f or the extension, collapsed lines
# readable by flamegraph.pl
# and friends, the JSON report, and the filters (--gil, --waiting, --idle,
# --threads, --nolineno, --function, --no-state-frames); every interpreter.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

"$GILSPY" record 2>"$REC_DIR/e"; rc=$?
[ $rc = 2 ] && grep -q "nothing to record" "$REC_DIR/e"
ok $? "no target: usage error (exit $rc)"
"$GILSPY" record --help | grep -q -- "--no-state-frames"
ok $? "--help lists the options"
l0=$(py_interpreters | grep -v chroot | head -1)
if [ -n "$l0" ]; then
	# shellcheck disable=SC2046
	"$GILSPY" record -d 0.3 --idle -o "$REC_DIR/prof.svg" -- \
		$(py_cmd "$l0") -c 'import time; time.sleep(0.6)' 2>"$REC_DIR/e"
	rc=$?
	[ $rc = 0 ] && grep -q '^<svg\|<svg ' "$REC_DIR/prof.svg" &&
		grep -q 'data-n="\[idle\]"' "$REC_DIR/prof.svg" &&
		grep -q '(svg)' "$REC_DIR/e"
	ok $? "-o x.svg: svg inferred from the extension, a flame graph with the state frames (exit $rc)"
	# shellcheck disable=SC2046
	"$GILSPY" record -d 0.3 --idle -f svg -o "$REC_DIR/prof.out" -- \
		$(py_cmd "$l0") -c 'import time; time.sleep(0.6)' 2>"$REC_DIR/e"
	rc=$?
	[ $rc = 0 ] && grep -q '<svg ' "$REC_DIR/prof.out"
	ok $? "-f svg writes svg whatever the extension (exit $rc)"
else
	skip "no host interpreter for the svg format checks"
fi
"$GILSPY" record -p 1 -r 0 2>"$REC_DIR/e"; rc=$?
[ $rc = 2 ]
ok $? "-r 0 is a usage error: $(cat "$REC_DIR/e")"
"$GILSPY" record -p 1 -- true 2>"$REC_DIR/e"; rc=$?
[ $rc = 2 ]
ok $? "-p and a command together: usage error"
"$GILSPY" record -- /nonexistent/python 2>"$REC_DIR/e"; rc=$?
[ $rc = 127 ] && grep -q "cannot run '/nonexistent/python'" "$REC_DIR/e"
ok $? "a command that cannot run: exit 127 and says so"

need_pythons
state_re='\[(GIL held|waiting for GIL|running without GIL|idle)\]'
covered=()
for l in $(py_interpreters); do
	if ! py_start "$l" threads3.py; then
		ok 1 "$l: start threads3.py"
		py_stop
		continue
	fi
	r() {  # r NAME OPTIONS...: 0.3 s at 300 Hz into $REC_DIR/NAME.txt
		local n=$1
		shift
		"$GILSPY" record -p "$PY_PID" -d 0.3 -r 300 \
			-o "$REC_DIR/$n.txt" "$@" 2>"$REC_DIR/$n.err"
	}
	r all --idle -o "$REC_DIR/all.json"
	ok $? "$l: record to collapsed and json at once"
	# collapsed: `frame;...;frame count`, one space, integer count
	! grep -Evq '^[^ ].*[^ ] [0-9]+$' "$REC_DIR/all.txt" &&
		! grep -Evq "$state_re [0-9]+\$" "$REC_DIR/all.txt"
	ok $? "$l: collapsed lines are 'root;...;[state] count'"
	grep -Eq '^(Thread\.)?_bootstrap \(threading.py:[0-9]+\);.*;(Worker\.)?spin \(threads3.py:17\);'"$state_re"' [0-9]+$' "$REC_DIR/all.txt"
	ok $? "$l: the spinner's stack, root first, ends in its state"
	grep -Eq 'hash_forever \(threads3.py:24\);\[running without GIL\] [0-9]+$' "$REC_DIR/all.txt"
	ok $? "$l: the hasher runs without the GIL"
	grep -Eq '\(threads3.py:20\);\[idle\] [0-9]+$' "$REC_DIR/all.txt"
	ok $? "$l: --idle includes the sleeper"
	[ "$(jget "d['version']" "$REC_DIR/all.json")" = 1 ] &&
		[ "$(jget "len(d['threads'])" "$REC_DIR/all.json")" = 4 ] &&
		[ "$(jget "sum(f['self']['held'] for f in d['functions']) > 0" "$REC_DIR/all.json")" = True ]
	ok $? "$l: JSON report: version 1, 4 threads, function table"
	total=$(awk '{ s += $NF } END { print s }' "$REC_DIR/all.txt")
	[ "$total" = "$(jget "sum(t['samples'] - t['torn'] for t in d['threads'])" "$REC_DIR/all.json")" ]
	ok $? "$l: collapsed counts add up to the thread samples ($total)"

	r def
	! grep -q '\[idle\]' "$REC_DIR/def.txt"
	ok $? "$l: idle samples are left out by default"
	r gil --gil --threads --nolineno
	! grep -Evq '^thread [^;]+ \([0-9]+\);.*\[GIL held\] [0-9]+$' "$REC_DIR/gil.txt" &&
		! grep -q ':[0-9]*)' "$REC_DIR/gil.txt" && [ -s "$REC_DIR/gil.txt" ]
	ok $? "$l: --gil --threads --nolineno: thread roots, held only, no lines"
	r wait --waiting --no-state-frames --function
	! grep -Eq "$state_re" "$REC_DIR/wait.txt" &&
		! grep -q 'threads3.py:17)' "$REC_DIR/wait.txt"
	ok $? "$l: --waiting --no-state-frames --function: no state frames, first lines"
	py_stop
	covered+=("$l")
done
diag "covered: ${covered[*]}"
done_testing
