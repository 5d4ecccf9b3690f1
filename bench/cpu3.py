# cpu3.py [WORK [THREADS]] - a CPU-bound target for bench/record.sh (and,
# with 4 threads, bench/native.sh): 3 threads each run the same pure-Python
# loop; prints the wall time of the work in seconds (interpreter start-up
# excluded).
import sys
import threading
import time

WORK = int(sys.argv[1]) if len(sys.argv) > 1 else 2000000
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 3


def burn(n):
    x = 0
    for i in range(n):
        x += i % 7
    return x


def main():
    ts = [threading.Thread(target=burn, args=(WORK,)) for _ in range(THREADS)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("%.6f" % (time.perf_counter() - t0))


main()
