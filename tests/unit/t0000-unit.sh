#!/bin/bash
# t0000-unit.sh - the C unit tests (they print TAP themselves).  Test data
# made from the real interpreters found is generated first.
. "$TOP/tests/lib/common.sh"
datadir=$(mktemp -d)
trap 'rm -rf "$datadir"' EXIT
"$TOP/tests/unit/gen-data.sh" "$datadir" >&2
UNIT_DATA=$datadir exec "$UNIT"
