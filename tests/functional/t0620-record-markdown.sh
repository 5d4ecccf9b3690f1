#!/bin/bash
# t0620-record-markdown.sh - the markdown summary of live recordings: every
# figure, thread row and top function agrees with the JSON report of the
# same run; --baseline adds the base's values and deltas that agree with
# the base's own report (a run with far more contention is marked worse);
# a target with 120 threads with hostile names and hundreds of functions
# with long names gives well-formed tables under 64 KB.  On every
# interpreter found (GILSPY_PYTHONS limits).
. "$TOP/tests/lib/common.sh"
. "$TOP/tests/lib/record.sh"

# mrec LABEL SCRIPT SECS [GILSPY OPTIONS...] [-- SCRIPT ARGS]: record;
# exit status in $rc, stderr in $REC_DIR/err.  1 if the target did not
# start.
mrec() {
	local l=$1 script=$2 secs=$3 opts=() args=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	[ "${1:-}" = -- ] && { shift; args=("$@"); }
	py_start "$l" "$script" "${args[@]}" || { py_stop; return 1; }
	"$GILSPY" record -p "$PY_PID" -d "$secs" -r 200 "${opts[@]}" \
		2>"$REC_DIR/err" >/dev/null
	rc=$?
	py_stop
	[ $rc = 0 ] || [ -n "${MREC_FAILS:-}" ] ||
		{ diag "gilspy record failed ($rc):"; sed 's/^/#   /' "$REC_DIR/err" | tail -5; }
	return 0
}

# mdcheck MODE MD JSON [BASE.json]: check the markdown against the JSON
# report(s); prints "STATUS description" lines (0 passed).
mdcheck() {
	/usr/bin/python3 - "$@" <<'PY'
import json, re, sys

mode, mdpath, jpath = sys.argv[1:4]
md = open(mdpath, encoding="utf-8").read()
d = json.load(open(jpath))
base = json.load(open(sys.argv[4])) if len(sys.argv) > 4 else None
out = []
def check(cond, desc):
    out.append("%d %s" % (0 if cond else 1, desc))

def cells(line):
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]

def code(cell):
    """The text of a code span cell, as gilspy escaped it."""
    m = re.match(r"^(`+)(.*)\1(.*)$", cell)
    if not m:
        return None, cell
    inner = m.group(2)
    if len(inner) > 1 and inner[0] == " " and inner[-1] == " " and inner.strip():
        inner = inner[1:-1]
    return inner.replace("\\|", "|"), m.group(3).strip()

def num(cell):
    m = re.match(r"^\**([-+]?[0-9]+(?:\.[0-9]+)?)", cell)
    return float(m.group(1)) if m else None

def near(a, b, tol):
    return a is not None and b is not None and abs(a - b) <= tol

def shares(doc):
    st = {k: 0 for k in ("held", "waiting", "native", "idle", "running")}
    for t in doc["threads"]:
        for k in st:
            st[k] += t["states"][k]
    busy = st["held"] + st["waiting"] + st["native"] + st["running"]
    pct = lambda v, w: 100.0 * v / w if w else 0.0
    return {"held": pct(st["held"], busy), "waiting": pct(st["waiting"], busy),
            "native": pct(st["native"] + st["running"], busy),
            "idle": pct(st["idle"], busy + st["idle"])}

lines = md.split("\n")
# --- tables are well formed, nothing outside code spans is markup -------
table, bad = None, []
for ln in lines:
    if ln.startswith("|"):
        n = len(re.findall(r"(?<!\\)\|", ln))
        if not ln.endswith("|") or (table is not None and n != table):
            bad.append(ln[:120])
        table = n
    else:
        table = None
check(not bad, "tables well formed (%s)" % (bad[:1] or "every row"))
plain = re.sub(r"(`+).*?\1", "", md)
check(not re.search(r"[<@]", plain), "no '<' or '@' outside code spans")
check(len(md.encode("utf-8")) <= 65536, "at most 64 KB (%d bytes)" % len(md.encode("utf-8")))

figs = {}
for ln in lines:
    c = cells(ln) if ln.startswith("| ") else []
    if len(c) >= 3 and re.match(r"^`[a-z]+`$", c[1]):
        figs[c[1].strip("`")] = c
threads = {}
for ln in lines:
    c = cells(ln) if ln.startswith("| `") else []
    if len(c) == 6 and c[1].isdigit():
        threads[int(c[1])] = c
def top(title):
    rows, on = [], False
    for ln in lines:
        if ln.startswith("#### "):
            on = ln == "#### Top functions " + title
        elif on and ln.startswith("| ") and not ln.startswith("| %"):
            rows.append(cells(ln))
    return rows
s = d["summary"]

