#!/bin/bash
# t0920-subprocesses-raw.sh - a recording of a process tree (record -s of
# procs.py pool-fork) in the formats that follow every sample, and the
# --fail-if process selector:
#  - the raw recording (format 2) renders again with `gilspy report` into
#    exactly what record -s wrote: json (processes), collapsed (process
#    roots), markdown, svg, speedscope and chrome; so does a raw copy written by
#    report; cut in half, it still renders what is intact and exits 1;
#  - speedscope has a profile per thread of every process, named "PID NAME
#    (tid)"; chrome has each process as its own pid, with its name;
#  - --fail-if with {*}, {pid=N}, {cmd=GLOB}: every matched process is
#    checked with its own figures (a line each), none matched is crossed,
#    and a pool worker holds its own GIL (held{pid=W} >= 80 %).
# On the oldest, a 3.11 and the newest interpreter found.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"
need_pythons

W=$REC_DIR
labels=$(py_interpreters)
picked=$(printf '%s\n' "$(head -1 <<<"$labels")" "$(grep -m1 '^3\.11' <<<"$labels")" \
	"$(tail -1 <<<"$labels")" | awk 'NF && !seen[$0]++')

# pids LIST: the JSON report's process pids with samples, one a line
json_pids() {
	/usr/bin/python3 -c 'import json, sys
for p in json.load(open(sys.argv[1]))["processes"]:
    print(p["pid"])' "$1"
}

for l in $picked; do
	py_workdir "$l"
	cp "$TOP/tests/targets/procs.py" "$TOP/tests/targets/_ready.py" "$PY_HOSTDIR/"
	rm -f "$W"/out.* "$W"/r.* "$W"/c.* "$W"/cut.*
	# shellcheck disable=SC2046
	timeout 120 "$GILSPY" record -s -r 100 -o "$W/out.json" -o "$W/out.folded" \
		-o "$W/out.gilspy" -o "$W/out.md" -o "$W/out.speedscope.json" \
		-o "$W/out.trace.json" -o "$W/out.svg" --fail-if 'held{*}[MainThread]>100%' \
		--fail-if 'samples{*}<1000000' \
		-- $(py_cmd "$l") "$PY_DIR/procs.py" - pool-fork 2 4 \
		>/dev/null 2>"$W/err"; rc=$?
	rm -rf "$PY_HOSTDIR"
	np=$(json_pids "$W/out.json" | wc -l)
	if [ ! -s "$W/out.gilspy" ] || [ "$np" -lt 2 ]; then
		ok 1 "$l: record -s of Pool(4) writes every format ($np processes)"
		sed 's/^/#   /' "$W/err" | head -20
		continue
	fi
	[ $rc = 1 ]
	ok $? "$l: record -s --fail-if 'samples{*}<1000000': crossed, exit 1 (exit $rc)"
	n=$(grep -c '^gilspy: threshold crossed: samples{\*} [0-9]* < 1000000 (process [0-9]*)$' "$W/err")
	[ "$n" = "$np" ] && ! grep -q 'held{\*}' "$W/err"
	ok $? "$l: one crossed line per process ($n of $np), none for 'held{*}[MainThread]>100%'" ||
		grep threshold "$W/err" | sed 's/^/#   /'

	# the same thresholds: the markdown lists those crossed
	"$GILSPY" report -q "$W/out.gilspy" -o "$W/r.json" -o "$W/r.folded" \
		-o "$W/r.md" -o "$W/r.speedscope.json" -o "$W/r.trace.json" \
		-o "$W/r.svg" --fail-if 'held{*}[MainThread]>100%' \
		--fail-if 'samples{*}<1000000' 2>"$W/rerr"; rc=$?
	[ $rc = 1 ] && cmp -s <(grep threshold "$W/err") <(grep threshold "$W/rerr")
	ok $? "$l: report renders the raw recording of $np processes, crossing the same thresholds (exit $rc)" ||
		sed 's/^/#   /' "$W/rerr"
	for ext in json folded md svg speedscope.json trace.json; do
		cmp -s "$W/out.$ext" "$W/r.$ext"
		ok $? "$l: report's $ext is byte for byte what record -s wrote" ||
			diff "$W/out.$ext" "$W/r.$ext" | head -5 | sed 's/^/#   /'
	done
	od -A n -t u1 -j 8 -N 1 "$W/out.gilspy" | grep -qw 2
	ok $? "$l: the raw recording of a process tree is format version 2"

	"$GILSPY" report -q "$W/out.gilspy" -o "$W/c.gilspy" &&
		"$GILSPY" report -q "$W/c.gilspy" -o "$W/c.json" -o "$W/c.folded" &&
		cmp -s "$W/out.json" "$W/c.json" && cmp -s "$W/out.folded" "$W/c.folded"
	ok $? "$l: a raw copy written by report renders the same"

	/usr/bin/python3 - "$W/out.json" "$W/out.speedscope.json" "$W/out.trace.json" <<'PY'
