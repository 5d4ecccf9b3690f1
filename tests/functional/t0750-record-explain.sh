#!/bin/bash
# t0750-record-explain.sh - blame and GIL holds read from live processes:
# a thread keeping the GIL through long C calls is charged with the other
# thread's waiting, and its holds match the call lengths the target timed
# itself; two fair spinners blame each other and hold the GIL as long as
# they time themselves holding it (about a switch interval on a quiet
# machine); a replay of the raw recording gives the same answers.  Every
# interpreter found.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

# Record the hog making calls of about MS ms: $REC_DIR/out.json, out.gilspy
# and truth.txt (the calls' lengths, timed by the target while recorded).
record_hog() {
	local l=$1 ms=$2
	rm -f "$REC_DIR"/out.* "$REC_DIR/truth.txt"
	py_start "$l" hog.py "$ms" || { py_stop; return 1; }
	: >"$PY_HOSTDIR/holds.txt"
	"$GILSPY" record -p "$PY_PID" -d 2 -r 1000 -o "$REC_DIR/out.json" \
		-o "$REC_DIR/out.gilspy" 2>"$REC_DIR/err" >/dev/null
	local rc=$?
	cp "$PY_HOSTDIR/holds.txt" "$REC_DIR/truth.txt"
	py_stop
	[ $rc = 0 ] || { diag "gilspy record failed ($rc):"; sed 's/^/#   /' "$REC_DIR/err"; }
	return $rc
}

# hold(THREAD, KEY): a field of the first holds row of THREAD (-1 if none)
HOLD="(lambda t, k: next((h[k] for h in d['holds'] if h['thread'] == t), -1))"

check_hog() {
	local l=$1 ms=$2 got n over calls
	truth=$(sort -n "$REC_DIR/truth.txt" |
		awk '{a[NR]=$1} END {print NR ? a[int((NR+1)/2)] : -1}')
	got=$(jget "$HOLD('hog', 'p50_ms')")
	n=$(jget "$HOLD('hog', 'count')")
	over=$(jget "$HOLD('hog', 'over_interval')")
	ivl=$(jget "d['summary']['switch_interval_us'] / 1000.0")
	fcmp "$n" '>=' 5
	ok $? "$l, ${ms} ms calls: the hog's holds are found ($n holds)"
	# one hold per call: the target lets the GIL go only when forced to,
	# right after a call (a hold between two calls would be one the
	# calls do not time, and pull the p50 below them: issue 13); the
	# calls cut by the ends of the recording may add two
	fcmp "$n" '<=' "$(($(wc -l <"$REC_DIR/truth.txt") + 2))"
	ok $? "$l, ${ms} ms calls: one hold per call ($n holds, $(wc -l <"$REC_DIR/truth.txt") calls timed in-process)"
	fcmp "$(python3 -c "print(abs($got - $truth) - max(5, 0.25 * $truth))")" '<=' 0
	ok $? "$l, ${ms} ms calls: hold p50 $got ms matches the calls timed in-process (p50 $truth ms)"
	# 20 ms calls are only four intervals long: their length is checked
	# above; "far above" is for the longer ones, when the target managed
	# to make them long (its calibration runs on a machine that may be
	# busy)
	[ "$ms" -ge 50 ] || return 0
	if fcmp "$truth" '<' "$(python3 -c "print(6 * $ivl)")"; then
		skip "$l, ${ms} ms calls came out at $truth ms: too short to be far above the interval"
	else
		fcmp "$got" '>' "$(python3 -c "print(3 * $ivl)")"
		ok $? "$l, ${ms} ms calls: hold p50 $got ms is far above the switch interval ($ivl ms)"
	fi
	# every call is a hold over the interval; a call cut by the start or
	# the end of the recording may be seen shorter
	calls=$(awk -v i="$ivl" '$1 > i' "$REC_DIR/truth.txt" | wc -l)
	# (and one seen by a single sample, when gilspy itself waited for a
	# CPU on a busy machine, has no span to be over anything with)
	fcmp "$over" '>=' "$(python3 -c "print(0.8 * $calls - 1)")" &&
		fcmp "$over" '<=' "$((calls + 1))"
	ok $? "$l, ${ms} ms calls: $over holds over the interval, for $calls such calls timed in-process"
}

