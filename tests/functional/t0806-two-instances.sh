#!/bin/bash
# t0806-two-instances.sh - two gilspy instances on one target at once:
# `record` and `top --batch`, then `record --blocking` beside a plain
# `record`.
#
# Expected: both finish on time with exit 0 and both see what a lone one
# sees (two spinners sharing the GIL); the target runs on afterwards,
# neither stopped nor traced.  (Two --blocking instances cannot both stop
# a thread: a thread has one tracer, so the second says it cannot ptrace
# and exits 1.)
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

n=0
for l in $(py_interpreters); do
	py_start "$l" spin2.py || { ok 1 "$l: spin2.py starts"; continue; }
	"$GILSPY" record -p "$PY_PID" -d 2 -r 200 -o "$REC_DIR/out.json" 2>"$REC_DIR/err" &
	rec=$!
	timeout 20 "$GILSPY" top -p "$PY_PID" --batch -n 3 -i 0.5 >"$REC_DIR/top" 2>"$REC_DIR/terr"
	trc=$?
	wait $rec; rrc=$?
	held=$(jget "th('spin-a')['pct']['held'] + th('spin-b')['pct']['held']")
	[ $rrc = 0 ] && [ $trc = 0 ] && fcmp "$held" '>=' 85 &&
		grep -q 'spin' "$REC_DIR/top"
	ok $? "$l: record and top at once: both exit 0 (record $rrc, top $trc), spinners hold $held %" ||
		sed 's/^/#   /' "$REC_DIR/err" "$REC_DIR/terr"
	"$GILSPY" record --blocking -p "$PY_PID" -d 1.5 -r 100 -o "$REC_DIR/b1.json" 2>"$REC_DIR/e1" &
	b1=$!
	"$GILSPY" record -p "$PY_PID" -d 1.5 -r 100 -o "$REC_DIR/b2.json" 2>"$REC_DIR/e2"
	r2=$?
	wait $b1; r1=$?
	h1=$(jget "th('spin-a')['pct']['held'] + th('spin-b')['pct']['held']" "$REC_DIR/b1.json")
	h2=$(jget "th('spin-a')['pct']['held'] + th('spin-b')['pct']['held']" "$REC_DIR/b2.json")
	[ $r1 = 0 ] && [ $r2 = 0 ] && fcmp "$h1" '>=' 80 && fcmp "$h2" '>=' 80
	ok $? "$l: record --blocking and record at once: exit $r1 and $r2, spinners hold $h1 % and $h2 %" ||
		sed 's/^/#   /' "$REC_DIR/e1" "$REC_DIR/e2"
	sleep 0.1
	! grep -q '^State:[[:space:]]*[tT]' /proc/"$PY_PID"/task/*/status &&
		! grep -q 'TracerPid:[[:space:]]*[1-9]' /proc/"$PY_PID"/task/*/status
	ok $? "$l: the target runs on, not stopped, not traced"
	py_stop
	n=$((n + 1))
	diag "covered: $l"
done
[ $n -gt 0 ] || skip "no interpreter found"
done_testing
