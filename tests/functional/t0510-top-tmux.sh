#!/bin/bash
# t0510-top-tmux.sh - the interactive `gilspy top`, driven through tmux: on
# two spinners sharing the GIL (tests/targets/spin2.py) the header shows
# contention, both spinners show held and waiting percentages, the functions
# pane names spin(); keys change the screen; and every way out (q, the
# target exiting then q, SIGTERM, Ctrl-C) gives the terminal back: alternate
# screen left, cursor shown, stty modes as they were, exit status 0.
# Then blame on a GIL hog (hog.py: spin is blocked by hog, the blame view
# lists spin <- hog first) and 500 threads of which 2 are busy
# (many_threads.py: busy ones on top, idle ones folded, a lists them).
. "$TOP/tests/lib/common.sh"

if ! command -v tmux >/dev/null; then
	skip "tmux is not installed (.ci/run installs it)"
	done_testing
	exit
fi
py=$(py_interpreters | grep -v chroot | head -1)
if [ -z "$py" ]; then
	skip "no host interpreter (spin2.py names its threads through /proc)"
	done_testing
	exit
fi

tmp=$(mktemp -d)
sock=gilspy-t0510-$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() { T kill-server 2>/dev/null; py_stop; rm -rf "$tmp"; }
trap cleanup EXIT

T new-session -d -s top -x 120 -y 40 "env PS1='$ ' bash --norc --noprofile" ||
	{ ok 1 "tmux starts a session"; done_testing; exit; }
