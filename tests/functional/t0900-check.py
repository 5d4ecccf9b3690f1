"""t0900-check.py JSON FOLDED KEY=VALUE... - checks of a `record -s` run.

Prints what it found; exits 1 (saying why) when a check fails.
  func=NAME      the function the workers run
  workers=N      at least N processes other than the first have NAME on
                 their stacks, under their own `process PID (...)` root
  held=P         in each of those, at least P % of the samples with NAME
                 on the stack hold the GIL
  root_func=1    NAME is under the first process's root
  skipped_not_python=1  a process is listed as not recorded: not Python
  has_pid=PID    that pid was recorded
  versions=A,B   processes of each of these Python versions were recorded
  churn=FILE period_ms=P   every child in FILE ("pid start end" in
                 CLOCK_MONOTONIC seconds) that lived 2 P or more was
                 recorded; notes how soon each was first sampled
"""
import json
import re
import sys

doc = json.load(open(sys.argv[1]))
opts = dict(a.split("=", 1) for a in sys.argv[3:])
procs = {p["pid"]: p for p in doc.get("processes", [])}
first = doc["processes"][0]["pid"] if doc.get("processes") else None
bad = []

# per pid: samples with func, and those holding the GIL
with_func, held = {}, {}
root_re = re.compile(r"^process (\d+) \(")
func = opts.get("func")
# the function as a frame: `name (file:line)`, or a nested one's qualified
# name (3.11+) ending in it
func_re = re.compile(r"[;.]" + re.escape(func) + r" \(") if func else None
for line in open(sys.argv[2]):
    stack, _, count = line.rstrip("\n").rpartition(" ")
    m = root_re.match(stack)
    if not m:
        bad.append("a stack without a process root: " + stack[:120])
        break
    pid = int(m.group(1))
    if func_re and func_re.search(stack):
        with_func[pid] = with_func.get(pid, 0) + int(count)
        if stack.endswith(";[GIL held]"):
            held[pid] = held.get(pid, 0) + int(count)

if func:
    workers = [p for p in with_func if p != first]
    print("processes with %s: %s (first: %s)" % (
        func, ", ".join("%d: %d samples, %.0f %% held" % (
            p, with_func[p], 100.0 * held.get(p, 0) / with_func[p])
            for p in sorted(with_func)), first))
    if len(workers) < int(opts.get("workers", 0)):
        bad.append("%d processes other than the first run %s, want %s" %
                   (len(workers), func, opts["workers"]))
    for p in workers:
        if p not in procs:
            bad.append("pid %d has stacks but no entry in processes" % p)
    if "held" in opts:
        for p in (workers if workers else with_func):
            share = 100.0 * held.get(p, 0) / with_func[p]
            if share < float(opts["held"]):
                bad.append("pid %d holds its GIL in %.1f %% of its %s "
                           "samples, want >= %s" % (p, share, func,
                                                   opts["held"]))
    if opts.get("root_func") == "1" and first not in with_func:
        bad.append("%s is not under the first process %s" % (func, first))

if opts.get("skipped_not_python") == "1":
    sk = doc.get("processes_skipped", [])
    print("not recorded: %s" % sk)
    if not any("not Python" in (s.get("reason") or "")
               for s in sk):
        bad.append("no process listed as not Python")

if "has_pid" in opts:
    p = int(opts["has_pid"])
    if p not in procs or procs[p]["summary"]["samples"] < 1:
        bad.append("pid %d was not recorded" % p)

if "versions" in opts:
    got = {p["python"] for p in procs.values()}
    print("versions recorded: %s" % sorted(got))
    for v in opts["versions"].split(","):
        # 3.6 says only its minor version from outside
        if not any(v == g or v.startswith(g + ".") for g in got):
            bad.append("no process of Python %s" % v)

if "churn" in opts:
    period = float(opts["period_ms"]) / 1000.0
    kids = [l.split() for l in open(opts["churn"]) if l.strip()]
    lat, missed, short = [], [], 0
    for pid, t0, t1 in ((int(a), float(b), float(c)) for a, b, c in kids):
        if pid in procs:
            lat.append(procs[pid]["first_sample_s"] - t0)
        elif t1 - t0 >= 2 * period:
            missed.append("%d (lived %.1f ms)" % (pid, 1e3 * (t1 - t0)))
        else:
            short += 1
    lat.sort()
    print("note: %d children, %d recorded, %d shorter than two periods "
          "not recorded; first sampled after their birth: median %.1f ms, "
          "max %.1f ms" % (len(kids), len(lat), short,
                           1e3 * lat[len(lat) // 2] if lat else -1,
                           1e3 * lat[-1] if lat else -1))
    if len(kids) < 50:
        bad.append("only %d children reported" % len(kids))
    if missed:
        why = {s["pid"]: s["reason"] for s in doc.get("processes_skipped", [])}
        bad.append("missed: " + ", ".join(
            m + (": " + why[int(m.split()[0])] if int(m.split()[0]) in why
                 else ": never found") for m in missed))

for b in bad:
    print("FAIL: " + b)
sys.exit(1 if bad else 0)
