#!/bin/bash
# t0650-ci-recipe.sh - the CI recipes of docs/ci.md, run as written: the
# GitHub workflow's steps and the GitLab job's scripts are taken out of the
# page and run in order (t0650-ci-recipe.py fakes the CI services: GITHUB_*
# and CI_* variables, step summary files, sudo, apt-get, gh, curl, the
# `uses:` steps; `make install` is staged with DESTDIR) on a small project
# whose unittest suite runs threads.  For each CI:
#   1. a push to main: builds and installs gilspy from a snapshot of this
#      working tree, records the tests, uploads SVG, JSON, raw, folded
#      stacks; the step summary is written; the threshold is not crossed
#   2. a pull request with the same code: downloads run 1's artifact,
#      records with --baseline, draws the differential flame graph, passes
#   3. a pull request that adds two contending threads: crosses the
#      recipe's GIL_FAIL_IF and GIL_FAIL_IF_BASE, so the step and the job
#      fail, and every file is still written and uploaded
#   4. (GitHub) the pull requests' summary is one comment, edited by each
#      run; from a fork, where the token cannot comment, the job passes
# One host interpreter is enough (GILSPY_PYTHONS picks it).
. "$TOP/tests/lib/common.sh"

DOC=$TOP/docs/ci.md
DRIVER=$TOP/tests/functional/t0650-ci-recipe.py
l=$(py_interpreters | grep -v chroot | tail -1)
if [ -z "$l" ]; then
	skip "no host Python interpreter to run the recipe's tests with"
	done_testing
	exit
fi
for tool in git make jq; do
	if ! command -v $tool >/dev/null; then
		skip "$tool is not installed; the recipe needs it"
		done_testing
		exit
	fi
done
if ! /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	skip "PyYAML is missing (apt-get install python3-yaml) to read the recipes"
	done_testing
	exit
fi
export CI_PYTHON
CI_PYTHON=$(py_cmd "$l")
T=$(mktemp -d /tmp/gilspy-ci.XXXXXX)
trap 'py_stop; rm -rf "$T"' EXIT
diag "recipes run with Python $l ($CI_PYTHON) in $T"

# gilspy's source as the recipes fetch it: this working tree's files
# (tracked and new ones), committed to a git repository on branch main.
mkdir -p "$T/src"
(cd "$TOP" && git ls-files -co --exclude-standard -z) |
	while IFS= read -r -d '' f; do
		[ -f "$TOP/$f" ] || continue
		mkdir -p "$T/src/$(dirname "$f")" && cp -p "$TOP/$f" "$T/src/$f"
	done
git -C "$T/src" init -q -b main &&
	git -C "$T/src" add -A &&
	git -C "$T/src" -c user.name=t0650 -c user.email=t0650@localhost \
		commit -q -m snapshot
ok $? "snapshot of the working tree as gilspy's source"

