#!/bin/bash
# demo.sh GILSPY - run gilspy on the bundled example (examples/gil_lab.py in
# "mixed" mode: two threads counting primes in pure Python, one hashing with
# the GIL released, one sleeping): a dump of every thread, then a 4-second
# recording with its GIL summary, folded stacks and JSON report in demo/out/.
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
echo "demo: gilspy record -p $pid -d 4 -r 200 -o $out/gil.txt -o $out/gil.json"
echo
"$GILSPY" record -p "$pid" -d 4 -r 200 -o "$out/gil.txt" -o "$out/gil.json"
echo
echo "demo: wrote $out/dump.txt, $out/gil.txt (folded stacks, for flame graphs) and $out/gil.json"
wait $pid || true
trap - EXIT
