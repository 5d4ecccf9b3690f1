#!/bin/bash
# t0700-pprof.sh - `-f pprof` read back by Go's own reader (go tool pprof):
# on every interpreter found, a live recording of two threads fighting for
# the GIL lists their functions (-top), carries the gil_state, thread,
# tid and pid labels (-tags), narrows to the waiting samples (-tagfocus), has the
# same stacks and counts as the collapsed output of the same run (-raw),
# and `report` of the raw recording writes the same bytes as `record`.
# Then, from synthetic raw recordings (tests/lib/mkraw.py): an empty
# recording, functions and threads named with any bytes (valid UTF-8 out),
# and 100 000 distinct stacks in bounded CPU time and memory, measured
# against the collapsed renderer on the same file.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

W=$REC_DIR
CHECK=$TOP/tests/lib/pprof_check.py

if ! command -v go >/dev/null 2>&1 || ! go tool pprof -h >/dev/null 2>&1; then
	skip "go tool pprof not found (apt-get install golang-go)"
	done_testing
	exit
fi
export PPROF_TMPDIR=$W GOCACHE=$W/gocache HOME=${HOME:-$W}
pp() { go tool pprof "$@" 2>"$W/pp.err"; }

covered=()
while read -r l; do
	rm -f "$W"/a.* "$W"/b.* "$W"/c.*
	if ! rec "$l" spin2.py 1 200 -o "$W/a.pb.gz" -o "$W/a.gilspy" \
		-o "$W/a.txt" --no-state-frames; then
		ok 1 "$l: record -o x.pb.gz"
		continue
	fi
	covered+=("$l")

	pp -top -nodefraction=0 "$W/a.pb.gz" >"$W/a.top"
	ok $? "$l: go tool pprof reads the profile" ||
		sed 's/^/#   /' "$W/pp.err" | head -5
	# every function of the collapsed output, and only those
	want=$(tr ';' '\n' <"$W/a.txt" | sed 's/ [0-9]*$//; s/ (.*//' | sort -u)
	got=$(awk 'f { print $NF } /flat%/ { f = 1 }' "$W/a.top" | sort -u)
	[ -n "$want" ] && [ "$want" = "$got" ] && grep -q ' spin$' "$W/a.top"
	ok $? "$l: -top lists the target's functions, spin on top" ||
		{ diag "want: $(echo $want)"; diag "got: $(echo $got)"; }

	pp -tags "$W/a.pb.gz" >"$W/a.tags"
	tids=$(jget "' '.join(str(t['tid']) for t in d['threads'] if t['name'].startswith('spin'))")
	st=0
	for w in 'gil_state: Total' ': held$' ': waiting$' 'thread: Total' \
		': spin-a$' ': spin-b$' 'tid: Total'; do
		grep -q "$w" "$W/a.tags" || { diag "no '$w' in -tags"; st=1; }
	done
	for t in $tids; do
		grep -q ": $t$" "$W/a.tags" || { diag "no tid $t in -tags"; st=1; }
	done
	ok $st "$l: -tags shows the GIL states, thread names and tids" ||
		sed 's/^/#   /' "$W/a.tags" | head -20
	# the pid label: on every sample, the recording's pid
	pid=$(jget "d['target']['pid']")
	awk '/^ *pid: Total/ { f = 1; next } /^ *[a-z_]+: Total/ { f = 0 }
		f && NF' "$W/a.tags" >"$W/a.pid"
	[ "$(wc -l <"$W/a.pid")" = 1 ] && grep -q "(  100%): $pid\$" "$W/a.pid"
	ok $? "$l: -tags shows the pid label, $pid on every sample" ||
		sed 's/^/#   /' "$W/a.tags" | head -20

	pp -raw "$W/a.pb.gz" >"$W/a.raw" &&
		python3 "$CHECK" folded "$W/a.raw" >"$W/a.fold"
	grep -v '^#' "$W/a.fold" | diff - "$W/a.txt" >"$W/a.diff"
	ok $? "$l: -raw has the stacks and counts of the collapsed output" ||
		head -5 "$W/a.diff" | sed 's/^/#   /'

	waiting=$(awk '$2 == "waiting" { print $3 }' "$W/a.fold")
	pp -sample_index=samples -tagfocus=gil_state=waiting -top \
		"$W/a.pb.gz" >"$W/a.wait"
	grep -q "accounting for ${waiting:-x}, " "$W/a.wait" &&
		grep -q ' spin$' "$W/a.wait" &&
		[ "${waiting:-0}" -gt 0 ]
	ok $? "$l: -tagfocus=gil_state=waiting keeps the $waiting waiting samples, in spin" ||
		sed 's/^/#   /' "$W/a.wait" | head -12

	"$GILSPY" report -q "$W/a.gilspy" -o "$W/b.pb.gz" -o "$W/b.pprof" &&
		"$GILSPY" report -q "$W/a.gilspy" -f pprof >"$W/c.out" &&
		cmp -s "$W/a.pb.gz" "$W/b.pb.gz" && cmp -s "$W/a.pb.gz" "$W/b.pprof" &&
		cmp -s "$W/a.pb.gz" "$W/c.out"
	ok $? "$l: report of the raw recording writes the same bytes (.pb.gz, .pprof, -f pprof to stdout)"