import json, re, sys
rep, ss, tr = (json.load(open(f)) for f in sys.argv[1:4])
pids = {p["pid"]: p for p in rep["processes"]}
bad = []
names = [p["name"] for p in ss["profiles"]]
for n in names:
    m = re.match(r"^(\d+) (.*) \((\d+)\)$", n)
    if not m or int(m.group(1)) not in pids:
        bad.append("speedscope profile %r is not 'PID NAME (tid)' of a process" % n)
seen = {int(re.match(r"^(\d+)", n).group(1)) for n in names if re.match(r"^\d+", n)}
busy = {p for p, v in pids.items() if v["summary"]["samples"] >= 5}
if not busy <= seen:
    bad.append("speedscope lacks processes %s" % sorted(busy - seen))
ev = tr["traceEvents"]
xp = {e["pid"] for e in ev if e["ph"] == "X"}
named = {e["pid"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
if not busy <= xp:
    bad.append("chrome lacks intervals of processes %s" % sorted(busy - xp))
if not xp <= named:
    bad.append("chrome processes without a name: %s" % sorted(xp - named))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY
	ok $? "$l: speedscope has a profile per thread named 'PID NAME (tid)', chrome a pid per process"

	root=$(json_pids "$W/out.json" | sed -n 1p)
	worker=$(/usr/bin/python3 -c 'import json, sys
ps = json.load(open(sys.argv[1]))["processes"][1:]
print(max(ps, key=lambda p: p["summary"]["samples"])["pid"])' "$W/out.json")
	"$GILSPY" report -q "$W/out.gilspy" -o /dev/null --fail-if "held{pid=$worker}<80%" \
		--fail-if "utilisation{pid=$root}>100" 2>"$W/rerr"
	ok $? "$l: a pool worker ($worker) holds its own GIL: held{pid=$worker}<80% not crossed" ||
		sed 's/^/#   /' "$W/rerr"
	"$GILSPY" report -q "$W/out.gilspy" -o /dev/null \
		--fail-if 'held{cmd=*no-such-program*}>0' 2>"$W/rerr"; rc=$?
	[ $rc = 1 ] && grep -q "held{cmd=\*no-such-program\*} > 0%: no process matches ($root, " "$W/rerr"
	ok $? "$l: a selector matching no process is crossed and says so (exit $rc)" ||
		sed 's/^/#   /' "$W/rerr"

	size=$(stat -c %s "$W/out.gilspy")
	head -c $((size / 2)) "$W/out.gilspy" >"$W/cut.gilspy"
	"$GILSPY" report -q "$W/cut.gilspy" -o "$W/cut.json" 2>"$W/rerr"; rc=$?
	[ $rc = 1 ] && grep -q 'cut short\|no end record' "$W/rerr" &&
		[ "$(json_pids "$W/cut.json" | wc -l)" -ge 1 ]
	ok $? "$l: cut in half, the recording still renders its processes and exits 1 (exit $rc)" ||
		sed 's/^/#   /' "$W/rerr"
	diag "covered: $l"
done

done_testing
