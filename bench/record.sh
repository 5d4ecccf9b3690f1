#!/bin/bash
# bench/record.sh [GILSPY] - the cost of `gilspy record` on a CPU-bound
# 3-thread target: runs it with no profiler and under gilspy at 100 Hz,
# 1 kHz and 10 kHz, paired (one run of each per round, several rounds), and
# prints medians of: profiler CPU per sampling round (us), achieved vs
# requested rate, and the target's slowdown against the unprofiled run of
# the same round.
#   ROUNDS=7 WORK=2000000 PY=/path/to/python bash bench/record.sh ./gilspy
# Targets: <= 15 us per round, >= 98 % of the rate up to 10 kHz, <= 1 %
# slowdown at 1 kHz.
set -u
cd "$(dirname "$0")/.."
GILSPY=${1:-./gilspy}
ROUNDS=${ROUNDS:-7}
WORK=${WORK:-2000000}
if [ -z "${PY:-}" ]; then
	PY=$(ls "$HOME"/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -1)
	[ -n "$PY" ] || PY=$(command -v python3)
fi
RATES="100 1000 10000"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "target: $PY bench/cpu3.py $WORK (3 threads); $ROUNDS rounds; $(nproc) CPUs"
for round in $(seq 1 "$ROUNDS"); do
	"$PY" bench/cpu3.py "$WORK" >>"$tmp/base"
	for r in $RATES; do
		"$GILSPY" record -r "$r" -o "$tmp/out.json" -- \
			"$PY" bench/cpu3.py "$WORK" >>"$tmp/t$r" 2>/dev/null
		/usr/bin/python3 - "$tmp/out.json" "$r" >>"$tmp/j$r" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(s["profiler_cpu_per_sample_us"], s["achieved_hz"], s["ticks"],
      s["errors_pct"])
PY
	done
	echo "round $round done" >&2
done

/usr/bin/python3 - "$tmp" $RATES <<'PY'
import statistics as st, sys
d, rates = sys.argv[1], sys.argv[2:]
base = [float(x) for x in open(d + "/base")]
print("unprofiled: median %.3f s (min %.3f, max %.3f)" %
      (st.median(base), min(base), max(base)))
print("%8s %14s %12s %10s %10s %10s" % ("rate", "cpu/round us", "achieved Hz",
      "achieved", "errors %", "slowdown"))
for r in rates:
    t = [float(x) for x in open("%s/t%s" % (d, r))]
    j = [list(map(float, l.split())) for l in open("%s/j%s" % (d, r))]
    ratio = [a / b for a, b in zip(t, base)]
    cpu = st.median(x[0] for x in j)
    hz = st.median(x[1] for x in j)
    err = st.median(x[3] for x in j)
    print("%8s %14.1f %12.0f %9.1f%% %10.2f %+9.2f%%" % (
        r, cpu, hz, 100 * hz / float(r), err, 100 * (st.median(ratio) - 1)))
PY
