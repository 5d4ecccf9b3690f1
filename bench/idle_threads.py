# idle_threads.py N [SECS] - N idle threads (blocked on an Event, as a
# thread pool's idle workers are) beside 3 busy pure-Python threads, for
# bench/threads.sh; runs SECS seconds (default: until killed).
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
SECS = float(sys.argv[2]) if len(sys.argv) > 2 else 1e9


def burn():
    x = 0
    while True:
        x += 1


def main():
    ev = threading.Event()
    for i in range(N):
        threading.Thread(target=ev.wait, name="idle%d" % i,
                         daemon=True).start()
    for i in range(3):
        threading.Thread(target=burn, name="busy%d" % i, daemon=True).start()
    time.sleep(SECS)


main()
