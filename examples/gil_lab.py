"""gil_lab.py - the "GIL awareness" lab as a workload for gilspy.

Counts primes below N three ways, and shows each with gilspy:

    python gil_lab.py threads [N] [WORKERS]    pure Python in threads: they
                                               queue for the GIL (contention)
    python gil_lab.py processes [N] [WORKERS]  the same in a
                                               multiprocessing.Pool: a GIL per
                                               worker, no contention (record
                                               it with gilspy record -s)
    python gil_lab.py native [N] [WORKERS]     threads hashing with hashlib,
                                               which releases the GIL: parallel
    python gil_lab.py mixed [SECONDS]          one thread of each kind plus a
                                               sleeper: all four GIL states

Each mode repeats its work until killed, or for SECONDS with `mixed`, so a
profiler can attach at any time.  Runs on CPython 3.6 and later.
"""
import hashlib
import multiprocessing
import sys
import threading
import time


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


def prime_worker(lo, hi, rounds):
    for _ in range(rounds):
        count_primes(lo, hi)


def hash_worker(buf, rounds):
    for _ in range(rounds):
        hashlib.sha256(buf).digest()


def until(deadline, fn, *args):
    while time.time() < deadline:
        fn(*args)


def sleeper(seconds):
    time.sleep(seconds)


def split(n, workers):
    step = n // workers
    return [(i * step, n if i == workers - 1 else (i + 1) * step)
            for i in range(workers)]


def run_threads(target, args_list):
    threads = [threading.Thread(target=target, args=args, name="worker-%d" % i)
               for i, args in enumerate(args_list)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def main(argv):
    mode = argv[1] if len(argv) > 1 else "mixed"
    if mode == "mixed":
        seconds = float(argv[2]) if len(argv) > 2 else 5.0
        deadline = time.time() + seconds
        buf = b"\x00" * (16 << 20)
        threads = [
            threading.Thread(target=until, args=(deadline, count_primes, 0, 20000),
                             name="primes-a"),
            threading.Thread(target=until, args=(deadline, count_primes, 20000, 40000),
                             name="primes-b"),
            threading.Thread(target=until, args=(deadline, hash_worker, buf, 1),
                             name="hasher"),
            threading.Thread(target=sleeper, args=(seconds,), name="sleeper"),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return 0
    n = int(argv[2]) if len(argv) > 2 else 200000
    workers = int(argv[3]) if len(argv) > 3 else 4
    rounds = int(argv[4]) if len(argv) > 4 else 1 << 30
    parts = split(n, workers)
    if mode == "threads":
        run_threads(prime_worker, [(lo, hi, rounds) for lo, hi in parts])
    elif mode == "processes":
        with multiprocessing.Pool(workers) as pool:
            pool.starmap(prime_worker, [(lo, hi, rounds) for lo, hi in parts])
    elif mode == "native":
        buf = b"\x00" * (16 << 20)
        run_threads(hash_worker, [(buf, rounds)] * workers)
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
