#!/bin/bash
# t0801-target-stopped.sh - the target is SIGSTOPped in the middle of a
# recording, then continued.
#
# Expected: no hang (record ends on time), the ticks taken while it was
# stopped are counted ("stopped" in the summary, summary.stopped_ticks in
# the JSON) and left out of the profile (a stopped process shows the same
# frozen instant again and again), sampling goes on when it continues,
# and gilspy never resumes or keeps the target stopped itself (--blocking
# included: it leaves a thread in a job-control stop alone rather than
# seize it, so the target's CPU time does not move while it is stopped and
# its ticks are counted as stopped just the same).
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

n=0
for l in $(py_interpreters); do
	for mode in "" --blocking; do
		py_start "$l" spin2.py || { ok 1 "$l: spin2.py starts"; continue; }
		pid=$PY_PID
		# CPU time (clock ticks) over the stop: a target gilspy
		# resumed, even briefly, would spin on
		( sleep 0.8; kill -STOP "$pid"; sleep 0.1
		  awk '{print $14 + $15}' /proc/"$pid"/stat >"$REC_DIR/cpu0"
		  sleep 1.1
		  awk '{print $14 + $15}' /proc/"$pid"/stat >"$REC_DIR/cpu1"
		  kill -CONT "$pid" ) &
		stopper=$!
		start=$(date +%s%N)
		timeout 30 "$GILSPY" record -p "$pid" -d 3 -r 100 $mode \
			-o "$REC_DIR/out.json" 2>"$REC_DIR/err"; rc=$?
		el=$((($(date +%s%N) - start) / 1000000))
		wait $stopper
		st=$(jget 'd["summary"]["stopped_ticks"]')
		spl=$(jget 'd["summary"]["samples"]')
		# stopped for 1.2 s: about 120 ticks at 100 Hz, half of them
		# at least even on a loaded machine, --blocking or not
		min=60
		[ $rc = 0 ] && [ "$el" -lt 8000 ] && grep -q 'stopped (SIGSTOP)' "$REC_DIR/err" &&
			[ "${st:-0}" -ge $min ] && [ "${spl:-0}" -ge 50 ]
		ok $? "$l${mode:+ $mode}: ${el} ms, $st stopped ticks counted, $spl samples kept (exit $rc)" ||
			sed 's/^/#   /' "$REC_DIR/err"
		c0=$(cat "$REC_DIR/cpu0") c1=$(cat "$REC_DIR/cpu1")
		! grep -q 'TracerPid:[[:space:]]*[1-9]' /proc/"$pid"/task/*/status &&
			! grep -q '^State:[[:space:]]*[tT]' /proc/"$pid"/status
		ok $? "$l${mode:+ $mode}: running after, not traced"
		[ $((c1 - c0)) -le 1 ]
		ok $? "$l${mode:+ $mode}: stayed stopped while stopped (CPU ticks $c0 -> $c1)"
		py_stop
		n=$((n + 1))
	done
	diag "covered: $l"
done
[ $n -gt 0 ] || skip "no interpreter found"
done_testing
