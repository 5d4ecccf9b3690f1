# hog.py - one thread keeps the GIL through long C calls (sorted() of a big
# list, calibrated to last MS milliseconds), another spins in pure Python
# and waits for it.  Each call is timed in-process with the clock read by C
# code right before and right after it (no Python bytecode runs between
# the clock and the call, so the thread cannot drop the GIL there): that is
# how long the hog holds the GIL at a time.  The lengths are appended to
# holds.txt beside the ready file, so a test may empty it when its
# recording starts and compare gilspy's hold estimates with them.
import functools
import operator
import os
import random
import sys
import threading
import time

from _ready import mark_ready, ready_path, set_thread_name


def calibrate(ms):
    """A list whose sort takes about ms milliseconds: sorting time is not
    linear in the length, so measure at the size found and correct it."""
    n = 50000
    for _ in range(4):
        data = list(range(n))
        random.shuffle(data)
        best = None
        for _ in range(3):
            t0 = time.perf_counter()
            sorted(data)
            dt = time.perf_counter() - t0
            best = dt if best is None or dt < best else best
        n = max(1000, int(n * (ms / 1000.0) / best))
    return n


def hog_loop(data, out):
    set_thread_name("hog")
    # perf_counter, sorted, perf_counter called one after the other by C
    # code (map over methodcaller): the GIL is held from the first clock
    # read to the last
    calls = [time.perf_counter, functools.partial(sorted, data),
             time.perf_counter]
    call = operator.methodcaller("__call__")
    while True:
        t0, _, t1 = list(map(call, calls))
        out.write("%.3f\n" % ((t1 - t0) * 1000.0))
        out.flush()


def spin():
    set_thread_name("spin")
    x = 0
    while True:
        x += 1


def main():
    ms = float(sys.argv[2]) if len(sys.argv) > 2 else 50.0
    ready = ready_path()
    here = os.path.dirname(ready) if ready else "."
    data = list(range(calibrate(ms)))
    random.shuffle(data)
    out = open(os.path.join(here, "holds.txt"), "a")
    threading.Thread(target=hog_loop, args=(data, out), name="hog",
                     daemon=True).start()
    threading.Thread(target=spin, name="spin", daemon=True).start()
    mark_ready(ready)
    while True:
        time.sleep(3600)


main()
