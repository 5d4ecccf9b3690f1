#!/bin/bash
# t0430-svg-blame.sh - the SVG blame view (record --blame) in headless
# Chromium: tests/targets/hog.py keeps the GIL in long sorted() calls from
# its hog thread while its spin thread waits; in the blame SVG the
# [held by hog] frame sits above spin's [waiting for GIL] frame and is most
# of it, its tooltip names the holder, clicking the waiting frame makes the
# holder frames fill the width, and searching hog_loop highlights them.
# One interpreter (the first found, or GILSPY_PYTHONS's); the screenshots
# are left in tests/browser/out-blame/.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/browser.sh"

here=$TOP/tests/browser
out=${FG_BROWSER_OUT:-$here/out-blame}

browser_setup playwright-core/package.json

rm -rf "$out"
mkdir -p "$out"
l=$(py_interpreters | head -1)
if [ -z "$l" ] || ! py_start "$l" hog.py 50; then
	ok 1 "start hog.py under ${l:-no interpreter}"
	done_testing
	exit 1
fi
"$GILSPY" record -p "$PY_PID" -d 2 -r 1000 --blame -o "$out/blame.svg" \
	-o "$out/blame.txt" 2>"$out/err" >/dev/null
ok $? "$l: record hog.py --blame to SVG" || sed 's/^/#   /' "$out/err"
py_stop
grep -q 'spin (hog.py:[0-9]*);\[waiting for GIL\];\[held by hog\];hog_loop' "$out/blame.txt"
ok $? "$l: the folded blame stacks have spin waiting on hog's hog_loop" ||
	sed 's/^/#   /' "$out/blame.txt"

while IFS=$'\t' read -r st what; do
	case $st in
	PASS) ok 0 "$what" ;;
	FAIL) ok 1 "$what" ;;
	'#') diag "$what" ;;
	*) diag "$st $what" ;;
	esac
done < <(cd "$here" && timeout 90 node drive.js blame "$out/blame.svg" "$out/blame.png" 2>&1)
done_testing
