#!/bin/bash
# bench/threads.sh [GILSPY...] - the cost of sampling many threads: a
# target with N idle threads (blocked on an Event, like a pool's idle
# workers) beside 3 busy pure-Python threads (bench/idle_threads.py), for
# N in 10, 100, 500 and 1000, recorded at 1 kHz for SECS seconds, ROUNDS
# times; prints the medians of the profiler's CPU per sampling round and
# the achieved share of the rate, next to the goal (issue 16): at 500 idle
# threads, <= 150 us per round and >= 98 % of the rate.  Idle threads
# should cost next to nothing: the figure should grow slowly with N.
#   ROUNDS=3 SECS=3 NS="10 100 500 1000" PY=python3 bash bench/threads.sh ./gilspy [old]
set -u
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- ./gilspy
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-3}
NS=${NS:-10 100 500 1000}
RATE=${RATE:-1000}
if [ -z "${PY:-}" ]; then
	PY=$(ls "$HOME"/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -1)
	[ -n "$PY" ] || PY=$(command -v python3)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; [ -n "${tp:-}" ] && kill "$tp" 2>/dev/null' EXIT
echo "target: $PY bench/idle_threads.py N (N idle + 3 busy threads); $RATE Hz, $SECS s, $ROUNDS rounds; $(nproc) CPUs"
echo "load at start:$(uptime | sed 's/.*load average://')"
printf '%-24s %6s %8s %14s %12s %10s   %s\n' gilspy idle threads "cpu/round us" "achieved Hz" achieved goal
for n in $NS; do
	"$PY" bench/idle_threads.py "$n" >/dev/null 2>&1 &
	tp=$!
	sleep $((1 + n / 400))	# the threads start
	b=0
	for g in "$@"; do
		b=$((b + 1))
		for r in $(seq 1 "$ROUNDS"); do
			"$g" record -p "$tp" -d "$SECS" -r "$RATE" -o "$tmp/o.json" \
				>/dev/null 2>&1
			/usr/bin/python3 - "$tmp/o.json" <<'PY' >>"$tmp/r.$b.$n"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["summary"]
print(len(d["threads"]), s["profiler_cpu_per_sample_us"], s["achieved_hz"])
PY
		done
		/usr/bin/python3 - "$tmp/r.$b.$n" "$g" "$n" "$RATE" <<'PY'
import statistics as st, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
n, rate = int(sys.argv[3]), float(sys.argv[4])
cpu = st.median(r[1] for r in rows)
hz = st.median(r[2] for r in rows)
goal = ""
if n == 500:
    goal = "<= 150 us, >= 98 %%: %s" % (
        "met" if cpu <= 150 and hz >= 0.98 * rate else "NOT met")
print("%-24s %6d %8d %14.1f %12.0f %9.1f%%   %s" % (
    sys.argv[2][-24:], n, int(st.median(r[0] for r in rows)), cpu, hz,
    100 * hz / rate, goal))
PY
	done
	kill "$tp" 2>/dev/null
	wait "$tp" 2>/dev/null
	tp=
done
echo "load at end:$(uptime | sed 's/.*load average://')"
