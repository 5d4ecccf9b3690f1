#!/bin/bash
# t0306-record-outputs-fail-fast.sh - a bad output is found before anything
# is sampled or launched, and a full disk mid-run keeps what was written.
#
# Expected:
#   - every -o and --summary path is checked first: a missing directory, a
#     directory, a path under a file, an unwritable place: one line naming
#     the path and why, exit 2, the command never launched, no file made;
#   - an existing file is left as it was by the check (not truncated), and
#     the check leaves no probe file behind;
#   - `report` checks its outputs the same way before reading;
#   - the disk filling up during a raw recording (a 64 KB tmpfs): the
#     recording stops, says why, exits 1, and what reached the disk reads
#     with `gilspy report` (cut short: no END record, exit 1, samples
#     rendered).
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

d=$REC_DIR
mark=$d/launched
for bad in /proc/nope/x.json "$d/nodir/x.txt" "$d" /etc/passwd/x.svg; do
	rm -f "$mark"
	"$GILSPY" record -d 1 -o "$bad" -- /bin/sh -c "touch $mark" \
		2>"$d/e"; rc=$?
	[ $rc = 2 ] && [ "$(wc -l <"$d/e")" = 1 ] &&
		grep -qF "cannot write '$bad'" "$d/e" && [ ! -e "$mark" ]
	ok $? "-o $bad: exit $rc before launching: $(cat "$d/e")"
done
"$GILSPY" record -d 1 -p 1 -o "$d/ok.txt" --summary /nonexistent/s.md \
	2>"$d/e"; rc=$?
[ $rc = 2 ] && grep -qF "'/nonexistent/s.md'" "$d/e" && [ ! -e "$d/ok.txt" ]
ok $? "--summary in a missing directory: exit $rc, nothing sampled: $(cat "$d/e")"

# A place we may not write: as an unprivileged user when we are root
# (root writes anywhere), REC_DIR being ours alone (mode 700).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$GILSPY" record -d 1 -p 1 -o "$d/x.txt" 2>"$d/e"; rc=$?
	[ $rc = 2 ] && grep -qF "cannot write '$d/x.txt': Permission denied" "$d/e"
	ok $? "-o where we may not write: exit $rc: $(cat "$d/e")"
elif [ "$(id -u)" != 0 ]; then
	"$GILSPY" record -d 1 -p 1 -o /proc/1/x.txt 2>"$d/e"; rc=$?
	[ $rc = 2 ]
	ok $? "-o where we may not write: exit $rc: $(cat "$d/e")"
else
	skip "root without setpriv: no unwritable place to try"
fi

# An existing file survives the check of a run that then fails (no such
# pid), and no probe file is left beside it.
echo keep >"$d/exist.txt"
"$GILSPY" record -d 1 -p 999999999 -o "$d/exist.txt" 2>"$d/e"; rc=$?
[ $rc != 0 ] && [ "$(cat "$d/exist.txt")" = keep ] &&
	! ls "$d"/exist.txt.tmp.* >/dev/null 2>&1
ok $? "an existing -o file is left unchanged by the check (exit $rc)"
"$GILSPY" record -d 1 -p 999999999 -o "$d/fresh.json" 2>"$d/e"
! ls "$d"/fresh.json* >/dev/null 2>&1
ok $? "a failed run leaves no file from the check"

"$GILSPY" report -o "$d/nodir/x.txt" /dev/null 2>"$d/e"; rc=$?
[ $rc = 2 ] && grep -qF "cannot write '$d/nodir/x.txt'" "$d/e"
ok $? "report checks its outputs before reading (exit $rc)"

# --- disk full mid-run --------------------------------------------------------
l=$(py_interpreters | grep -v chroot | head -1)
mnt=$d/tiny
mkdir "$mnt"
if [ -z "$l" ]; then
	skip "no host interpreter for the disk-full check"
elif ! mount -t tmpfs -o size=64k tmpfs "$mnt" 2>"$d/e"; then
	skip "cannot mount a tmpfs (not root, or no CAP_SYS_ADMIN): $(cat "$d/e")"
else
	# Leave about 24 KB: a few seconds of blocks at 1 kHz.
	dd if=/dev/zero of="$mnt/fill" bs=1k count=40 2>/dev/null
	if py_start "$l" spin2.py; then
		timeout 120 "$GILSPY" record -p "$PY_PID" -r 1000 -d 100 \
			-o "$mnt/rec.gilspy" 2>"$d/e"; rc=$?
		py_stop
		[ $rc = 1 ] && grep -q "stopped by write error" "$d/e" &&
			grep -q "No space left on device" "$d/e"
		ok $? "disk full: the recording stops, says why, exit $rc" ||
			sed 's/^/#   /' "$d/e"
		"$GILSPY" report -o "$d/full.txt" "$mnt/rec.gilspy" 2>"$d/r"; rc=$?
		n=$(sed -n 's/.*rendering the \([0-9]*\) samples.*/\1/p' "$d/r")
		[ $rc = 1 ] && grep -q "no end record" "$d/r" &&
			! grep -q "damaged" "$d/r" && [ "${n:-0}" -gt 500 ] &&
			grep -q '\[GIL held\]' "$d/full.txt"
		ok $? "what reached the disk renders: ${n:-0} samples, no damaged block (exit $rc)" ||
			sed 's/^/#   /' "$d/r"
	else
		ok 1 "spin2.py did not start"
	fi
	umount "$mnt"
fi
rmdir "$mnt"
done_testing
