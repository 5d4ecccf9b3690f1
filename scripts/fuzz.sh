#!/bin/bash
# fuzz.sh - `make fuzz`: build the libFuzzer harnesses of tests/fuzz/ with
# clang (-fsanitize=fuzzer,address,undefined) and run each one for
# FUZZ_SECONDS seconds.
#
#   scripts/fuzz.sh SECONDS [NAME...]     (make fuzz FUZZ_SECONDS=N FUZZ=NAME)
#
# Each harness starts from its committed seeds (tests/fuzz/seeds/NAME, made
# from real recordings) and its regression inputs (tests/fuzz/regress/NAME),
# plus the corpus it grew last time (build/fuzz/corpus/NAME).  It prints
# "fuzz: NAME: N runs, no crash", or fails with the input that broke it
# saved as build/fuzz/NAME-crash-* (copy it to tests/fuzz/regress/NAME/
# once fixed: `make test` replays it).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
shift || true
out=build/fuzz
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(raw folded baseline gates elf walker)

if ! command -v clang >/dev/null; then
	if [ "$(id -u)" = 0 ]; then
		echo "fuzz: installing clang" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang >/dev/null ||
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq clang >/dev/null; }
	else
		echo "fuzz: clang is needed: sudo apt-get install clang" >&2
		exit 1
	fi
fi

san="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
# The library objects, instrumented for coverage; the Makefile's own rules
# (and dependency tracking) under a build directory of their own.
make --no-print-directory CC=clang BUILD=$out/obj OPT="-O1 -g" \
	CFLAGS="-fsanitize=fuzzer-no-link $san" fuzz-objs
objs=$(cat $out/obj/fuzz-objs.list)
libs=$(pkg-config --libs libelf zlib ncursesw libunwind libunwind-generic libprotobuf-c) 
cflags="-std=gnu11 -O1 -g -Iinclude -I$out/obj/gen -D_GNU_SOURCE $(pkg-config --cflags libelf zlib ncursesw libunwind libunwind-generic libprotobuf-c)"

status=0
for name in "${names[@]}"; do
	bin=$out/$name
	# shellcheck disable=SC2086
	clang $cflags -fsanitize=fuzzer $san -DFUZZ_NAME="\"$name\"" -o "$bin" \
		tests/fuzz/driver.c tests/fuzz/entries.c $objs $libs -lm
	mkdir -p "$out/corpus/$name"
	dirs=("$out/corpus/$name")
	for d in tests/fuzz/seeds/$name tests/fuzz/regress/$name; do
		[ -d "$d" ] && dirs+=("$d")
	done
	log=$out/$name.log
	maxlen=65536
	if [ "$name" = walker ]; then
		# Seeds: the reads of real samples of a real interpreter
		# (entries.c); a few of them, since a run captures once.
		maxlen=262144
		for _ in 1 2; do
			GILSPY_FUZZ_CAPTURE=$out/corpus/$name "$bin" -runs=0 \
				"$out/corpus/$name" >/dev/null 2>&1 || true
		done
	fi
	# Leaks count as crashes; -rss_limit_mb bounds a reader that hoards.
	if "$bin" -max_total_time="$secs" -max_len=$maxlen -rss_limit_mb=1024 \
		-timeout=10 -print_final_stats=1 \
		-artifact_prefix="$out/$name-" "${dirs[@]}" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "fuzz: $name: ${runs:-?} runs, no crash"
	else
		echo "fuzz: $name: FAILED; the input is in $out/$name-*, the log in $log" >&2
		grep -m1 -A12 'ERROR:\|SUMMARY:\|deadly signal' "$log" >&2 || tail -20 "$log" >&2
		status=1
	fi
done
exit $status
