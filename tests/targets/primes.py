# primes.py MODE - the GIL lab's workload: count the primes below 200 000
# with 4 threads (MODE=threads: they contend for the GIL) or 4 processes
# (MODE=procs: one GIL each).  Work is repeated until the target is killed.
# With procs, the worker pids are written to READY.workers and workers exit
# when their parent does.
import os
import sys
import threading
import time

from _ready import mark_ready, ready_path

LIMIT = 200000
WORKERS = 4


def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True


def count_primes(lo, hi):
    return sum(1 for n in range(lo, hi) if is_prime(n))


def work(k, parent):
    step = LIMIT // WORKERS
    while os.getppid() == parent or parent == 0:
        count_primes(k * step, (k + 1) * step)


def main():
    mode = sys.argv[2] if len(sys.argv) > 2 else "threads"
    if mode == "threads":
        for k in range(WORKERS):
            threading.Thread(target=work, args=(k, 0), daemon=True).start()
    else:
        me, pids = os.getpid(), []
        for k in range(WORKERS):
            pid = os.fork()
            if pid == 0:
                try:
                    work(k, me)
                finally:
                    os._exit(0)
            pids.append(pid)
        with open(ready_path() + ".workers", "w") as f:
            f.write(" ".join(map(str, pids)))
    mark_ready(ready_path())
    while True:
        time.sleep(3600)


main()
