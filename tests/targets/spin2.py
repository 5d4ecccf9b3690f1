# spin2.py - two threads spinning in pure Python: they share the GIL, so
# each should hold it about half of the time and wait for it the rest.
#   spin-a / spin-b: spin();  main: sleeps (idle)
import threading
import time

from _ready import mark_ready, ready_path, set_thread_name



def spin(name):
    set_thread_name(name)
    x = 0
    while True: x += 1


def main():
    for name in ("spin-a", "spin-b"):
        threading.Thread(target=spin, args=(name,), name=name, daemon=True).start()
    mark_ready(ready_path())
    while True:
        time.sleep(3600)


main()
