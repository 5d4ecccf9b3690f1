# truth.py - threads whose GIL states can be known from outside, for the
# ground-truth test (t0306):
#   spin-a, spin-b  pure Python: on a CPU only while holding the GIL
#   hasher          zlib.crc32 of 32 MB, GIL released while it runs: on a
#                   CPU while holding the GIL or hashing
#   sleeper         20 ms sleeps, counted in the first 8 bytes of the file
#                   "count" beside the ready file (shared memory: the count
#                   costs no system call and can be read at any moment)
#   main            sleeps (idle)
# Every thread sets its OS name, so the test finds it in /proc.
import mmap
import os
import struct
import threading
import time
import zlib

from _ready import mark_ready, ready_path, set_thread_name


def spin(name):
    set_thread_name(name)
    x = 0
    while True: x += 1


def hash_forever():
    set_thread_name("hasher")
    buf = b"\x5a" * (32 << 20)
    while True: zlib.crc32(buf)


def sleep_counted(path):
    set_thread_name("sleeper")
    with open(path, "wb") as f:
        f.write(bytes(8))
    with open(path, "r+b") as f:
        m = mmap.mmap(f.fileno(), 8)
    n = 0
    while True:
        time.sleep(0.02)
        n += 1
        struct.pack_into("<Q", m, 0, n)


def main():
    for name in ("spin-a", "spin-b"):
        threading.Thread(target=spin, args=(name,), name=name,
                         daemon=True).start()
    threading.Thread(target=hash_forever, name="hasher", daemon=True).start()
    ready = ready_path()
    count = os.path.join(os.path.dirname(ready) if ready else ".", "count")
    threading.Thread(target=sleep_counted, args=(count,),
                     name="sleeper", daemon=True).start()
    mark_ready(ready)
    while True:
        time.sleep(3600)


main()
