# native.py - a thread hashing a large buffer in a loop: hashlib's update()
# releases the GIL for buffers over 2 KiB, so the thread runs native (on
# CPU, GIL released) except for a moment between calls.  Where hashlib is
# not backed by OpenSSL (pyenv's 3.6 here) its builtin sha256 keeps the
# GIL, so the thread compresses with zlib instead, which releases it.
import hashlib
import zlib
import threading
import time

from _ready import mark_ready, ready_path, set_thread_name



def hash_forever():
    set_thread_name("hasher")
    buf = b"\x5a" * (16 << 20)
    if "openssl" in repr(hashlib.sha256):
        while True:
            h = hashlib.sha256()
            h.update(buf)
    else:
        buf = bytes(range(256)) * (1 << 14)
        while True:
            zlib.compress(buf, 6)


def main():
    threading.Thread(target=hash_forever, name="hasher", daemon=True).start()
    mark_ready(ready_path())
    while True:
        time.sleep(3600)


main()
