#!/bin/bash
# t0420-speedscope.sh - `record -f speedscope` and `record -f chrome` on a
# live target (two spinners sharing the GIL, the main thread asleep),
# checked with what speedscope itself ships (npm package "speedscope"):
# the speedscope file validates against its file-format-schema.json, both
# files open in its app (dist/release/index.html) in headless Chromium with
# the right thread names, and the sample counts speedscope shows are the
# ones the collapsed output of the same recording has.  The trace file is
# also checked against the trace-event format's documented fields, and
# `gilspy report` of the raw recording gives the same bytes.  Screenshots
# are left in tests/browser/out/ (speedscope-*.png, trace-*.png).
#
# One interpreter is enough (the renderers do not depend on the version);
# GILSPY_PYTHONS picks another.  Installs what it needs on a fresh Debian
# machine (as root): chromium, nodejs/npm, and tests/browser/node_modules.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/browser.sh"
. "$TOP/tests/lib/record.sh"

here=$TOP/tests/browser
out=${FG_BROWSER_OUT:-$here/out}
secs=2

browser_setup playwright-core/package.json speedscope/dist/release/index.html

l=$(py_interpreters | head -1)
if [ -z "$l" ]; then
	skip "no Python interpreter found"
	done_testing
	exit 0
fi
mkdir -p "$out"
rm -f "$out"/speedscope-*.png "$out"/trace-*.png

d=$REC_DIR
rec "$l" spin2.py "$secs" 100 --idle --threads \
	-o "$d/a.txt" -o "$d/a.speedscope.json" -o "$d/a.trace.json" -o "$d/a.gilspy"
ok $? "$l: record two spinners to collapsed, speedscope, chrome and raw at once" ||
	{ done_testing; exit 1; }
while IFS= read -r line; do diag "$line"; done < <(sed -E 's/^(thread [^;]*;).{20,}(;[^;]*;[^;]*)$/\1...\2/' "$d/a.txt")

# The raw recording renders again into the same bytes.
"$GILSPY" report -q --idle --threads -o "$d/b.speedscope.json" -o "$d/b.trace.json" \
	"$d/a.gilspy" 2>"$d/err"
ok $? "report renders the raw recording to speedscope and chrome" || sed 's/^/#   /' "$d/err"
cmp -s "$d/a.speedscope.json" "$d/b.speedscope.json"
ok $? "the speedscope file of the replay is byte for byte the recorded one"
cmp -s "$d/a.trace.json" "$d/b.trace.json"
ok $? "the trace file of the replay is byte for byte the recorded one"
"$GILSPY" report -q -f speedscope -o "$d/filtered.speedscope.json" "$d/a.gilspy" 2>"$d/err"
ok $? "report renders the default (no idle) speedscope file" || sed 's/^/#   /' "$d/err"

cp "$d/a.speedscope.json" "$d/a.trace.json" "$out/"
while IFS=$'\t' read -r st what; do
	case $st in
	PASS) ok 0 "$what" ;;
	FAIL) ok 1 "$what" ;;
	'#') diag "$what" ;;
	*) diag "$st $what" ;;
	esac
done < <(cd "$here" && REC_SECS=$secs timeout 120 node speedscope.js suite "$out" \
	"$d/a.txt" "$d/a.speedscope.json" "$d/a.trace.json" "$d/filtered.speedscope.json" 2>&1)
diag "screenshots: $(cd "$out" && ls speedscope-*.png trace-*.png 2>/dev/null | tr '\n' ' ')"
done_testing
