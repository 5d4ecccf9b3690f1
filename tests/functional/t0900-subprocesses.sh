#!/bin/bash
# t0900-subprocesses.sh - record -s follows the worker processes of real
# programs (tests/targets/procs.py), each read with its own layout and GIL:
#  - multiprocessing.Pool(4) with fork, on every interpreter found: each
#    worker's pool_task() under its own process root, holding its own GIL;
#  - on the oldest, a 3.11 and the newest: ProcessPoolExecutor with spawn,
#    forkserver, subprocess.run([sys.executable, ...]), `sh -c 'exec
#    python ...'`, a shell between a parent and its Python grandchild (the
#    shell listed as not Python, the grandchild recorded), a pre-fork
#    http.server loaded from a loopback client, 50 short-lived children in
#    2 s (every one that lived two sample periods is there, and how soon
#    each was first sampled), attach (-p) to a pool already running, with
#    a worker killed mid-record;
#  - a 3.12 parent starting 3.6 by path: each read with its own layout.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"
need_pythons

RATE=100
CHECK="$TOP/tests/functional/t0900-check.py"

# shell_argv LABEL ARGS...: SH_ARGV becomes the command that runs LABEL's
# interpreter with ARGS under sh -c 'exec ...'.
shell_argv() {
	local l=$1
	shift
	case $l in
	*-chroot) SH_ARGV=(chroot "$PYCHROOT" /bin/sh -c "exec /usr/bin/python${l%-chroot} $*") ;;
	*) SH_ARGV=(/bin/sh -c "exec $(py_cmd "$l") $*") ;;
	esac
}

# launch LABEL MODE SECS [ARGS] [--GILSPY-OPTION]: record -s of procs.py in
# launch mode (a last argument starting with -- is gilspy's) into
# $REC_DIR/out.{json,folded}; the script's path as the target sees it in
# $SCRIPT
launch() {
	local l=$1 opt=
	shift
	if [ $# -gt 0 ] && [[ ${!#} == --* ]]; then
		opt=${!#}
		set -- "${@:1:$#-1}"
	fi
	py_workdir "$l"
	cp "$TOP/tests/targets/procs.py" "$TOP/tests/targets/_ready.py" "$PY_HOSTDIR/"
	SCRIPT=$PY_DIR/procs.py
	rm -f "$REC_DIR"/out.*
	# shellcheck disable=SC2046
	# shellcheck disable=SC2086
	timeout 120 "$GILSPY" record -s -r $RATE $opt -o "$REC_DIR/out.json" \
		-o "$REC_DIR/out.folded" -o "$REC_DIR/out.pb.gz" \
		-- $(py_cmd "$l") "$SCRIPT" - "$@" \
		>"$REC_DIR/stdout" 2>"$REC_DIR/err"
}

# check DESC ARGS...: t0900-check.py over the last recording
check() {
	local desc=$1 out
	shift
	out=$(/usr/bin/python3 "$CHECK" "$REC_DIR/out.json" "$REC_DIR/out.folded" "$@" 2>&1)
	ok $? "$desc" || { sed 's/^/#   /' <<<"$out"; sed 's/^/#   err: /' "$REC_DIR/err" | head -20; }
	[ -z "$out" ] || sed 's/^/# /' <<<"$out" | grep '^# note' || true
}

labels=$(py_interpreters)
first=$(head -1 <<<"$labels")
last=$(tail -1 <<<"$labels")
mid=$(grep -m1 '^3\.11' <<<"$labels")
full=$(printf '%s\n' $first $mid $last | awk '!seen[$0]++')

for l in $labels; do
	launch "$l" pool-fork 2 4; rc=$?
	[ $rc = 0 ]
	ok $? "$l: record -s of Pool(4) with fork exits 0" ||
		sed 's/^/#   /' "$REC_DIR/err" | head -20
	check "$l: Pool(4) fork: four workers, each running pool_task under its own process root, holding its own GIL" \
		workers=4 func=pool_task held=80
	if [ "$l" = "$first" ] && command -v go >/dev/null; then
		# pprof: one profile, every sample labelled with its process
		pids=$(jget '" ".join(str(p["pid"]) for p in d["processes"])')
		tags=$(go tool pprof -tags "$REC_DIR/out.pb.gz" 2>&1)
		bad=0
		for p in $pids; do
			grep -Eq "^ +[0-9.]+m?s \( *[0-9.]+%\): $p\$" <<<"$tags" || bad=1
		done
		[ -n "$pids" ] && [ $bad = 0 ]
		ok $? "$l: pprof of a -s recording: a pid label for each process ($pids)" ||
			sed 's/^/#   /' <<<"$tags" | head -30
	fi
	if [ "$l" = "$first" ]; then
		# --threads: the process root first, then the thread
		launch "$l" subprocess 1 - --threads
		awk '{ split($0, f, ";"); if (f[1] !~ /^process [0-9]+ \(/ ||
			f[2] !~ /^thread .* \([0-9]+\)$/) { print; bad = 1 } }
			END { exit bad }' "$REC_DIR/out.folded" >"$REC_DIR/bad" &&
			[ -s "$REC_DIR/out.folded" ]
		ok $? "$l: -s --threads: every stack starts with its process, then its thread" ||
			sed 's/^/#   /' "$REC_DIR/bad" | head -5
		rm -rf "$PY_HOSTDIR"
	fi
	rm -rf "$PY_HOSTDIR"
	diag "covered: $l"
