# nounwind.py - one thread spinning in a C extension that has no unwind
# information (gilspy_cext_nu, built by t0800-native.sh; argv[2] is its
# directory): its native stacks end in [truncated].
import sys
import threading
import time

from _ready import mark_ready, ready_path

sys.path.insert(0, sys.argv[2])
import gilspy_cext_nu


def nounwind_loop():
    while True:
        gilspy_cext_nu.spin_nogil(0.01)


threading.Thread(target=nounwind_loop, name="nounwind", daemon=True).start()
mark_ready(ready_path())
while True:
    time.sleep(3600)
