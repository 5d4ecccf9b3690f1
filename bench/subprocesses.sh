#!/bin/bash
# bench/subprocesses.sh [GILSPY] - the cost of `record -s`: a Pool of N
# pure-Python workers (tests/targets/procs.py pool-fork) recorded at RATE
# for SECS, N in NS; per N, the median over ROUNDS of
#   cpu/round      gilspy's CPU per tick of its pace (every process sampled
#                  once per tick), in us
#   per process    that over the processes sampled (the workers and the
#                  parent)
#   achieved       the lowest achieved rate of any worker, % of RATE
# and, in the same rounds, `record -p` of one single-threaded Python
# process (procs.py child) at the same rate: the cost of one process
# without -s, the baseline "per process" compares with.
#   ROUNDS=3 RATE=1000 SECS=3 NS="1 2 4 8" PY=/path/to/python \
#       bash bench/subprocesses.sh [./gilspy]
# Goal (issue 12): 8 workers at 1 kHz, every worker >= 98 % of the rate.
set -u
cd "$(dirname "$0")/.."
G=${1:-./gilspy}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-1000}
SECS=${SECS:-3}
NS=${NS:-1 2 4 8}
if [ -z "${PY:-}" ]; then
	PY=$(ls "$HOME"/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -1)
	[ -n "$PY" ] || PY=$(command -v python3)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "target: $PY tests/targets/procs.py pool-fork N; $RATE Hz for $SECS s; $ROUNDS rounds; $(nproc) CPUs"
echo "load at start:$(uptime | sed 's/.*load average://')"
for round in $(seq 1 "$ROUNDS"); do
	# one process, no -s: the baseline
	"$PY" tests/targets/procs.py - child $((SECS + 2)) & c=$!
	sleep 0.5
	"$G" record -p $c -d "$SECS" -r "$RATE" -o "$tmp/one.json" 2>/dev/null
	kill $c 2>/dev/null
	wait $c 2>/dev/null
	/usr/bin/python3 - "$tmp/one.json" >>"$tmp/one" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["summary"]
print(d["profiler_cpu_per_sample_us"], 100.0 * d["achieved_hz"] / d["requested_hz"])
PY
	for n in $NS; do
		"$G" record -s -d "$SECS" -r "$RATE" -o "$tmp/s.json" -- \
			"$PY" tests/targets/procs.py - pool-fork $((SECS + 2)) "$n" \
			2>/dev/null >/dev/null
		/usr/bin/python3 - "$tmp/s.json" "$RATE" >>"$tmp/n$n" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
rate = float(sys.argv[2])
ps = d["processes"]
ticks = max(p["summary"]["ticks"] for p in ps)
cpu = d["summary"]["profiler_cpu_s"] * 1e6 / ticks if ticks else 0
# the workers: every process but the first (the pool's parent)
workers = [p for p in ps[1:] if p["summary"]["duration_s"] > 0]
low = min((100.0 * p["summary"]["ticks"] / p["summary"]["duration_s"] / rate
           for p in workers), default=0)
print(cpu, cpu / len(ps), low, len(workers))
PY
	done
	echo "round $round done"
done
echo "load at end:$(uptime | sed 's/.*load average://')"
/usr/bin/python3 - "$tmp" "$NS" <<'PY'
import statistics, sys
tmp, ns = sys.argv[1], sys.argv[2].split()
def rows(name):
    return [list(map(float, l.split())) for l in open(tmp + "/" + name)]
one = rows("one")
base = statistics.median(r[0] for r in one)
print("one process, no -s: %.1f us per round, %.1f %% of the rate" %
      (base, statistics.median(r[1] for r in one)))
print("%8s %8s %14s %14s %16s" % ("workers", "procs", "cpu/round us",
                                   "per process us", "lowest achieved"))
for n in ns:
    r = rows("n" + n)
    cpu = statistics.median(x[0] for x in r)
    per = statistics.median(x[1] for x in r)
    low = statistics.median(x[2] for x in r)
    print("%8s %8d %14.1f %9.1f (%.2fx) %15.1f%%" % (
        n, int(r[0][3]) + 1, cpu, per, per / base if base else 0, low))
PY
