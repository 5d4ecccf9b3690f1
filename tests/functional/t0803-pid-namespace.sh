#!/bin/bash
# t0803-pid-namespace.sh - a target in a pid namespace of its own
# (unshare --pid --fork --mount-proc), attached by its host pid.
#
# Expected: the same profile as outside one.  The target knows its threads
# by namespace ids (1, 2, 3); gilspy maps them to the host's to read each
# thread's OS state, so two spinners show as holding and waiting for the
# GIL, not idle.  The tids shown are the target's own.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

if ! unshare --pid --fork --mount-proc true 2>"$REC_DIR/e"; then
	skip "cannot make a pid namespace: $(cat "$REC_DIR/e")"
	done_testing
	exit
fi
n=0
for l in $(py_interpreters | grep -v chroot | head -3); do
	cp "$TOP/tests/targets/spin2.py" "$TOP/tests/targets/_ready.py" "$REC_DIR/"
	rm -f "$REC_DIR/ready"
	# shellcheck disable=SC2046
	unshare --pid --fork --mount-proc $(py_cmd "$l") "$REC_DIR/spin2.py" \
		"$REC_DIR/ready" >/dev/null 2>&1 &
	ns=$!
	for _ in $(seq 100); do [ -e "$REC_DIR/ready" ] && break; sleep 0.05; done
	pid=$(pgrep -P $ns | head -1)
	if [ -z "$pid" ] || ! grep -q '^NSpid:.*[[:space:]]1$' /proc/"$pid"/status; then
		ok 1 "$l: target started in its own pid namespace"
		kill -9 $ns 2>/dev/null; continue
	fi
	"$GILSPY" record -p "$pid" -d 2 -r 200 -o "$REC_DIR/out.json" 2>"$REC_DIR/err"; rc=$?
	# the ids the target knows its threads by (the last of each NSpid)
	inner=$(awk '/^NSpid:/ {print $NF}' /proc/"$pid"/task/*/status | sort -n | xargs)
	kill -9 "$pid" $ns 2>/dev/null; wait $ns 2>/dev/null
	good=0
	for t in spin-a spin-b; do
		held=$(jget "th('$t')['pct']['held']")
		busy=$(jget "th('$t')['pct']['waiting'] + th('$t')['pct']['native']")
		fcmp "$held" '>=' 30 && fcmp "$held" '<=' 70 && fcmp "$busy" '>=' 30 &&
			good=$((good + 1))
		diag "$l: $t held $held %, waiting + native $busy %"
	done
	[ $rc = 0 ] && [ $good = 2 ]
	ok $? "$l: attached by host pid $pid: both spinners hold and wait for the GIL (exit $rc)" ||
		sed 's/^/#   /' "$REC_DIR/err"
	shown=$(jget '" ".join(str(t["tid"]) for t in sorted(d["threads"], key=lambda t: t["tid"]))')
	[ -n "$inner" ] && [ "$shown" = "$inner" ]
	ok $? "$l: the tids shown are the target's own ($shown; its tasks: $inner)"
	n=$((n + 1))
done
[ $n -gt 0 ] || skip "no host interpreter found"
done_testing
