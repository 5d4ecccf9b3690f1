#!/bin/bash
# t0500-top-batch.sh - `gilspy top --batch` (plain-text frames, no curses) on
# every interpreter found, against a spinner that holds the GIL and a
# sleeper that is idle (tests/targets/spin_sleep.py); then the options that
# change what a frame shows, on one interpreter.
. "$TOP/tests/lib/common.sh"

tmp=$(mktemp -d)
cleanup() { py_stop; rm -rf "$tmp"; }
trap cleanup EXIT

src=$TOP/tests/targets/spin_sleep.py
spin_def=$(grep -n '^def spin' "$src" | cut -d: -f1)
spin_loop=$(grep -n 'x += 1' "$src" | cut -d: -f1)

# The thread row of NAME in the last frame of FILE: "tid state held wait
# native idle blocker share" (blocker and share "-" when it did not wait).
# The columns are at fixed places: tid 1-7, name 10-25, state 27-34, four
# numbers 35-66, blocked by 69-85 (names may hold spaces).
thread_row() {
	awk -v name="$2" '
		/^gilspy top - / { row = "" }
		/^ *TID  THREAD/ { in_t = 1; next }
		/^$/ { in_t = 0 }
		in_t {
			n = substr($0, 10, 16); sub(/ +$/, "", n)
			if (n != name) next
			split(substr($0, 27, 40), f, " ")
			b = substr($0, 69, 17); sub(/ +$/, "", b)
			if (b == "-") b = "- -"
			else sub(/ +/, " ", b)
			row = substr($0, 2, 6) + 0 " " f[1] " " f[2] " " f[3] " " f[4] " " f[5] " " b
		}
		END { print row }' "$1"
}

# The function row whose label is LABEL in the last frame: "own total held wait".
func_row() {
	awk -v label="$2" '
		/^gilspy top - / { row = "" }
		/^FUNCTIONS/ { in_f = 1; next }
		/^$/ { in_f = 0 }
		in_f && substr($0, 31) == label { row = $1 " " $2 " " $3 " " $4 }
		END { print row }' "$1"
}

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

need_pythons
covered=()
first=
for py in $(py_interpreters); do
	if ! py_start "$py" spin_sleep.py; then
		ok 1 "$py: target starts"
		py_stop
		continue
	fi
	out=$tmp/$py.txt
	# (--all-threads: the sleeper may have no busy sample in a short
	# window, and would be folded with main into "2 idle threads")
	"$GILSPY" top -p "$PY_PID" --batch -n 2 -i 0.5 --all-threads >"$out" 2>"$tmp/err"
	st=$?
	frames=$(grep -c '^gilspy top - ' "$out")
	# stderr: nothing, or that the sampler fell behind (a busy machine)
	[ "$st" = 0 ] && [ "$frames" = 2 ] &&
		! grep -qv '^gilspy: falling behind' "$tmp/err"
	ok $? "$py: --batch -n 2 writes two frames and exits 0" ||
		{ sed 's/^/#   /' "$tmp/err" | head -5; }

	gil=$(sed -n 's/^GIL held *\([0-9.]*\)%.*/\1/p' "$out" | tail -1)
	grep -q "Python ${py%%[-d]*}" "$out" && ge "$gil" 80 &&
		grep -Eq '^window: last .*sampling [0-9.]+ Hz .*errors [0-9]+' "$out" &&
		grep -Eq 'contention +[0-9.]+% of ticks \(mean [0-9.]+ waiting\) +switches [0-9.]+/s +interval 5\.0 ms' "$out"
	ok $? "$py: header: version, rate, errors, GIL held ${gil:-?}% >= 80, contention, switches, interval" ||
		sed -n '1,4s/^/#   /p' "$out"

	read -r tid state held _ _ _ _ <<<"$(thread_row "$out" spinner)"
	[ -n "$tid" ] && ge "$held" 80 && [ "$state" = held ]
	ok $? "$py: spinner row: held ${held:-?}% >= 80, state ${state:-?}"
	# (on a loaded machine a sleeper that has woken up waits to be
	# scheduled and counts as native: the bounds leave room for that)
	read -r tid state held _ _ idle _ <<<"$(thread_row "$out" sleeper)"
	[ -n "$tid" ] && ge "$idle" 30 && ge 20 "$held"
	ok $? "$py: sleeper row: idle ${idle:-?}% >= 30, held ${held:-?}% <= 20"

	read -r own total held _ <<<"$(func_row "$out" "spin (spin_sleep.py:$spin_def)")"
	[ -n "$own" ] && ge "$own" 50 && ge "$held" 50 && ge "$total" "$own" &&
		awk '/^FUNCTIONS/ { getline; getline; print; exit }' "$out" |
		grep -q '  spin (spin_sleep.py'
	ok $? "$py: functions: spin first, %Own ${own:-?} %Held ${held:-?} >= 50" ||
		sed -n '/^FUNCTIONS/,/^$/s/^/#   /p' "$out" | tail -8
	[ -z "$first" ] && [[ $py != *chroot* ]] && first=$py
	covered+=("$py")
	py_stop
