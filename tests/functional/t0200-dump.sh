#!/bin/bash
# t0200-dump.sh - `gilspy dump` on every interpreter found: the stacks of the
# three-thread target (tests/targets/threads3.py) exactly, and each thread's
# GIL state.
. "$TOP/tests/lib/common.sh"

need_pythons
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
	# Fifteen dumps at uneven gaps. The hasher re-takes the GIL from the
	# spinner after each ~60 ms crc32 call and is caught waiting in about
	# one dump in ten (9.5% of samples at 1 kHz on 3.6). With even gaps a
	# gap close to a multiple of that cycle locks onto one phase and
	# catches it waiting several times in a row (7 of 9 once in CI); with
	# independent dumps the majority vote fails once in 30000 interpreters
	# at a 10% waiting share and once in 1600 at 15% (nine dumps: once in
	# 1100 and once in 180).
	for i in $(seq 15); do
		"$GILSPY" dump -p "$PY_PID" --json >"$out/d$i.json" 2>"$out/err" || st=1
		files+=("$out/d$i.json")
		sleep "$(printf 0.%03d $((RANDOM % 150 + 50)))"
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