if mode == "big":
    n = len(d["threads"])
    check(n >= 100 and len(d["functions"]) >= 200,
          "hundreds of functions (%d) in %d threads" % (len(d["functions"]), n))
    check(len(threads) == 40, "40 thread rows (%d)" % len(threads))
    check("\n%d more threads not shown (the 40 busiest are; the JSON report has them all).\n"
          % (n - 40) in md, "says %d more threads were left out" % (n - 40))
    bad = []
    for tid, c in threads.items():
        t = [x for x in d["threads"] if x["tid"] == tid][0]
        # cut at 80 characters of the name, then escaped
        name = t["name"]
        want = (name if len(name) <= 80 else name[:80] + "\u2026").replace("\n", "\\n")
        if code(c[0])[0] != want:
            bad.append((code(c[0])[0], want))
    check(not bad, "hostile thread names escaped and cut at 80 characters %s" % (bad[:1] or ""))
    h = d["top"]["held"][0]
    f = h["name"] if len(h["name"]) <= 80 else h["name"][:80] + "\u2026"
    label = "%s (%s:%d)" % (f, h["file"].rsplit("/", 1)[-1], h["line"])
    if len(label) > 140:
        label = label[:140] + "\u2026"
    got = top("holding the GIL")
    check(got and code(got[0][1])[0] == label,
          "top function label cut as expected: %s" % (got and got[0][1][:60]))
    print("\n".join(out))
    sys.exit(0)

# --- header ---------------------------------------------------------------
check(re.match(r"^### gilspy: `[^`]*%s[^`]*`$" % re.escape(mode), lines[0]) is not None,
      "title is the command line: %s" % lines[0][:100])
info = lines[2]
m = re.match(r"^pid (\d+) · Python (\S+) · ([0-9.]+) s · (\d+) samples at ", info)
check(m and (int(m.group(1)), m.group(2), int(m.group(4))) == (d["target"]["pid"], d["target"]["python"], s["ticks"])
      and near(float(m.group(3)), s["duration_s"], 0.006),
      "pid, Python, duration and samples as in the JSON: %s" % info)

# --- figures ----------------------------------------------------------------
for key, jkey, tol in (("utilisation", "utilisation_pct", 0.06), ("contention", "contention_pct", 0.06),
                       ("waiters", "mean_waiters", 0.006), ("switches", "switches_per_s", 0.06),
                       ("errors", "errors_pct", 0.06)):
    v = num(figs.get(key, ["", "", ""])[2])
    check(near(v, s[jkey], tol), "%s %s as in the JSON (%.3f)" % (key, v, s[jkey]))
check(num(figs["samples"][2]) == s["samples"], "samples %s" % figs["samples"][2])
sh = shares(d)
for k in ("held", "waiting", "native", "idle"):
    check(figs[k][2] == "%.1f%%" % sh[k], "%s %s is the busy-sample share of the JSON's counts" % (k, figs[k][2]))

# --- threads ----------------------------------------------------------------
bad = []
for t in d["threads"]:
    c = threads.get(t["tid"])
    sm = t["samples"] or 1
    want = ["%.1f%%" % (100.0 * t["states"][k] / sm) for k in ("held", "waiting")] + \
           ["%.1f%%" % (100.0 * (t["states"]["native"] + t["states"]["running"]) / sm),
            "%.1f%%" % (100.0 * t["states"]["idle"] / sm)]
    if not c or code(c[0])[0] != t["name"] or [x.split(" ")[0] for x in c[2:]] != want:
        bad.append((t["name"], c, want))
check(not bad and len(threads) == len(d["threads"]),
      "a row per thread with the JSON's shares %s" % (bad[:1] or ""))

# --- top functions ------------------------------------------------------------
for st, title in (("held", "holding the GIL"), ("waiting", "waiting for the GIL")):
    rows = top(title)
    j = d["top"][st]
    check(len(rows) == len(j) and all(code(r[1])[0] == e["function"] and near(num(r[0]), e["pct"], 0.06)
                                      for r, e in zip(rows, j)),
          "top %s: %s" % (st, [(r[0], r[1]) for r in rows][:2]))

