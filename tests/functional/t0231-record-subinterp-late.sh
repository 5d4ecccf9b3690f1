#!/bin/bash
# t0231-record-subinterp-late.sh - 3.12+: a subinterpreter created half a
# second into a recording is recorded from then on.  While the main interpreter is
# the only one, gilspy reads the interpreter list head only every 10 ms
# (src/python/prefetch.c), so this is what shows that a new interpreter is
# still found, and soon: its thread, holding its own GIL from its first
# moment, must be held for most of the 1.5 s it lived in the 2 s recording
# (at least 80 % of them at the rate achieved; it was 1502-1556 of 2001
# samples when written).
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

need_pythons
covered=()
for py in $(py_interpreters); do
	[[ $py =~ ^3\.([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 12 ] || continue
	py_start "$py" subinterp_late.py 0.5 || { ok 1 "$py: target starts"; py_stop; continue; }
	"$GILSPY" record -p "$PY_PID" -d 2 -r 1000 -o "$REC_DIR/out.json" \
		2>"$REC_DIR/err" >/dev/null
	ok $? "$py: record exits 0" || sed 's/^/#   /' "$REC_DIR/err"
	/usr/bin/python3 - "$REC_DIR/out.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
hz = d["summary"]["achieved_hz"]
sub = [t for t in d["threads"] if t["name"] == "sub"]
held = sub[0]["states"]["held"] if sub else 0
want = 0.8 * (2.0 - 0.5) * hz
print("#   sub held %d samples of %d (at %.0f Hz; want >= %.0f)"
      % (held, d["summary"]["samples"], hz, want))
sys.exit(0 if held >= want else 1)
PY
	ok $? "$py: the subinterpreter created during the recording is recorded"
	covered+=("$py")
	py_stop
done
if [ ${#covered[@]} = 0 ]; then
	skip "no python 3.12+ found"
else
	diag "interpreters covered: ${covered[*]}"
fi
done_testing
