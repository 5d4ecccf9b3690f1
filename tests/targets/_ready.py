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


def set_thread_name(name):
    """Set the OS name of the calling thread as well as its Python name, so
    gilspy shows it even where it cannot read threading's.  /proc is not
    mounted in the test chroot, so fall back to prctl(PR_SET_NAME)."""
    try:
        with open("/proc/thread-self/comm", "w") as f:
            f.write(name)
    except OSError:
        import ctypes
        ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)
