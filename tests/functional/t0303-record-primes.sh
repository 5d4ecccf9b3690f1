#!/bin/bash
# t0303-record-primes.sh - the GIL lab's workload: primes below 200 000 with
# 4 threads (the summary shows contention: someone waits most of the time)
# and with 4 processes (`-p` on one worker: no contention), every
# interpreter found.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

need_pythons
covered=()
for l in $(py_interpreters); do
	if ! rec "$l" primes.py 0.7 300 -- threads; then
		ok 1 "$l: record primes with threads"
		continue
	fi
	cont=$(jget "d['summary']['contention_pct']")
	mw=$(jget "d['summary']['mean_waiters']")
	fcmp "$cont" '>=' 50
	ok $? "$l: 4 threads: a thread waits for the GIL in most samples ($cont %, mean $mw waiting)"
	# The summary on stderr says the same as the JSON: the figures read
	# from this process, not just the word.
	read -r tcont tmw < <(sed -n 's/^  contention *\([0-9.]*\) % of samples had a waiter, mean \([0-9.]*\) waiting$/\1 \2/p' "$REC_DIR/err")
	[ -n "$tcont" ] && [ -n "$tmw" ] && [ "$(jget "abs($tcont - d['summary']['contention_pct']) <= 0.051 and abs($tmw - d['summary']['mean_waiters']) <= 0.0051")" = True ]
	ok $? "$l: the summary reports that contention: '${tcont:-?} % ... mean ${tmw:-?} waiting' (JSON $cont %, $mw)" ||
		grep -i 'contention' "$REC_DIR/err" | sed 's/^/#   /'

	# processes: record one worker (not the parent, which only sleeps)
	if ! py_start "$l" primes.py procs; then
		ok 1 "$l: start primes with processes"
		py_stop
		continue
	fi
	worker=$(cut -d' ' -f1 "$PY_HOSTDIR/ready.workers")
	"$GILSPY" record -p "$worker" -d 0.7 -r 300 -o "$REC_DIR/out.json" \
		2>"$REC_DIR/err" >/dev/null
	ok $? "$l: record one worker process (pid $worker)"
	py_stop
	cont=$(jget "d['summary']['contention_pct']")
	busy=$(jget "d['threads'][0]['pct']['held'] + d['threads'][0]['pct']['native']")
	fcmp "$cont" '<=' 5
	ok $? "$l: 4 processes: no contention in a worker ($cont %)"
	# 3.6 creates the GIL only when a thread starts: a worker that
	# never started one runs without a GIL (native), later versions
	# hold it.
	fcmp "$busy" '>=' 90
	ok $? "$l: 4 processes: the worker runs all the time ($busy % held or native)"
	covered+=("$l")
done
diag "covered: ${covered[*]}"
done_testing
