#!/usr/bin/python3
"""truth.py GILSPY PID COUNTFILE SECS RATE OUT.json - record PID (a
tests/targets/truth.py) with gilspy and measure the truth from outside on
the same run: /proc/PID/task/TID/schedstat gives each thread's time on a
CPU and its time queued for one (run_delay), and the sleeper's count of
20 ms sleeps its time asleep.  Prints one line per check, for TAP:
  ok|fail NAME: what (figures)
or, when three attempts could not keep the rate, one line:
  skip why
Bounds, in points of the thread's samples (TOL = 3):
  spin-a/b  native <= 1, idle <= 1; held within [cpu - TOL, cpu + queued +
            TOL]: a holder preempted by another process is still the
            holder, so on a loaded machine held may exceed the CPU share by
            up to the time the thread spent queued; waiting likewise within
            [100 - cpu - queued - TOL, 100 - cpu + TOL]
  hasher    held + native within [cpu - TOL, cpu + queued + TOL]
  sleeper   idle within TOL of its sleeps x 20 ms
  main      idle >= 100 - TOL"""
import json
import os
import struct
import subprocess
import sys
import time

TOL = 3.0
MIN_RATE = 0.95  # of the rate asked, or the samples are not independent
SKEW = 0.1     # s: most the truth's window may exceed the recording's
gilspy, pid, countfile, secs, rate, out = sys.argv[1:7]


def snap():
    """name -> (run ns, queued ns), the sleeper's count, the time."""
    t = {}
    d = "/proc/%s/task" % pid
    for tid in os.listdir(d):
        try:
            name = open("%s/%s/comm" % (d, tid)).read().strip()
            run, delay = open("%s/%s/schedstat" % (d, tid)).read().split()[:2]
        except OSError:
            continue
        t[name] = (int(run), int(delay))
    with open(countfile, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
    return t, n, time.monotonic()


# The truth covers the time between the two snapshots, gilspy's samples
# the time from its first tick to its last: on a very loaded machine
# attaching can take long enough that the two differ, and then the run is
# made again (at most three times in all).
for attempt in range(3):
    a, na, ta = snap()
    rc = subprocess.call([gilspy, "record", "-p", pid, "-d", secs, "-r",
                          rate, "-o", out], stdout=subprocess.DEVNULL)
    b, nb, tb = snap()
    if rc:
        print("fail record: gilspy record exited %d" % rc)
        sys.exit(0)
    d = json.load(open(out))
    el = tb - ta
    hz = d["summary"]["achieved_hz"]
    if el - d["summary"]["duration_s"] > SKEW:
        print("info window %.3f s but recorded %.3f s: again" % (
            el, d["summary"]["duration_s"]))
    elif hz < MIN_RATE * float(rate):
        print("info achieved %.0f Hz of %s: again" % (hz, rate))
    else:
        break
else:
    # A sampler starved of CPU takes its samples when the scheduler lets
    # it, which is not independent of what the target's threads do: the
    # shares are then biased whatever the classifier says.
    print("skip gilspy achieved %.0f Hz of %s Hz (this machine is too "
          "loaded for the sampler to keep its rate)" % (hz, rate))
    sys.exit(0)
pct = {t["name"]: t["pct"] for t in d["threads"]}
main = [t["pct"] for t in d["threads"] if t["name"] == "MainThread"]


def truth(name):
    run = (b[name][0] - a[name][0]) / 1e9 / el * 100
    queued = (b[name][1] - a[name][1]) / 1e9 / el * 100
    return run, queued


def check(cond, msg):
    todo = msg.startswith("todo ")
    print("%s %s" % ("ok" if cond else "todo" if todo else "fail",
                     msg[5:] if todo else msg))


def within(v, lo, hi):
    return lo - TOL <= v <= hi + TOL


print("info window %.3f s, recorded %.3f s, %d samples" % (
    el, d["summary"]["duration_s"], d["summary"]["samples"]))
for name in ("spin-a", "spin-b", "hasher", "sleeper"):
    if name not in pct or name not in a or name not in b:
        check(False, "%s: thread seen by gilspy and in /proc" % name)
        continue
    p = pct[name]
    run, q = truth(name)
    ev = "held %.1f, waiting %.1f, native %.1f, idle %.1f; truth: on CPU " \
         "%.1f, queued %.1f" % (p["held"], p["waiting"], p["native"],
                                p["idle"], run, q)
    if name.startswith("spin"):
        check(p["native"] <= 1.0, "%s: native <= 1 (%s)" % (name, ev))
        check(p["idle"] <= 1.0, "%s: idle <= 1 (%s)" % (name, ev))
        check(within(p["held"], run, run + q),
              "%s: held = CPU share (+ queued) within %g (%s)" % (name, TOL, ev))
        check(within(p["waiting"], 100 - run - q, 100 - run),
              "%s: waiting = the rest within %g (%s)" % (name, TOL, ev))
    elif name == "hasher":
        hn = p["held"] + p["native"]
        check(within(hn, run, run + q),
              "hasher: held + native = CPU share (+ queued) within %g (%s)"
              % (TOL, ev))
    else:
        sl = (nb - na) * 0.02 / el * 100
        # known shortfall: on a loaded machine the sleeper's idle reads
        # 3-4 points under its sleep count, always below it; the cause is
        # not found yet (TAP TODO, see the test's header)
        check(within(p["idle"], sl, sl), "todo " +
              "sleeper: idle = %d sleeps x 20 ms = %.1f %% within %g (%s)"
              % (nb - na, sl, TOL, ev))
if main:
    check(main[0]["idle"] >= 100 - TOL,
          "MainThread: idle >= %g (%.1f)" % (100 - TOL, main[0]["idle"]))
