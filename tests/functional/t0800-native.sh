#!/bin/bash
# t0800-native.sh - --native merges each thread's C stack with its Python
# stack: a C extension (built here against each interpreter's headers)
# spinning with the GIL held and released, zlib's deflate, the libc sleep
# under [idle], take_gil on a waiter's stack, and dump --native; every
# interpreter found.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

# Sum of the counts of the collapsed lines of FILE matching ERE.
count() {
	grep -E "$2" "$1" | awk '{ s += $NF } END { print s + 0 }'
}

# Build gilspy_cext for label l into dir; prints why not and fails when the
# interpreter has no headers (the chroot installs no -dev packages).
build_ext() {  # build_ext LABEL DIR [nounwind]
	local l=$1 dir=$2 nu=${3:-} inc suffix name=gilspy_cext flags=
	# shellcheck disable=SC2046
	read -r inc suffix < <($(py_cmd "$l") -c 'import sysconfig
print(sysconfig.get_paths()["include"], sysconfig.get_config_var("EXT_SUFFIX") or ".so")')
	case $l in *-chroot) inc=$PYCHROOT$inc ;; esac
	if [ ! -e "$inc/Python.h" ]; then
		echo "no Python.h under $inc"
		return 1
	fi
	if [ -n "$nu" ]; then
		name=gilspy_cext_nu
		flags="-fno-asynchronous-unwind-tables -fno-unwind-tables -DGILSPY_CEXT_NAME=$name"
	fi
	# shellcheck disable=SC2086
	cc -shared -fPIC -O2 $flags -I"$inc" "$TOP/tests/targets/gilspy_cext.c" \
		-o "$dir/$name$suffix" 2>&1 | head -5
	[ -e "$dir/$name$suffix" ] || return 1
	[ -z "$nu" ] || objcopy --remove-section .eh_frame \
		--remove-section .eh_frame_hdr "$dir/$name$suffix"
}

# libc's debug file, when libc6-dbg is installed
LIBC_DEBUG=
bid=$(readelf -n /lib/x86_64-linux-gnu/libc.so.6 2>/dev/null | awk '/Build ID/ { print $3; exit }')
[ -n "$bid" ] && [ -e "/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug" ] &&
	LIBC_DEBUG=/usr/lib/debug/.build-id/${bid:0:2}/${bid:2}.debug

EXT_DIR=$(mktemp -d /tmp/gilspy-cext.XXXXXX)
trap 'py_stop; rm -rf "$REC_DIR" "$EXT_DIR"' EXIT

covered=()
for l in $(py_interpreters); do
	rm -rf "${EXT_DIR:?}"/*
	ext=$EXT_DIR
	if ! why=$(build_ext "$l" "$EXT_DIR"); then
		ext=
	fi
	# chroot targets would need the extension inside the chroot
	case $l in *-chroot) ext= ; why=${why:-"the chroot has no Python headers"} ;; esac
	if ! rec "$l" native_mix.py 1.5 200 --native --idle -o "$REC_DIR/out.txt" -v \
		-- "$ext"; then
		ok 1 "$l: record --native"
		continue
	fi
	c=$REC_DIR/out.txt
	ok 0 "$l: record --native"
	n=$(count "$c" 'zlib_loop \(.*;deflate \(libz')
	[ "$n" -ge 3 ]
	ok $? "$l: zlib.compress shows deflate beneath zlib_loop ($n samples)"
	n=$(count "$c" 'sleeper_loop \(.*;(__)?(clock_nanosleep|nanosleep|select|poll)[^;]* \(libc[^;]*\).*;\[idle\] ')
	[ "$n" -ge 3 ]
	ok $? "$l: time.sleep shows the libc sleep under [idle] ($n samples)"
	# take_gil where it is a frame of its own; where it is inlined (3.8's
	# PyEval_RestoreThread) or not named (stripped builds), the exported
	# function that took the GIL
	wait_re='(take_gil|PyEval_RestoreThread|PyEval_AcquireThread) \('
	n=$(count "$c" "${wait_re}.*;\\[waiting for GIL\\] ")
	if [ -n "$ext" ] || [ "${l%-chroot}" = "$l" ]; then
		[ "$n" -ge 1 ]
		ok $? "$l: a waiter's stack shows where it takes the GIL ($n samples)"
	else
		skip "$l: no thread holds the GIL for long without the extension ($why)"
	fi
	# libc6-dbg's separate debug file (found by build id) names libc's
	# static functions, such as the futex wait under a condvar wait
	case $l in
	*-chroot) skip "$l: the chroot's libc has no debug file here" ;;
	*)	if [ -n "$LIBC_DEBUG" ]; then
			n=$(count "$c" 'futex_abstimed_wait[a-z_]* \(libc')
			[ "$n" -ge 1 ]
			ok $? "$l: libc's debug file names its futex wait ($n samples)"
		else
			skip "$l: no debug file for libc (install libc6-dbg)"
		fi ;;
	esac
	grep -q 'stopped [0-9]* threads.*median' "$REC_DIR/err"
	ok $? "$l: -v reports the thread stop time ($(grep -o 'median [^,]*, p99 [^ ,]*' "$REC_DIR/err"))"
	# a thread blocked in a system call (the main thread's join, a
	# waiter's futex) is copied from what the kernel says of it, unstopped;
	# not reliably in a build with frame pointers (the chroot's 3.15 and
	# debug builds): its frames are addressed from RBP, which the libc
	# frames below them may not save, and those threads are stopped instead
	n=$(sed -n 's/.*took \([0-9]*\) stacks of blocked threads with no stop.*/\1/p' "$REC_DIR/err")
	if $(py_cmd "$l") -c 'import sys, sysconfig
