#!/bin/bash
# t0804-memory-churn.sh - a target whose memory changes under the reader as
# fast as it can (frame_churn.py: recursion up and down, generators made
# and dropped, code objects freed and their addresses reused), recorded at
# 1 kHz, plain and --blocking.  (t0220 covers memory that is garbage from
# the start.)
#
# Expected: exit 0, no sanitizer report, every churner seen in the
# profile; torn stacks are dropped and counted, so the error rate stays
# small (under 20 % of samples: a torn walk is walked again from one read
# of its pages, src/python/stack.c), and --blocking, which reads a stopped
# target, tears nothing.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

n=0
for l in $(py_interpreters); do
	for mode in "" --blocking; do
		rec "$l" frame_churn.py 2 1000 $mode -o "$REC_DIR/out.txt"; rc=$?
		err=$(jget 'd["summary"]["errors_pct"]')
		seen=0
		for t in churn-rec churn-gen churn-code; do
			[ "$(jget "th('$t')['samples']")" -gt 0 ] 2>/dev/null && seen=$((seen + 1))
		done
		[ $rc = 0 ] && ! grep -q Sanitizer "$REC_DIR/err" && [ $seen = 3 ] &&
			grep -q '^.*rec (.*rec (' "$REC_DIR/out.txt"
		ok $? "$l${mode:+ $mode}: exit $rc, $seen of 3 churners seen, deep stacks read"
		fcmp "${err:-100}" '<' 20
		ok $? "$l${mode:+ $mode}: torn or unreadable samples under 20 % ($err %)"
		if [ -n "$mode" ]; then
			fcmp "${err:-100}" '<' 1
			ok $? "$l --blocking: a stopped target tears nothing (errors $err %)"
		fi
	done
	n=$((n + 1))
	diag "covered: $l"
done
[ $n -gt 0 ] || skip "no interpreter found"
done_testing
