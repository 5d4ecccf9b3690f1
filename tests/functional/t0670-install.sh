#!/bin/bash
# t0670-install.sh - 'make install PREFIX=/usr/local DESTDIR=STAGE' stages
# the binary and every man page without root; the staged binary runs and
# the staged pages render, through 'man -l' and through MANPATH
# ('man gilspy-record'); 'make uninstall' with the same variables removes
# them all.  The binary already built ($GILSPY's tree) is installed: make
# is run with '-o all' so this test never rebuilds the shared tree (t0650
# builds and installs a fresh copy from source).
. "$TOP/tests/lib/common.sh"

T=$(mktemp -d /tmp/gilspy-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
STAGE=$T/stage
PREFIX=/usr/local
VERSION=$(cat "$TOP/VERSION")

# As an unprivileged user when we are root: staging must not need root.
as_user=()
if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null &&
	runuser -u nobody -- test -r "$TOP/Makefile"; then
	as_user=(runuser -u nobody --)
	chown nobody "$T"
fi
if [ ! -x "$TOP/gilspy" ]; then
	skip "no $TOP/gilspy built; run make first"
	done_testing
	exit
fi

"${as_user[@]}" make -s -C "$TOP" -o all install PREFIX=$PREFIX DESTDIR="$STAGE" \
	>"$T/out" 2>&1
rc=$?
ok $rc "make install PREFIX=$PREFIX DESTDIR=... ${as_user:+as nobody }(exit $rc)" ||
	sed 's/^/#   /' "$T/out"
bin=$STAGE$PREFIX/bin/gilspy
mandir=$STAGE$PREFIX/share/man/man1
[ -x "$bin" ] && [ "$("$bin" --version)" = "gilspy $VERSION" ]
ok $? "the staged binary runs: $("$bin" --version 2>&1)"
missing=()
for p in "$TOP"/man/*.1; do
	cmp -s "$p" "$mandir/$(basename "$p")" || missing+=("$(basename "$p")")
done
[ ${#missing[@]} = 0 ] && [ "$(stat -c %a "$mandir/gilspy.1")" = 644 ]
ok $? "every man page is installed in share/man/man1, mode 644${missing:+; missing: ${missing[*]}}"

if command -v man >/dev/null && command -v groff >/dev/null; then
	bad=()
	for p in "$mandir"/*.1; do
		w=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
		[ -z "$w" ] && MANWIDTH=80 man -l "$p" 2>/dev/null | grep -q '^NAME' ||
			bad+=("$(basename "$p")")
	done
	[ ${#bad[@]} = 0 ]
	ok $? "man -l renders each installed page${bad:+; not: ${bad[*]}}"
	cmds=$("$bin" --help | awk '/^commands:/ { on = 1; next } on && /^   [a-z]/ { print $1 }')
	bad=()
	for c in gilspy $(printf 'gilspy-%s ' $cmds); do
		MANPATH=$STAGE$PREFIX/share/man MANWIDTH=80 man "$c" 2>/dev/null |
			col -bx | grep -Eq "^ *$c +- +" || bad+=("$c")
	done
	[ ${#bad[@]} = 0 ]
	ok $? "MANPATH=\$DESTDIR$PREFIX/share/man man gilspy-record (and every other page) works${bad:+; not: ${bad[*]}}"
else
	skip "man or groff missing: installed pages not rendered"
fi

"${as_user[@]}" make -s -C "$TOP" -o all uninstall PREFIX=$PREFIX DESTDIR="$STAGE" \
	>"$T/out" 2>&1
rc=$?
left=$(find "$STAGE" -type f)
[ $rc = 0 ] && [ -z "$left" ]
ok $? "make uninstall removes the binary and every page (exit $rc)${left:+; left: $left}"
done_testing
