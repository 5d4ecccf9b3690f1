#!/bin/bash
# t0415-record-blame.sh - the folded blame stacks (record --blame) agree
# with the JSON report's blame table of the same run: summed per waiter
# thread and function x holder thread and function, the samples are equal,
# and they add up to all waiting samples; every stack is a waiting one
# with `[held by NAME (tid)]` or `[GIL in hand-off]` above its
# `[waiting for GIL]`; report --blame of the raw recording writes the same
# lines; an SVG written with --blame says it is a blame view.  hog.py:
# the hog keeps the GIL in long sorted() calls while spin waits.  Every
# interpreter found.
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

for l in $(py_interpreters); do
	if ! rec "$l" hog.py 1.5 1000 --blame --threads --function \
		-o "$REC_DIR/out.txt" -o "$REC_DIR/out.gilspy" \
		-o "$REC_DIR/out.svg" -- 50; then
		ok 1 "$l: record hog.py --blame"
		continue
	fi
	python3 - "$REC_DIR/out.txt" "$REC_DIR/out.json" <<'PY'
import collections, json, re, sys
folded, report = sys.argv[1], json.load(open(sys.argv[2]))
got = collections.Counter()
bad = []
for line in open(folded):
    stack, n = line.rstrip("\n").rsplit(" ", 1)
    f = stack.split(";")
    if "[waiting for GIL]" not in f:
        bad.append(line)
        continue
    w = f.index("[waiting for GIL]")
    m = re.match(r"thread (.*) \((\d+)\)$", f[0])
    waiter = (m.group(1), int(m.group(2)), f[w - 1] if w > 1 else None)
    above = f[w + 1:]
    if above == ["[GIL in hand-off]"]:
        holder = (None, None, None)
    else:
        h = re.match(r"\[held by (.*) \((\d+)\)\]$", above[0]) if above else None
        if not h or len(above) > 2:
            bad.append(line)
            continue
        holder = (h.group(1), int(h.group(2)), above[1] if len(above) == 2 else None)
    got[waiter, holder] += int(n)
if bad:
    print("# not blame stacks:\n" + "".join("#   " + b for b in bad[:5]), end="")
    sys.exit(1)
want = collections.Counter()
for r in report["blame"]:
    k = tuple((r[s]["thread"], r[s]["tid"], r[s]["function"]) for s in ("waiter", "holder"))
    want[k] += r["samples"]
total = sum(got.values())
if total != report["blame_waiting"]:
    print("# folded blame stacks sum to %d, the report has %d waiting samples"
          % (total, report["blame_waiting"]))
    sys.exit(1)
full = report["blame_rows"] == len(report["blame"])
for k, n in want.items():
    if got.get(k, 0) != n:
        print("# %s: %d in the folded stacks, %d in the report" % (k, got.get(k, 0), n))
        sys.exit(1)
if full and set(got) != set(want):
    print("# rows only in the folded stacks: %s" % (set(got) - set(want)))
    sys.exit(1)
top = max(want, key=want.get) if want else None
print("# %d rows, %d waiting samples; top %s" % (len(want), total, top))
PY
	ok $? "$l: the folded blame stacks sum to the JSON report's blame table"
	grep -q ';\[waiting for GIL\];\[held by hog ([0-9]*)\];hog_loop (hog.py:[0-9]*) [0-9]*$' "$REC_DIR/out.txt"
	ok $? "$l: spin's waiting leads to hog's hog_loop"
	"$GILSPY" report "$REC_DIR/out.gilspy" --blame --threads --function \
		-o "$REC_DIR/replay.txt" 2>"$REC_DIR/err" &&
		cmp -s "$REC_DIR/out.txt" "$REC_DIR/replay.txt"
	ok $? "$l: report --blame of the raw recording writes the same stacks" ||
		diff "$REC_DIR/out.txt" "$REC_DIR/replay.txt" | head -5 | sed 's/^/#   /'
	grep -q '<title>GIL blame: ' "$REC_DIR/out.svg" &&
		grep -q 'class="f b1" data-n="\[held by hog (' "$REC_DIR/out.svg"
	ok $? "$l: the --blame SVG is a blame view with the holder frames"
done
done_testing
