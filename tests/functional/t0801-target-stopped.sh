#!/bin/bash
# t0801-target-stopped.sh - the target is SIGSTOPped in the middle of a
# recording, then continued.
#
# Expected: no hang (record ends on time), the ticks taken while it was
# stopped are counted ("stopped" in the summary, summary.stopped_ticks in
# the JSON) and left out of the profile (a stopped process shows the same
# frozen instant again and again), sampling goes on when it continues,
# and gilspy never resumes or keeps the target stopped itself (--blocking
# included: its CPU time does not move while it is stopped).  With
# --blocking fewer stopped ticks are counted: the state is read just after
# gilspy's own ptrace stop, which can still show as 't'.
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
		# --blocking: a tick whose own ptrace stop was still being
		# undone when the state was read ('t', not 'T') is not
		# counted, so fewer are (at least one)
		min=20
		[ -n "$mode" ] && min=1
		[ $rc = 0 ] && [ "$el" -lt 8000 ] && grep -q 'stopped (SIGSTOP)' "$REC_DIR/err" &&
			[ "${st:-0}" -ge $min ] && [ "${spl:-0}" -ge 50 ]
		ok $? "$l${mode:+ $mode}: ${el} ms, $st stopped ticks counted, $spl samples kept (exit $rc)" ||
			sed 's/^/#   /' "$REC_DIR/err"
		c0=$(cat "$REC_DIR/cpu0") c1=$(cat "$REC_DIR/cpu1")
		! grep -q 'TracerPid:[[:space:]]*[1-9]' /proc/"$pid"/task/*/status &&
			! grep -q '^State:[[:space:]]*[tT]' /proc/"$pid"/status
		ok $? "$l${mode:+ $mode}: running after, not traced"
		[ $((c1 - c0)) -le 1 ]
		st=$?
		if [ -n "$mode" ]; then
			# seen once in a clean CI run (3.15, 115 -> 117 ticks):
			# a thread interrupted and detached by --blocking may
			# run a moment out of the group stop
			ok_or_todo $st "--blocking may let a SIGSTOPped thread run a tick (issue 15)" \
				"$l $mode: stayed stopped while stopped (CPU ticks $c0 -> $c1)"
		else
			ok $st "$l: stayed stopped while stopped (CPU ticks $c0 -> $c1)"
		fi
		py_stop
		n=$((n + 1))
	done
	diag "covered: $l"
done
[ $n -gt 0 ] || skip "no interpreter found"
done_testing
