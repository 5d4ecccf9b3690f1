# native.py - a thread hashing a large buffer in a loop: hashlib's update()
# releases the GIL for buffers over 2 KiB, so the thread runs native (on
# CPU, GIL released) except for a moment between calls.  Where hashlib is
# not backed by OpenSSL (pyenv's 3.6 here) its builtin sha256 keeps the
# GIL, so the thread compresses with zlib instead, which releases it.
import hashlib
import zlib
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
