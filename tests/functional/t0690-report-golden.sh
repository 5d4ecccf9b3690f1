#!/bin/bash
# t0690-report-golden.sh - raw recordings made by an earlier gilspy render
# byte for byte as that gilspy rendered them, in every format and with the
# filters, the summaries, a base report and --fail-if gates
# (tests/data/report/cases).  The expected outputs were written by the main
# branch before the architecture step (tests/data/report/regen.sh): a change
# that must not alter output is held to them.  No live target is needed.
#
# What legitimately varies is handled, not stripped: paths are relative and
# the same in every run; the JSON, Chrome and speedscope outputs name the
# gilspy that wrote them ("generator" or "exporter": "gilspy VERSION"), so a
# binary of another version is compared with that string changed to its own
# version, and says so (a base report's version quoted in the markdown is
# input, and stays).  The JSON's
# summary.profile_bytes is the renderer's memory for the profile, not
# recorded data: it is still compared, and a failure that is only that says
# so.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/golden.sh"

work=$(mktemp -d /tmp/gilspy-golden.XXXXXX)
trap 'rm -rf "$work"' EXIT
expected=$GOLDEN_DATA/expected

golden_version=$(cat "$expected/VERSION")
version=$("$GILSPY" --version)
if [ "$version" != "$golden_version" ]; then
	diag "expected outputs are from '$golden_version', the binary is '$version':" \
	     "comparing with the generator/exporter string changed to '$version'"
fi

# same_file WANT GOT: byte for byte, after the generator string only
same_file() {
	local want=$1 got=$2
	if [ "$version" != "$golden_version" ]; then
		sed "s/\"\(generator\|exporter\)\": \"$golden_version\"/\"\1\": \"$version\"/g" \
			"$want" >"$work/.want" && want=$work/.want
	fi
	cmp -s "$want" "$got" && return 0
	diag "$got differs from $1:"
	if [ "$(diff <(sed 's/"profile_bytes": [0-9]*/"profile_bytes": N/' "$want") \
		     <(sed 's/"profile_bytes": [0-9]*/"profile_bytes": N/' "$got") | wc -c)" = 0 ]; then
		diag "only summary.profile_bytes differs: the renderer's own memory for" \
		     "the profile (profile_memory()), which moves when profile/'s" \
		     "structs change size; the samples rendered are the same"
	fi
	if grep -qI . "$got" 2>/dev/null && grep -qI . "$want" 2>/dev/null; then
		diff -u "$want" "$got" | head -20 | sed 's/^/#   /'
	else
		cmp "$want" "$got" 2>&1 | sed 's/^/#   /'
	fi
	return 1
}

n=0
while read -r name status rec args; do
	n=$((n + 1))
	read -ra argv <<<"$args"
	golden_render "$GILSPY" "$work" "$name" "$rec" "${argv[@]}"
	rc=$?
	[ "$rc" = "$status" ]
	ok $? "$name: gilspy report exits $status (got $rc)" ||
		sed 's/^/#   /' "$work/$name/stderr" 2>/dev/null | head -5
	want_files=$(cd "$expected/$name" 2>/dev/null && ls -A)
	got_files=$(cd "$work/$name" && ls -A)
	[ -n "$want_files" ] && [ "$want_files" = "$got_files" ]
	ok $? "$name: writes the expected files (${want_files//$'\n'/ })" ||
		diag "got: ${got_files//$'\n'/ }"
	for f in $want_files; do
		[ -e "$work/$name/$f" ] || continue
		same_file "$expected/$name/$f" "$work/$name/$f"
		ok $? "$name: $f is byte for byte the expected one"
	done
done < <(golden_cases)
[ "$n" -ge 30 ]
ok $? "all cases ran ($n)"
done_testing