T set-option -g status off >/dev/null
screen() { T capture-pane -p -t top; }
send() { T send-keys -t top "$@"; }
run() { send "$*" Enter; }
pane() { T display-message -p -t top "#{$1}"; }
wait_for() {  # wait_for REGEX [SECONDS]: the screen shows REGEX
	local _
	for _ in $(seq 1 $((${2:-5} * 10))); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
wait_gone() {  # wait_gone REGEX [SECONDS]: the screen stops showing REGEX
	local _
	for _ in $(seq 1 $((${2:-5} * 10))); do
		screen | grep -Eq -- "$1" || return 0
		sleep 0.1
	done
	return 1
}
wait_file() {  # wait_file PATH [SECONDS]
	local _
	for _ in $(seq 1 $((${2:-5} * 10))); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
show() { screen | sed 's/^/#   /' | head -"${1:-40}"; }

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# Start `gilspy top ARGS` in the pane; its exit status and the terminal
# modes afterwards land in files.
start_top() {
	rm -f "$tmp/exit" "$tmp/stty.after"
	run "clear; $GILSPY top $*; echo \$? >$tmp/exit.tmp; stty -g >$tmp/stty.after; mv $tmp/exit.tmp $tmp/exit"
}

# After top ended: status 0, out of the alternate screen, cursor on,
# terminal modes as before.
restored() {  # restored DESCRIPTION
	local st
	wait_file "$tmp/exit" 5
	st=$(cat "$tmp/exit" 2>/dev/null)
	[ "$st" = 0 ] && [ "$(pane alternate_on)" = 0 ] &&
		[ "$(pane cursor_flag)" = 1 ] &&
		cmp -s "$tmp/stty.before" "$tmp/stty.after"
	ok $? "$1: exit ${st:-?}, alternate screen left, cursor shown, stty modes restored" ||
		{ diag "alternate_on=$(pane alternate_on) cursor=$(pane cursor_flag)"; show 10; }
}

run "stty -g >$tmp/stty.before"
wait_file "$tmp/stty.before"

# --- the view, and keys --------------------------------------------------
py_start "$py" spin2.py || { ok 1 "$py: target starts"; done_testing; exit; }
start_top -p "$PY_PID" -i 0.5
wait_for 'spin \(spin2\.py:[0-9]+\)' 10 && wait_for 'window: last [2-9]s' 10
ok $? "$py: the view comes up and names spin() in the functions pane" || show
[ "$(pane alternate_on)" = 1 ]
ok $? "the view is on the alternate screen"
screen >"$tmp/s1"

cont=$(sed -n 's/.*contention *\([0-9.]*\)% of ticks (mean \([0-9.]*\) waiting.*/\1/p' "$tmp/s1")
ge "$cont" 20 && grep -Eq 'GIL held +[0-9.]+%' "$tmp/s1" &&
	grep -Eq 'sampling [0-9.]+ Hz' "$tmp/s1" && grep -Eq 'switches [0-9.]+/s' "$tmp/s1"
ok $? "header shows contention (${cont:-?}% of ticks >= 20), GIL held, rate, switches" ||
	sed -n '1,5s/^/#   /p' "$tmp/s1"

for name in spin-a spin-b; do
	row=$(grep -E "^[ >] *[0-9]+  $name " "$tmp/s1")
	# tid name state held wait native idle bar
	read -r _ _ state held wait _ <<<"${row#>}"
	[ -n "$row" ] && ge "$held" 20 && ge "$wait" 5 &&
		[[ $state =~ ^(held|waiting|native)$ ]]
	ok $? "$name: a row with held ${held:-?}% and waiting ${wait:-?}%, state ${state:-?}" ||
		grep -A4 'TID  THREAD' "$tmp/s1" | sed 's/^/#   /'
done

send 4
wait_for 'sorted by %Wait' 3
ok $? "key 4 sorts by %Wait"
# the pane's rows: the busy spinners first, then main (idle)
nth_row() { screen | sed -n '/^ *TID  THREAD/,/^$/p' | sed -n "$(($1 + 1))p"; }
send t
wait_for '^> *[0-9]+ ' 3 && wait_for 'FUNCTIONS .*thread .* \([0-9]+\)' 3 &&
	nth_row 1 | grep -Eq '^> *[0-9]+  spin-[ab] '
ok $? "key t filters to the first thread of the pane, a spinner (marked)" || show 20
marked2() {
	local _
	for _ in $(seq 1 30); do
		nth_row 2 | grep -Eq '^> *[0-9]+  spin-[ab] ' && return 0
		sleep 0.1
	done
	return 1
}
send t
marked2 && wait_for "thread $(nth_row 2 | sed 's/^>//' | awk '{ print $2 }') \\([0-9]+\\)" 3 &&
	wait_for '  spin \(spin2\.py' 3
ok $? "key t again: the next thread, the other spinner, and its function" || show 20
send T T
wait_for 'sorted by %Wait, all threads' 3
ok $? "key T goes back to all threads"
send L
wait_for 'by line' 3 && wait_for "spin \\(spin2\\.py:$(grep -n 'x += 1' "$TOP/tests/targets/spin2.py" | cut -d: -f1)\\)" 3
ok $? "key L: line-level rows"
send p
wait_for '\[paused' 3
ok $? "key p pauses"
send p
wait_gone '\[paused' 3
ok $? "key p again resumes"
send w
wait_for '^window: cumulative' 3
ok $? "key w: cumulative window"
send r
wait_for 'counters reset' 3
ok $? "key r resets"
send '?'
wait_for '^States:' 3
ok $? "key ? shows the help"
send x
wait_gone '^States:' 3 && wait_for '^FUNCTIONS' 3
ok $? "any key leaves the help"

T resize-window -t top -x 80 -y 24
sleep 0.8
screen >"$tmp/small"
[ "$(wc -L <"$tmp/small")" -le 80 ] && tail -1 "$tmp/small" | grep -q '^q quit' &&
	grep -q '^FUNCTIONS' "$tmp/small"
ok $? "a resize to 80x24 redraws to fit, key bar on the last line" || show 24
T resize-window -t top -x 120 -y 40
sleep 0.3

send q
restored "q"

# --- the target exits: the last data stays, 'process exited' -----------
start_top -p "$PY_PID" -i 0.5
wait_for 'spin \(spin2\.py' 10
kill -9 "$PY_PID"
wait "$PY_PID" 2>/dev/null
wait_for 'process exited' 5 && screen | grep -q 'spin-a' && screen | grep -q '  spin (spin2\.py'
ok $? "target exit: 'process exited' with the last data still on screen" || show 20
sleep 0.5
[ ! -s "$tmp/exit" ]
ok $? "... and top waits for q"
send q
restored "q after the target exited"
py_stop

# --- signals -------------------------------------------------------------
py_start "$py" spin2.py || { ok 1 "$py: target starts"; done_testing; exit; }
start_top -p "$PY_PID" -i 0.5
wait_for 'spin \(spin2\.py' 10
gpid=$(pgrep -f "top -p $PY_PID -i 0.5" | head -1)
[ -n "$gpid" ] && kill -TERM "$gpid"
restored "SIGTERM"

start_top -p "$PY_PID" -i 0.5
wait_for 'spin \(spin2\.py' 10
send C-c
restored "Ctrl-C (SIGINT)"
kill -0 "$PY_PID"
ok $? "the attached target runs on after top ends"
py_stop

# --- launch mode: the command ends with the view -------------------------
py_workdir "$py"
cp "$TOP/tests/targets/spin2.py" "$TOP/tests/targets/_ready.py" "$PY_HOSTDIR/"
# (the ready-file argument matters: older _ready.py renamed over
# /dev/null)
start_top -i 0.5 -- "$(py_cmd "$py")" "$PY_DIR/spin2.py" "$PY_DIR/ready"
wait_for 'spin \(spin2\.py' 10 && wait_for "pid [0-9]+ - Python [0-9.]+ - .*python" 2
ok $? "launch mode: the view of the command gilspy started" || show 10
send q
restored "q in launch mode"
sleep 0.3
! pgrep -f "$PY_DIR/spin2.py" >/dev/null
ok $? "launch mode: the command ended with the view"
rm -rf "$PY_HOSTDIR"
PY_HOSTDIR=

# --- blame: a GIL hog (tests/targets/hog.py) ------------------------------
# hog keeps the GIL in 100 ms sorted() calls, spin waits for it: spin's
# row is blocked by hog, and the blame view lists spin <- hog first.  (The
# calls are long so that spin's waiting outweighs hog's by far even on a
# loaded machine, where hog's calibration comes out short and a thread
# woken to take the GIL waits for a CPU too.)
py_start "$py" hog.py 100 || { ok 1 "$py: hog.py starts"; done_testing; exit; }
start_top -p "$PY_PID" -i 0.5
wait_for 'window: last [3-9]s' 10
screen >"$tmp/hog"
row=$(grep -E '^[ >] *[0-9]+  spin ' "$tmp/hog")
# tid name state held wait native idle blocker share bar
read -r _ _ _ _ _ _ _ by share _ <<<"${row#>}"
[ "$by" = hog ] && ge "${share%\%}" 50
ok $? "spin's row: blocked by ${by:-?} ${share:-?} (hog, >= 50%)" ||
	grep -A4 'TID  THREAD' "$tmp/hog" | sed 's/^/#   /'
grep -Eq '^ +TID +THREAD +STATE .* BLOCKED BY' "$tmp/hog" &&
	grep -Eq '^threads 3 now: [0-9]+ held, [0-9]+ waiting, [0-9]+ native, [0-9]+ idle' "$tmp/hog"
ok $? "the threads pane has a BLOCKED BY column, the header counts threads per state" ||
	sed -n '1,8s/^/#   /p' "$tmp/hog"
send b
wait_for '^BLAME  waiting caused by' 3
screen >"$tmp/blame"
first=$(grep -A2 '^BLAME' "$tmp/blame" | tail -1)
[[ $first =~ ^\ +[0-9.]+\ +[0-9]+\ +spin:\ spin\ \(hog\.py:[0-9]+\)\ +(←|<-)\ +hog:\ hog_loop\ \(hog\.py:[0-9]+\)$ ]] &&
	! grep -q '^FUNCTIONS' "$tmp/blame"
ok $? "key b: the blame view, spin <- hog first" ||
	sed -n '/^BLAME/,$s/^/#   /p' "$tmp/blame" | head -8
send '?'
wait_for '^  b  ' 3 && wait_for '^  a  ' 3
ok $? "the help has the keys b and a"
send x b
wait_for '^FUNCTIONS' 3
ok $? "key b again: the functions pane"
send q
restored "q after the blame view"
py_stop

# --- 500 threads, 2 busy (tests/targets/many_threads.py) -------------------
# The spinners on top, the idle ones one folded row, the header counting
# threads per state; a lists every thread, and Tab lets the arrows scroll
# the list.
py_start "$py" many_threads.py || { ok 1 "$py: many_threads.py starts"; done_testing; exit; }
start_top -p "$PY_PID" -i 0.5
wait_for 'window: last [2-9]s' 15 && wait_for 'idle threads' 5
screen >"$tmp/many"
rows=$(sed -n '/^ *TID  THREAD/,/^$/p' "$tmp/many" | sed -n '2,3p' | awk '{ print $2 }' | sort | tr '\n' ' ')
folded=$(sed -n '/^ *TID  THREAD/,/^$/p' "$tmp/many" | sed -n '4p')
[ "$rows" = "spin-a spin-b " ] &&
	[[ $folded =~ ^\ +\+\ +([0-9]+)\ idle\ threads\ +idle ]] &&
	ge "${BASH_REMATCH[1]}" 200 &&
	! sed -n '/^ *TID  THREAD/,/^$/p' "$tmp/many" | grep -Eq ' idle[0-9]+ '
ok $? "500 threads: spin-a and spin-b on top, the idle ones one folded row (${BASH_REMATCH[1]:-?})" ||
	sed -n '1,14s/^/#   /p' "$tmp/many"
counts=$(grep -E '^threads [0-9]+\+? now:' "$tmp/many")
[[ $counts =~ now:\ ([0-9]+)\ held,\ ([0-9]+)\ waiting,\ ([0-9]+)\ native,\ ([0-9]+)\ idle ]] &&
	[ $((BASH_REMATCH[1] + BASH_REMATCH[2] + BASH_REMATCH[3])) = 2 ] &&
	ge "${BASH_REMATCH[4]}" 200
ok $? "the header counts threads per state: ${counts:-?}"
send a
wait_for 'every thread listed' 3 && wait_for '^ +[0-9]+  idle[0-9]+ +idle' 3 &&
	wait_for '\.\.\. rows 1-[0-9]+ of [0-9]+' 3 && ! screen | grep -q 'idle threads'
ok $? "key a lists every thread" || show 20
total=$(screen | sed -n 's/.*\.\.\. rows 1-[0-9]* of \([0-9]*\).*/\1/p')
send Tab
sleep 0.3
send End
wait_for "\\.\\.\\. rows [0-9]+-${total:-x} of ${total:-x}" 3
ok $? "Tab, then End: the threads pane scrolls to its last row (${total:-?})" || show 20
send q
restored "q after 500 threads"
py_stop
done_testing
