#!/bin/bash
# t0302-record-states.sh - threads that stay in one GIL state: a spinner
# with a sleeper (held >= 90 %, idle >= 90 %) and a thread hashing or
# compressing with the GIL released (native >= 70 %), every interpreter.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

need_pythons
covered=()
for l in $(py_interpreters); do
	if rec "$l" spin_sleep.py 0.8 400; then
		held=$(jget "th('spinner')['pct']['held']")
		idle=$(jget "th('sleeper')['pct']['idle']")
		fcmp "$held" '>=' 90
		ok $? "$l: spinner holds the GIL >= 90 % ($held %)"
		fcmp "$idle" '>=' 90
		ok $? "$l: sleeper is idle >= 90 % ($idle %)"
		top=$(jget "d['top']['held'][0]['name'] if d['top']['held'] else ''")
		[ "$top" = spin ]
		ok $? "$l: top function holding the GIL is spin (got '$top')"
	else
		ok 1 "$l: record spinner and sleeper"
		continue
	fi
	if rec "$l" native.py 0.7 400; then
		nat=$(jget "th('hasher')['pct']['native']")
		fcmp "$nat" '>=' 70
		ok $? "$l: hasher runs native (GIL released) >= 70 % ($nat %)"
		covered+=("$l")
	else
		ok 1 "$l: record native thread"
	fi
done
diag "covered: ${covered[*]}"
done_testing
