#!/bin/bash
# t0600-record-raw-report.sh - a raw recording (.gilspy) of a live target
# renders again with `gilspy report` into exactly what `record` wrote
# directly, in every format and with filters; a recording cut short (gilspy
# killed, file truncated) or damaged still renders what is intact, says
# what was lost and exits 1; what is not a raw recording is refused.
#
# Round trips run on the oldest, a middle and the newest interpreter found.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

W=$REC_DIR

# Sum of the counts of a folded file.
fsum() { awk '{ s += $NF } END { print s + 0 }' "$1"; }

need_pythons
mapfile -t all < <(py_interpreters)
n=${#all[@]}
picked=("${all[0]}")
[ "$n" -ge 3 ] && picked+=("${all[$((n / 2))]}")
[ "$n" -ge 2 ] && picked+=("${all[$((n - 1))]}")

covered=()
for l in "${picked[@]}"; do
	rm -f "$W"/a.* "$W"/b.* "$W"/g.* "$W"/h.*
	if ! rec "$l" spin_sleep.py 1.5 400 -o "$W/a.txt" -o "$W/a.svg" \
		-o "$W/a.speedscope.json" -o "$W/a.trace.json" -o "$W/a.md" \
		-o "$W/a.gilspy"; then
		ok 1 "$l: record to every format at once"
		continue
	fi
	covered+=("$l")
	cp "$W/out.json" "$W/a.json"
	"$GILSPY" report "$W/a.gilspy" -o "$W/b.txt" -o "$W/b.json" \
		-o "$W/b.svg" -o "$W/b.speedscope.json" -o "$W/b.trace.json" \
		-o "$W/b.md" 2>"$W/err"
	ok $? "$l: gilspy report renders the raw recording in every format" ||
		sed 's/^/#   /' "$W/err"
	for ext in txt json svg speedscope.json trace.json md; do
		cmp -s "$W/a.$ext" "$W/b.$ext"
		ok $? "$l: report's $ext is byte for byte what record wrote" ||
			diff "$W/a.$ext" "$W/b.$ext" | head -5 | sed 's/^/#   /'
	done
	s=$(jget "d['summary']['samples']" "$W/a.json")
	fcmp "$s" '>=' 300
	ok $? "$l: the recording holds real samples ($s; $(fsum "$W/a.txt") counted in the folded output)"
	grep -q 'spin (spin_sleep.py:[0-9]*);\[GIL held\]' "$W/b.txt"
	ok $? "$l: the replayed stacks are the target's (spin ... [GIL held])"
	grep -q 'Thread.run.*;\[idle\]' "$W/b.txt"
	[ $? != 0 ]
	ok $? "$l: idle stacks are left out by default on replay too"

	# Filters are applied when rendering, so a raw file recorded
	# without any gives what a filtered recording would.
	"$GILSPY" report "$W/a.gilspy" --idle --threads -q -o "$W/h.txt"
	grep -q '^thread sleeper ([0-9]*);.*\[idle\] [0-9]*$' "$W/h.txt"
	ok $? "$l: report --idle --threads adds the sleeper's idle stacks under a thread root"
	"$GILSPY" report "$W/a.gilspy" --gil --nolineno -q -f collapsed >"$W/g.txt"
	! grep -v '\[GIL held\] [0-9]*$' "$W/g.txt" | grep -q . &&
		! grep -q '\.py:[0-9]' "$W/g.txt" && [ -s "$W/g.txt" ]
	ok $? "$l: report --gil --nolineno keeps only GIL-held stacks, without line numbers"
	h1=$(grep '\[GIL held\]' "$W/a.txt" | awk '{ s += $NF } END { print s + 0 }')
	h2=$(fsum "$W/g.txt")
	[ "$h1" = "$h2" ]
	ok $? "$l: the same held samples either way ($h1 vs $h2)"

	# Launch mode: threads started before threading registered them
	# still end up with their Python names.
	py_workdir "$l"
	cat >"$PY_HOSTDIR/named.py" <<'PY'
import threading, time
def work():
    t = time.time()
    while time.time() - t < 1.6:
        pass
ts = [threading.Thread(target=work, name="worker-%d" % i) for i in range(2)]
[t.start() for t in ts]
[t.join() for t in ts]
PY
	# shellcheck disable=SC2046
	"$GILSPY" record -r 200 -o "$W/n.json" -o "$W/n.gilspy" -- \
		$(py_cmd "$l") "$PY_DIR/named.py" 2>"$W/err"
	rm -rf "$PY_HOSTDIR"
	# A sample may catch a thread starting, before CPython has stored
	# its native id: such a fleeting entry has no name to check.
	names=$(jget "sorted(t['name'] for t in d['threads'] if t['tid'])" "$W/n.json")
	[ "$names" = "['MainThread', 'worker-0', 'worker-1']" ]
	ok $? "$l: launch mode names the threads as Python does: $names"
	"$GILSPY" report -q -f json "$W/n.gilspy" >"$W/n2.json" &&
		[ "$(jget "sorted(t['name'] for t in d['threads'] if t['tid'])" "$W/n2.json")" = "$names" ]
	ok $? "$l: ... and so does the raw recording"
	# A raw copy written by report is cut into blocks by recorded time
	# like the original, and each block carries who was recorded and
	# the thread names as they were then: a copy cut short keeps both.
	"$GILSPY" report -q -o "$W/n3.gilspy" "$W/n.gilspy" &&
		"$GILSPY" report -q -f json "$W/n3.gilspy" >"$W/n3.json" &&
		cmp -s "$W/n2.json" "$W/n3.json"
	ok $? "$l: report -f raw makes a copy that renders as the original" ||
		diff "$W/n2.json" "$W/n3.json" | head -5 | sed 's/^/#   /'
	cut=$(python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); print(d.rfind(b"GSBK"))' "$W/n3.gilspy")
	head -c "$cut" "$W/n3.gilspy" >"$W/n4.gilspy"
	"$GILSPY" report -q -f json "$W/n4.gilspy" >"$W/n4.json" 2>"$W/err"
	rc=$?
	got=$(jget "(d['target']['python'], sorted(t['name'] for t in d['threads'] if t['tid']), d['summary']['samples'] > 0)" "$W/n4.json")
	want=$(jget "(d['target']['python'], $names, True)" "$W/n.json")
	[ "$rc" = 1 ] && [ "$got" = "$want" ]
	ok $? "$l: the copy cut before its last block (byte $cut) still says $got (rc $rc)" ||
		sed 's/^/#   /' "$W/err"
done
diag "round trips covered: ${covered[*]}"

# --- damage ------------------------------------------------------------------
l=${all[0]}
rm -f "$W"/k.*
if py_start "$l" spin2.py; then
	"$GILSPY" record -p "$PY_PID" -r 500 -o "$W/k.gilspy" -o "$W/k.txt" \
		2>"$W/kerr" &
	gpid=$!
	sleep 3.5
	kill -9 "$gpid"
	wait "$gpid" 2>/dev/null
	py_stop
	"$GILSPY" report "$W/k.gilspy" -o "$W/k2.txt" 2>"$W/err"
	rc=$?
	[ $rc = 1 ]
	ok $? "report of a recording whose gilspy was killed exits 1 (got $rc)"
	grep -q 'no end record: the recording was cut off' "$W/err"
	ok $? "... and says the recording was cut off" || sed 's/^/#   /' "$W/err"
	c=$(fsum "$W/k2.txt")
	fcmp "$c" '>=' 500
	ok $? "... and still renders the samples flushed before the kill ($c)"
else
	ok 1 "start a target to kill gilspy under"
fi

if [ -s "$W/a.gilspy" ]; then
	size=$(stat -c %s "$W/a.gilspy")
	full=$(fsum "$W/a.txt")
	head -c $((size - 7)) "$W/a.gilspy" >"$W/t.gilspy"
	"$GILSPY" report -q "$W/t.gilspy" -o "$W/t.txt" 2>"$W/err"
	rc=$?
	[ $rc = 1 ] && grep -q 'cut short' "$W/err"
	ok $? "a truncated file: exit 1 (got $rc) and 'cut short'" || sed 's/^/#   /' "$W/err"
	[ -e "$W/t.txt" ]
	ok $? "... and the output is still written ($(fsum "$W/t.txt") of $full samples)"

	# Damage inside the first block: it is skipped, the reader finds
	# the next block, and what that holds still renders.
	/usr/bin/python3 - "$W/a.gilspy" "$W/c.gilspy" <<'PY'
import sys
d = bytearray(open(sys.argv[1], "rb").read())
first = d.find(b"GSBK")
for i in range(first + 40, min(first + 60, len(d))):
    d[i] ^= 0x5A
open(sys.argv[2], "wb").write(d)
PY
	"$GILSPY" report -q "$W/c.gilspy" -o "$W/c.txt" 2>"$W/err"
	rc=$?
	[ $rc = 1 ] && grep -q 'is damaged' "$W/err"
	ok $? "a damaged block: exit 1 (got $rc) and 'is damaged'" || sed 's/^/#   /' "$W/err"
	c=$(fsum "$W/c.txt")
	[ "$c" -gt 0 ] && [ "$c" -lt "$full" ]
	ok $? "... and the intact blocks still render on their own ($c of $full samples)"

	# Garbage between blocks is skipped up to the next block.
	{ head -c 16 "$W/a.gilspy"; printf 'garbage!garbage!'; tail -c +17 "$W/a.gilspy"; } >"$W/j.gilspy"
	"$GILSPY" report -q "$W/j.gilspy" -o "$W/j.txt" 2>"$W/err"
	rc=$?
	[ $rc = 1 ] && cmp -s "$W/j.txt" "$W/a.txt"
	ok $? "garbage before the first block: exit 1 (got $rc), every sample still read" ||
		sed 's/^/#   /' "$W/err"
fi

# --- not a recording, usage --------------------------------------------------
printf 'main;work 3\n' >"$W/folded.txt"
: >"$W/empty.gilspy"
for f in "$W/folded.txt" "$W/empty.gilspy"; do
	"$GILSPY" report "$f" -o "$W/x.txt" 2>"$W/err"
	rc=$?
	# an empty file is what a gilspy killed before its first block
	# leaves (the header goes out with that block)
	why='is not a gilspy raw recording'
	[ "${f##*.}" = gilspy ] && why='is empty: the recording was cut off before its first block'
	[ $rc = 1 ] && grep -q "$why" "$W/err" && [ ! -e "$W/x.txt" ]
	ok $? "report $(basename "$f"): exit 1 (got $rc), says '$why', nothing written" ||
		sed 's/^/#   /' "$W/err"
done
"$GILSPY" report "$W/missing.gilspy" 2>"$W/err"
rc=$?
[ $rc = 1 ] && grep -q "cannot open .*missing.gilspy.*No such file" "$W/err"
ok $? "report of a missing file: exit 1 (got $rc), says it cannot open it"
printf 'GILSPYRW\x09\x00\x00\x00\x00\x00\x00\x00' >"$W/v9.gilspy"
"$GILSPY" report "$W/v9.gilspy" 2>"$W/err"
rc=$?
[ $rc = 1 ] && grep -q 'format version 9' "$W/err"
ok $? "report of a newer format version: exit 1 (got $rc), names the version"
"$GILSPY" report 2>"$W/err"
rc=$?
[ $rc = 2 ]
ok $? "report with no file: usage error, exit 2 (got $rc)"
"$GILSPY" report "$W/a.gilspy" "$W/a.gilspy" 2>"$W/err"
rc=$?
[ $rc = 2 ]
ok $? "report with two files: usage error, exit 2 (got $rc)"
"$GILSPY" report -f nosuch "$W/a.gilspy" 2>"$W/err"
rc=$?
[ $rc = 2 ] && grep -q "unknown format 'nosuch'" "$W/err"
ok $? "report -f nosuch: exit 2 (got $rc) naming the format"

cp "$W/a.gilspy" "$W/same.gilspy"
"$GILSPY" report "$W/same.gilspy" -o "$W/same.gilspy" 2>"$W/err"
rc=$?
[ $rc = 2 ] && cmp -s "$W/a.gilspy" "$W/same.gilspy" &&
	grep -q 'is the recording being read' "$W/err"
ok $? "report -o onto the recording it reads: refused (exit $rc), the recording intact"

# Raw through a pipe: record to stdout, report from stdin.
if py_start "$l" spin2.py; then
	"$GILSPY" record -p "$PY_PID" -d 1 -r 200 -f raw -o - 2>/dev/null |
		"$GILSPY" report -q - -f collapsed >"$W/p.txt"
	rc=$?
	py_stop
	c=$(fsum "$W/p.txt")
	[ $rc = 0 ] && fcmp "$c" '>=' 150
	ok $? "record -f raw -o - | report - : a raw stream through a pipe ($c samples, rc $rc)"
fi
done_testing
