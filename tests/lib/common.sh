# common.sh - shared by the functional tests (sourced, bash).
#
# TAP helpers, the interpreters found on this machine, and starting a Python
# target (on the host or inside the pychroot) that signals when it is ready.
#
#   ok STATUS DESC, skip REASON, diag LINE..., done_testing (prints the plan)
#   py_interpreters        one label per line: 3.11.7, 3.11-debian, 3.14d-chroot ...
#   need_pythons           skip the rest of the test when there is none
#   py_cmd LABEL           the command line that runs that interpreter
#   py_start LABEL SCRIPT [ARGS]   start tests/targets/SCRIPT; sets PY_PID and
#                          waits until the target has written its ready file
#   py_stop                kill the target started last
#   py_stop_tree           the same, with all its descendants
#   py_children PID        the pids whose parent is PID

: "${TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${GILSPY:=$TOP/gilspy}"
: "${PYCHROOT:=/opt/pychroot}"
PYENV_ROOT=${PYENV_ROOT:-$HOME/.pyenv}

tap_n=0
tap_failed=0
ok() {  # ok COND-EXIT-STATUS DESCRIPTION
	local st=$1; shift
	tap_n=$((tap_n + 1))
	if [ "$st" = 0 ]; then
		echo "ok $tap_n - $*"
	else
		echo "not ok $tap_n - $*"
		tap_failed=$((tap_failed + 1))
		return 1
	fi
}
diag() { printf '# %s\n' "$@"; }
# skip REASON: one check that could not run here, and why (TAP SKIP)
skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; }
# ok_or_todo STATUS REASON DESCRIPTION: a check of a known shortfall, one an
# open issue describes: a failure is a TAP TODO (not ok ... # TODO REASON),
# shown but not failing the test; a pass is an ordinary ok.
ok_or_todo() {
	local st=$1 why=$2
	shift 2
	tap_n=$((tap_n + 1))
	if [ "$st" = 0 ]; then
		echo "ok $tap_n - $*"
	else
		echo "not ok $tap_n - $* # TODO $why"
	fi
}
# A test that ran no check and declared no skip is broken, not skipped.
done_testing() {
	[ "$tap_n" = 0 ] && ok 1 "the test ran no check and gave no reason to skip"
	echo "1..$tap_n"
	[ "$tap_failed" = 0 ]
}

# --- interpreters ------------------------------------------------------------
py_interpreters() {
	local p
	if [ -n "${GILSPY_PYTHONS:-}" ]; then  # explicit list, for a quick run
		tr ' ' '\n' <<<"$GILSPY_PYTHONS"
		return
	fi
	for p in "$PYENV_ROOT"/versions/3.*/bin/python3.*; do
		[[ $p =~ /versions/(3\.[0-9]+\.[0-9]+)/bin/python3\.[0-9]+$ ]] || continue
		[ -x "$p" ] && echo "${BASH_REMATCH[1]}"
	done | sort -t. -k2,2n -u
	for p in /usr/bin/python3.*; do
		[[ $p =~ /usr/bin/python(3\.[0-9]+)$ ]] || continue
		[ -x "$p" ] && echo "${BASH_REMATCH[1]}-debian"
	done
	for p in "$PYCHROOT"/usr/bin/python3.*; do
		[[ $p =~ /usr/bin/python(3\.[0-9]+d?)$ ]] || continue
		[ -x "$p" ] && echo "${BASH_REMATCH[1]}-chroot"
	done
}

# need_pythons: end the test here, as a skip, when no interpreter is found:
# a plan-skip (1..0 # SKIP reason) if no check ran yet, else one skipped
# check for the rest.
need_pythons() {
	[ -n "$(py_interpreters)" ] && return 0
	if [ "$tap_n" = 0 ]; then
		echo "1..0 # SKIP no Python interpreter found"
		exit 0
	fi
	skip "no Python interpreter found for the per-interpreter checks"
	done_testing
	exit
}

py_cmd() {
	local l=$1
	case $l in
	*-chroot) echo "chroot $PYCHROOT /usr/bin/python${l%-chroot}" ;;
	*-debian) echo "/usr/bin/python${l%-debian}" ;;
	*) echo "$PYENV_ROOT/versions/$l/bin/python${l%.*}" ;;
	esac
}

# Where a target's files live, as the host sees them and as the target does.
py_workdir() {
	local l=$1
	case $l in
	*-chroot)
		PY_HOSTDIR=$(mktemp -d "$PYCHROOT/tmp/gilspy-test.XXXXXX")
		PY_DIR=${PY_HOSTDIR#"$PYCHROOT"} ;;
	*)
		PY_HOSTDIR=$(mktemp -d /tmp/gilspy-test.XXXXXX)
		PY_DIR=$PY_HOSTDIR ;;
	esac
}

PY_PID=
PY_HOSTDIR=
py_start() {  # py_start LABEL SCRIPT [ARGS...]
	local l=$1 script=$2 i
	shift 2
	py_workdir "$l"
	cp "$TOP/tests/targets/$script" "$TOP/tests/targets/_ready.py" "$PY_HOSTDIR/"
	# shellcheck disable=SC2046
	$(py_cmd "$l") "$PY_DIR/$script" "$PY_DIR/ready" "$@" \
		>"$PY_HOSTDIR/out" 2>&1 </dev/null &
	PY_PID=$!
	for i in $(seq 1 300); do
		[ -e "$PY_HOSTDIR/ready" ] && return 0
		kill -0 "$PY_PID" 2>/dev/null || break
		sleep 0.05
	done
	diag "target $script did not get ready under $l:"
	sed 's/^/#   /' "$PY_HOSTDIR/out" | head -20
	return 1
}

py_stop() {
	if [ -n "$PY_PID" ]; then
		kill -9 "$PY_PID" 2>/dev/null
		wait "$PY_PID" 2>/dev/null
	fi
	PY_PID=
	[ -n "$PY_HOSTDIR" ] && rm -rf "$PY_HOSTDIR"
	PY_HOSTDIR=
}
# py_children PID: the pids whose parent is PID, from /proc (procps need
# not be installed)
py_children() {
	local f line fields
	for f in /proc/[0-9]*/stat; do
		line=$(cat "$f" 2>/dev/null) || continue
		# after the command name (which may hold anything): state, ppid
		read -r -a fields <<<"${line##*) }"
		[ "${fields[1]}" = "$1" ] && { f=${f#/proc/}; echo "${f%/stat}"; }
	done
}

# py_stop_tree: py_stop, and every descendant of the target killed too (a
# pool's workers, whose parent's death they may never notice)
py_stop_tree() {
	local todo=$PY_PID all= p
	while [ -n "$todo" ]; do
		set -- $todo
		todo=
		for p; do
			all="$all $p"
			todo="$todo $(py_children "$p" | tr '\n' ' ')"
		done
		todo=$(echo $todo)
	done
	# shellcheck disable=SC2086
	kill -9 $all 2>/dev/null
	py_stop
}
trap py_stop EXIT
