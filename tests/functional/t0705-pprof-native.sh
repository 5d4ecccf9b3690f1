#!/bin/bash
# t0705-pprof-native.sh - `-f pprof` of a --native recording, read back by
# Go's own reader (go tool pprof), on every interpreter found: the target
# runs a C extension (built here against the interpreter's headers, where
# it has them), zlib and a sleep, so its C frames are in libc, libz, the
# extension and libpython (or the executable).  -raw shows a mapping for
# each of those files, with a sane start, limit and offset, and every
# native location at an address inside its mapping; -top names the same
# functions as the collapsed output of the same run, native ones
# included; -raw has the collapsed output's stacks and counts; and
# `report` of the raw recording writes the same profile.  Then NumPy's
# matrix multiply on Debian's python3.11: BLAS and NumPy's own library as
# mappings, gemm named.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"
. "$TOP/tests/lib/cext.sh"

W=$REC_DIR
CHECK=$TOP/tests/lib/pprof_check.py

if ! command -v go >/dev/null 2>&1 || ! go tool pprof -h >/dev/null 2>&1; then
	skip "go tool pprof not found (apt-get install golang-go)"
	done_testing
	exit
fi
export PPROF_TMPDIR=$W GOCACHE=$W/gocache HOME=${HOME:-$W}
pp() { go tool pprof "$@" 2>"$W/pp.err"; }

EXT_DIR=$(mktemp -d /tmp/gilspy-cext.XXXXXX)
trap 'py_stop; rm -rf "$REC_DIR" "$EXT_DIR"' EXIT

# The function names of a collapsed file, one per line, sorted.
collapsed_funcs() {
	tr ';' '\n' <"$1" | sed 's/ [0-9]*$//; s/ (.*//' | sort -u
}
# The function names go tool pprof -top lists.
top_funcs() {
	awk 'f { print $NF } /flat%/ { f = 1 }' "$1" | sort -u
}

covered=()
for l in $(py_interpreters); do
	rm -rf "${EXT_DIR:?}"/* "$W"/a.* "$W"/b.*
	ext=$EXT_DIR
	why=$(build_cext "$l" "$EXT_DIR") || ext=
	# a chroot target would need the extension inside the chroot
	case $l in *-chroot) ext= ; why=${why:-"the chroot has no Python headers"} ;; esac
	if ! rec "$l" native_mix.py 1.5 200 --native --idle --no-state-frames \
		-o "$W/a.pb.gz" -o "$W/a.gilspy" -o "$W/a.txt" -- "$ext"; then
		ok 1 "$l: record --native -o x.pb.gz"
		continue
	fi
	covered+=("$l")

	pp -raw "$W/a.pb.gz" >"$W/a.raw"
	ok $? "$l: go tool pprof reads the profile" ||
		sed 's/^/#   /' "$W/pp.err" | head -5

	python3 "$CHECK" mappings "$W/a.raw" >"$W/a.maps"
	ok $? "$l: native mappings have sane bounds, every native location is inside its own" ||
		sed 's/^/#   /' "$W/a.maps" | head -5
	# a mapping for every file the collapsed output's C frames are in
	# (`name (file)`, no line), and none more
	libs=$(tr ';' '\n' <"$W/a.txt" | sed 's/ [0-9]*$//' |
		sed -n 's/^[^(]* (\([^:()]*\))$/\1/p' | grep -vx '?' | sort -u)
	[ -n "$libs" ] && [ "$libs" = "$(awk '{ print $1 }' "$W/a.maps" | sort -u)" ]
	ok $? "$l: one mapping per file the C frames are in ($(echo $libs))" ||
		{ diag "frames in: $(echo $libs)"; sed 's/^/#   /' "$W/a.maps"; }
	st=0
	want='^libc[.-] ^libz[.]'
	[ -n "$ext" ] && want="$want ^gilspy_cext"
	# where the interpreter names its functions (not the chroot's
	# stripped builds, whose C frames in it are all glue)
	case $l in *-chroot) ;; *) want="$want ^(libpython3|python3)" ;; esac
	for w in $want; do
		grep -Eq "$w" "$W/a.maps" || { diag "no mapping matching $w"; st=1; }
	done
	ok $st "$l: among them libc, libz${ext:+, the extension}$(case $l in *-chroot) ;; *) echo ", libpython or the executable" ;; esac)" ||
		sed 's/^/#   /' "$W/a.maps"
	[ -n "$ext" ] || skip "$l: no mapping of the C extension to check: $why"

	pp -top -nodefraction=0 "$W/a.pb.gz" >"$W/a.top"
	want=$(collapsed_funcs "$W/a.txt")
	got=$(top_funcs "$W/a.top")
	[ -n "$want" ] && [ "$want" = "$got" ]
	ok $? "$l: -top lists the functions of the collapsed output, and only those" ||
		{ diag "want: $(echo $want)"; diag "got: $(echo $got)"; }
	# ... the C ones among them, by the library they are in
	libc=$(grep -o '[^;]* (libc[.-][^;)]*)' "$W/a.txt" | sed 's/ (.*//' | sort -u | head -3)
	st=0
	[ -n "$libc" ] || { diag "no libc frame in the collapsed output"; st=1; }
	for f in $libc; do
		grep -q " $f\$" "$W/a.top" || { diag "-top does not name $f"; st=1; }
	done
	if [ -n "$ext" ]; then
		grep -q ' gilspy_spin_for$' "$W/a.top" || { diag "-top does not name gilspy_spin_for"; st=1; }
	fi
	ok $st "$l: -top names native functions ($(echo $libc)${ext:+ gilspy_spin_for})" ||
		sed 's/^/#   /' "$W/a.top" | head -20

	python3 "$CHECK" folded "$W/a.raw" | grep -v '^#' >"$W/a.fold"
	diff "$W/a.fold" "$W/a.txt" >"$W/a.diff"
	ok $? "$l: -raw has the stacks and counts of the collapsed output" ||
		head -5 "$W/a.diff" | sed 's/^/#   /'

	"$GILSPY" report -q --idle "$W/a.gilspy" -o "$W/b.pb.gz" &&
		pp -raw "$W/b.pb.gz" >"$W/b.raw" && diff -q "$W/a.raw" "$W/b.raw" >/dev/null &&
		cmp -s "$W/a.pb.gz" "$W/b.pb.gz"
	ok $? "$l: report of the raw recording gives the same profile (-raw and bytes)" ||
		diff "$W/a.raw" "$W/b.raw" | head -5 | sed 's/^/#   /'
