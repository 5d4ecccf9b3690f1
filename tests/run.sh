#!/bin/sh
# run.sh - the whole test suite through prove (TAP).
#   GILSPY=path/to/gilspy UNIT=path/to/unit-tests tests/run.sh [test files]
# Functional tests are tests/*/tNNNN-*.sh; each prints TAP and says which
# interpreters it covered or why it skipped.
set -eu
cd "$(dirname "$0")/.."
: "${GILSPY:?set GILSPY to the gilspy binary}"
: "${UNIT:?set UNIT to the unit-test binary}"
export GILSPY UNIT
TOP=$(pwd)
export TOP
# --failures and --comments: a CI log shows each failed check with the
# diagnostics after it, and which interpreters each test covered.
if [ $# -gt 0 ]; then
	exec prove --timer --failures --comments -e /bin/bash "$@"
fi
# The whole suite: tests/rules.yml runs the tests that time nothing two at
# a time first, then the rest one at a time.
HARNESS_RULESFILE=tests/rules.yml exec prove -j2 --timer --failures \
	--comments -e /bin/bash tests/*/t[0-9]*.sh
