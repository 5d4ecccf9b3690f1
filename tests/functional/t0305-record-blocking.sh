#!/bin/bash
# t0305-record-blocking.sh - --blocking stops the threads with ptrace for
# each sample, and a gilspy killed with SIGKILL at any moment never leaves
# the target stopped, nor does one stopping threads for --native; every
# interpreter found.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

# Fail if any thread of pid is stopped (t: tracing stop, T: job stop).
none_stopped() {
	local f st
	for f in /proc/"$1"/task/*/stat; do
		st=$(sed 's/.*) \(.\).*/\1/' "$f" 2>/dev/null)
		case $st in t|T) return 1 ;; esac
	done
	return 0
}

# CPU ticks used so far by pid (utime + stime).
cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' /proc/"$1"/stat
}

need_pythons
covered=()
first=1
for l in $(py_interpreters); do
	if ! rec "$l" spin2.py 0.6 250 --blocking; then
		ok 1 "$l: record --blocking"
		continue
	fi
	[ "$(jget "d['options']['blocking']")" = True ] &&
		[ "$(jget "d['summary']['samples'] >= 30")" = True ]
	ok $? "$l: --blocking records ($(jget "d['summary']['samples']") samples)"
	a=$(jget "th('spin-a')['pct']['held']")
	b=$(jget "th('spin-b')['pct']['held']")
	fcmp "$a" '>=' 20 && fcmp "$b" '>=' 20
	ok $? "$l: --blocking sees both spinners hold the GIL ($a %, $b %)"

	# SIGKILL at random moments of a fast blocking recording
	if ! py_start "$l" spin2.py; then
		ok 1 "$l: start target"
		py_stop
		continue
	fi
	kills=3
	[ $first = 1 ] && kills=12
	bad=0
	for i in $(seq 1 $kills); do
		"$GILSPY" record -p "$PY_PID" --blocking -r 2000 \
			-o "$REC_DIR/k.txt" 2>/dev/null &
		g=$!
		sleep "0.$((RANDOM % 15 + 5))"
		kill -9 $g
		wait $g 2>/dev/null
		sleep 0.02
		none_stopped "$PY_PID" || { bad=$((bad + 1)); diag "stopped after kill $i"; }
	done
	# --native stops one thread at a time, as briefly as it can copy
	# its stack; a kill in the middle of a stop must not leave it stopped
	nbad=0
	for i in $(seq 1 $kills); do
		"$GILSPY" record -p "$PY_PID" --native -r 2000 \
			-o "$REC_DIR/k.txt" 2>/dev/null &
		g=$!
		sleep "0.$((RANDOM % 15 + 5))"
		kill -9 $g
		wait $g 2>/dev/null
		sleep 0.02
		none_stopped "$PY_PID" || { nbad=$((nbad + 1)); diag "stopped after --native kill $i"; }
	done
	c0=$(cpu_ticks "$PY_PID")
	sleep 0.3
	c1=$(cpu_ticks "$PY_PID")
	[ $bad = 0 ]
	ok $? "$l: $kills SIGKILLs of a --blocking gilspy left no thread stopped"
	[ $nbad = 0 ]
	ok $? "$l: $kills SIGKILLs of a --native gilspy left no thread stopped"
	[ "$c1" -gt "$c0" ]
	ok $? "$l: the target runs on after the kills (cpu ticks $c0 -> $c1)"
	py_stop
	first=0
	covered+=("$l")
done
diag "covered: ${covered[*]}"
done_testing
