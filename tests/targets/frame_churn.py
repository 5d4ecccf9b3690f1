# frame_churn.py [READY] - memory that changes under the reader as fast as
# Python can change it: one thread recursing up and down (frames pushed and
# popped, each a new frame object or interpreter frame), one running
# generators that are created, resumed and dropped, one redefining
# functions (new code objects, freed and their addresses reused).
#   churn-rec, churn-gen, churn-code: the churners;  main: sleeps (idle)
import threading
import time

from _ready import mark_ready, ready_path, set_thread_name


def rec(n):
    return 0 if n == 0 else 1 + rec(n - 1)


def recurse():
    set_thread_name("churn-rec")
    k = 0
    while True:
        rec(k % 200)
        k += 7


def gen(n):
    for i in range(n):
        yield i


def generators():
    set_thread_name("churn-gen")
    while True:
        for g in [gen(5) for _ in range(50)]:
            for _ in g:
                pass


def code():
    set_thread_name("churn-code")
    i = 0
    while True:
        ns = {}
        exec("def f%d(x):\n    return x * %d\n" % (i % 997, i), ns)
        ns["f%d" % (i % 997)](i)
        i += 1


def main():
    for name, fn in (("churn-rec", recurse), ("churn-gen", generators),
                     ("churn-code", code)):
        threading.Thread(target=fn, name=name, daemon=True).start()
    mark_ready(ready_path())
    while True:
        time.sleep(3600)


main()