sys.exit("-fno-omit-frame-pointer" not in (sysconfig.get_config_var("CFLAGS") or ""))'; then
		skip "$l: built with frame pointers, its blocked threads may need RBP and be stopped (${n:-0} taken without)"
	else
		[ "${n:-0}" -ge 1 ]
		ok $? "$l: blocked threads are copied with no stop (${n:-0} of them)"
		# the sleeper sleeps 20 ms a time, four samples: most of its
		# stacks are the kept walk of an earlier copy, and every one
		# must still read sleeper_loop over the libc sleep
		k=$(sed -n 's/.*with no stop (\([0-9]*\) unchanged since a copy).*/\1/p' "$REC_DIR/err")
		all=$(count "$c" 'sleeper_loop \(.*;\[idle\] ')
		full=$(count "$c" 'sleeper_loop \(.*;(__)?(clock_nanosleep|nanosleep|select|poll)[^;]* \(libc[^;]*\).*;\[idle\] ')
		[ "${k:-0}" -ge 1 ] && [ "$all" -ge 3 ] && [ "$full" -eq "$all" ]
		ok $? "$l: a sleeper's kept walks read whole (${k:-0} kept; $full of $all idle samples under the libc sleep)"
	fi
	if [ -n "$ext" ]; then
		# the state each spinner is seen in most, on its own C frame
		n=$(count "$c" 'held_loop \(.*;gilspy_spin_held \(gilspy_cext[^;]*\);gilspy_spin_for [^;]*;\[GIL held\] ')
		m=$(count "$c" 'held_loop \(.*;gilspy_spin_held \(gilspy_cext[^;]*\);gilspy_spin_for [^;]*;\[running without GIL\] ')
		[ "$n" -ge 3 ] && [ "$n" -gt "$m" ]
		ok $? "$l: C spinning with the GIL is under [GIL held] beneath held_loop ($n samples; $m without)"
		n=$(count "$c" 'nogil_loop \(.*;gilspy_spin_nogil \(gilspy_cext[^;]*\);gilspy_spin_for [^;]*;\[running without GIL\] ')
		m=$(count "$c" 'nogil_loop \(.*;gilspy_spin_nogil \(gilspy_cext[^;]*\);gilspy_spin_for [^;]*;\[GIL held\] ')
		[ "$n" -ge 3 ] && [ "$n" -gt "$m" ]
		ok $? "$l: C spinning without the GIL is under [running without GIL] ($n samples; $m held)"
	else
		skip "$l: C extension not built: $why"
		skip "$l: C extension not built: $why"
	fi

	# dump --native: the mixed stack of every thread
	if py_start "$l" native_mix.py "$ext"; then
		out=$("$GILSPY" dump -p "$PY_PID" --native 2>&1)
		printf '%s\n' "$out" | awk '
			/^Thread / { if (name != "" && !py) bad = 1; name = $0; py = 0; next }
			/\.py:[0-9]+\)$/ { py = 1 }
			/\(libc[^)]*\)$/ { libc = 1 }
			END { if (name != "" && !py) bad = 1; exit bad || !libc }'
		ok $? "$l: dump --native shows Python and C frames for every thread"
		[ "$(printf '%s\n' "$out" | grep -c '^Thread ')" -ge 3 ]
		ok $? "$l: dump --native lists the threads"
		"$GILSPY" dump -p "$PY_PID" --native --json >"$REC_DIR/dump.json" 2>&1
		/usr/bin/python3 - "$REC_DIR/dump.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
frames = [f for t in d["threads"] for f in t["frames"]]
sys.exit(0 if any(f.get("native") for f in frames) and
         any(not f.get("native") for f in frames) else 1)
