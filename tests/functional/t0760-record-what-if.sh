#!/bin/bash
# t0760-record-what-if.sh - the what-if prediction against reality: the same
# fixed work is run in threads (recorded by gilspy, which predicts how much
# faster it would run without GIL contention) and in processes (timed), and
# the predicted speedup must be within 25 % of the measured one.  Cases:
# two pure-Python workers, three of them on this machine's cores, one with
# a sleeper beside it (little or no gain), and two workers hashing with the
# GIL released (little gain).  Run on up to three interpreters (the oldest,
# one in the middle and the newest found): it times real work, seconds a
# case.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

cores=$(nproc)

# run_work LABEL MODE KIND [norecord]: start whatif.py; with MODE threads
# (and not norecord), record it into $REC_DIR/out.json.  Sets WORK_S (the
# work's wall time).
run_work() {
	local l=$1 mode=$2 kind=$3 norec=${4:-}
	[ -n "$norec" ] || rm -f "$REC_DIR/out.json"
	py_start "$l" whatif.py "$mode" "$kind" "${WHATIF_SCALE:-1}" || { py_stop; return 1; }
	if [ "$mode" = threads ] && [ -z "$norec" ]; then
		"$GILSPY" record -p "$PY_PID" -r 200 -o "$REC_DIR/out.json" \
			2>"$REC_DIR/err" >/dev/null ||
			{ diag "gilspy record failed:"; sed 's/^/#   /' "$REC_DIR/err"; py_stop; return 1; }
	fi
	wait "$PY_PID" 2>/dev/null
	WORK_S=$(cat "$PY_HOSTDIR/time.txt" 2>/dev/null)
	PY_PID=
	py_stop
	[ -n "$WORK_S" ]
}

all=($(py_interpreters))
n=${#all[@]}
[ "$n" -gt 0 ] || { echo "1..0 # SKIP no Python interpreter found"; exit 0; }
picked=("${all[0]}")
[ "$n" -gt 2 ] && picked+=("${all[$((n / 2))]}")
[ "$n" -gt 1 ] && picked+=("${all[$((n - 1))]}")
diag "$cores cores; interpreters: ${picked[*]}"

for l in "${picked[@]}"; do
	for kind in py2 py3 py1sleep hash2; do
		if ! run_work "$l" threads "$kind"; then
			ok 1 "$l, $kind: threads run recorded"
			continue
		fi
		t_threads=$WORK_S
		# the work's own speedup: the recording also holds the idle
		# moment before the work starts, which no speedup shortens
		pred=$(jget "round((d['what_if']['recorded_s'] - d['what_if']['idle_s']) / max(1e-9, d['what_if']['predicted_s'] - d['what_if']['idle_s']), 3)")
		# This VM's CPUs are shared: a run can only be slowed down by
		# that, never sped up, so each side's time is its best of a few
		# runs (the processes need both CPUs at once, and suffer most),
		# and the two sides take turns, so that a slow spell of the
		# machine falls on both rather than on all the runs of one
		t_procs=
		for i in 1 2 3; do
			if run_work "$l" threads "$kind" norecord; then
				t_threads=$(python3 -c "print(min($t_threads, $WORK_S))")
			fi
			run_work "$l" processes "$kind" || continue
			t_procs=$(python3 -c "print(min(${t_procs:-1e9}, $WORK_S))")
		done
		if [ -z "$t_procs" ]; then
			ok 1 "$l, $kind: processes run"
			continue
		fi
		meas=$(python3 -c "print(round($t_threads / $t_procs, 3))")
		dev=$(python3 -c "print(round(abs($pred / $meas - 1) * 100, 1))")
		fcmp "$dev" '<=' 25
		st=$?
		msg="$l, $kind: predicted speedup ${pred}x, measured ${meas}x (threads $t_threads s, processes $t_procs s): off by $dev %"
		if [ $st != 0 ] && fcmp "$meas" '>' "$(python3 -c "print($cores * 1.05)")"; then
			# more than the cores can give: the threaded run paid
			# the GIL's own switching overhead (seen on 3.6), which
			# the model does not predict (man gilspy-record, What-if)
			ok_or_todo $st "the GIL's switching overhead is not modelled (issue 13)" "$msg"
		else
			ok $st "$msg"
		fi
	done
done
done_testing
