#!/bin/bash
# t0230-dump-subinterp.sh - 3.12+ subinterpreters with their own GIL: dump
# shows their threads, numbered by interpreter, holding their own GIL while
# the main interpreter's GIL is free.
. "$TOP/tests/lib/common.sh"

need_pythons
covered=()
for py in $(py_interpreters); do
	[[ $py =~ ^3\.([0-9]+) ]] && [ "${BASH_REMATCH[1]}" -ge 12 ] || continue
	py_start "$py" subinterp.py || { ok 1 "$py: target starts"; py_stop; continue; }
	"$GILSPY" dump -p "$PY_PID" --json >"$PY_HOSTDIR/d.json" 2>"$PY_HOSTDIR/err"
	ok $? "$py: dump exits 0" || sed 's/^/#   /' "$PY_HOSTDIR/err"
	python3 - "$PY_HOSTDIR/d.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
subs = [t for t in d["threads"] if t["interpreter"] != 0]
mains = [t for t in d["threads"] if t["interpreter"] == 0]
spin = [t for t in subs if t["frames"] and t["frames"][0]["function"] == "subspin"
        and t["frames"][0]["line"] == 2
        and t["frames"][0]["file"] in ("<string>", "<script>")]  # 3.14+ says <script>
sleeper = [t for t in mains if t["frames"] and t["frames"][0]["function"] == "main_sleep"
           and t["frames"][0]["line"] == 23]
errs = []
if len(spin) != 1 or spin[0]["state"] != "held":
    errs.append("want one subinterpreter thread holding its GIL in subspin (<string>:2): %r"
                % [(t["interpreter"], t["state"], t["frames"][:1]) for t in subs])
if len(sleeper) != 1 or sleeper[0]["state"] != "idle":
    errs.append("want the main thread idle in main_sleep:23: %r" % mains)
if d["gil"]["locked"] and d["gil"]["holder_tid"] == (spin[0]["tid"] if spin else None) \
        and not any(t["state"] == "held" and t["interpreter"] == 0 for t in mains):
    errs.append("the main GIL is reported held by the subinterpreter's thread")
for e in errs:
    print("#   " + e)
sys.exit(1 if errs else 0)
PY
	ok $? "$py: subinterpreter thread holds its own GIL, main interpreter idle"
	covered+=("$py")
	py_stop
done
if [ ${#covered[@]} = 0 ]; then
	skip "no python 3.12+ found"
else
	diag "interpreters covered: ${covered[*]}"
fi
done_testing