PY
		ok $? "$l: dump --native --json marks the native frames"
		out=$("$GILSPY" dump -p "$PY_PID" --native-all 2>&1)
		if printf '%s\n' "$out" | grep -q '_PyEval_EvalFrameDefault ('; then
			ok 0 "$l: dump --native-all keeps the interpreter's frames"
		elif [ "${l%-chroot}" != "$l" ]; then
			skip "$l: the eval loop is not named in this stripped build"
		else
			ok 1 "$l: dump --native-all keeps the interpreter's frames"
		fi
	else
		ok 1 "$l: start target for dump"
	fi
	py_stop

	# a library without unwind information: its stacks end in
	# [truncated] (where libunwind would guess) and are kept
	if [ -n "$ext" ] && build_ext "$l" "$EXT_DIR" nounwind >/dev/null; then
		if rec "$l" nounwind.py 1 200 --native -o "$REC_DIR/nu.txt" -- "$EXT_DIR"; then
			# every sample in the library ends there, none lost
			n=$(count "$REC_DIR/nu.txt" 'nounwind_loop \(.*;\[truncated\] \([^;]*\);gilspy_spin_for \(gilspy_cext_nu')
			b=$(grep 'gilspy_cext_nu' "$REC_DIR/nu.txt" | grep -vc '\[truncated\]')
			[ "$n" -ge 1 ] && [ "$b" = 0 ]
			ok $? "$l: a library without unwind info ends its stacks in [truncated], samples kept ($n; $b not ended)"
		else
			ok 1 "$l: record --native nounwind.py"
		fi
	else
		skip "$l: C extension not built: $why"
	fi

	# Python -> C -> Python: the sort, then the key function under it
	# (the default view keeps the C function the line called)
	if rec "$l" sort_key.py 1 200 --native -o "$REC_DIR/sort.txt"; then
		n=$(count "$REC_DIR/sort.txt" 'sort_loop \(.*;[A-Za-z_]*sort[A-Za-z_]* \([^;]*\);(.*;)?[^;]*<lambda> \(')
		if [ "$n" -ge 3 ]; then
			ok 0 "$l: sorted(key=lambda) shows the sort, then the lambda under it ($n samples)"
		elif [ "${l%-chroot}" != "$l" ] || [ "${l%-debian}" != "$l" ]; then
			skip "$l: the sort is a static function, not named in this stripped build"
		else
			ok 1 "$l: sorted(key=lambda) shows the sort, then the lambda under it ($n samples)"
		fi
	else
		ok 1 "$l: record --native sort_key.py"
	fi
	covered+=("$l")
done

# NumPy's matrix multiply: BLAS's gemm runs without the GIL (Debian's
# python3-numpy, on /usr/bin/python3.11)
if [ -x /usr/bin/python3.11 ] && /usr/bin/python3.11 -c 'import numpy' 2>/dev/null; then
	if rec 3.11-debian numpy_matmul.py 1 200 --native -o "$REC_DIR/np.txt"; then
		n=$(count "$REC_DIR/np.txt" 'matmul_loop \(.*gemm[^;]* \([^;]*\).*;\[running without GIL\] ')
		[ "$n" -ge 3 ]
		ok $? "3.11-debian: a NumPy matrix multiply shows BLAS gemm under [running without GIL] ($n samples)"
	else
		ok 1 "3.11-debian: record --native numpy_matmul.py"
	fi
else
	skip "python3-numpy is not installed for /usr/bin/python3.11"
fi

# ptrace refused: a target already traced (by strace here) cannot be
# stopped; one line at the start says why and what to do
l=$(py_interpreters | grep -v chroot | head -1)
if command -v strace >/dev/null && [ -n "$l" ]; then
	# shellcheck disable=SC2046
	strace -f -o /dev/null $(py_cmd "$l") -c 'import time; time.sleep(30)' &
	st=$!
	tpid=
	for _ in $(seq 1 100); do
		tpid=$(pgrep -P $st | head -1)
		# once it has exec'd Python (strace's child is strace first)
		[ -n "$tpid" ] && grep -q python "/proc/$tpid/comm" 2>/dev/null && break
		sleep 0.05
	done
	sleep 0.3
	"$GILSPY" dump -p "$tpid" --native >"$REC_DIR/out" 2>"$REC_DIR/err"
	rc=$?
	kill $st 2>/dev/null
	wait $st 2>/dev/null
	[ $rc = 1 ] && [ "$(wc -l <"$REC_DIR/err")" = 1 ] &&
		grep -q 'already traced by pid.*drop --native' "$REC_DIR/err"
	ok $? "$l: --native on a traced process fails in one line saying why ($(cat "$REC_DIR/err"))"
else
	skip "strace is not installed: cannot make ptrace refuse"
fi

# the options' errors
"$GILSPY" record --native --blocking -p 1 -d 0.1 -o /dev/null 2>"$REC_DIR/err"
[ $? = 2 ] && grep -q 'cannot be used together' "$REC_DIR/err"
ok $? "--native with --blocking is a usage error"
diag "covered: ${covered[*]}"
done_testing