done

for l in $full; do
	launch "$l" pool-spawn 2 2 && check "$l: spawn: two workers run pool_task under their own roots" \
		workers=2 func=pool_task held=80
	rm -rf "$PY_HOSTDIR"
	launch "$l" forkserver 2 2 && check "$l: forkserver: two workers run pool_task under their own roots" \
		workers=2 func=pool_task held=80
	rm -rf "$PY_HOSTDIR"
	launch "$l" subprocess 2 - && check "$l: subprocess.run([sys.executable, ...]): the child's child_work" \
		workers=1 func=child_work held=80
	rm -rf "$PY_HOSTDIR"

	# sh -c 'exec python ...': the root is a shell, then Python
	py_workdir "$l"
	cp "$TOP/tests/targets/procs.py" "$TOP/tests/targets/_ready.py" "$PY_HOSTDIR/"
	rm -f "$REC_DIR"/out.*
	shell_argv "$l" "$PY_DIR/procs.py" - child 1.5
	timeout 60 "$GILSPY" record -s -r $RATE -o "$REC_DIR/out.json" \
		-o "$REC_DIR/out.folded" -- "${SH_ARGV[@]}" >/dev/null 2>"$REC_DIR/err"; rc=$?
	[ $rc = 0 ] && check "$l: sh -c 'exec python ...': child_work recorded once the shell became Python" \
		workers=0 func=child_work held=80 root_func=1 ||
		{ ok 1 "$l: sh -c 'exec python' exits 0 (exit $rc)"; sed 's/^/#   /' "$REC_DIR/err" | head; }
	rm -rf "$PY_HOSTDIR"

	# python -> sh -> python: the shell is watched, listed, not recorded
	launch "$l" shell 1.5 && check "$l: a shell between parent and grandchild: the grandchild recorded, the shell listed as not Python" \
		workers=1 func=child_work held=80 skipped_not_python=1
	rm -rf "$PY_HOSTDIR"

	launch "$l" prefork 2 2 && check "$l: pre-fork http.server: the workers' handlers under their own roots" \
		workers=2 func=handle_request_work
	rm -rf "$PY_HOSTDIR"

	launch "$l" churn 2 50 churn.txt; rc=$?
	cp "$PY_HOSTDIR/churn.txt" "$REC_DIR/churn.txt" 2>/dev/null
	[ $rc = 0 ] && check "$l: 50 children in 2 s: every one that lived two sample periods ($((2000 / RATE)) ms) is there" \
		churn="$REC_DIR/churn.txt" period_ms=$((1000 / RATE))
	rm -rf "$PY_HOSTDIR"

	# attach to a pool already running; kill one worker mid-record
	if py_start "$l" procs.py pool-fork 8 4; then
		pids=$(py_children "$PY_PID" | tr '\n' ' ')
		rm -f "$REC_DIR"/out.*
		"$GILSPY" record -s -p "$PY_PID" -d 3 -r $RATE -o "$REC_DIR/out.json" \
			-o "$REC_DIR/out.folded" >/dev/null 2>"$REC_DIR/err" & g=$!
		sleep 1.2
		victim=$(for p in $pids; do grep -q pool "/proc/$p/cmdline" 2>/dev/null && echo "$p"; done | head -1)
		[ -n "$victim" ] || victim=$(awk '{print $NF}' <<<"$pids")
		kill -9 "$victim" 2>/dev/null
		wait $g; rc=$?
		[ $rc = 0 ]
		ok $? "$l: attach -s to a running Pool(4), a worker killed mid-record: exit 0" ||
			sed 's/^/#   /' "$REC_DIR/err" | head
		check "$l: attach: the four workers there at attach are recorded, the killed one ($victim) kept" \
			workers=4 func=pool_task held=80 has_pid="$victim"
		# the pool replaced the worker killed: its whole tree goes
		py_stop_tree
	else
		ok 1 "$l: procs.py pool-fork starts for the attach test"
	fi
	diag "covered (all modes): $l"
done

# A 3.12 parent starting 3.6 by path: each read with its own layout.
p312=$(py_cmd 3.12.1)
p36=$(py_cmd 3.6.15)
if [ -x "${p312%% *}" ] && [ -x "${p36%% *}" ]; then
	py_workdir 3.12.1
	cp "$TOP/tests/targets/procs.py" "$TOP/tests/targets/_ready.py" "$PY_HOSTDIR/"
	rm -f "$REC_DIR"/out.*
	timeout 60 "$GILSPY" record -s -r $RATE -o "$REC_DIR/out.json" -o "$REC_DIR/out.folded" \
		-- "$p312" "$PY_HOSTDIR/procs.py" - subprocess 1.5 "$p36" >/dev/null 2>"$REC_DIR/err"
	ok $? "3.12 parent starting 3.6: exit 0" || sed 's/^/#   /' "$REC_DIR/err" | head
	check "3.12 parent starting 3.6: both recorded, each with its own version, the child's child_work" \
		workers=1 func=child_work held=80 versions=3.12.1,3.6.15
	rm -rf "$PY_HOSTDIR"
else
	skip "no pyenv 3.12.1 and 3.6.15 for a mixed-version tree"
fi

done_testing
