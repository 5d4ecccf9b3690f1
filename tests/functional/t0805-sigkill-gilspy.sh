#!/bin/bash
# t0805-sigkill-gilspy.sh - gilspy killed with SIGKILL at random moments
# (no handler runs) in record, record --blocking, record --native and
# top --batch; and with -s (plain, --blocking, --native) on a Pool of
# workers, every process of which is checked.
#
# Expected: the target is never left stopped or traced: after each kill
# every one of its threads is running or sleeping (State not t/T) with
# TracerPid 0, and it goes on spinning (its CPU time grows).  --blocking
# and --native rely on PTRACE_SEIZE stops, which the kernel undoes when the
# tracer dies (--native also while gilspy runs SCHED_FIFO around them).
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

cpu() { awk '{print $14 + $15}' /proc/"$1"/stat; }
n=0
RANDOM=$$
for l in $(py_interpreters | head -4); do
	py_start "$l" spin2.py || { ok 1 "$l: spin2.py starts"; continue; }
	for mode in record "record --blocking" "record --native" "top --batch"; do
		bad=0 kills=0
		for _ in 1 2 3 4 5 6; do
			# shellcheck disable=SC2086
			"$GILSPY" $mode -p "$PY_PID" -r 1000 $([ "${mode%% *}" = record ] && echo -o "$REC_DIR/k.gilspy") \
				>/dev/null 2>&1 &
			g=$!
			# anywhere from attaching to well into sampling
			sleep "0.$(printf '%03d' $((RANDOM % 400)))"
			kill -9 $g 2>/dev/null && kills=$((kills + 1))
			wait $g 2>/dev/null
			sleep 0.05
			if grep -q '^State:[[:space:]]*[tT]' /proc/"$PY_PID"/task/*/status ||
			   grep -q 'TracerPid:[[:space:]]*[1-9]' /proc/"$PY_PID"/task/*/status; then
				bad=$((bad + 1))
				grep -H '^State\|TracerPid' /proc/"$PY_PID"/task/*/status | sed 's/^/#   /'
			fi
		done
		c0=$(cpu "$PY_PID"); sleep 0.3; c1=$(cpu "$PY_PID")
		[ $bad = 0 ] && [ "$c1" -gt "$c0" ]
		ok $? "$l: $mode killed $kills times: target never left stopped or traced, still running"
	done
	py_stop
	n=$((n + 1))
	diag "covered: $l"
done

# -s: every process of the tree is checked (the pool's parent and workers)
stopped_or_traced() {
	local p bad=0
	for p in "$@"; do
		if grep -q '^State:[[:space:]]*[tT]' /proc/"$p"/task/*/status 2>/dev/null ||
		   grep -q 'TracerPid:[[:space:]]*[1-9]' /proc/"$p"/task/*/status 2>/dev/null; then
			bad=1
			grep -H '^State\|TracerPid' /proc/"$p"/task/*/status | sed 's/^/#   /'
		fi
	done
	return $bad
}
for l in $(py_interpreters | head -2); do
	py_start "$l" procs.py pool-fork 60 3 || { ok 1 "$l: procs.py pool-fork starts"; continue; }
	tree="$PY_PID $(py_children "$PY_PID" | tr '\n' ' ')"
	for mode in "record -s" "record -s --blocking" "record -s --native"; do
		bad=0 kills=0
		for _ in 1 2 3 4 5; do
			# shellcheck disable=SC2086
			"$GILSPY" $mode -p "$PY_PID" -r 1000 -o "$REC_DIR/k.json" >/dev/null 2>&1 &
			g=$!
			sleep "0.$(printf '%03d' $((RANDOM % 400)))"
			kill -9 $g 2>/dev/null && kills=$((kills + 1))
			wait $g 2>/dev/null
			sleep 0.05
			stopped_or_traced $tree || bad=$((bad + 1))
		done
		c0=0 c1=0
		for p in $tree; do c0=$((c0 + $(cpu "$p"))); done
		sleep 0.3
		for p in $tree; do c1=$((c1 + $(cpu "$p"))); done
		[ $bad = 0 ] && [ "$c1" -gt "$c0" ]
		ok $? "$l: $mode on a Pool(3) killed $kills times: no process left stopped or traced, still running"
	done
	py_stop_tree
	diag "covered (-s): $l"
done
[ $n -gt 0 ] || skip "no interpreter found"
done_testing
