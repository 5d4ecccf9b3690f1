#!/bin/bash
# bench/record.sh [GILSPY...] - the cost of `gilspy record` on a CPU-bound
# 3-thread target: runs it with no profiler and under gilspy at 100 Hz,
# 1 kHz and 10 kHz, paired (one run of each per round, several rounds), and
# prints medians of: profiler CPU per sampling round (us), achieved vs
# requested rate, and the target's slowdown against the unprofiled run of
# the same round.  Several binaries (e.g. before and after a change) are
# run in the same rounds, so they see the same machine load, in an order
# that alternates from round to round; the first is the reference the
# others are compared with at the end (old against new: cpu/round and its
# ratio, achieved rate, and the target's time under each in the same
# round, paired).
#   ROUNDS=7 WORK=2000000 RATES="100 1000 10000" PY=/path/to/python \
#       bash bench/record.sh [old-gilspy] ./gilspy
# Targets: <= 15 us per round, >= 98 % of the rate up to 10 kHz, <= 1 %
# slowdown at 1 kHz.  A bare waker (paced sleep and wake-up, no sampling)
# runs in the same rounds: its slowdown, and its CPU per wake-up in the
# breakdown, are this machine's floor for any sampler at that rate.
#
# "cpu/round" is record's profiler_cpu_per_sample_us: gilspy's CPU time
# from the first tick to the last (sampling, sleeping and waking, profile
# updates, thread names) over its samples; attaching and writing the
# outputs are outside it.  The breakdown at the end (BREAKDOWN=0 to skip) splits a
# round of the tree's own build (build/, `make` first) into the sample
# itself and the rest (the sleep and wake-up), with the system calls per
# sample, by bench/sample_cost.c on a running target; "bare wake us" is
# the CPU of the same paced loop with no sample (sleep and wake-up only),
# this machine's floor for anything that wakes at that rate.
set -u
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- ./gilspy
ROUNDS=${ROUNDS:-7}
WORK=${WORK:-2000000}
BREAKDOWN=${BREAKDOWN:-1}
if [ -z "${PY:-}" ]; then
	PY=$(ls "$HOME"/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -1)
	[ -n "$PY" ] || PY=$(command -v python3)
