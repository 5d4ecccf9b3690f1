# hog.py - one thread keeps the GIL through long C calls (sorted() of a big
# list, calibrated to last MS milliseconds), another spins in pure Python
# and waits for it.  Each call is timed in-process with the clock read by C
# code right before and right after it (no Python bytecode runs between
# the clock and the call, so the thread cannot drop the GIL there): that is
# how long the hog holds the GIL at a time.  The lengths are appended to
# holds.txt beside the ready file, so a test may empty it when its
# recording starts and compare gilspy's hold estimates with them.
#
# The hog writes them with libc's write() called through ctypes.PyDLL,
# which keeps the GIL, never through a Python file (whose write(2) lets
# the GIL go): each turn of the loop must be one GIL hold.  A release at
# the write lets the spinner in between the hog's bookkeeping after a call
# and its next call whenever it wins the race for the GIL, and the short
# hold that makes is a real hold of hog_loop that the timed calls do not
# count: with one such hold per call, the p50 of the hog's holds falls on
# its shortest calls (issue 13).
import ctypes
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


def gil_keeping_writer(path):
    """A function out(b, len(b)) appending bytes to path without letting
    the GIL go: write(2) called through PyDLL (which does not release the
    GIL, unlike CDLL and Python's own files), with no Python frame of its
    own."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    write = ctypes.PyDLL(None).write
    write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
    write.restype = ctypes.c_ssize_t
    return functools.partial(write, fd)


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
        line = ("%.3f\n" % ((t1 - t0) * 1000.0)).encode()
        out(line, len(line))


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
    out = gil_keeping_writer(os.path.join(here, "holds.txt"))
    threading.Thread(target=hog_loop, args=(data, out), name="hog",
                     daemon=True).start()
    threading.Thread(target=spin, name="spin", daemon=True).start()
    mark_ready(ready)
    while True:
        time.sleep(3600)


main()
