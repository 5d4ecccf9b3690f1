# threads10.py SECS - 10 threads for bench/memory.sh: 4 spinners with a few
# distinct stacks, 3 sleepers, 3 hashers (GIL released); runs SECS seconds.
import hashlib
import sys
import threading
import time


def leaf(k):
    x = 0
    for i in range(200):
        x += i * k
    return x


def mid(k):
    return leaf(k) + leaf(k + 1)


def spin(k):
    while True:
        mid(k) if k % 2 else leaf(k)


def nap():
    while True:
        time.sleep(0.01)


def hasher():
    buf = b"\x33" * (1 << 20)
    while True:
        h = hashlib.sha256()
        h.update(buf)


def main():
    for k in range(4):
        threading.Thread(target=spin, args=(k,), daemon=True).start()
    for _ in range(3):
        threading.Thread(target=nap, daemon=True).start()
        threading.Thread(target=hasher, daemon=True).start()
    time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 3600)


main()