fi
RATES=${RATES:-100 1000 10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A bare waker (bench/sample_cost.c with pid 0: the sampler's paced sleep
# and wake-up, no sample) runs beside the target in each round too: the
# slowdown any process waking at that rate causes on this machine, to read
# gilspy's own against.
objs=$(ls build/src/python/*.o build/src/gil/*.o build/src/proc/*.o \
	build/src/util/*.o build/src/sampler/*.o build/gen/embedded.o 2>/dev/null)
cost=
if [ -n "$objs" ] && cc -std=gnu11 -O2 -D_GNU_SOURCE -Iinclude \
	-o "$tmp/sample_cost" bench/sample_cost.c $objs \
	$(pkg-config --libs libelf zlib libunwind libunwind-generic 2>/dev/null) -lm 2>"$tmp/cc"; then
	cost=$tmp/sample_cost
else
	echo "bare waker and breakdown skipped: cannot build bench/sample_cost.c against build/ (run make)"
fi

echo "target: $PY bench/cpu3.py $WORK (3 threads); $ROUNDS rounds; $(nproc) CPUs"
echo "load at start:$(uptime | sed 's/.*load average://')"
b=0
for g in "$@"; do
	b=$((b + 1))
	echo "[$b] $g: $("$g" --version 2>&1 | head -1)"
done
bins=("$@")
for round in $(seq 1 "$ROUNDS"); do
	"$PY" bench/cpu3.py "$WORK" >>"$tmp/base"
	# Forward in odd rounds, backward in even ones: no binary always runs
	# right after the unprofiled run or right after another binary.
	order=$(seq 1 $#)
	[ $((round % 2)) = 0 ] && order=$(seq $# -1 1)
	for b in $order; do
		g=${bins[$((b - 1))]}
		for r in $RATES; do
			"$g" record -r "$r" -o "$tmp/out.json" -- \
				"$PY" bench/cpu3.py "$WORK" >>"$tmp/t$b.$r" 2>/dev/null
			/usr/bin/python3 - "$tmp/out.json" "$r" >>"$tmp/j$b.$r" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(s["profiler_cpu_per_sample_us"], s["achieved_hz"], s["ticks"],
      s["errors_pct"])
PY
		done
	done
	if [ -n "$cost" ]; then
		for r in $RATES; do
			"$cost" 0 "$r" 100000 >/dev/null &
			w=$!
			"$PY" bench/cpu3.py "$WORK" >>"$tmp/w.$r"
			kill "$w" 2>/dev/null
			wait "$w" 2>/dev/null
		done
	fi
	echo "round $round done" >&2
done
echo "load at end:$(uptime | sed 's/.*load average://')"

/usr/bin/python3 - "$tmp" "$RATES" "$@" <<'PY'
import statistics as st, sys
d, rates, bins = sys.argv[1], sys.argv[2].split(), sys.argv[3:]
base = [float(x) for x in open(d + "/base")]
print("unprofiled: median %.3f s (min %.3f, max %.3f)" %
      (st.median(base), min(base), max(base)))
for b, name in enumerate(bins, 1):
    print("[%d] %s:" % (b, name))
    print("%8s %14s %12s %10s %10s %10s" % ("rate", "cpu/round us",
          "achieved Hz", "achieved", "errors %", "slowdown"))
    for r in rates:
        t = [float(x) for x in open("%s/t%d.%s" % (d, b, r))]
        j = [list(map(float, l.split())) for l in open("%s/j%d.%s" % (d, b, r))]
        ratio = [a / c for a, c in zip(t, base)]
        cpu = st.median(x[0] for x in j)
        hz = st.median(x[1] for x in j)
        err = st.median(x[3] for x in j)
        print("%8s %14.1f %12.0f %9.1f%% %10.2f %+9.2f%%" % (
            r, cpu, hz, 100 * hz / float(r), err,
            100 * (st.median(ratio) - 1)))
if len(bins) > 1:
    # Against the first binary: the same figures side by side, and the
    # target's time under each binary in the same round, paired (a
    # positive change means the target ran slower under that binary).
    print("against [1] %s (medians; time: median over rounds of the "
          "target's time under [n] / under [1] in the same round):" % bins[0])
    print("%4s %8s %22s %8s %20s %12s" % ("", "rate", "cpu/round us [1] > [n]",
          "ratio", "achieved [1] > [n]", "target time"))
    def load(b, r):
        t = [float(x) for x in open("%s/t%d.%s" % (d, b, r))]
        j = [list(map(float, l.split())) for l in open("%s/j%d.%s" % (d, b, r))]
        return t, st.median(x[0] for x in j), st.median(x[1] for x in j)
    for b in range(2, len(bins) + 1):
        for r in rates:
            t1, c1, h1 = load(1, r)
            tn, cn, hn = load(b, r)
            paired = st.median(a / c for a, c in zip(tn, t1))
            print("%4s %8s %10.1f > %9.1f %8.2f %8.1f%% > %8.1f%% %+11.2f%%" % (
                "[%d]" % b, r, c1, cn, cn / c1 if c1 else float("nan"),
                100 * h1 / float(r), 100 * hn / float(r),
                100 * (paired - 1)))
import os
if os.path.exists(d + "/w." + rates[0]):
    print("bare waker (wakes at the rate, samples nothing):")
    print("%8s %10s" % ("rate", "slowdown"))
    for r in rates:
        t = [float(x) for x in open("%s/w.%s" % (d, r))]
        ratio = [a / c for a, c in zip(t, base)]
        print("%8s %+9.2f%%" % (r, 100 * (st.median(ratio) - 1)))
PY

[ "$BREAKDOWN" = 1 ] && [ -n "$cost" ] || exit 0
echo "breakdown of a round (build/, medians of $ROUNDS runs of 1 s on one target):"
printf '%8s %12s %12s %12s %12s %14s\n' rate "sample us" "round us" "bare wake us" "pvr/sample" "preads/sample"
"$PY" bench/cpu3.py 1000000000 >/dev/null &
target=$!
sleep 0.5
for r in $RATES; do
	for i in $(seq 1 "$ROUNDS"); do
		"$tmp/sample_cost" "$target" "$r" 1
	done >"$tmp/b$r"
	/usr/bin/python3 - "$tmp/b$r" "$r" <<'PY'
import statistics as st, sys
rows = [l.split() for l in open(sys.argv[1]) if l.startswith("rounds")]
col = lambda k: st.median(float(r[r.index(k) + 1]) for r in rows)
print("%8s %12.1f %12.1f %12.1f %12.2f %14.2f" % (sys.argv[2],
      col("sample_us"), col("round_us"), col("floor_us"), col("pvr"),
      col("preads")))
PY
done
kill "$target" 2>/dev/null
wait "$target" 2>/dev/null
echo "load at end:$(uptime | sed 's/.*load average://')"
