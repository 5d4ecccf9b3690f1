#!/bin/bash
# bench/soak.sh [GILSPY] - a long recording under churn (not in make test):
# SOAK_SECONDS (600) at SOAK_RATE Hz (1000) on bench/soak_target.py: 10
# busy threads, 100 short-lived threads a second, a child forked every
# second.  Reports and checks:
#   - gilspy's RSS over time (every 5 s), its growth per sample (a least-
#     squares slope after the first tenth), extrapolated to one hour of
#     recording: <= 64 MB;
#   - its open file descriptors near the start and near the end: no leak.
#     Those tied to one thread of the target (its /proc/PID/task/TID files
#     and its perf event) come and go with the short-lived threads, so
#     they are counted apart: the others must be as many at the end (at
#     most 2 more), and the thread-bound ones may name no thread that
#     ended more than a moment ago (gilspy forgets a thread 64 samples
#     after it was last seen);
#   - the rate achieved: >= 98 % of the rate asked for;
#   - the short-lived threads: how many were seen (each is named short-N),
#     the rest counted as missed; never a crash (exit 0, no torn stack in
#     the raw recording's replay).
#   SOAK_SECONDS=60 bash bench/soak.sh ./gilspy
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
GILSPY=${1:-$TOP/gilspy}
SECS=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-1000}
PY=${SOAK_PYTHON:-python3}
dir=$(mktemp -d /tmp/gilspy-soak.XXXXXX)
tpid= gpid=
cleanup() {
	[ -n "$gpid" ] && kill -9 "$gpid" 2>/dev/null
	[ -n "$tpid" ] && kill -9 "$tpid" 2>/dev/null && wait "$tpid" 2>/dev/null
	[ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT

"$PY" "$TOP/bench/soak_target.py" "$dir/ready" "$dir/counts" &
tpid=$!
for _ in $(seq 100); do [ -e "$dir/ready" ] && break; sleep 0.05; done
[ -e "$dir/ready" ] || { echo "soak: the target did not start"; exit 1; }
sleep 1

"$GILSPY" record -p "$tpid" -r "$RATE" -d "$SECS" -o "$dir/soak.json" \
	-o "$dir/soak.gilspy" 2>"$dir/err" &
gpid=$!
# fds: "OTHER PERF TIDS DEAD": fds not tied to a thread, perf events, the
# threads named by /proc/.../task/TID fds, and how many of those are gone
fds() {
	local f l other=0 perf=0 tids=() dead=0 t
	for f in /proc/$gpid/fd/*; do
		l=$(readlink "$f" 2>/dev/null) || continue
		case $l in
		anon_inode:\[perf_event\]) perf=$((perf + 1)) ;;
		/proc/$tpid/task/*) t=${l#/proc/$tpid/task/}; tids+=("${t%%/*}") ;;
		*) other=$((other + 1)) ;;
		esac
	done
	t=$(printf '%s\n' "${tids[@]}" | sort -u | grep -c .)
	for f in $(printf '%s\n' "${tids[@]}" | sort -u); do
		[ -d /proc/$tpid/task/$f ] || dead=$((dead + 1))
	done
	echo "$other $perf $t $dead"
}
sleep 2
fd0=$(fds)
t0=$(date +%s.%N)
: >"$dir/rss"
fd1=$fd0
while kill -0 "$gpid" 2>/dev/null; do
	rss=$(awk '/^VmRSS:/ {print $2}' /proc/$gpid/status 2>/dev/null)
	n=$(fds)
	[ -n "$rss" ] || break
	case $n in 0\ *) ;; *) fd1=$n ;; esac
	awk -v a="$(date +%s.%N)" -v b="$t0" -v r="$rss" 'BEGIN { printf "%.1f %s\n", a - b, r }' >>"$dir/rss"
	sleep 5
done
wait "$gpid"; rc=$?
gpid=
started=$(awk '/^started/ {print $2}' "$dir/counts")
forks=$(awk '/^forks/ {print $2}' "$dir/counts")

/usr/bin/python3 - "$dir" "$RATE" "$SECS" "$rc" "$fd0" "$fd1" "${started:-0}" \
	"${forks:-0}" <<'PY'
import json, re, sys
d, rate, secs, rc, fd0, fd1, started, forks = sys.argv[1:]
rate, secs, rc = float(rate), float(secs), int(rc)
fd0, fd1 = [list(map(int, v.split())) for v in (fd0, fd1)]
started, forks = int(started), int(forks)
pts = [tuple(map(float, l.split())) for l in open(d + "/rss") if l.strip()]
rep = json.load(open(d + "/soak.json"))
s = rep["summary"]
ok = True
def check(cond, text):
    global ok
    ok = ok and cond
    print("soak: %s %s" % ("PASS" if cond else "FAIL", text))
print("soak: %.0f s at %.0f Hz; RSS (kB) over time:" % (secs, rate))
for t, r in pts:
    print("soak:   %6.0f s  %7.0f kB" % (t, r))
tail = [p for p in pts if p[0] >= secs / 10] or pts
if len(tail) >= 2:
    n = len(tail)
    mt = sum(p[0] for p in tail) / n
    mr = sum(p[1] for p in tail) / n
    den = sum((p[0] - mt) ** 2 for p in tail) or 1
    slope = sum((p[0] - mt) * (p[1] - mr) for p in tail) / den  # kB/s
else:
    slope = 0.0
per_sample = slope * 1024 / rate
hour = (tail[0][1] + slope * (3600 - tail[0][0])) / 1024 if tail else 0
check(rc == 0, "exit status %d" % rc)
check(hour <= 64, "RSS growth %.1f bytes per sample (%.2f kB/s); at one hour "
      "%.1f MB (<= 64 MB)" % (per_sample, slope, hour))
check(fd1[0] <= fd0[0] + 2 and fd1[3] <= 16,
      "open fds not tied to a thread: %d near the start, %d near the end; "
      "tied to threads: %d perf events and /proc files of %d threads near "
      "the end, %d of them ended" % (fd0[0], fd1[0], fd1[1], fd1[2], fd1[3]))
ach = s.get("achieved_hz") or 0
check(ach >= 0.98 * rate, "rate %.1f Hz of %.0f (%.1f %%; >= 98 %%), %d "
      "missed deadlines, %d errors (%.2f %%)" % (ach, rate, 100 * ach / rate,
      s.get("missed_ticks", 0), s.get("errors", 0), s.get("errors_pct", 0)))
seen = {t["name"] for t in rep["threads"] if t["name"].startswith("short-")}
print("soak: INFO short-lived threads (1-20 ms): %d started, %d seen, %d "
      "missed; %d children forked" % (started, len(seen),
                                      max(0, started - len(seen)), forks))
sys.exit(0 if ok else 1)
PY
st=$?
"$GILSPY" report -o /dev/null "$dir/soak.gilspy" 2>"$dir/rep"; rrc=$?
if [ $rrc = 0 ]; then
	echo "soak: PASS the raw recording replays whole"
else
	echo "soak: FAIL the raw recording does not replay (exit $rrc):"; head -3 "$dir/rep"
	st=1
fi
exit $st
