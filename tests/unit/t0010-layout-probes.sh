#!/bin/bash
# t0010-layout-probes.sh - the hand-typed layout tables (src/python/
# layout_3NN.c) against the compiler: for each interpreter whose headers
# are installed, tests/unit/probe/layout_probe.c is built with them and the
# table of that minor, and every offset the table holds is compared with
# offsetof() on CPython's own structs.  An interpreter without headers is
# a TAP SKIP that says which package would bring them.
#   pyenv:   $PYENV_ROOT/versions/3.X.Y/include/python3.X[m] (with internal/)
#   Debian:  /usr/include/python3.X        (libpython3.X-dev)
#   chroot:  $PYCHROOT/usr/include/python3.X (python3.X-dev in the chroot)
# 3.13+ targets take most offsets from their own _Py_DebugOffsets; their
# tables are templates, compared here the same way where headers exist.
# Debug builds (3.13d ...) have no table of their own: their offsets come
# from _Py_DebugOffsets only, checked by the unit test
# debugoffsets__real_interpreters.
. "$TOP/tests/lib/common.sh"

CC=${CC:-cc}
probe=$TOP/tests/unit/probe/layout_probe.c
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# include_dirs LABEL: the -I flags for its headers, or nothing.
include_dirs() {
	local l=$1 m d
	[[ $l =~ ^3\.([0-9]+) ]] || return
	m=${BASH_REMATCH[1]}
	case $l in
	*-debian) d=/usr/include/python3.$m
		[ -r "$d/Python.h" ] && echo "-I$d -I/usr/include/x86_64-linux-gnu/python3.$m" ;;
	*-chroot) d=$PYCHROOT/usr/include/python3.$m
		[ -r "$d/Python.h" ] && echo "-I$d -I$PYCHROOT/usr/include/x86_64-linux-gnu/python3.$m" ;;
	*) for d in "$PYENV_ROOT/versions/$l/include/python3.$m"{,m}; do
		[ -r "$d/Python.h" ] && { echo "-I$d"; return; }
	   done ;;
	esac
}

# probe INCLUDE-FLAGS TABLE-MINOR: build the probe and run it (its output
# on stdout; 1: a mismatch, 2: it did not build).
probe() {
	local inc=$1 m=$2 exe=$tmp/probe-$2-$RANDOM
	# shellcheck disable=SC2086
	"$CC" -std=gnu11 -w -DPy_BUILD_CORE -DLAYOUT="py_layout_3$m" $inc \
		-I"$TOP/include" "$probe" "$TOP/src/python/layout_3$m.c" \
		-o "$exe" >"$exe.err" 2>&1 || {
		sed 's/^/#   /' "$exe.err" | head -20
		return 2
	}
	"$exe"
}

covered=()
negative_done=0
for py in $(py_interpreters); do
	[[ $py =~ ^3\.([0-9]+)(d?) ]] || continue
	m=${BASH_REMATCH[1]}
	if [ -n "${BASH_REMATCH[2]}" ]; then
		skip "$py: a debug build has no table; _Py_DebugOffsets gives its layout"
		continue
	fi
	if [ ! -f "$TOP/src/python/layout_3$m.c" ]; then
		skip "$py: no layout table for 3.$m"
		continue
	fi
	inc=$(include_dirs "$py")
	if [ -z "$inc" ]; then
		case $py in
		*-debian) why="install libpython3.$m-dev" ;;
		*-chroot) why="install python3.$m-dev inside $PYCHROOT" ;;
		*) why="pyenv install left no include/python3.$m" ;;
		esac
		skip "$py: no CPython headers ($why)"
		continue
	fi
	out=$(probe "$inc" "$m")
	st=$?
	printf '%s\n' "$out" | grep '^#'
	n=$(printf '%s\n' "$out" | sed -n 's/^checked \([0-9]*\) mismatched.*/\1/p')
	ok $st "$py: the 3.$m table matches its headers (${n:-0} offsets)"
	[ "$st" = 0 ] && [ "${n:-0}" -ge 30 ]
	ok $? "$py: at least 30 offsets compared"
	covered+=("$py")
	# Once: the probe must be able to fail - the neighbouring minor's
	# table against these headers differs somewhere.
	if [ "$negative_done" = 0 ] && [ -f "$TOP/src/python/layout_3$((m + 1)).c" ]; then
		probe "$inc" $((m + 1)) >/dev/null
		[ $? = 1 ]
		ok $? "$py: the probe notices the 3.$((m + 1)) table is wrong for 3.$m"
		negative_done=1
	fi
done
diag "covered: ${covered[*]:-none}"
done_testing