done < <(py_interpreters)
diag "live targets covered: ${covered[*]:-none}"

# --- synthetic recordings ---------------------------------------------------

python3 "$TOP/tests/lib/mkraw.py" empty "$W/e.gilspy" &&
	"$GILSPY" report -q "$W/e.gilspy" -o "$W/e.pb.gz"
ok $? "an empty recording renders to pprof"
pp -top "$W/e.pb.gz" >"$W/e.top" &&
	grep -q 'accounting for 0, 0% of 0 total' "$W/e.top" &&
	python3 "$CHECK" wire "$W/e.pb.gz" >/dev/null
ok $? "go tool pprof reads the empty profile: no samples" ||
	sed 's/^/#   /' "$W/e.top" "$W/pp.err" | head -8

python3 "$TOP/tests/lib/mkraw.py" hostile "$W/h.gilspy" &&
	"$GILSPY" report -q "$W/h.gilspy" -o "$W/h.pb.gz" &&
	python3 "$CHECK" wire "$W/h.pb.gz" >"$W/h.wire"
ok $? "hostile names: every string in the profile is valid UTF-8 ($(cat "$W/h.wire"))"
pp -raw "$W/h.pb.gz" >"$W/h.raw" && pp -top "$W/h.pb.gz" >"$W/h.top" &&
	grep -q 'bad��utf8' "$W/h.top" && grep -q 'été ☃ 🐍' "$W/h.top" &&
	grep -q '<module>' "$W/h.top" && grep -q "L\{4000\}" "$W/h.top" &&
	grep -q 'thread:\[w.rker;1' "$W/h.raw" &&
	grep -q 'gil_state:\[waiting\]' "$W/h.raw"
ok $? "hostile names: go tool pprof lists them (invalid bytes as U+FFFD, <module> kept)" ||
	sed 's/^/#   /' "$W/h.top" "$W/pp.err" | cut -c1-100 | head -12

# 100 000 distinct stacks: the pprof renderer against the collapsed one on
# the same recording (CPU seconds and peak RSS, not wall clock).
python3 "$TOP/tests/lib/mkraw.py" many "$W/m.gilspy"
/usr/bin/time -f '%U %S %M' -o "$W/m.time" \
	"$GILSPY" report -q "$W/m.gilspy" -o "$W/m.pb.gz"
rc=$?
/usr/bin/time -f '%U %S %M' -o "$W/m.ctime" \
	"$GILSPY" report -q "$W/m.gilspy" --no-state-frames -o "$W/m.txt"
read -r pu ps pm <"$W/m.time"
read -r cu cs cm <"$W/m.ctime"
diag "100 000 stacks: pprof ${pu}+${ps} s CPU, ${pm} KB peak; collapsed ${cu}+${cs} s, ${cm} KB"
[ $rc = 0 ] && fcmp "$pm" '<=' "$((cm + 16384))" && fcmp "$pm" '<=' 262144
ok $? "100 000 stacks: peak RSS ${pm} KB, within the collapsed renderer's ${cm} KB + 16 MB"
pcpu=$(awk "BEGIN { print $pu + $ps }")
ccpu=$(awk "BEGIN { print 4 * ($cu + $cs) + 2 }")
fcmp "$pcpu" '<=' "$ccpu"
ok $? "100 000 stacks: CPU $pu+$ps s, within 4x the collapsed renderer's + 2 s"
pp -raw "$W/m.pb.gz" >"$W/m.raw" &&
	python3 "$CHECK" folded "$W/m.raw" | grep -v '^#' >"$W/m.fold" &&
	diff -q "$W/m.fold" "$W/m.txt" >/dev/null &&
	[ "$(wc -l <"$W/m.fold")" = 100000 ]
ok $? "100 000 stacks: go tool pprof -raw has all $(wc -l <"$W/m.fold" 2>/dev/null) of them, as in the collapsed output"

done_testing
