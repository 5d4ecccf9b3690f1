# fair2.py - two threads spinning in pure Python share the GIL, and each
# times its own holds: a thread that finds a gap in its loop while the other
# thread ran in it has lost the GIL, and its hold lasted from the end of its
# previous gap to the start of this one (a gap in which the other did not
# run is the OS preempting it with the GIL still held: the hold goes on).
# Each thread appends its holds, in milliseconds, to holds-NAME.txt beside
# the ready file every 50 holds (the write drops the GIL once).
#   spin-a / spin-b: spin();  main: sleeps (idle)
import os
import sys
import threading
import time

from _ready import mark_ready, ready_path, set_thread_name

GAP = 0.0002  # a loop iteration takes well under this
marks = [0.0, 0.0]


def spin(me, name, path):
    set_thread_name(name)
    other = 1 - me
    clock = time.perf_counter
    holds = []
    start = last = clock()
    while True:
        t = clock()
        if t - last > GAP and marks[other] > last:
            holds.append(last - start)
            start = t
            if len(holds) == 50:
                with open(path, "a") as f:
                    f.write("".join("%.3f\n" % (h * 1000.0) for h in holds))
                holds = []
                start = clock()
                t = start
        last = t
        marks[me] = t


def main():
    ready = ready_path()
    here = os.path.dirname(ready) if ready else "."
    for i, name in enumerate(("spin-a", "spin-b")):
        threading.Thread(target=spin, name=name, daemon=True,
                         args=(i, name, os.path.join(here, "holds-%s.txt" % name))).start()
    mark_ready(ready)
    while True:
        time.sleep(3600)


main()
