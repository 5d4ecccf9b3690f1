# spin_sleep.py - a spinner alone with a sleeper: the spinner holds the GIL
# nearly all the time, the sleeper is idle in time.sleep (it needs the GIL
# for a moment every 0.5 s, when it wakes).
import threading
import time

from _ready import mark_ready, ready_path


def set_thread_name(name):
    # The OS thread name as well (gilspy shows the Python name, and this
    # where it cannot read one).  /proc is missing in the
    # chroot, so fall back to prctl(PR_SET_NAME) through ctypes.
    try:
        with open("/proc/thread-self/comm", "w") as f:
            f.write(name)
    except OSError:
        import ctypes
        ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)


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
