# native_mix.py - threads whose C stacks the --native tests know: one
# spinning in a C extension with the GIL held, one spinning in it with the
# GIL released (both only when the extension could be built: argv[2] is
# the directory holding it), one compressing with zlib, one sleeping.  Each
# rests between calls, so that on a small machine every one of them gets
# a CPU and the GIL often enough to be seen in each of its states.
import sys
import threading
import time
import zlib

from _ready import mark_ready, ready_path, set_thread_name

if len(sys.argv) > 2 and sys.argv[2]:
    sys.path.insert(0, sys.argv[2])
    import gilspy_cext
else:
    gilspy_cext = None


def held_loop():
    set_thread_name("held")
    while True:
        gilspy_cext.spin_held(0.004)
        time.sleep(0.004)


def nogil_loop():
    set_thread_name("nogil")
    while True:
        gilspy_cext.spin_nogil(0.004)
        time.sleep(0.004)


def zlib_loop():
    set_thread_name("zlib")
    buf = bytes(range(256)) * (1 << 12)
    while True:
        zlib.compress(buf, 6)
        time.sleep(0.001)


def sleeper_loop():
    set_thread_name("sleeper")
    while True:
        time.sleep(0.02)


def main():
    loops = [zlib_loop, sleeper_loop]
    if gilspy_cext:
        loops += [held_loop, nogil_loop]
    for f in loops:
        threading.Thread(target=f, name=f.__name__[:-5], daemon=True).start()
    mark_ready(ready_path())
    while True:
        time.sleep(3600)


main()
