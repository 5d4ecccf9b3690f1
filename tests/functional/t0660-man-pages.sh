#!/bin/bash
# t0660-man-pages.sh - the man pages cover the CLI: one page per command in
# 'gilspy --help' and gilspy(1) naming them all; every option that a
# command's --help lists appears in its page; every page renders without a
# groff warning at 80 columns and carries the version in VERSION; and
# 'gilspy --version' prints that version.
. "$TOP/tests/lib/common.sh"

VERSION=$(cat "$TOP/VERSION")
out=$("$GILSPY" --version); rc=$?
[ $rc = 0 ] && [ "$out" = "gilspy $VERSION" ] && [ "$("$GILSPY" -V)" = "gilspy $VERSION" ]
ok $? "gilspy --version and -V print 'gilspy $VERSION' (got '$out', exit $rc)"

# the commands gilspy --help lists, in its "commands:" block
cmds=$("$GILSPY" --help | awk '/^commands:/ { on = 1; next } on && /^   [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ -n "$cmds" ]
ok $? "gilspy --help lists the commands: $(echo $cmds)"

# The man source with the escapes that hide option names undone:
# \- is '-', font changes and zero-width escapes go.
man_text() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\f(..//g' -e 's/\\f\[[A-Z]*\]//g' \
		-e 's/\\&//g' -e 's/\\e/\\/g' "$1"
}
# The options a --help text lists: the option column of its option lines.
help_options() {
	grep -E '^ +-' | sed -E 's/^ +//; s/  .*//' | grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z0-9-]*' |
		sed -E 's/^[ ,]//' | sort -u
}

for c in $cmds; do
	page=$TOP/man/gilspy-$c.1
	if [ ! -f "$page" ]; then
		ok 1 "$c: man/gilspy-$c.1 exists"
		continue
	fi
	missing=()
	opts=$("$GILSPY" "$c" --help | help_options)
	for o in $opts; do
		man_text "$page" | grep -Eq -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" ||
			missing+=("$o")
	done
	[ -n "$opts" ] && [ ${#missing[@]} = 0 ]
	ok $? "$c: all $(echo "$opts" | wc -w) options of 'gilspy $c --help' are in gilspy-$c.1${missing:+; missing: ${missing[*]}}"
	man_text "$TOP/man/gilspy.1" | grep -q "gilspy-$c (1)"
	ok $? "$c: gilspy(1) names the command and its page"
done

# gilspy(1) itself: the options of 'gilspy --help' (--help, --version)
missing=()
for o in --help --version; do
	"$GILSPY" --help | grep -q -- "$o" || continue
	man_text "$TOP/man/gilspy.1" | grep -Eq -- "(^|[^A-Za-z0-9-])$o([^A-Za-z0-9-]|\$)" || missing+=("$o")
done
[ ${#missing[@]} = 0 ]
ok $? "gilspy(1) has --help and --version${missing:+; missing: ${missing[*]}}"

# no page without a command
extra=()
for p in "$TOP"/man/gilspy-*.1; do
	c=$(basename "$p" .1)
	c=${c#gilspy-}
	grep -qx "$c" <<<"$cmds" || extra+=("$c")
done
[ ${#extra[@]} = 0 ]
ok $? "every man/gilspy-*.1 is a command's${extra:+; no command for: ${extra[*]}}"

# rendering: man-db and groff, installed when missing and root
if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		diag "installing man-db and groff-base to render the pages"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq man-db groff-base >/dev/null 2>&1
	fi
fi
if ! command -v man >/dev/null || ! command -v groff >/dev/null; then
	skip "man or groff is missing (apt-get install man-db groff-base): pages not rendered"
	done_testing
	exit
fi
for p in "$TOP"/man/*.1; do
	n=$(basename "$p")
	warn=$(MANWIDTH=80 man --warnings -l "$p" 2>&1 >/dev/null)
	[ -z "$warn" ]
	ok $? "$n renders without warnings${warn:+: $(head -3 <<<"$warn" | tr '\n' ' ')}"
	text=$(MANWIDTH=80 man -l "$p" 2>/dev/null | col -bx)
	name=$(basename "$p" .1)
	grep -q "^NAME" <<<"$text" && grep -q "^SYNOPSIS" <<<"$text" &&
		grep -q "^SEE ALSO" <<<"$text" && grep -q "^EXIT STATUS" <<<"$text" &&
		grep -Eq "^ *${name} +- +" <<<"$text"
	ok $? "$n has NAME ($name - ...), SYNOPSIS, EXIT STATUS and SEE ALSO"
	grep -q "^\.TH [^ ]* 1 \"[0-9-]*\" \"gilspy $VERSION\"" "$p"
	ok $? "$n is marked gilspy $VERSION in its .TH line"
done
done_testing
