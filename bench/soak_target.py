# soak_target.py READY COUNTS - the soak target (bench/soak.sh): 10 busy
# threads, 100 threads a second that live 1-20 ms (named short-N; about
# half of them under 10 ms), and a child forked every second that lives
# half a second.  COUNTS is rewritten every second with "started N" (short
# threads started so far) and "forks N".
import os
import random
import sys
import threading
import time

ready, counts = sys.argv[1], sys.argv[2]
started = 0
forks = 0


def busy(i):
    x = 0
    while True:
        x = (x * 31 + i) % 1000003


def short(life):
    end = time.time() + life
    x = 0
    while time.time() < end:
        x += 1


def spawner():
    global started
    rnd = random.Random(1)
    while True:
        t0 = time.time()
        for _ in range(10):
            started += 1
            threading.Thread(target=short, args=(rnd.uniform(0.001, 0.02),),
                             name="short-%d" % started, daemon=True).start()
        time.sleep(max(0.0, 0.1 - (time.time() - t0)))


def forker():
    global forks
    while True:
        time.sleep(1)
        pid = os.fork()
        if pid == 0:
            short(0.5)
            os._exit(0)
        forks += 1
        os.waitpid(pid, 0)


for i in range(10):
    threading.Thread(target=busy, args=(i,), name="busy-%d" % i, daemon=True).start()
threading.Thread(target=spawner, name="spawner", daemon=True).start()
threading.Thread(target=forker, name="forker", daemon=True).start()
with open(ready, "w") as f:
    f.write(str(os.getpid()))
while True:
    time.sleep(1)
    with open(counts + ".tmp", "w") as f:
        f.write("started %d\nforks %d\n" % (started, forks))
    os.rename(counts + ".tmp", counts)
