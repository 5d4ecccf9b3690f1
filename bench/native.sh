#!/bin/bash
# bench/native.sh [GILSPY] - the cost of --native on a 4-thread CPU-bound
# target at 100 Hz: in each round the target runs unprofiled, under
# `gilspy record` and under `gilspy record --native` (paired, so each
# round sees the same machine load), and the medians over the rounds of:
# profiler CPU per sampling round (us), the target's slowdown against the
# unprofiled run of the same round, and with --native the time each thread
# was stopped (median and p99 of all stops, from the JSON report) and the
# share of thread copies made with no stop at all (threads blocked in a
# system call: their stop time is 0, and the stop figures leave them out).
#   ROUNDS=5 WORK=16000000 RATE=100 PY=/path/to/python bash bench/native.sh
# Goals (issue 11): slowdown <= 3 % at 100 Hz, median stop <= 30 us.
set -u
cd "$(dirname "$0")/.."
G=${1:-./gilspy}
ROUNDS=${ROUNDS:-5}
WORK=${WORK:-16000000}
RATE=${RATE:-100}
if [ -z "${PY:-}" ]; then
	PY=$(ls "$HOME"/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -1)
	[ -n "$PY" ] || PY=$(command -v python3)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "target: $PY bench/cpu3.py $WORK 4 (4 threads); $RATE Hz; $ROUNDS rounds; $(nproc) CPUs"
echo "load at start:$(uptime | sed 's/.*load average://')"
for round in $(seq 1 "$ROUNDS"); do
	"$PY" bench/cpu3.py "$WORK" 4 >>"$tmp/base"
	for mode in plain native; do
		opt=
		[ $mode = native ] && opt=--native
		# shellcheck disable=SC2086
		"$G" record -r "$RATE" $opt -o "$tmp/out.json" -- \
			"$PY" bench/cpu3.py "$WORK" 4 >>"$tmp/t.$mode" 2>/dev/null
		/usr/bin/python3 - "$tmp/out.json" >>"$tmp/j.$mode" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s, n = d["summary"], d.get("native_stops") or {}
print(s["profiler_cpu_per_sample_us"], s["achieved_hz"],
      n.get("threads", 0), n.get("median_us", 0), n.get("p99_us", 0),
      n.get("unstopped", 0))
PY
	done
	echo "round $round done" >&2
done
echo "load at end:$(uptime | sed 's/.*load average://')"

/usr/bin/python3 - "$tmp" "$RATE" <<'PY'
import statistics as st, sys
d, rate = sys.argv[1], float(sys.argv[2])
base = [float(x) for x in open(d + "/base")]
print("unprofiled: median %.3f s (min %.3f, max %.3f)" %
      (st.median(base), min(base), max(base)))
print("%-8s %13s %12s %10s %12s %12s %10s" % ("mode", "cpu/round us",
      "achieved Hz", "slowdown", "stop med us", "stop p99 us", "unstopped"))
for mode in ("plain", "native"):
    t = [float(x) for x in open("%s/t.%s" % (d, mode))]
    j = [list(map(float, l.split())) for l in open("%s/j.%s" % (d, mode))]
    ratio = [a / c for a, c in zip(t, base)]
    nat = mode == "native"
    print("%-8s %13.1f %12.0f %+9.2f%% %12s %12s %10s" % (
        mode, st.median(x[0] for x in j), st.median(x[1] for x in j),
        100 * (st.median(ratio) - 1),
        "%.1f" % st.median(x[3] for x in j) if nat else "-",
        "%.1f" % st.median(x[4] for x in j) if nat else "-",
        "%.0f%%" % (100 * st.median(x[5] / max(1, x[2] + x[5]) for x in j))
        if nat else "-"))
PY
