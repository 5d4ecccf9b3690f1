"""whatif.py - the same fixed work run in threads or in processes, for
checking gilspy's what-if prediction against a measured speedup.

    python whatif.py READY MODE KIND [SCALE]

MODE is "threads" or "processes" (os.fork, one child per worker).  KIND:
  py2       two pure-Python workers
  py3       three pure-Python workers
  py1sleep  one pure-Python worker and one that sleeps 20 ms in a loop
  hash2     two workers hashing a large buffer (the GIL is released)
SCALE multiplies the work (default 1.0: about 0.5 s per worker alone).
The wall time of the work, in seconds, goes to time.txt beside READY.
"""
import hashlib
import os
import sys
import threading
import time


def spin(n):
    x = 0
    for i in range(n):
        x += i * i
    return x


def sleeper(n):
    for _ in range(n):
        time.sleep(0.02)


BUF = b"\x5a" * (8 << 20)


def hasher(n):
    for _ in range(n):
        hashlib.sha256(BUF).digest()


def plan(kind, scale):
    py = int(6_000_000 * scale)
    if kind == "py2":
        return [(spin, py), (spin, py)]
    if kind == "py3":
        return [(spin, py), (spin, py), (spin, py)]
    if kind == "py1sleep":
        return [(spin, py), (sleeper, int(20 * scale))]
    if kind == "hash2":
        return [(hasher, int(25 * scale)), (hasher, int(25 * scale))]
    raise SystemExit("unknown kind " + kind)


def main():
    ready, mode, kind = sys.argv[1], sys.argv[2], sys.argv[3]
    scale = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    work = plan(kind, scale)
    open(ready, "w").close()
    # let a profiler attach before the work starts, so that it sees all
    # of it (its prediction leaves this idle time out)
    time.sleep(0.3)
    t0 = time.monotonic()
    if mode == "threads":
        ts = [threading.Thread(target=f, args=(n,), name="worker-%d" % i)
              for i, (f, n) in enumerate(work)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    else:
        pids = []
        for f, n in work:
            pid = os.fork()
            if pid == 0:
                f(n)
                os._exit(0)
            pids.append(pid)
        for pid in pids:
            os.waitpid(pid, 0)
    elapsed = time.monotonic() - t0
    with open(os.path.join(os.path.dirname(ready), "time.txt"), "w") as f:
        f.write("%.4f\n" % elapsed)


main()