# --- against the base -----------------------------------------------------------
if base:
    bs = base["summary"]
    bsh = shares(base)
    bvals = {"utilisation": bs["utilisation_pct"], "contention": bs["contention_pct"],
             "waiters": bs["mean_waiters"], "switches": bs["switches_per_s"],
             "errors": bs["errors_pct"], "samples": bs["samples"]}
    bvals.update(bsh)
    for k, bv in sorted(bvals.items()):
        c = figs[k]
        cur, b, delta = num(c[2]), num(c[3]), num(c[4].replace(" pp", "").replace(" /s", "")) \
            if c[4] not in ("0.0 pp", "0.00", "0.0 /s", "0") else 0.0
        tol = 0.006 if k == "waiters" else 0.5 if k == "samples" else 0.06
        ok = near(b, bv, tol) and near(delta, cur - b, 0.0011 if k != "samples" else 0)
        worse = "worse" in c[4]
        if k in ("contention", "waiting", "errors"):
            ok = ok and worse == (delta >= 1.0 - 1e-9)
        elif k == "waiters":
            ok = ok and worse == (delta >= 0.05 - 1e-9)
        else:
            ok = ok and not worse
        check(ok, "%s: base %s, delta %s as the two reports give (base %.3f)" % (k, c[3], c[4], bv))
    check("**+" in figs["contention"][4] and figs["contention"][4].endswith(" worse**"),
          "far more contention than the base is marked worse: %s" % figs["contention"][4])
    bnames = {t["name"]: t for t in base["threads"]}
    bad = []
    for t in d["threads"]:
        c = threads[t["tid"]]
        name, rest = code(c[0])
        bt = bnames.get(t["name"])
        if bt is None:
            if rest != "(new)" or any("(" in x for x in c[2:]):
                bad.append(c)
            continue
        for x, k in zip(c[2:], ("held", "waiting", "native", "idle")):
            m = re.match(r"^([0-9.]+)% \(([-+]?[0-9.]+)\)$", x)
            bp = round(bt["pct"][k] + (bt["pct"]["running"] if k == "native" else 0), 1)
            if not m or abs(float(m.group(2)) - (float(m.group(1)) - bp)) > 0.11:
                bad.append((x, bp))
    check(not bad, "threads matched by name: base deltas, new threads marked %s" % (bad[:1] or ""))
    gone = sorted(n for n in bnames if n not in {t["name"] for t in d["threads"]})
    m = re.search(r"\nIn the base only: (.*)\.\n", md)
    check(m and sorted(code(x)[0] for x in m.group(1).split(", ")) == gone,
          "base threads not in this run listed: %s" % gone)
print("\n".join(out))
PY
}

okcheck() {  # okcheck LABEL: turn mdcheck's lines into TAP
	local l=$1 st desc
	while read -r st desc; do
		ok "$st" "$l: $desc"
	done
}

need_pythons
covered=()
# The 64 KB bound does not depend on the interpreter: its target (120
# threads) runs on the oldest, a middle and the newest one, for 3 s so that
# even a loaded machine sees hundreds of functions.
mapfile -t all < <(py_interpreters)
big=" ${all[0]} ${all[$((${#all[@]} / 2))]} ${all[$((${#all[@]} - 1))]} "
for l in "${all[@]}"; do
	D=$REC_DIR/$l
	mkdir -p "$D"
	# the base: one spinner, a sleeper, a thread hashing without the GIL
	if ! mrec "$l" threads3.py 0.8 -o "$D/base.json"; then
		ok 1 "$l: start threads3.py"
		continue
	fi
	# the head: two spinners fighting for the GIL
	mrec "$l" spin2.py 0.8 -o "$D/h.json" -o "$D/h.md" \
		--summary "$D/sum.md" --baseline "$D/base.json"
	[ $rc = 0 ] && [ -s "$D/h.md" ]
	ok $? "$l: record with --baseline writes the markdown (exit $rc)" || continue
	covered+=("$l")
	cmp -s "$D/h.md" "$D/sum.md"
	ok $? "$l: --summary writes the same markdown as -o x.md"
	okcheck "$l" < <(mdcheck spin2.py "$D/h.md" "$D/h.json" "$D/base.json")

	# a baseline that is not a report: refused, nothing recorded
	rm -f "$D/never.json"
	MREC_FAILS=1 mrec "$l" spin2.py 5 -o "$D/never.json" --baseline "$D/h.md"
	{ [ $rc = 1 ] || [ $rc = 2 ]; } && [ ! -e "$D/never.json" ] &&
		grep -q "^gilspy: --baseline: '$D/h.md' is not valid JSON: expected '{' (a JSON object), found '#' at line 1, column 1$" \
			"$REC_DIR/err"
	ok $? "$l: a markdown file as --baseline is refused (exit $rc): $(head -c 150 "$REC_DIR/err")"
	[ "$(wc -l <"$REC_DIR/err")" = 1 ]
	ok $? "$l: in one line"

	# hundreds of functions with long names, 120 threads with hostile
	# names: still under 64 KB, tables well formed
	[[ $big == *" $l "* ]] || continue
	mrec "$l" many_funcs.py 3 -o "$D/big.json" -o "$D/big.md" \
		--summary "$D/bigsum.md"
	[ $rc = 0 ] && [ -s "$D/big.md" ] && cmp -s "$D/big.md" "$D/bigsum.md"
	ok $? "$l: many_funcs.py recorded, markdown and summary written (exit $rc)" || continue
	okcheck "$l" < <(mdcheck big "$D/big.md" "$D/big.json")
done
diag "covered: ${covered[*]}"
done_testing
