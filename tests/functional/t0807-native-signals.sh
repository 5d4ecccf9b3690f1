#!/bin/bash
# t0807-native-signals.sh - signals sent to a target while `record
# --native` stops its threads 500 times a second.
#
# Expected: every one is handled.  Each SIGUSR1 is sent 50 ms after the
# target counted the one before (so none can merge with another while
# pending, and the main thread is back in its sleep) and must be counted
# within 5 s: a signal that reaches a thread during a stop is handed back
# to it when gilspy lets it go.  Then gilspy
# ends normally and the target is neither stopped nor traced.
#
# Twice: with the main thread waking every 50 ms, and sleeping for an
# hour.  The second is a known shortfall (a TODO).  The main thread, asleep
# in a system call, is no longer stopped (its stack is copied live), and
# the kernel picks it for the signal and wakes it (ftrace: sched_wakeup of
# the main thread, then signal_generate); but a spinner that gilspy has
# just let go of is still inside the kernel's signal delivery, where its
# stop was, and takes the pending signal off the process's queue first
# (signal_deliver on the spinner).  Python's C handler then only trips a
# flag, the main thread finds nothing pending and sleeps on, and the
# Python handler runs when it next wakes.  Stopping running threads at all
# opens that window; only copying them without a stop would close it.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

SIGNALS=40
LONG_WHY="issue 11: a thread let go from its stop takes a signal meant for the sleeping main thread"

# send: SIGUSR1 one at a time, each once the one before was counted;
# sets got (how many were) and worst (the slowest, ms)
send() {
	local i t0 ms
	got=0 worst=0
	for i in $(seq 1 $SIGNALS); do
		t0=$(date +%s%N)
		kill -USR1 "$PY_PID" || break
		for _ in $(seq 1 500); do
			[ "$(cat "$PY_HOSTDIR/count" 2>/dev/null)" = "$i" ] && break
			sleep 0.01
		done
		[ "$(cat "$PY_HOSTDIR/count" 2>/dev/null)" = "$i" ] || break
		ms=$((($(date +%s%N) - t0) / 1000000))
		[ $ms -gt $worst ] && worst=$ms
		got=$i
		# let the main thread get back to its sleep first
		sleep 0.05
	done
}

n=0
for l in $(py_interpreters | head -4); do
	for sleep in 0.05 3600; do
		py_start "$l" signals.py "$sleep" ||
			{ ok 1 "$l: signals.py starts"; continue; }
		"$GILSPY" record --native -p "$PY_PID" -r 500 -d 60 \
			-o "$REC_DIR/out.json" 2>"$REC_DIR/err" &
		g=$!
		sleep 0.5
		send
		kill -INT $g 2>/dev/null
		wait $g
		rc=$?
		what="$l: main thread sleeping ${sleep}s at a time: $got of $SIGNALS signals handled under record --native (slowest ${worst} ms)"
		if [ "$sleep" = 0.05 ]; then
			ok $([ $got = $SIGNALS ]; echo $?) "$what"
		else
			ok_or_todo $([ $got = $SIGNALS ]; echo $?) "$LONG_WHY" "$what"
		fi
		ok $rc "$l: record --native exits 0 after Ctrl-C"
		grep -q '"native_stops"' "$REC_DIR/out.json"
		ok $? "$l: the report counts the stops"
		! grep -q '^State:[[:space:]]*[tT]' /proc/"$PY_PID"/task/*/status &&
		! grep -q 'TracerPid:[[:space:]]*[1-9]' /proc/"$PY_PID"/task/*/status
		ok $? "$l: the target is left neither stopped nor traced"
		py_stop
	done
	n=$((n + 1))
	diag "covered: $l"
done
[ $n -gt 0 ] || skip "no interpreter found"
done_testing