done
diag "live targets covered: ${covered[*]:-none}"

# NumPy's matrix multiply: BLAS's gemm without the GIL (Debian's
# python3-numpy, on /usr/bin/python3.11)
if [ -x /usr/bin/python3.11 ] && /usr/bin/python3.11 -c 'import numpy' 2>/dev/null; then
	if rec 3.11-debian numpy_matmul.py 1 200 --native --no-state-frames \
		-o "$W/n.pb.gz" -o "$W/n.txt"; then
		pp -raw "$W/n.pb.gz" >"$W/n.raw" &&
			python3 "$CHECK" mappings "$W/n.raw" >"$W/n.maps" &&
			grep -Eq '^lib[a-z]*blas' "$W/n.maps" &&
			grep -q '^_multiarray_umath' "$W/n.maps"
		ok $? "3.11-debian: NumPy's BLAS and _multiarray_umath are mappings ($(awk '{ print $1 }' "$W/n.maps" 2>/dev/null | tr '\n' ' '))" ||
			sed 's/^/#   /' "$W/n.maps" "$W/pp.err" | head -10
		pp -top -nodefraction=0 "$W/n.pb.gz" >"$W/n.top"
		grep -Eq ' [a-z_]*gemm[A-Za-z0-9_]*$' "$W/n.top"
		ok $? "3.11-debian: -top names BLAS's gemm ($(grep -Eo '[a-z_]*gemm[A-Za-z0-9_]*$' "$W/n.top" | head -2 | tr '\n' ' '))" ||
			sed 's/^/#   /' "$W/n.top" | head -20
		python3 "$CHECK" folded "$W/n.raw" | grep -v '^#' | diff - "$W/n.txt" >/dev/null
		ok $? "3.11-debian: -raw has the stacks and counts of the collapsed output"
	else
		ok 1 "3.11-debian: record --native numpy_matmul.py"
	fi
else
	skip "python3-numpy is not installed for /usr/bin/python3.11"
fi

done_testing
