# record.sh - helpers for the `gilspy record` tests (sourced after common.sh).
#
#   rec LABEL SCRIPT SECS RATE [GILSPY OPTIONS...] [-- SCRIPT ARGS]
#       start SCRIPT under LABEL, record it into $REC_DIR/out.json (plus any
#       -o given), stop it; stderr of gilspy in $REC_DIR/err
#   jget EXPR [FILE]   print a Python expression over the JSON report `d`;
#       helpers: th(NAME) is the thread entry named NAME
#   fcmp A OP B        float comparison for `ok`, e.g. fcmp "$x" '>=' 90

REC_DIR=$(mktemp -d /tmp/gilspy-rec.XXXXXX)
trap 'py_stop; rm -rf "$REC_DIR"' EXIT

rec() {
	local l=$1 script=$2 secs=$3 rate=$4 opts=() args=()
	shift 4
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ "${1:-}" = -- ] && { shift; args=("$@"); }
	rm -f "$REC_DIR"/out.* "$REC_DIR/err"
	py_start "$l" "$script" "${args[@]}" || { py_stop; return 1; }
	"$GILSPY" record -p "$PY_PID" -d "$secs" -r "$rate" \
		-o "$REC_DIR/out.json" "${opts[@]}" 2>"$REC_DIR/err" >/dev/null
	local rc=$?
	py_stop
	[ $rc = 0 ] || { diag "gilspy record failed ($rc):"; sed 's/^/#   /' "$REC_DIR/err"; }
	return $rc
}

jget() {
	/usr/bin/python3 - "$1" "${2:-$REC_DIR/out.json}" <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))
def th(name):
    for t in d["threads"]:
        if t["name"] == name:
            return t
    return {"pct": {"held": -1, "waiting": -1, "native": -1, "idle": -1}}
v = eval(sys.argv[1])
print(round(v, 1) if isinstance(v, float) else v)
PY
}

fcmp() {
	/usr/bin/python3 -c "import sys; sys.exit(0 if float('$1') $2 float('$3') else 1)"
}
