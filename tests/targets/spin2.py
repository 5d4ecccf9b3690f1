# spin2.py - two threads spinning in pure Python: they share the GIL, so
# each should hold it about half of the time and wait for it the rest.
#   spin-a / spin-b: spin() line 18;  main: sleeps (idle)
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
