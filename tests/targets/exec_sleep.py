# exec_sleep.py [READY] [SECS] - spin in busy() for SECS seconds (1), then
# exec /bin/sleep: the pid lives on as a program that is not Python.
import os
import sys
import time

from _ready import mark_ready, ready_path


def busy(secs):
    end = time.time() + secs
    x = 0
    while time.time() < end:
        x += 1


mark_ready(ready_path(), settle=0)
busy(float(sys.argv[2]) if len(sys.argv) > 2 else 1.0)
os.execv("/bin/sleep", ["sleep", "30"])
