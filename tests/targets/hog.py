# hog.py - one thread keeps the GIL through long C calls (sorted() of a big
# list, calibrated to last MS milliseconds), another spins in pure Python
# and waits for it.  The length of a call, timed in-process before the
# spinner starts, is written to alone.txt beside the ready file: that is
# how long the hog holds the GIL at a time, the truth gilspy's hold
# estimates are checked against.  (Calls timed while the spinner runs,
# appended to holds.txt, also count the wait for the GIL that can come
# between reading the clock and the call starting.)
#   hog: hog_loop();  spin: spin();  main: sleeps (idle)
import os
import random
import sys
import threading
import time

from _ready import mark_ready, ready_path, set_thread_name


def calibrate(ms):
    n = 50000
    data = list(range(n))
    random.shuffle(data)
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        sorted(data)
        dt = time.perf_counter() - t0
        best = dt if best is None or dt < best else best
    return max(1000, int(n * (ms / 1000.0) / best))


def alone(data):
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        sorted(data)
        times.append((time.perf_counter() - t0) * 1000.0)
    return sorted(times)[2]


def hog_loop(data, out):
    set_thread_name("hog")
    while True:
        t0 = time.perf_counter()
        sorted(data)
        dt = time.perf_counter() - t0
        out.write("%.3f\n" % (dt * 1000.0))
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
    with open(os.path.join(here, "alone.txt"), "w") as f:
        f.write("%.3f\n" % alone(data))
    out = open(os.path.join(here, "holds.txt"), "a")
    threading.Thread(target=hog_loop, args=(data, out), name="hog",
                     daemon=True).start()
    threading.Thread(target=spin, name="spin", daemon=True).start()
    mark_ready(ready)
    while True:
        time.sleep(3600)


main()
