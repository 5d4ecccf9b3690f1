# signals.py [READY [SLEEP]] - counts the SIGUSR1s it receives, to show
# none is lost while a profiler stops its threads: two threads spin in
# pure Python, the main thread sleeps SLEEP seconds at a time (default
# 3600) and, on each SIGUSR1, writes how many it has had to DIR/count
# (DIR: the directory of the ready file).
import os
import signal
import sys
import threading
import time

from _ready import mark_ready, ready_path, set_thread_name

count = 0
SLEEP = float(sys.argv[2]) if len(sys.argv) > 2 else 3600.0


def on_usr1(signum, frame):
    global count
    count += 1
    path = os.path.join(os.path.dirname(ready_path()), "count")
    with open(path + ".tmp", "w") as f:
        f.write(str(count))
    os.rename(path + ".tmp", path)


def spin(name):
    set_thread_name(name)
    x = 0
    while True: x += 1


def main():
    signal.signal(signal.SIGUSR1, on_usr1)
    for name in ("spin-a", "spin-b"):
        threading.Thread(target=spin, args=(name,), name=name, daemon=True).start()
    mark_ready(ready_path())
    while True:
        time.sleep(SLEEP)


main()
