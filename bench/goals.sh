#!/bin/bash
# bench/goals.sh [GILSPY] - the sampler's goals (issue 16), each figure
# next to its target, in one run on this machine:
#   accuracy  every state share within 3 points of the truth read from
#             outside (tests/lib/truth.py on tests/targets/truth.py)
#   cost      1 kHz on 4 threads: CPU per round <= the bare wake-up floor
#             (bench/sample_cost.c with pid 0, same run: on the idle
#             machine, and beside the same busy target after each of
#             PAIRS recordings; the lower) + 8 us, on the median pair
#   threads   500 idle + 3 busy threads at 1 kHz: <= 150 us per round and
#             >= 98 % of the rate (bench/threads.sh has 10 to 1000)
#   pacing    100 kHz on 4 threads: >= 98 % of the rate
# then where a round's time goes (perf, when installed), and Austin on the
# same target when it is built.
#   SECS=3 PAIRS=3 PY=python3.12 bash bench/goals.sh
set -u
cd "$(dirname "$0")/.."
G=$(readlink -f "${1:-./gilspy}")
SECS=${SECS:-3}
if [ -z "${PY:-}" ]; then
	PY=$(ls "$HOME"/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -1)
	[ -n "$PY" ] || PY=$(command -v python3)
fi
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
summ() {	# summ FILE KEY...: fields of a JSON report's summary
	/usr/bin/python3 - "$@" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
print(" ".join(str(s[k]) for k in sys.argv[2:]))
PY
}
row() { printf '%-34s %-26s %-22s %s\n' "$@"; }

echo "gilspy: $G; python: $PY; $(nproc) CPUs; kernel $(uname -r)"
echo "load at start:$(uptime | sed 's/.*load average://')"

