#!/bin/bash
# t0220-hostile.sh - target memory is hostile input: gilspy dump against
# processes whose (real, loaded) libpython has _PyRuntime full of random
# words and pointer cycles must end with exit 0 or 1 and a message, never a
# crash (signal), a sanitizer report or a hang.
. "$TOP/tests/lib/common.sh"

tmp=$(mktemp -d)
hpid=
cleanup() { [ -n "$hpid" ] && kill -9 "$hpid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

if ! cc -O1 -o "$tmp/hostile" "$TOP/tests/hostile/hostile.c" -ldl 2>"$tmp/cc.err"; then
	sed 's/^/#   /' "$tmp/cc.err"
	ok 1 "hostile target builds"
	done_testing
	exit
fi

libs=()
for l in "$PYENV_ROOT"/versions/3.*/lib/libpython3.*.so.1.0; do
	[ -e "$l" ] && libs+=("$l")
done
[ ${#libs[@]} -gt 0 ] || { skip "no shared libpython found"; done_testing; exit; }

runs=0 bad=0
for lib in "${libs[@]}"; do
	v=$(basename "$lib")
	if ! nm -D "$lib" 2>/dev/null | grep -q ' _PyRuntime$'; then
		diag "$v: no _PyRuntime (3.6 keeps its state in static globals); not covered"
		continue
	fi
	# keep=0 garbles everything; keep=1024 spares the 3.13+ debug offsets
	for keep in 0 1024; do
		for seed in 1 2 3 4; do
			rm -f "$tmp/ready"
			"$tmp/hostile" "$lib" "$seed" "$keep" "$tmp/ready" 2>"$tmp/h.err" &
			hpid=$!
			for _ in $(seq 100); do [ -e "$tmp/ready" ] && break; sleep 0.02; done
			if [ ! -e "$tmp/ready" ]; then
				diag "$v: hostile target did not start: $(cat "$tmp/h.err")"
				bad=$((bad + 1))
			else
				timeout 10 "$GILSPY" dump -p "$hpid" --json >"$tmp/out" 2>"$tmp/err"
				st=$?
				runs=$((runs + 1))
				if [ $st -gt 1 ] || [ -s "$tmp/out" -a $st -ne 0 ] ||
				   [ ! -s "$tmp/out" -a ! -s "$tmp/err" ] ||
				   grep -q 'Sanitizer' "$tmp/err"; then
					bad=$((bad + 1))
					diag "$v seed $seed keep $keep: exit $st"
					sed 's/^/#   /' "$tmp/err" | head -5
				elif [ $st = 0 ] && ! python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/out"; then
					bad=$((bad + 1))
					diag "$v seed $seed keep $keep: invalid JSON"
				fi
			fi
			kill -9 "$hpid" 2>/dev/null; wait "$hpid" 2>/dev/null; hpid=
		done
	done
done
diag "$runs dumps of garbled interpreters from ${#libs[@]} libpythons"
[ $bad = 0 ] && [ $runs -gt 0 ]
ok $? "gilspy survives hostile interpreter memory (exit 0/1 with output or a message, no crash, no hang)"
done_testing
