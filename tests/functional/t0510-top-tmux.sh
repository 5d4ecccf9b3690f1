#!/bin/bash
# t0510-top-tmux.sh - the interactive `gilspy top`, driven through tmux: on
# two spinners sharing the GIL (tests/targets/spin2.py) the header shows
# contention, both spinners show held and waiting percentages, the functions
# pane names spin(); keys change the screen; and every way out (q, the
# target exiting then q, SIGTERM, Ctrl-C) gives the terminal back: alternate
# screen left, cursor shown, stty modes as they were, exit status 0.
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
	local i
	for i in $(seq 1 $((${2:-5} * 10))); do
		screen | grep -Eq -- "$1" && return 0
		sleep 0.1
	done
	return 1
}
wait_gone() {  # wait_gone REGEX [SECONDS]: the screen stops showing REGEX
	local i
	for i in $(seq 1 $((${2:-5} * 10))); do
		screen | grep -Eq -- "$1" || return 0
		sleep 0.1
	done
	return 1
}
wait_file() {  # wait_file PATH [SECONDS]
	local i
	for i in $(seq 1 $((${2:-5} * 10))); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
show() { screen | sed 's/^/#   /' | head -${1:-40}; }

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
send t
wait_for '^> *[0-9]+ ' 3 && wait_for 'FUNCTIONS .*thread .* \([0-9]+\)' 3
ok $? "key t filters to one thread (marked in the threads pane)" || show 20
send t
wait_for 'thread spin-a \([0-9]+\)' 3 && wait_for '  spin \(spin2\.py' 3
ok $? "key t again: the next thread, spin-a, and its function" || show 20
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
done_testing