# the floor: a bare paced wake-up at 1 kHz, no sample
objs=$(ls build/src/python/*.o build/src/gil/*.o build/src/proc/*.o \
	build/src/util/*.o build/src/sampler/*.o build/gen/embedded.o 2>/dev/null)
floor=
if [ -n "$objs" ] && cc -std=gnu11 -O2 -D_GNU_SOURCE -Iinclude \
	-o "$tmp/sample_cost" bench/sample_cost.c $objs \
	$(pkg-config --libs libelf zlib libunwind libunwind-generic 2>/dev/null) -lm 2>/dev/null; then
	floor=$("$tmp/sample_cost" 0 1000 2 | awk '{print $2}')
fi

# accuracy
mkdir -p "$tmp/t"
cp tests/targets/truth.py tests/targets/_ready.py "$tmp/t/"
"$PY" "$tmp/t/truth.py" "$tmp/t/ready" >/dev/null 2>&1 &
pids+=($!)
# the ready file, as the test waits for: the count file comes earlier,
# while the main thread may still wait for the GIL to finish mark_ready()
# (the truth takes it for idle)
for i in $(seq 1 200); do [ -e "$tmp/t/ready" ] && break; sleep 0.05; done
/usr/bin/python3 tests/lib/truth.py "$G" "${pids[-1]}" "$tmp/t/count" "$SECS" \
	1000 "$tmp/truth.json" >"$tmp/truth" 2>/dev/null
kill "${pids[-1]}"
acc=$(grep -c '^ok' "$tmp/truth")
accn=$(grep -c '^ok\|^fail' "$tmp/truth")
nat=$(grep -o 'spin-.: native <= 1 (held [0-9.]*, waiting [0-9.]*, native [0-9.]*' "$tmp/truth" |
	sed 's/.*native //' | sort -n | tail -1)

# cost at 1 kHz and pacing at 100 kHz, 4 threads (bench/cpu3.py + main),
# attached for SECS to a target already running: the steady round, not
# interpreter start-up and first reads spread over a short run.  Each 1 kHz
# recording is followed by the floor beside the same target (a wake-up that
# preempts a busy CPU costs less than one from an idle CPU, so the round is
# held to the lower of that floor and the idle one), PAIRS times (3): on a
# shared host both drift by several microseconds from one minute to the
# next, so the verdict is on the median of the pairs' differences.
PAIRS=${PAIRS:-3}
"$PY" bench/cpu3.py 1000000000 >/dev/null 2>&1 &
pids+=($!)
sleep 0.5
pairs=()
for i in $(seq 1 "$PAIRS"); do
	"$G" record -p "${pids[-1]}" -d "$SECS" -r 1000 -o "$tmp/c1.json" >/dev/null 2>&1
	read -r c hz <<<"$(summ "$tmp/c1.json" profiler_cpu_per_sample_us achieved_hz)"
	bf=
	[ -n "$floor" ] && bf=$("$tmp/sample_cost" 0 1000 "$SECS" | awk '{print $2}')
	pairs+=("$c/$hz/${bf:-0}")
done
read -r c1 hz1 bfloor over overs <<<"$(/usr/bin/python3 - "${floor:-0}" "${pairs[@]}" <<'PY'
import statistics as st, sys
idle = float(sys.argv[1])
p = [tuple(map(float, a.split("/"))) for a in sys.argv[2:]]
d = [c - min(idle or f, f or idle) for c, _, f in p]
print("%.2f %.1f %.2f %.2f %s" % (st.median(c for c, _, _ in p),
      st.median(h for _, h, _ in p), st.median(f for _, _, f in p),
      st.median(d), ",".join("%.1f" % x for x in d)))
PY
)"
"$G" record -p "${pids[-1]}" -d "$SECS" -r 100000 -o "$tmp/c2.json" >/dev/null 2>&1
read -r c2 hz2 <<<"$(summ "$tmp/c2.json" profiler_cpu_per_sample_us achieved_hz)"
kill "${pids[-1]}"

# 500 idle threads + 3 busy
"$PY" bench/idle_threads.py 500 >/dev/null 2>&1 &
pids+=($!)
sleep 2
"$G" record -p "${pids[-1]}" -d "$SECS" -r 1000 -o "$tmp/i.json" >/dev/null 2>&1
read -r c3 hz3 <<<"$(summ "$tmp/i.json" profiler_cpu_per_sample_us achieved_hz)"
kill "${pids[-1]}"

echo
row goal target measured verdict
verdict() { /usr/bin/python3 -c "print('met' if $1 else 'NOT met')"; }
row "accuracy: checks within 3 points" "all $accn" "$acc of $accn" \
	"$(verdict "$acc == $accn and $accn > 0")"
row "accuracy: spinner native share" "<= 1 %" "${nat:-?} %" \
	"$(verdict "${nat:-99} <= 1")"
if [ -n "$floor" ]; then
	echo "floor (bare paced wake-up at 1 kHz): $floor us on the idle machine, $bfloor us beside the busy target (median of $PAIRS)"
	echo "1 kHz rounds over the lower floor, pair by pair: $overs us"
	row "1 kHz, 4 threads: CPU/round" "<= floor + 8 us" "$c1 us, floor + $over" \
		"$(verdict "$over <= 8")"
else
	row "1 kHz, 4 threads: CPU/round" "<= floor + 8 us" "$c1 us" "floor unknown (make first)"
fi
row "1 kHz, 4 threads: rate" ">= 98 %" "$(/usr/bin/python3 -c "print('%.1f %%' % ($hz1 / 10))")" \
	"$(verdict "$hz1 >= 980")"
row "500 idle + 3 busy: CPU/round" "<= 150 us" "$c3 us" "$(verdict "$c3 <= 150")"
row "500 idle + 3 busy: rate" ">= 98 %" "$(/usr/bin/python3 -c "print('%.1f %%' % ($hz3 / 10))")" \
	"$(verdict "$hz3 >= 980")"
row "100 kHz, 4 threads: rate" ">= 98 %" "$(/usr/bin/python3 -c "print('%.1f %% (%s us/round)' % ($hz2 / 1000, '$c2'))")" \
	"$(verdict "$hz2 >= 98000")"

if command -v austin >/dev/null 2>&1; then
	/usr/bin/time -f '%U %S' -o "$tmp/at" austin -i 1000 -o /dev/null \
		"$PY" bench/cpu3.py 4000000 >/dev/null 2>&1
	echo "austin 1 kHz, same target: $(cat "$tmp/at") s user/sys"
else
	echo "austin: not built on this machine (not compared)"
fi

# where a round goes: perf over a 1 kHz recording of the 4-thread target
if command -v perf >/dev/null 2>&1; then
	"$PY" bench/cpu3.py 1000000000 >/dev/null 2>&1 &
	pids+=($!)
	sleep 0.5
	perf record -q -g -o "$tmp/perf.data" "$G" record -p "${pids[-1]}" \
		-d "$SECS" -r 1000 -o "$tmp/p.json" >/dev/null 2>&1
	kill "${pids[-1]}"
	echo
	echo "where a round goes (perf, 1 kHz, 4 threads; % of gilspy's CPU):"
	perf report -i "$tmp/perf.data" --children --sort sym --stdio 2>/dev/null |
	/usr/bin/python3 -c '
import re, sys
want = [("sleep and wake-up (clock_nanosleep)", "__x64_sys_clock_nanosleep"),
        ("target memory (process_vm_readv)", "__x64_sys_process_vm_readv"),
        ("/proc files (pread)", "__x64_sys_pread64"),
        ("perf events (read)", "__x64_sys_read"),
        ("the sample itself (pyt_sample)", "pyt_sample"),
        ("  of which the stack walk", "pystack_walk"),
        ("  of which the GIL states", "pytask_read"),
        ("profile update (profile_add)", "profile_add")]
got = {}
for l in sys.stdin:
    m = re.match(r"\s+([0-9.]+)%\s+[0-9.]+%\s+\[.\]\s+(\S+)", l)
    if m and m.group(2) not in got:
        got[m.group(2)] = float(m.group(1))
for name, sym in want:
    print("  %-40s %5.1f %%" % (name, got.get(sym, 0.0)))'
else
	echo "perf not installed (Debian: linux-perf): no breakdown"
fi
echo "load at end:$(uptime | sed 's/.*load average://')"
