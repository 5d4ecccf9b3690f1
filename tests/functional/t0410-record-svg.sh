#!/bin/bash
# t0410-record-svg.sh - `gilspy record -o x.svg` on the two-spinner target:
# the SVG holds [waiting for GIL] frames in the waiting colour, the header
# band carries the run's GIL summary, and (when tests/browser is set up) it
# opens in Chromium without errors; the screenshot is left in
# tests/browser/out/record-spin2.png.
# One interpreter is enough (the renderer does not depend on the version);
# GILSPY_PYTHONS picks another.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

l=$(py_interpreters | head -1)
if [ -z "$l" ]; then
	skip "no Python interpreter found"
	done_testing
	exit 0
fi
svg=$REC_DIR/spin2.svg
band='GIL utilisation [0-9.]* %'
rec "$l" spin2.py 1.2 200 -o "$svg" --threads
ok $? "$l: record two spinners to SVG" || { sed 's/^/#   /' "$REC_DIR/err"; done_testing; exit 1; }
grep -q '<g class="f s1" data-n="\[waiting for GIL\]"[^>]*><rect [^>]*fill="#0072B2"' "$svg"
ok $? "$l: [waiting for GIL] frames are drawn in the waiting colour"
grep -q '<g class="f s0" data-n="\[GIL held\]"[^>]*><rect [^>]*fill="#D55E00"' "$svg"
ok $? "$l: [GIL held] frames are drawn in the held colour"
grep -q "$band" "$svg"
ok $? "$l: the header band shows the run's GIL summary"
n=$(grep -o 'data-n="thread [^"]*"' "$svg" | sort -u | wc -l)
[ "$n" -ge 2 ]
ok $? "$l: both spinner threads are in the graph ($n thread roots)"
grep -q 'spin (' "$svg"
ok $? "$l: the spinning function is in the graph"
if [ -x /usr/bin/chromium ] && [ -e "$TOP/tests/browser/node_modules/playwright-core/package.json" ]; then
	mkdir -p "$TOP/tests/browser/out"
	png=$TOP/tests/browser/out/record-spin2.png
	r=$(cd "$TOP/tests/browser" && timeout 60 node drive.js shot "$svg" "$png" 2>&1)
	grep -q '^PASS' <<<"$r"
	ok $? "$l: the recorded SVG loads in Chromium without console errors"
	diag "screenshot: $png"
else
	skip "Chromium or playwright-core missing (t0400-svg-browser.sh installs them)"
fi
done_testing
