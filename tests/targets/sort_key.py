# sort_key.py - one thread sorting with a Python key function: C (the
# sort) calls back into Python (the lambda) again and again, for the test
# of --native's true order: Python -> C -> Python.
import threading
import time

from _ready import mark_ready, ready_path


def sort_loop():
    data = list(range(20000))
    while True:
        sorted(data, key=lambda x: -x)


threading.Thread(target=sort_loop, name="sorter", daemon=True).start()
mark_ready(ready_path())
while True:
    time.sleep(3600)
