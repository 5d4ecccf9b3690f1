#!/bin/bash
# bench/memory.sh [GILSPY] - memory of `gilspy record` over long runs:
# records a 10-thread target at 1 kHz for SHORT and LONG seconds and
# prints peak RSS, the profile's own size, and the growth per sample, then
# extrapolates to the 1 hour / 1 kHz / 10 threads target (<= 64 MB RSS).
#   SHORT=10 LONG=40 PY=/path/to/python bash bench/memory.sh ./gilspy
set -u
cd "$(dirname "$0")/.."
GILSPY=${1:-./gilspy}
SHORT=${SHORT:-10}
LONG=${LONG:-40}
if [ -z "${PY:-}" ]; then
	PY=$(ls "$HOME"/.pyenv/versions/3.12*/bin/python3.12 2>/dev/null | head -1)
	[ -n "$PY" ] || PY=$(command -v python3)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for secs in "$SHORT" "$LONG"; do
	"$GILSPY" record -r 1000 -d "$secs" -o "$tmp/$secs.json" -- \
		"$PY" bench/threads10.py $((secs + 5)) 2>/dev/null
done
/usr/bin/python3 - "$tmp" "$SHORT" "$LONG" <<'PY'
import json, sys
d, short, long_ = sys.argv[1:]
a = json.load(open("%s/%s.json" % (d, short)))
b = json.load(open("%s/%s.json" % (d, long_)))
for name, j in ((short, a), (long_, b)):
    s = j["summary"]
    print("%5s s: %7d samples, %2d threads, achieved %.0f Hz, peak RSS %6d kB, "
          "profile %6d kB" % (name, s["ticks"], len(j["threads"]),
          s["achieved_hz"], s["peak_rss_kb"], s["profile_bytes"] // 1024))
sa, sb = a["summary"], b["summary"]
dn = sb["ticks"] - sa["ticks"]
rss = (sb["peak_rss_kb"] - sa["peak_rss_kb"]) * 1024.0 / dn
prof = (sb["profile_bytes"] - sa["profile_bytes"]) * 1.0 / dn
print("growth per sample: RSS %.3f bytes, profile %.3f bytes" % (rss, prof))
hour = 3600 * 1000
est = sb["peak_rss_kb"] / 1024.0 + max(rss, 0) * (hour - sb["ticks"]) / 2**20
print("1 h at 1 kHz (3.6 M samples), extrapolated: %.1f MB RSS (target <= 64 MB)"
      % est)
PY
