# many_funcs.py [READY] [NTHREADS] [NFUNCS] - hundreds of distinct functions
# with long names kept busy by many threads with hostile names (pipes, HTML,
# backticks, newlines, @mentions): the markdown summary must stay under
# 64 KB and well formed whatever it is given.
#   worker threads: each calls its own 5 generated functions in turn
#   main: sleeps (idle)
import sys
import threading
import time

from _ready import mark_ready, ready_path

NTHREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 120
NFUNCS = int(sys.argv[3]) if len(sys.argv) > 3 else 600
PAD = "x" * 150


def fname(i):
    return "busy_%04d_%s" % (i, PAD)


def make_functions():
    src = []
    for i in range(NFUNCS):
        src.append("def %s(n):\n    s = 0\n    for k in range(n):\n"
                   "        s += k\n    return s\n" % fname(i))
    ns = {}
    code = compile("\n".join(src), "generated_" + "y" * 120 + ".py", "exec")
    exec(code, ns)
    return [ns[fname(i)] for i in range(NFUNCS)]


def work(mine, go):
    go.wait()
    while True:
        for f in mine:
            f(200)


def main():
    funcs = make_functions()
    go = threading.Event()
    per = max(1, NFUNCS // NTHREADS)
    for t in range(NTHREADS):
        mine = [funcs[(t * per + k) % NFUNCS] for k in range(per)]
        name = "w%03d |pipe| <b>x</b> `tick` @here\nline2 %s" % (t, "z" * 100)
        threading.Thread(target=work, args=(mine, go), name=name,
                         daemon=True).start()
    # All started before any spins (starting a thread among 100 spinning
    # ones takes long); short slices so that every thread runs often and
    # is seen in each of its functions within a second or two.
    sys.setswitchinterval(0.0002)
    go.set()
    mark_ready(ready_path())
    while True:
        time.sleep(3600)


main()
