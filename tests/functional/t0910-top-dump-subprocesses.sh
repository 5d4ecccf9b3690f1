#!/bin/bash
# t0910-top-dump-subprocesses.sh - dump -s and top -s on a process tree:
# multiprocessing.Pool(3) with fork (tests/targets/procs.py) on the oldest
# interpreter found, a 3.11 and the newest:
#  - dump -s --json: the master and each worker, each with its own header;
#    every worker runs pool_task, holding its own GIL (seen held in at
#    least one of a few dumps: a worker holds it ~85% of the time);
#  - dump -s as text: a "Process PID (child of ROOT)" block per worker;
#  - a shell between a parent and its Python grandchild: the shell listed
#    under "Not sampled" as not Python, the grandchild dumped;
#  - top -b -s --group: a header line per worker with its GIL figures, its
#    MainThread under its pid, pool_task rows in the PID column;
#  - top -s on the screen (tmux, once): the PID column, key s groups the
#    rows under one line per process, q gives the terminal back.
. "$TOP/tests/lib/common.sh"
need_pythons

labels=$(py_interpreters)
first=$(head -1 <<<"$labels")
last=$(tail -1 <<<"$labels")
mid=$(grep -m1 '^3\.11' <<<"$labels")
pick=$(printf '%s\n' $first $mid $last | awk 'NF && !seen[$0]++')

tmp=$(mktemp -d)
sock=gilspy-t0910-$$
T() { tmux -L "$sock" -f /dev/null "$@"; }
# the pool's workers are ended with it: py_stop_tree (tests/lib/common.sh)
cleanup() { command -v tmux >/dev/null && T kill-server 2>/dev/null; py_stop_tree; rm -rf "$tmp"; }
trap cleanup EXIT

# check_json ROOT FILES...: every worker in every dump, each running
# pool_task and held in at least one; prints the workers' pids
check_json() {
	/usr/bin/python3 - "$@" <<'EOF'
import json, sys
root = int(sys.argv[1])
seen, held, bad = {}, set(), []
for path in sys.argv[2:]:
    d = json.load(open(path))
    procs = {p["pid"]: p for p in d["processes"]}
    if root not in procs:
        bad.append("%s: the root %d is not dumped" % (path, root))
    workers = [p for p in d["processes"] if p.get("ppid") == root]
    for p in workers:
        assert p["python"]["version"] and "gil" in p, p
        for t in p["threads"]:
            funcs = [f["function"] for f in t["frames"]]
            if "pool_task" in funcs:
                seen[p["pid"]] = seen.get(p["pid"], 0) + 1
                if t["state"] == "held":
                    held.add(p["pid"])
if len(seen) != 3:
    bad.append("workers running pool_task: %s, want 3" % sorted(seen))
for pid in seen:
    if pid not in held:
        bad.append("worker %d never seen holding its GIL" % pid)
for b in bad:
    print("bad:", b)
print(" ".join(str(p) for p in sorted(seen)))
sys.exit(1 if bad else 0)
EOF
}

