#!/bin/bash
# regen.sh GILSPY - write expected/ from the cases with the binary GILSPY.
#
# Run it only with a binary whose output is known good (the main branch
# before a change that must not alter output): the expected files are what
# tests/functional/t0690-report-golden.sh holds every later binary to.
# The recordings themselves were made by `gilspy record -o X.gilspy` on live
# targets (see cases) and are inputs: never regenerate them for a test.
set -u
[ $# = 1 ] || { echo "usage: $0 GILSPY" >&2; exit 2; }
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
. "$TOP/tests/lib/golden.sh"
out=$GOLDEN_DATA/expected
work=$(mktemp -d /tmp/gilspy-golden.XXXXXX)
trap 'rm -rf "$work"' EXIT
rm -rf "$out"
mkdir -p "$out"
"$bin" --version >"$out/VERSION"
bad=0
while read -r name status rec args; do
	read -ra argv <<<"$args"
	golden_render "$bin" "$work" "$name" "$rec" "${argv[@]}"
	rc=$?
	if [ "$rc" != "$status" ]; then
		echo "$name: exit $rc, the case says $status" >&2
		bad=1
	fi
	cp -r "$work/$name" "$out/$name"
done < <(golden_cases)
exit $bad
