# threads3.py - three threads in known states at known lines.
#   spinner: pure Python loop (holds or waits for the GIL)   line 17
#   sleeper: time.sleep (idle)                               line 20
#   hasher:  zlib.crc32 of 256 MB, GIL released (native)     line 24
#   main:    sleeps in wait_forever                          line 28
# The tests assert these line numbers (and main 39, <module> 42): keep in sync
# (tests/lib/check_dump.py).
import threading
import time
import zlib
from _ready import mark_ready, ready_path


class Worker:
    def spin(self):
        x = 0
        while True: x += 1

    def sleep(self):
        while True: time.sleep(3600)


def hash_forever(buf):
    while True: zlib.crc32(buf)


def wait_forever():
    while True: time.sleep(3600)


def main():
    w = Worker()
    buf = b"\x5a" * (256 << 20)  # one crc32 call: ~60 ms without the GIL
    threading.Thread(target=w.spin, name="spinner", daemon=True).start()
    threading.Thread(target=w.sleep, name="sleeper", daemon=True).start()
    threading.Thread(target=hash_forever, args=(buf,), name="hasher",
                     daemon=True).start()
    mark_ready(ready_path())
    wait_forever()


main()
