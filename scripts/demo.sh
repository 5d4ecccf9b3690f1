#!/bin/bash
# demo.sh GILSPY - run gilspy on the bundled example (examples/gil_lab.py in
# "mixed" mode: two threads counting primes in pure Python, one hashing with
# the GIL released, one sleeping): a dump of every thread, then a 4-second
# recording with its GIL summary, a flame graph, folded stacks, the JSON
# report, a speedscope profile, a Chrome trace timeline and the raw
# recording in demo/out/, and the markdown summary re-rendered from the raw
# recording.
set -euo pipefail
GILSPY=${1:-./gilspy}
cd "$(dirname "$0")/.."

python=
for p in python3 "$HOME"/.pyenv/versions/3.*/bin/python3.[0-9]*; do
	if command -v "$p" >/dev/null 2>&1 &&
	   "$p" -c 'import sys; sys.exit(sys.version_info < (3, 6))' 2>/dev/null; then
		python=$(command -v "$p")
		break
	fi
done
[ -n "$python" ] || { echo "demo: no python3 found; install python3" >&2; exit 1; }

out=demo/out
mkdir -p "$out"
echo "demo: examples/gil_lab.py mixed under $python ($("$python" -V 2>&1))"
"$python" examples/gil_lab.py mixed 8 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
sleep 1.5

echo "demo: gilspy dump -p $pid"
echo
"$GILSPY" dump -p "$pid" | tee "$out/dump.txt"
echo
outs=(gil.svg gil.txt gil.json gil.speedscope.json gil.trace.json gil.gilspy)
echo "demo: gilspy record -p $pid -d 4 -r 200$(printf ' -o %s' "${outs[@]/#/$out/}")"
echo
"$GILSPY" record -p "$pid" -d 4 -r 200 "${outs[@]/#/-o$out/}"
echo
echo "demo: gilspy report -q -f markdown $out/gil.gilspy"
echo
"$GILSPY" report -q -f markdown "$out/gil.gilspy" | tee "$out/gil.md"
echo
echo "demo: wrote $out/: dump.txt, gil.svg (open in a browser), gil.txt (folded"
echo "      stacks), gil.json, gil.speedscope.json (speedscope.app),"
echo "      gil.trace.json (Perfetto, chrome://tracing), gil.gilspy (raw; gilspy"
echo "      report renders it again) and gil.md (markdown summary)"
wait $pid || true
trap - EXIT
