# many_threads.py - hundreds of idle threads and two spinners, the shape of
# a service with a big thread pool where only a couple of threads work:
#   idle0 .. idleN-1: blocked on an Event that is never set (idle)
#   spin-a / spin-b:  spin(), pure Python, sharing the GIL
#   main:             sleeps (idle)
# Usage: many_threads.py [READY [N]]   (N idle threads, default 498, so 500
# threads with the spinners and 501 with main).
#
# The spinners start last: CPython keeps its threads newest first, and a
# sampler that reads only so many threads per sample (gilspy: PY_MAX_THREADS)
# still sees them, so a test of the view does not depend on that bound.
import sys
import threading
import time

from _ready import mark_ready, ready_path, set_thread_name


def idle(name, never):
    set_thread_name(name)
    never.wait()


def spin(name):
    set_thread_name(name)
    x = 0
    while True: x += 1


def main():
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 498
    never = threading.Event()
    # small stacks: 500 threads of the default 8 MB would reserve 4 GB
    threading.stack_size(256 * 1024)
    for i in range(n):
        name = "idle%d" % i
        threading.Thread(target=idle, args=(name, never), name=name,
                         daemon=True).start()
    for name in ("spin-a", "spin-b"):
        threading.Thread(target=spin, args=(name,), name=name,
                         daemon=True).start()
    mark_ready(ready_path(), settle=1.0)
    while True:
        time.sleep(3600)


main()
