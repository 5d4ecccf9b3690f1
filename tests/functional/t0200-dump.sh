#!/bin/bash
# t0200-dump.sh - `gilspy dump` on every interpreter found: the stacks of the
# three-thread target (tests/targets/threads3.py) exactly, and each thread's
# GIL state.
. "$TOP/tests/lib/common.sh"

covered=()
for py in $(py_interpreters); do
	if ! py_start "$py" threads3.py; then
		ok 1 "$py: target starts"
		py_stop
		continue
	fi
	out=$PY_HOSTDIR
	files=()
	st=0
	# Nine dumps over more than a second: the hasher re-takes the GIL
	# from the spinner after each crc32 call and is caught waiting in
	# about one dump in ten, sometimes a few in a row; the majority vote
	# needs enough dumps spread wide enough not to hinge on one such run.
	for i in 1 2 3 4 5 6 7 8 9; do
		"$GILSPY" dump -p "$PY_PID" --json >"$out/d$i.json" 2>"$out/err" || st=1
		files+=("$out/d$i.json")
		sleep 0.15
	done
	ok $st "$py: dump --json exits 0" || sed 's/^/#   /' "$out/err"
	python3 "$TOP/tests/lib/check_dump.py" "$py" "${files[@]}"
	ok $? "$py: stacks exact (function, file, line) and GIL states as expected"
	"$GILSPY" dump -p "$PY_PID" >"$out/text" 2>&1
	st=$?
	grep -Eq '^    (Worker\.)?spin \(/.*threads3\.py:17\)$' "$out/text" &&
		grep -Eq '^Thread [0-9]+ ".*" \((held|waiting|native|idle)\)' "$out/text" &&
		grep -Eq '^GIL: ' "$out/text"
	ok $((st || $?)) "$py: text dump shows threads, states and frames" ||
		sed 's/^/#   /' "$out/text" | head -30
	covered+=("$py")
	py_stop
done
diag "interpreters covered: ${covered[*]:-none}"
[ ${#covered[@]} -gt 0 ]
ok $? "found at least one python interpreter"
done_testing
