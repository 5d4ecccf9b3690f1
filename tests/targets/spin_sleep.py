# spin_sleep.py - a spinner alone with a sleeper: the spinner holds the GIL
# nearly all the time, the sleeper is idle in time.sleep (it needs the GIL
# for a moment every 0.5 s, when it wakes).
import threading
import time

from _ready import mark_ready, ready_path, set_thread_name



def spin():
    set_thread_name("spinner")
    x = 0
    while True: x += 1


def nap():
    set_thread_name("sleeper")
    while True: time.sleep(0.5)


def main():
    threading.Thread(target=spin, name="spinner", daemon=True).start()
    threading.Thread(target=nap, name="sleeper", daemon=True).start()
    mark_ready(ready_path())
    while True:
        time.sleep(3600)


main()