covered=()
first=1
for l in $(py_interpreters); do
	if ! record_hog "$l" 50; then
		ok 1 "$l: record the hog"
		continue
	fi
	covered+=("$l")
	top=$(jget "'%s <- %s %s' % (d['blame'][0]['waiter']['thread'], d['blame'][0]['holder']['thread'], d['blame'][0]['holder']['function'].split(' ')[0])")
	share=$(jget "d['blame'][0]['share']")
	[ "$top" = "spin <- hog hog_loop" ]
	ok $? "$l: the spinner's waiting is charged to the hog's hog_loop ($top)"
	fcmp "$share" '>=' 0.5
	ok $? "$l: ... for most of the waiting (share $share)"
	check_hog "$l" 50
	spin=$(jget "$HOLD('spin', 'p50_ms')")
	hog=$(jget "$HOLD('hog', 'p50_ms')")
	if fcmp "$truth" '<' "$(python3 -c "print(6 * $ivl)")"; then
		skip "$l: the hog's calls came out at $truth ms, too short to compare with the spinner's holds"
	else
		fcmp "$spin" '<' "$(python3 -c "print($hog / 2)")"
		ok $? "$l: the spinner's holds are short (p50 $spin ms) beside the hog's ($hog ms)"
	fi

	# the same answers from the raw recording
	"$GILSPY" report "$REC_DIR/out.gilspy" -o "$REC_DIR/replay.json" 2>"$REC_DIR/err"
	python3 - "$REC_DIR/out.json" "$REC_DIR/replay.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for k in ("blame", "holds", "what_if", "holds_resolution_ms"):
    if a[k] != b[k]:
        print("# %s differs:\n#   record %s\n#   report %s" % (k, a[k], b[k]))
        sys.exit(1)
PY
	ok $? "$l: report of the raw recording gives the same blame, holds and what-if"

	if [ $first = 1 ]; then
		first=0
		for ms in 20 100; do
			if record_hog "$l" $ms; then
				check_hog "$l" $ms
			else
				ok 1 "$l: record the hog at $ms ms"
			fi
		done
	fi

	# two fair spinners that time their own holds
	rm -f "$REC_DIR"/out.*
	if ! py_start "$l" fair2.py; then
		py_stop
		ok 1 "$l: start two spinners"
		continue
	fi
	rm -f "$PY_HOSTDIR"/holds-*.txt
	"$GILSPY" record -p "$PY_PID" -d 2 -r 1000 -o "$REC_DIR/out.json" \
		2>"$REC_DIR/err" >/dev/null
	ok $? "$l: record two spinners" || sed 's/^/#   /' "$REC_DIR/err"
	sleep 0.3	# each spinner writes its holds every 50
	for t in spin-a spin-b; do
		cp "$PY_HOSTDIR/holds-$t.txt" "$REC_DIR/truth-$t.txt" 2>/dev/null
	done
	py_stop
	pair=$(jget "sorted('%s<-%s' % (r['waiter']['thread'], r['holder']['thread']) for r in d['blame'][:2])")
	[ "$pair" = "['spin-a<-spin-b', 'spin-b<-spin-a']" ]
	ok $? "$l: two spinners blame each other ($pair)"
	for i in 0 1; do
		s=$(jget "d['blame'][$i]['share']")
		fcmp "$s" '>=' 0.25 && fcmp "$s" '<=' 0.75
		ok $? "$l: blame is split between them (row $i: share $s)"
	done
	ivl=$(jget "d['summary']['switch_interval_us'] / 1000.0")
	for t in spin-a spin-b; do
		p50=$(jget "$HOLD('$t', 'p50_ms')")
		truth=$(sort -n "$REC_DIR/truth-$t.txt" 2>/dev/null |
			awk '{a[NR]=$1} END {print NR ? a[int((NR+1)/2)] : -1}')
		# A thread handed the GIL holds it from then on, but only runs
		# (and starts its own clock) once the OS gives it a CPU: on a
		# busy machine gilspy's holds are that much longer.
		fcmp "$truth" '>' 0 && fcmp "$p50" '>=' "$(python3 -c "print(0.5 * $truth)")" &&
			fcmp "$p50" '<=' "$(python3 -c "print(1.5 * $truth + 3)")"
		ok $? "$l: $t holds the GIL $p50 ms at a time (p50), as it timed itself ($truth ms; switch interval $ivl ms)"
	done
done
[ ${#covered[@]} -gt 0 ] || { echo "1..0 # SKIP no Python interpreter found"; exit 0; }
diag "covered: ${covered[*]}"
done_testing
