# subinterp_late.py - a subinterpreter (3.12+, its own GIL) created DELAY
# seconds after the target is ready (default 1), spinning in subspin()
# from then on; the main thread sleeps.  For a recording that must see an
# interpreter that did not exist when it attached.
import sys
import threading
import time

from _ready import mark_ready, ready_path

try:
    import _interpreters as interpreters          # 3.13+
except ImportError:
    import _xxsubinterpreters as interpreters     # 3.12

CODE = "def subspin():\n    while True: pass\nsubspin()\n"
DELAY = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0


def run_sub():
    interpreters.run_string(interpreters.create(), CODE)


mark_ready(ready_path(), settle=0.2)
time.sleep(DELAY)
threading.Thread(target=run_sub, name="sub", daemon=True).start()
while True:
    time.sleep(3600)
