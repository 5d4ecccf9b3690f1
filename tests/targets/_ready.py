# _ready.py - tell the test harness a target is in its steady state.
import os
import sys
import time


def mark_ready(path, settle=0.3):
    """Write path once the threads have had settle seconds to get going.
    Without a path (a target run by hand) there is nothing to signal."""
    time.sleep(settle)
    if not path:
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(os.getpid()))
    os.rename(tmp, path)


def ready_path():
    return sys.argv[1] if len(sys.argv) > 1 else None
