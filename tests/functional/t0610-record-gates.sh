#!/bin/bash
# t0610-record-gates.sh - --fail-if on live recordings: exit 0 when no
# threshold is crossed, 1 when one is (one line each on stderr, after every
# output has been written, with the value the JSON report gives), 2 for a
# malformed expression before anything is recorded; every operator on a
# real value through 'gilspy report'; launch mode, where the command's own
# failure comes first.  On every interpreter found (GILSPY_PYTHONS limits).
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

# grec LABEL SCRIPT [GILSPY OPTIONS...]: record SCRIPT for 0.6 s at 200 Hz;
# the exit status in $rc, stderr in $REC_DIR/err.  Returns 1 only when the
# target could not be started.
grec() {
	local l=$1 script=$2
	shift 2
	py_start "$l" "$script" || { py_stop; return 1; }
	"$GILSPY" record -p "$PY_PID" -d 0.6 -r 200 "$@" \
		2>"$REC_DIR/err" >/dev/null
	rc=$?
	py_stop
	return 0
}

# busy-sample share of STATE over the threads whose name matches GLOB in
# the JSON report FILE, rounded as gilspy prints it
share() {
	/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import fnmatch, json, sys
d = json.load(open(sys.argv[1]))
st = {k: 0 for k in ("held", "waiting", "native", "idle", "running")}
for t in d["threads"]:
    if fnmatch.fnmatchcase(t["name"], sys.argv[3]):
        for k in st:
            st[k] += t["states"][k]
busy = st["held"] + st["waiting"] + st["native"] + st["running"]
v = st[sys.argv[2]] + (st["running"] if sys.argv[2] == "native" else 0)
print("%.1f" % (100.0 * v / busy if busy else 0.0))
PY
}

# Malformed expressions: usage errors before anything is attached to.
bad_expr() {  # bad_expr EXPR EXPECTED-MESSAGE
	rm -f "$REC_DIR/never.json"
	"$GILSPY" record -p 1 -d 5 -o "$REC_DIR/never.json" --fail-if "$1" \
		2>"$REC_DIR/err" >/dev/null
	rc=$?
	[ $rc = 2 ] && [ "$(cat "$REC_DIR/err")" = "$2" ] &&
		[ ! -e "$REC_DIR/never.json" ]
	ok $? "--fail-if '$1': exit 2 (got $rc), one line: $(head -c 200 "$REC_DIR/err")"
}
bad_expr 'waiting 20%' "gilspy: --fail-if: bad expression 'waiting 20%': expected one of > >= < <= == != after 'waiting'"
bad_expr 'held<50%,wait>1' "gilspy: --fail-if: bad expression 'wait>1': unknown metric 'wait' (known: held, waiting, native, idle, utilisation, contention, waiters, switches, errors, samples)"
bad_expr 'samples<10%' "gilspy: --fail-if: bad expression 'samples<10%': 'samples' is a count, not a percentage: drop the '%'"
bad_expr 'waiting[worker>1' "gilspy: --fail-if: bad expression 'waiting[worker>1': missing ']' after the thread name"

# "base" without --baseline: a usage error before anything is launched.
rm -f "$REC_DIR/launched"
"$GILSPY" record -o "$REC_DIR/never.json" --fail-if 'held>20%,waiting>base+5%' \
	-- touch "$REC_DIR/launched" 2>"$REC_DIR/err" >/dev/null
rc=$?
[ $rc = 2 ] && [ ! -e "$REC_DIR/launched" ] && [ ! -e "$REC_DIR/never.json" ] &&
	[ "$(cat "$REC_DIR/err")" = "gilspy: --fail-if: an expression compares with 'base'; give the base branch's JSON report with --baseline BASE.json" ]
ok $? "--fail-if 'waiting>base+5%' without --baseline: exit 2 (got $rc), nothing launched: $(cat "$REC_DIR/err")"
bad_expr 'waiting>base*5%' "gilspy: --fail-if: bad expression 'waiting>base*5%': a factor takes no '%': base*1.2 is 20% more than the base"

