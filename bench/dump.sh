#!/bin/bash
# bench/dump.sh [GILSPY] - the cost of one `gilspy dump` of the three-thread
# target (tests/targets/threads3.py), per interpreter found, as wall time and
# as a ratio to the cheapest possible baseline in the same run: starting
# /bin/true (process start-up, which every dump pays too) and reading the
# target's /proc/PID/status with cat.
#   N=50 bench/dump.sh ./gilspy
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
GILSPY=${1:-$TOP/gilspy}
N=${N:-50}
. "$TOP/tests/lib/common.sh"

# ms per run of a command, median of 5 batches of N runs
per_run_ms() {
	local b t0 t1 out=()
	for b in 1 2 3 4 5; do
		t0=$(date +%s%N)
		for ((i = 0; i < N; i++)); do "$@" >/dev/null 2>&1; done
		t1=$(date +%s%N)
		out+=("$(( (t1 - t0) / N ))")
	done
	printf '%s\n' "${out[@]}" | sort -n | sed -n 3p | awk '{ printf "%.3f", $1 / 1e6 }'
}

printf '%-14s %10s %10s %10s %12s %12s\n' python "dump ms" "true ms" "cat ms" "dump/true" "dump/cat"
for py in $(py_interpreters); do
	py_start "$py" threads3.py || { py_stop; continue; }
	d=$(per_run_ms "$GILSPY" dump -p "$PY_PID")
	t=$(per_run_ms /bin/true)
	c=$(per_run_ms cat "/proc/$PY_PID/status")
	printf '%-14s %10s %10s %10s %12s %12s\n' "$py" "$d" "$t" "$c" \
		"$(awk -v a="$d" -v b="$t" 'BEGIN { printf "%.1fx", a / b }')" \
		"$(awk -v a="$d" -v b="$c" 'BEGIN { printf "%.1fx", a / b }')"
	py_stop
done
