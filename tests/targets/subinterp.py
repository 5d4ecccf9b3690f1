# subinterp.py - a subinterpreter with its own GIL (3.12+), spinning in
# subspin() (line 2 of its code string) while the main interpreter's thread
# sleeps in main_sleep (line 23 of this file).
import sys
import threading
import time

from _ready import mark_ready, ready_path

try:
    import _interpreters as interpreters          # 3.13+
except ImportError:
    import _xxsubinterpreters as interpreters     # 3.12

CODE = "def subspin():\n    while True: pass\nsubspin()\n"


def run_sub():
    interpreters.run_string(interpreters.create(), CODE)


def main_sleep():
    while True: time.sleep(3600)


threading.Thread(target=run_sub, name="sub", daemon=True).start()
mark_ready(ready_path(), settle=0.5)
main_sleep()
