# golden.sh - render the `gilspy report` golden cases (sourced, bash).
#
# The cases, the recordings they render and the expected outputs live in
# tests/data/report/ (see its cases file for the format).  Used by
# tests/functional/t0690-report-golden.sh to check a binary against the
# expected outputs, and by tests/data/report/regen.sh to write them.
#
#   golden_cases             print the case lines: NAME STATUS RECORDING ARGS...
#   golden_render GILSPY WORK NAME RECORDING ARGS...
#       copy the inputs into WORK (once), run the case in the empty
#       directory WORK/NAME and return gilspy's exit status; stdout and
#       stderr land in WORK/NAME/{stdout,stderr}, removed when empty

GOLDEN_DATA=$TOP/tests/data/report

golden_cases() {
	grep -v -e '^#' -e '^[[:space:]]*$' "$GOLDEN_DATA/cases"
}

golden_render() {
	local bin=$1 work=$2 name=$3 rec=$4 rc
	shift 4
	if [ ! -e "$work/base.json" ]; then
		cp "$GOLDEN_DATA"/*.gilspy "$GOLDEN_DATA/base.json" "$work/" || return 125
	fi
	rm -rf "${work:?}/$name"
	mkdir -p "$work/$name" || return 125
	# A relative input and relative outputs: the closing line on stderr
	# names them as given, so it reads the same in any directory.
	(cd "$work/$name" && exec "$bin" report "../$rec.gilspy" "$@" \
		>stdout 2>stderr </dev/null)
	rc=$?
	[ -s "$work/$name/stdout" ] || rm -f "$work/$name/stdout"
	[ -s "$work/$name/stderr" ] || rm -f "$work/$name/stderr"
	return $rc
}