# The project under CI: a unittest suite whose test runs WORKERS threads
# counting primes for 1.5 s.
project() {  # project DIR WORKERS
	rm -rf "$1"
	mkdir -p "$1/tests"
	cat >"$1/tests/test_work.py" <<EOF
import threading
import time
import unittest

WORKERS = $2


def count_primes(lo, hi):
    n = 0
    for k in range(lo, hi):
        if k > 1 and all(k % d for d in range(2, int(k ** 0.5) + 1)):
            n += 1
    return n


def work(seconds):
    end = time.time() + seconds
    while time.time() < end:
        count_primes(0, 2000)


class TestWork(unittest.TestCase):
    def test_workers(self):
        threads = [threading.Thread(target=work, args=(1.5,),
                                    name="worker-%d" % i)
                   for i in range(WORKERS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
EOF
}

RES=
simulate() {  # simulate github|gitlab STATE WORK EVENT [--set K=V]: $RES
	local kind=$1 state=$2 work=$3 event=$4
	shift 4
	RES=$(/usr/bin/python3 "$DRIVER" "$kind" --doc "$DOC" --state "$state" \
		--work "$work" --event "$event" "$@")
	local rc=$?
	if [ $rc != 0 ]; then
		diag "the driver could not run the $kind recipe ($rc): $RES"
		return 1
	fi
	return 0
}
res() {  # res EXPR: a Python expression over the last run's result `r`
	/usr/bin/python3 -c 'import json, sys
r = json.loads(sys.argv[2])
def step(name):
    return [s for s in r["steps"] if s["name"] == name][0]
v = eval(sys.argv[1])
print(v)' "$1" "$RES"
}
show_log() {
	diag "log of the run:"
	sed 's/^/#   /' "$1/run/log" | tail -${2:-40}
}

# Checks the outputs in WORK: SVG, JSON, raw (re-rendered by report),
# folded stacks.  THREADS is how many worker threads the JSON must show.
check_outputs() {  # check_outputs LABEL WORK THREADS GILSPY
	local label=$1 w=$2 n=$3 g=$4
	/usr/bin/python3 - "$w" "$n" <<'EOF'
import json, sys, xml.etree.ElementTree as ET
w, n = sys.argv[1], int(sys.argv[2])
root = ET.parse(w + "/gil.svg").getroot()
assert root.tag.endswith("svg"), root.tag
d = json.load(open(w + "/gil.json"))
assert d["version"] == 1
assert len(d["threads"]) == n + 1, [t["name"] for t in d["threads"]]
assert d["summary"]["samples"] > 20, d["summary"]["samples"]
assert open(w + "/gil.gilspy", "rb").read(8) == b"GILSPYRW"
EOF
	ok $? "$label: gil.svg is an SVG, gil.json a report with $n worker thread(s), gil.gilspy a raw recording"
	# The recipe's gates may name threads (held[worker-*]<50%).
	[ "$(jq -c '[.threads[].name | select(startswith("worker-"))] | length' "$w/gil.json")" = "$n" ]
	ok $? "$label: the threads have their Python names: $(jq -c '[.threads[].name]' "$w/gil.json")"
	"$g" report -q -o "$w/again.json" "$w/gil.gilspy" 2>"$w/report.err" &&
		[ "$(jq '.summary.samples' "$w/again.json")" = "$(jq '.summary.samples' "$w/gil.json")" ]
	ok $? "$label: gilspy report renders the raw recording with the same samples $(head -c 300 "$w/report.err")"
	grep -q 'worker-\|work (test_work.py' "$w/gil.txt" &&
		! grep -Evq '^[^ ].*[^ ] [0-9]+$' "$w/gil.txt"
	ok $? "$label: gil.txt has folded stacks of the test's threads"
}

# --- GitHub Actions ------------------------------------------------------------
G=$T/github
mkdir -p "$G/state"
cp -a "$T/src" "$G/state/src"

project "$G/w1" 1
simulate github "$G/state" "$G/w1" push
ok $? "github, push to main: the workflow runs" || show_log "$G/state"
[ "$(res 'r["status"]')" = success ]
ok $? "github, push to main: the job succeeds" || show_log "$G/state"
[ "$(res 'step("Fetch the base branch'"'"'s profile")["ran"]')" = False ]
ok $? "github, push to main: no baseline is fetched"
[ -x "$G/state/stage/usr/local/bin/gilspy" ] &&
	grep -q "^gilspy $(cat "$TOP/VERSION")\$" "$G/state/run/log" &&
	ls "$G/state/stage/usr/local/share/man/man1/gilspy-record.1" >/dev/null
ok $? "github: make install put gilspy and its man pages in PREFIX (staged), and gilspy --version ran"
check_outputs "github, push" "$G/w1" 1 "$G/state/stage/usr/local/bin/gilspy"
grep -q '[a-z]' "$G/state/run/step-summary.md"
ok $? "github, push: the step summary was written"
[ "$(res 'sorted(step("Upload the profile")["uploaded"])')" = "['gil.gilspy', 'gil.json', 'gil.md', 'gil.svg', 'gil.txt']" ]
ok $? "github, push: the artifact holds SVG, JSON, raw, markdown and folded stacks: $(res 'step("Upload the profile").get("uploaded")')"
[ "$(res 'step("Comment on the pull request")["ran"]')" = False ] && [ ! -e "$G/state/comments.json" ]
ok $? "github, push: no pull request, no comment"
cp "$G/state/run/step-summary.md" "$T/summary-main.md"
# The next runs reuse the built source, as a cache would.
rm -rf "$G/state/src" && cp -a "$G/w1/.gilspy-src" "$G/state/src"

project "$G/w2" 1
simulate github "$G/state" "$G/w2" pull_request
[ "$(res 'r["status"]')" = success ]
ok $? "github, pull request, same code: the job succeeds (threshold not crossed)" || show_log "$G/state"
grep -q "comparing with run 1000 of main" "$G/state/run/log" &&
	[ -f "$G/w2/base/gil.json" ] && [ -f "$G/w2/base/gil.txt" ]
ok $? "github, pull request: the base branch's artifact was downloaded" || show_log "$G/state"
check_outputs "github, pull request" "$G/w2" 1 "$G/state/stage/usr/local/bin/gilspy"
/usr/bin/python3 -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' "$G/w2/gil-diff.svg" &&
	grep -q 'gil-diff.svg' "$G/state/run/step-summary.md" &&
	[ "$(res '"gil-diff.svg" in step("Upload the profile")["uploaded"]')" = True ]
ok $? "github, pull request: gil-diff.svg drawn, uploaded and named in the summary"
! cmp -s "$G/state/run/step-summary.md" "$T/summary-main.md" &&
	grep -q 'against the base report' "$G/state/run/step-summary.md"
ok $? "github, pull request: the summary compares with the baseline"
# comment CHECK: the one comment on pull request 7 (JSON) as `c`
comment() {
	/usr/bin/python3 -c 'import json, sys
cs = [c for c in json.load(open(sys.argv[1])) if c["pr"] == "7"]
c = cs[0] if len(cs) == 1 else None
print(eval(sys.argv[2]))' "$G/state/comments.json" "$1" 2>/dev/null
}
[ "$(comment 'c["body"] == open("'"$G/w2/gil.md"'").read() and c["edits"]')" = 0 ] &&
	grep -q '^### gilspy: ' "$G/w2/gil.md" && grep -q 'against the base report' "$G/w2/gil.md"
ok $? "github, pull request: the summary, compared with the base, is the pull request's one comment"

project "$G/w3" 3
simulate github "$G/state" "$G/w3" pull_request
[ "$(res 'r["status"]')" = failure ] &&
	[ "$(res 'step("Run the tests under gilspy")["rc"]')" = 1 ]
ok $? "github, pull request with contention: the gilspy step exits 1 and the job fails" || show_log "$G/state"
grep -q 'threshold crossed' "$G/state/run/log" && grep -q 'OK' "$G/state/run/log"
ok $? "github, contention: the tests passed, the threshold failed the step ($(grep -m1 'threshold crossed' "$G/state/run/log"))"
grep -Eq 'threshold crossed: waiting [0-9.]+% > base [0-9.]+% \+ 10% = [0-9.]+% \(all threads\)' "$G/state/run/log"
ok $? "github, contention: GIL_FAIL_IF_BASE crossed against the base branch too ($(grep -m1 'crossed: waiting.*base' "$G/state/run/log"))"
check_outputs "github, contention" "$G/w3" 3 "$G/state/stage/usr/local/bin/gilspy"
[ "$(res 'step("Compare with the base branch")["rc"]')" = 0 ] &&
	[ "$(res 'sorted(step("Upload the profile")["uploaded"])')" = "['gil-diff.svg', 'gil.gilspy', 'gil.json', 'gil.md', 'gil.svg', 'gil.txt']" ] &&
	grep -q '[a-z]' "$G/state/run/step-summary.md"
ok $? "github, contention: the diff and the upload ran anyway (if: always()), summary written"
[ "$(comment 'c["body"] == open("'"$G/w3/gil.md"'").read() and c["edits"]')" = 1 ] &&
	grep -q 'Thresholds crossed' "$G/w3/gil.md"
ok $? "github, contention: the same comment now holds this run's summary, with the thresholds crossed"

# A pull request from a fork: the token cannot comment; the job is not
# failed for it.
project "$G/w4" 1
simulate github "$G/state" "$G/w4" pull_request --set GH_FAKE_READONLY=1
[ "$(res 'r["status"]')" = success ] &&
	[ "$(res 'step("Comment on the pull request")["rc"] != 0')" = True ] &&
	[ "$(comment 'c["body"] == open("'"$G/w3/gil.md"'").read() and c["edits"]')" = 1 ]
ok $? "github, pull request from a fork: commenting fails, the job passes, the comment is left as it was" || show_log "$G/state"

# --- GitLab CI -----------------------------------------------------------------
L=$T/gitlab
mkdir -p "$L/state"
gl() {  # gl WORK EVENT
	simulate gitlab "$L/state" "$1" "$2" --set "GILSPY_GIT=file://$T/src"
}
gl_files() {  # gl_files LABEL WORK
	local label=$1 w=$2
	[ -s "$w/gil-summary.md" ] &&
		[ "$(grep -Ec '^gil_[a-z_]+ [0-9.]+$' "$w/gil-metrics.txt")" = 5 ] &&
		[ "$(res 'r["reports"]')" = "{'metrics': ['gil-metrics.txt']}" ]
	ok $? "$label: gil-summary.md and the metrics report written" || show_log "$L/state"
}

project "$L/w1" 1
gl "$L/w1" push
[ "$(res 'r["status"]')" = success ] &&
	[ "$(res 'sorted(r["uploaded"])')" = "['gil-summary.md', 'gil.gilspy', 'gil.json', 'gil.svg', 'gil.txt']" ]
ok $? "gitlab, main: the job succeeds and keeps SVG, JSON, raw, folded stacks, summary" || show_log "$L/state"
check_outputs "gitlab, main" "$L/w1" 1 "$L/state/stage/usr/local/bin/gilspy"
gl_files "gitlab, main" "$L/w1"

project "$L/w2" 1
gl "$L/w2" pull_request
[ "$(res 'r["status"]')" = success ] && [ -f "$L/w2/base/gil.json" ] &&
	[ -f "$L/w2/gil-diff.svg" ] && grep -q 'comparing with the latest main pipeline' "$L/state/run/log"
ok $? "gitlab, merge request: the target branch's profile is downloaded, the diff drawn, the job passes" || show_log "$L/state"
gl_files "gitlab, merge request" "$L/w2"

project "$L/w3" 3
gl "$L/w3" pull_request
[ "$(res 'r["status"]')" = failure ] && grep -q 'threshold crossed' "$L/state/run/log" &&
	[ "$(res 'sorted(r["uploaded"])')" = "['gil-diff.svg', 'gil-summary.md', 'gil.gilspy', 'gil.json', 'gil.svg', 'gil.txt']" ]
ok $? "gitlab, merge request with contention: the job fails on the threshold, every artifact kept" || show_log "$L/state"
grep -Eq 'threshold crossed: waiting [0-9.]+% > base [0-9.]+% \+ 10% = [0-9.]+% \(all threads\)' "$L/state/run/log"
ok $? "gitlab, contention: GIL_FAIL_IF_BASE crossed against the target branch too ($(grep -m1 'crossed: waiting.*base' "$L/state/run/log"))"
check_outputs "gitlab, contention" "$L/w3" 3 "$L/state/stage/usr/local/bin/gilspy"
gl_files "gitlab, contention" "$L/w3"

diag "covered: $l"
done_testing