tmux_done=
for l in $pick; do
	py_start "$l" procs.py pool-fork 30 3 || { ok 1 "$l: the pool starts"; py_stop_tree; continue; }
	root=$PY_PID
	sleep 0.5
	files=()
	for i in 1 2 3 4 5; do
		"$GILSPY" dump -s -p "$root" --json >"$tmp/d$i.json" 2>"$tmp/err" ||
			{ diag "dump $i failed"; sed 's/^/#   /' "$tmp/err"; }
		files+=("$tmp/d$i.json")
		sleep 0.13
	done
	out=$(check_json "$root" "${files[@]}"); rc=$?
	workers=$(tail -1 <<<"$out")
	ok $rc "$l: dump -s --json: the master and three workers, each running pool_task holding its own GIL" ||
		sed 's/^/#   /' <<<"$out"

	# up to three dumps: between two map() calls every worker waits for
	# its next task (about one dump in forty sees no pool_task at all)
	for _ in 1 2 3; do
		"$GILSPY" dump -s -p "$root" >"$tmp/text" 2>"$tmp/err"; rc=$?
		for w in $workers; do
			grep -q "^Process $w (child of $root): " "$tmp/text" || rc=1
		done
		grep -q "^Process $root: " "$tmp/text" && grep -q '^    pool_task (' "$tmp/text" &&
			[ "$(grep -c '^GIL: ' "$tmp/text")" -ge 4 ] || rc=1
		[ $rc = 0 ] && break
		sleep 0.2
	done
	ok $rc "$l: dump -s as text: a block with its own GIL line per process" ||
		{ grep -E '^(Process|GIL|Not|  Process|    pool_task)' "$tmp/text" | sed 's/^/#   /'; sed 's/^/#   err: /' "$tmp/err"; }

	timeout 60 "$GILSPY" top -b -s --group -n 2 -i 1 -p "$root" >"$tmp/top" 2>"$tmp/err"; rc=$?
	last_frame=$(awk '/^gilspy top - /{ buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$tmp/top")
	for w in $workers; do
		grep -Eq "^process $w \\(child of $root\\) +Python [^ ]+ +GIL held +[0-9.]+% +contention +[0-9.]+%" <<<"$last_frame" &&
			grep -Eq "^ +$w +$w +MainThread " <<<"$last_frame" &&
			grep -Eq "^ +$w( +[0-9.]+){4} +pool_task \\(" <<<"$last_frame" || rc=1
	done
	grep -Eq "^process $root +Python" <<<"$last_frame" &&
		grep -Eq "pid $root and subprocesses: [4-9] Python processes" <<<"$last_frame" || rc=1
	ok $rc "$l: top -b -s --group: a line per worker with its GIL figures, its MainThread and pool_task under its pid" ||
		{ sed 's/^/#   /' <<<"$last_frame" | head -40; sed 's/^/#   err: /' "$tmp/err"; }

	timeout 60 "$GILSPY" top -b -s -n 1 -i 1 -p "$root" >"$tmp/flat" 2>"$tmp/err"; rc=$?
	for w in $workers; do
		grep -Eq "^ +$w +$w +MainThread " "$tmp/flat" &&
			grep -Eq "^ +$w( +[0-9.]+){4} +pool_task \\(" "$tmp/flat" || rc=1
	done
	! grep -q '^process ' "$tmp/flat" || rc=1
	ok $rc "$l: top -b -s: one list, each worker's MainThread and pool_task with its pid in the PID column" ||
		sed 's/^/#   /' "$tmp/flat" | head -40

	if [ -z "$tmux_done" ] && command -v tmux >/dev/null; then
		tmux_done=1
		T new-session -d -s top -x 150 -y 45 "bash --norc --noprofile" &&
			T set-option -g status off >/dev/null
		screen() { T capture-pane -p -t top; }
		wait_for() {  # wait_for REGEX [SECONDS]
			local _
			for _ in $(seq 1 $((${2:-5} * 10))); do
				screen | grep -Eq -- "$1" && return 0
				sleep 0.1
			done
			return 1
		}
		T send-keys -t top "clear; $GILSPY top -s -i 0.5 -p $root; echo \$? >$tmp/exit" Enter
		rc=0
		wait_for '  pool_task \(procs\.py' 15 && wait_for '^ +PID +TID +THREAD' 3 || rc=1
		for w in $workers; do
			wait_for "^ +$w +$w +MainThread " 3 || rc=1
		done
		ok $rc "$l: top -s on the screen: a PID column, each worker's MainThread and pool_task" ||
			screen | sed 's/^/#   /'
		T send-keys -t top s
		rc=0
		wait_for 'rows grouped by process' 3 || rc=1
		for w in $workers; do
			wait_for "^process $w \\(child of $root\\) +Python [^ ]+ +GIL held +[0-9.]+% +contention +[0-9.]+%" 3 || rc=1
		done
		wait_for "^process $root +Python" 3 || rc=1
		screen >"$tmp/grouped"
		# each worker's header line is followed by its own thread
		for w in $workers; do
			grep -A1 "^process $w " "$tmp/grouped" | tail -1 | grep -Eq "^ +$w +$w +MainThread " || rc=1
		done
		ok $rc "$l: key s groups the rows under a line per process with its GIL held and contention" ||
			sed 's/^/#   /' "$tmp/grouped"
		T send-keys -t top q
		for _ in $(seq 1 50); do [ -s "$tmp/exit" ] && break; sleep 0.1; done
		[ "$(cat "$tmp/exit" 2>/dev/null)" = 0 ]
		ok $? "$l: q ends top -s with status 0"
	fi
	py_stop_tree
	diag "covered: $l"
done

# Launch mode: every process joins from the start, and once they have all
# exited the last frame keeps them, marked exited.
for l in $pick; do
	py_workdir "$l"
	cp "$TOP/tests/targets/procs.py" "$TOP/tests/targets/_ready.py" "$PY_HOSTDIR/"
	# shellcheck disable=SC2046
	timeout 60 "$GILSPY" top -b -s --group -i 0.5 -- $(py_cmd "$l") "$PY_DIR/procs.py" - pool-fork 2 2 \
		>"$tmp/launch" 2>"$tmp/err"; rc=$?
	last_frame=$(awk '/^gilspy top - /{ buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' "$tmp/launch")
	[ $rc = 0 ] && grep -q 'every process exited' <<<"$last_frame" &&
		[ "$(grep -Ec '^process [0-9]+ \(child of [0-9]+\) .* exited ' <<<"$last_frame")" = 2 ] &&
		grep -Eq '^process [0-9]+ +Python .* exited ' <<<"$last_frame" &&
		grep -Eq '^ +[0-9]+ +[0-9]+ +MainThread +exited ' <<<"$last_frame" &&
		grep -Eq '  pool_task \(' <<<"$last_frame"
	ok $? "$l: top -b -s -- COMMAND: the last frame keeps the master and both workers, marked exited (exit $rc)" ||
		{ sed 's/^/#   /' <<<"$last_frame" | head -30; sed 's/^/#   err: /' "$tmp/err" | head; }
	rm -rf "$PY_HOSTDIR"
	PY_HOSTDIR=
done

# A shell between a parent and its Python grandchild: the shell is listed
# as not Python, the grandchild is dumped.
l=$(head -1 <<<"$pick")
if py_start "$l" procs.py shell 20; then
	root=$PY_PID
	for _ in $(seq 1 40); do
		"$GILSPY" dump -s -p "$root" >"$tmp/shell" 2>"$tmp/err"
		grep -q 'child_work (' "$tmp/shell" && break
		sleep 0.1
	done
	grep -q '^Not sampled (1):' "$tmp/shell" &&
		grep -Eq '^  Process [0-9]+ \(/bin/sh .*\): not Python' "$tmp/shell" &&
		grep -Eq '^Process [0-9]+ \(child of [0-9]+\): ' "$tmp/shell" &&
		grep -q '^    child_work (' "$tmp/shell"
	ok $? "$l: dump -s: the shell between is listed as not Python, the grandchild is dumped" ||
		sed 's/^/#   /' "$tmp/shell" | head -30
	"$GILSPY" dump -s -p "$root" --json >"$tmp/shell.json" 2>"$tmp/err"
	/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sk = d["processes_skipped"]
assert len(sk) == 1 and sk[0]["why"].startswith("not Python"), sk
assert len(d["processes"]) == 2, [p["pid"] for p in d["processes"]]
' "$tmp/shell.json"
	ok $? "$l: dump -s --json: processes_skipped names the shell and why"
else
	ok 1 "$l: procs.py shell starts"
fi
py_stop_tree

"$GILSPY" top -s waiting -p 1 >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q -- "-s means --subprocesses .*-o waiting" "$tmp/err"
ok $? "top -s COLUMN (the old --sort) is a usage error that says to use -o" ||
	sed 's/^/#   /' "$tmp/err"

done_testing