done
diag "interpreters covered: ${covered[*]:-none}"
[ ${#covered[@]} -gt 0 ]
ok $? "found at least one python interpreter"

# --- options, on one interpreter --------------------------------------------
if [ -z "$first" ]; then
	skip "no host interpreter for the option tests"
	done_testing
	exit
fi
py=$first
py_start "$py" spin_sleep.py || { ok 1 "$py: target starts"; done_testing; exit; }
"$GILSPY" top -p "$PY_PID" --once -i 0.4 --all-threads >"$tmp/once" 2>&1
ok $? "--once exits 0"
[ "$(grep -c '^gilspy top - ' "$tmp/once")" = 1 ]
ok $? "--once writes one frame"
stid=$(thread_row "$tmp/once" sleeper | cut -d' ' -f1)

"$GILSPY" top -p "$PY_PID" -n 1 -i 0.4 -L >"$tmp/lines" 2>&1
grep -q "^FUNCTIONS  by line" "$tmp/lines" &&
	[ -n "$(func_row "$tmp/lines" "spin (spin_sleep.py:$spin_loop)")" ]
ok $? "-L: line-level rows (spin at its loop, line $spin_loop)"

"$GILSPY" top -p "$PY_PID" -n 1 -i 0.4 --nolineno >"$tmp/nol" 2>&1
[ -n "$(func_row "$tmp/nol" "spin (spin_sleep.py)")" ] &&
	! grep -q 'spin_sleep.py:[0-9]' "$tmp/nol"
ok $? "--nolineno: no line numbers"

"$GILSPY" top -p "$PY_PID" -n 1 -i 0.6 --idle -L >"$tmp/idle" 2>&1
"$GILSPY" top -p "$PY_PID" -n 1 -i 0.6 -L >"$tmp/noidle" 2>&1
grep -q 'idle included' "$tmp/idle" && grep -q '^ .*  nap (spin_sleep.py:' "$tmp/idle" &&
	grep -q 'idle excluded' "$tmp/noidle"
ok $? "--idle: idle samples (the sleeper in time.sleep) are counted"

"$GILSPY" top -p "$PY_PID" -n 1 -i 0.6 --idle -t "$stid" >"$tmp/thr" 2>&1
grep -q "thread sleeper ($stid)" "$tmp/thr" && grep -q '  nap (spin_sleep.py' "$tmp/thr" &&
	! grep -q '  spin (spin_sleep.py' "$tmp/thr"
ok $? "-t TID: the functions pane has that thread only" ||
	sed -n '/^FUNCTIONS/,/^$/s/^/#   /p' "$tmp/thr"

"$GILSPY" top -p "$PY_PID" -n 1 -i 0.3 -o waiting --cumulative >"$tmp/sort" 2>&1
grep -q 'sorted by %Wait' "$tmp/sort" && grep -q '^window: cumulative' "$tmp/sort"
ok $? "--sort waiting and --cumulative show in the frame"

"$GILSPY" top -p "$PY_PID" -b -i 0.2 2>"$tmp/err" | head -3 >"$tmp/head"
st=${PIPESTATUS[0]}
[ "$st" = 0 ] && [ "$(wc -l <"$tmp/head")" = 3 ] &&
	! grep -qv '^gilspy: falling behind' "$tmp/err"
ok $? "a closed pipe ends --batch quietly (exit $st)"

# The target exits while top runs: the last frame says so, exit 0.
# (bash's "Killed" notice for the target's job is kept off stderr)
exec 3>&2 2>/dev/null
( sleep 0.8; kill -9 "$PY_PID" ) &
killer=$!
"$GILSPY" top -p "$PY_PID" -b -i 0.5 >"$tmp/gone" 2>&1
st=$?
wait "$killer"
wait "$PY_PID"
exec 2>&3 3>&-
[ "$st" = 0 ] && tail -n 30 "$tmp/gone" | grep -q '^process exited'
ok $? "target exit: a last frame saying 'process exited', exit 0 (exit $st)"
py_stop

# Blame in a frame: a GIL hog (100 ms sorted() calls) keeps spin waiting.
py_start "$py" hog.py 100 || { ok 1 "$py: hog.py starts"; done_testing; exit; }
"$GILSPY" top -p "$PY_PID" -n 1 -i 2 >"$tmp/hog" 2>&1
read -r _ _ _ _ _ _ by share <<<"$(thread_row "$tmp/hog" spin)"
[ "$by" = hog ] && ge "${share%\%}" 50 &&
	grep -Eq '^threads 3 now: [0-9]+ held, [0-9]+ waiting, [0-9]+ native, [0-9]+ idle$' "$tmp/hog"
ok $? "hog: spin is blocked by ${by:-?} ${share:-?}, the header counts threads per state" ||
	sed -n '1,10s/^/#   /p' "$tmp/hog"
"$GILSPY" top -p "$PY_PID" -n 1 -i 2 --blame >"$tmp/blame" 2>&1
first=$(grep -A2 '^BLAME' "$tmp/blame" | tail -1)
[[ $first =~ ^\ +[0-9.]+\ +[0-9]+\ +spin:\ spin\ \(hog\.py:[0-9]+\)\ +\<-\ +hog:\ hog_loop\ \(hog\.py:[0-9]+\)$ ]] &&
	grep -q '^BLAME  waiting caused by, most first, all threads, [0-9]* waiting samples$' "$tmp/blame" &&
	! grep -q '^FUNCTIONS' "$tmp/blame"
ok $? "--blame: the blame table instead of the functions, spin <- hog first" ||
	sed -n '/^BLAME/,$s/^/#   /p' "$tmp/blame" | head -8
py_stop

# Hundreds of threads: 500, 2 of them spinning.
py_start "$py" many_threads.py || { ok 1 "$py: many_threads.py starts"; done_testing; exit; }
"$GILSPY" top -p "$PY_PID" -n 1 -i 1 >"$tmp/many" 2>/dev/null
pane=$(sed -n '/^ *TID  THREAD/,/^$/p' "$tmp/many")
[ "$(sed -n '2,3p' <<<"$pane" | awk '{ print $2 }' | sort | tr '\n' ' ')" = "spin-a spin-b " ] &&
	sed -n 4p <<<"$pane" | grep -Eq '^ +\+ +[0-9]+ idle threads +idle +no busy sample in the window \(--all-threads lists them\)$' &&
	[ "$(wc -l <<<"$pane")" = 4 ] &&
	grep -Eq '^threads [0-9]+\+? now: [0-9]+ held, [0-9]+ waiting, [0-9]+ native, [0-9]{3} idle' "$tmp/many"
ok $? "500 threads: the spinners first, the idle ones one row, counts per state" ||
	sed -n '1,12s/^/#   /p' "$tmp/many"
"$GILSPY" top -p "$PY_PID" -n 1 -i 1 --all-threads >"$tmp/all" 2>/dev/null
n=$(sed -n '/^ *TID  THREAD/,/^$/p' "$tmp/all" | grep -Ec '^ +[0-9]+  idle[0-9]+ ')
ge "$n" 200 && ! grep -q 'idle threads' "$tmp/all"
ok $? "--all-threads: every idle thread has its row ($n)"
py_stop

# Launch mode: gilspy starts the command and ends it with the view.
py_workdir "$py"
cp "$src" "$TOP/tests/targets/_ready.py" "$PY_HOSTDIR/"
# shellcheck disable=SC2046
# (the ready-file argument matters: older _ready.py renamed over
# /dev/null)
timeout 20 "$GILSPY" top -n 2 -i 0.5 -- $(py_cmd "$py") "$PY_DIR/spin_sleep.py" \
	"$PY_DIR/ready" >"$tmp/launch" 2>"$tmp/err"
st=$?
[ "$st" = 0 ] && [ "$(grep -c '^gilspy top - ' "$tmp/launch")" = 2 ] &&
	grep -q "spin_sleep.py $PY_DIR/ready$" <(head -1 "$tmp/launch") &&
	[ -n "$(func_row "$tmp/launch" "spin (spin_sleep.py:$spin_def)")" ] &&
	! pgrep -f "$PY_DIR/spin_sleep.py" >/dev/null
ok $? "launch mode: frames of the command, which ends with top (exit $st)" ||
	sed 's/^/#   /' "$tmp/err" | head -5
rm -rf "$PY_HOSTDIR"
PY_HOSTDIR=
done_testing
