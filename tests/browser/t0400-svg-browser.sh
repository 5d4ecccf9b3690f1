#!/bin/bash
# t0400-svg-browser.sh - the SVG flame graph in a real browser (headless
# Chromium driven by playwright-core): it loads without console errors,
# hovering shows the tooltip, Ctrl-F search highlights and reports
# Matched %, clicking zooms and Reset zoom restores, the URL reproduces the
# view, a differential graph shows deltas, hostile frame names run nothing,
# and a large profile's SVG opens in under 2 s.  Screenshots are left in
# tests/browser/out/ to look at.
#
# Installs what it needs on a fresh Debian machine (as root): chromium,
# nodejs/npm, and playwright-core into tests/browser/node_modules.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/browser.sh"

here=$TOP/tests/browser
out=${FG_BROWSER_OUT:-$here/out}

browser_setup playwright-core/package.json

rm -rf "$out"
mkdir -p "$out"
cat >"$out/fixture.folded" <<'F'
thread MainThread (100);main (app.py:10);serve (app.py:20);work (app.py:30);[GIL held] 40
thread MainThread (100);main (app.py:10);serve (app.py:20);work (app.py:30);work_inner (app.py:35);[GIL held] 10
thread worker-1 (101);Thread.run (threading.py:982);work (app.py:30);[waiting for GIL] 30
thread worker-1 (101);Thread.run (threading.py:982);crunch (numpy/core/x.py:5);[running without GIL] 15
thread worker-2 (102);Thread.run (threading.py:982);sleep_loop (app.py:50);[idle] 5
F
"$GILSPY" flamegraph --title "GIL fixture" -o "$out/fixture.svg" "$out/fixture.folded" 2>"$out/err"
ok $? "gilspy flamegraph renders the fixture" || sed 's/^/#   /' "$out/err"

# Hostile names: markup, a CDATA end, entities, quotes, invalid UTF-8.
printf '%s\n' \
	'<script>alert(1)</script>;<script>window.__pwned=1</script> 3' \
	'<img src=x onerror="window.__pwned=2">;]]><script>window.__pwned=3</script> 2' \
	$'a & b "q" \'s\';bad \xff\xfe utf8 \xc0\x80 1' \
	'x" onmouseover="window.__pwned=4;&lt;b&gt; 2' \
	'<svg onload=alert(5)>;[waiting for GIL] 1' >"$out/hostile.folded"
"$GILSPY" flamegraph --title '<script>alert(6)</script>' \
	--subtitle '"><script>alert(7)</script>' -o "$out/hostile.svg" \
	"$out/hostile.folded" 2>"$out/err"
ok $? "gilspy flamegraph renders hostile names" || sed 's/^/#   /' "$out/err"

sed -e 's/ 40$/ 80/' "$out/fixture.folded" >"$out/new.folded"
echo 'thread worker-2 (102);Thread.run (threading.py:982);idle_loop (app.py:60);[idle] 5' >>"$out/new.folded"
sed -e 's/ 5$/ 9/' "$out/fixture.folded" >"$out/base.folded"
echo 'thread worker-2 (102);Thread.run (threading.py:982);idle_loop (app.py:60);[idle] 20' >>"$out/base.folded"
"$GILSPY" diff -o "$out/diff.svg" "$out/base.folded" "$out/new.folded" 2>"$out/err"
ok $? "gilspy diff renders two profiles" || sed 's/^/#   /' "$out/err"

# A large profile: 300,000 distinct stacks (the benchmark's shape).
if command -v python3 >/dev/null; then
	python3 "$TOP/bench/gen_folded.py" "$out/large.folded" 300000 7 &&
		"$GILSPY" flamegraph -o "$out/large.svg" "$out/large.folded" 2>"$out/err"
	ok $? "gilspy flamegraph renders 300,000 stacks" || sed 's/^/#   /' "$out/err"
	grep -q 'are not drawn (--minwidth)' "$out/large.svg"
	ok $? "the large SVG says how many frames were pruned"
	rm -f "$out/large.folded"
else
	skip "no python3 to generate the large profile"
fi

while IFS=$'\t' read -r st what; do
	case $st in
	PASS) ok 0 "$what" ;;
	FAIL) ok 1 "$what" ;;
	'#') diag "$what" ;;
	*) diag "$st $what" ;;
	esac
done < <(cd "$here" && timeout 90 node drive.js suite "$out" 2>&1)
grep -c . /dev/null >/dev/null
diag "screenshots: $(cd "$out" && ls ./*.png 2>/dev/null | tr '\n' ' ')"
done_testing
