#!/bin/bash
# t0301-record-two-spinners.sh - two threads spinning in pure Python share
# the GIL: each holds it 50 % +- 10 pp of the time, waits for it most of
# the rest and is never idle, on every interpreter found.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

need_pythons
covered=()
for l in $(py_interpreters); do
	if ! rec "$l" spin2.py 1.2 400; then
		ok 1 "$l: record two spinners"
		continue
	fi
	covered+=("$l")
	for t in spin-a spin-b; do
		held=$(jget "th('$t')['pct']['held']")
		wait=$(jget "th('$t')['pct']['waiting']")
		nat=$(jget "th('$t')['pct']['native']")
		fcmp "$held" '>=' 40 && fcmp "$held" '<=' 60
		ok $? "$l: $t holds the GIL 50 +- 10 % of the time (held $held %)"
		fcmp "$wait" '>=' 30
		ok $? "$l: $t waits for the GIL most of the rest (waiting $wait %, native $nat %)"
		idle=$(jget "th('$t')['pct']['idle']")
		fcmp "$idle" '<=' 5
		ok $? "$l: $t is never idle: a spinner that waits is seen waiting, not blocked ($idle % idle)"
	done
	util=$(jget "d['summary']['utilisation_pct']")
	fcmp "$util" '>=' 90
	ok $? "$l: the GIL is held in >= 90 % of samples ($util %)"
done
diag "covered: ${covered[*]}"
done_testing