need_pythons
first=1
covered=()
for l in $(py_interpreters); do
	D=$REC_DIR/$l
	mkdir -p "$D"

	# 1. nothing crossed: exit 0, no threshold line, outputs written
	if ! grec "$l" spin2.py -o "$D/a.json" -o "$D/a.md" \
		--summary "$D/sum.md" \
		--fail-if 'waiting>99.9%, held[spin-*]<1%' \
		--fail-if 'samples<5' --fail-if 'idle[MainThread]<50%' \
		--fail-if 'errors>50%,contention>100'; then
		ok 1 "$l: start spin2.py"
		continue
	fi
	covered+=("$l")
	[ $rc = 0 ] && ! grep -q 'threshold crossed' "$REC_DIR/err"
	ok $? "$l: no threshold crossed: exit 0 (got $rc) and no threshold line"
	[ -s "$D/a.json" ] && [ -s "$D/a.md" ] && [ -s "$D/sum.md" ]
	ok $? "$l: no threshold crossed: JSON, markdown and summary written"

	# 2. three crossed: exit 1, a line each, everything still written
	grec "$l" spin2.py -o "$D/b.json" -o "$D/b.md" -o "$D/b.txt" \
		-o "$D/b.gilspy" --summary "$D/sum.md" \
		--fail-if 'waiting>1%' \
		--fail-if 'held[spin-a]<=100,utilisation>101' \
		--fail-if 'native[nobody-*]>5'
	[ $rc = 1 ]
	ok $? "$l: thresholds crossed: exit 1 (got $rc)"
	[ "$(grep -c 'threshold crossed' "$REC_DIR/err")" = 3 ]
	ok $? "$l: one line per crossed threshold, none for the others"
	# the lines end stderr, after the line saying what was written
	tail -n 4 "$REC_DIR/err" | head -n 1 | grep -q '; wrote .*b.json (json)'
	ok $? "$l: the threshold lines come after the outputs were written"
	w=$(share "$D/b.json" waiting '*')
	grep -Eq "^gilspy: threshold crossed: waiting $w% > 1% \(all threads\)$" \
		"$REC_DIR/err"
	ok $? "$l: waiting line has the JSON's busy-sample share ($w %): $(grep 'crossed: waiting ' "$REC_DIR/err")"
	h=$(share "$D/b.json" held spin-a)
	tid=$(jget "th('spin-a')['tid']" "$D/b.json")
	grep -Eq "^gilspy: threshold crossed: held\[spin-a\] $h% <= 100% \(thread 'spin-a', tid $tid\)$" \
		"$REC_DIR/err"
	ok $? "$l: selector line names spin-a, its tid and its share ($h %)"
	grep -Eq "^gilspy: threshold crossed: native\[nobody-\*\] > 5%: no thread matches 'nobody-\*' \(threads: 'MainThread', 'spin-a', 'spin-b'\)$" \
		"$REC_DIR/err"
	ok $? "$l: a selector matching no thread is crossed, saying which threads there are"
	[ "$(jget "d['summary']['samples'] > 50" "$D/b.json")" = True ] &&
		head -n 1 "$D/b.md" | grep -q '^### gilspy: ' &&
		[ -s "$D/b.txt" ] && [ -s "$D/b.gilspy" ] &&
		[ "$(grep -c '^### gilspy: ' "$D/sum.md")" = 2 ]
	ok $? "$l: thresholds crossed: JSON, markdown, folded, raw written and the summary appended"
	grep -q "^- \`threshold crossed: waiting $w% > 1% (all threads)\`$" "$D/b.md"
	ok $? "$l: the markdown lists the thresholds crossed"

	# 3. every operator on the real value, through 'gilspy report' on the
	# raw recording of the same run (the same samples, the same figures)
	"$GILSPY" report -q -o "$D/r.json" --fail-if 'waiting>1%' \
		"$D/b.gilspy" 2>"$REC_DIR/rerr" >/dev/null
	rc=$?
	[ $rc = 1 ] && grep -q "threshold crossed: waiting $w% > 1% (all threads)" \
		"$REC_DIR/rerr"
	ok $? "$l: report exits 1 with the same line as record (got $rc)"
	for case in ">=:1" ">:0" "<=:1" "<:0" "==:1" "!=:0"; do
		op=${case%:*}
		want=${case#*:}
		"$GILSPY" report -q -o /dev/null --fail-if "waiting $op $w%" \
			"$D/b.gilspy" 2>"$REC_DIR/rerr" >/dev/null
		rc=$?
		[ $rc = "$want" ]
		ok $? "$l: waiting $op $w% (the value itself) exits $want (got $rc)"
	done
	[ -c /dev/null ]
	ok $? "$l: /dev/null is still a character device"

	# 4. against a baseline: run 1's JSON (the same two spinners) and
	# this run's own JSON, with the values each report gives
	"$GILSPY" report -q -o /dev/null --baseline "$D/b.json" \
		--fail-if 'waiting>base,held[spin-*]<base,switches!=base' \
		"$D/b.gilspy" 2>"$REC_DIR/rerr"
	rc=$?
	[ $rc = 0 ] && [ ! -s "$REC_DIR/rerr" ]
	ok $? "$l: against its own JSON nothing moved: exit 0 (got $rc)" ||
		sed 's/^/#   /' "$REC_DIR/rerr"
	"$GILSPY" report -q -o /dev/null --baseline "$D/b.json" \
		--fail-if 'waiting>=base' "$D/b.gilspy" 2>"$REC_DIR/rerr"
	rc=$?
	[ $rc = 1 ] && [ "$(cat "$REC_DIR/rerr")" = "gilspy: threshold crossed: waiting $w% >= base $w% (all threads)" ]
	ok $? "$l: waiting>=base crosses at equality: $(cat "$REC_DIR/rerr")"
	ha=$(share "$D/a.json" held spin-a)
	lim=$(/usr/bin/python3 -c "print('%.1f' % (float('%.1f' % $ha) + 100))")
	# (shares of one spinner vary by 20 points between short runs: the
	# second gate holds whatever they are, the first unless waiting rose
	# by 40 points)
	"$GILSPY" report -q -o /dev/null --baseline "$D/a.json" \
		--fail-if 'waiting>base+40%' --fail-if 'held[spin-a]<base+100' \
		"$D/b.gilspy" 2>"$REC_DIR/rerr"
	rc=$?
	[ $rc = 1 ] && [ "$(cat "$REC_DIR/rerr")" = "gilspy: threshold crossed: held[spin-a] $h% < base $ha% + 100% = $lim% (thread 'spin-a', tid $tid)" ]
	ok $? "$l: against another run of the same code: waiting within base+40, and a line with both values: $(cat "$REC_DIR/rerr")"

	# 5. launch mode (first interpreter): the command's status comes first
	if [ $first = 1 ]; then
		first=0
		py_workdir "$l"
		cp "$TOP/tests/targets/exit1s.py" "$PY_HOSTDIR/"
		for case in "0:samples<1:0" "0:samples>=10:1" "3:samples>=10:3"; do
			code=${case%%:*}
			rest=${case#*:}
			expr=${rest%:*}
			want=${rest##*:}
			rm -f "$D/l.json"
			# shellcheck disable=SC2046
			"$GILSPY" record -r 200 -o "$D/l.json" --fail-if "$expr" \
				-- $(py_cmd "$l") "$PY_DIR/exit1s.py" "$code" \
				2>"$REC_DIR/err" >/dev/null
			rc=$?
			[ $rc = "$want" ] && [ -s "$D/l.json" ]
			ok $? "$l: launch mode, command exits $code, --fail-if '$expr': exit $want (got $rc), JSON written"
		done
		rm -rf "$PY_HOSTDIR"
		PY_HOSTDIR=
	fi
done
diag "covered: ${covered[*]}"
done_testing
