# procs.py - worker processes of every kind, for `gilspy record -s`.
#
#   procs.py READY MODE SECS [ARGS]
#
# READY is the ready file (or "-" for none); the work lasts about SECS
# seconds, then everything exits cleanly.  Each worker runs child_work(), a
# pure-Python loop, so it holds its own GIL nearly all the time.  Modes:
#   pool-fork N     multiprocessing.Pool(N) with the fork start method
#   pool-spawn N    ProcessPoolExecutor (Pool before 3.7) with spawn
#   forkserver N    multiprocessing.Pool(N) with forkserver
#   subprocess PY   subprocess.run([PY or sys.executable, this, -, child])
#   shell           the same through /bin/sh, which stays (not exec'd)
#   child           child_work() itself, in this process
#   churn N OUT     N children made with os.fork() over SECS seconds, each
#                   living 10-80 ms; "pid start end" (CLOCK_MONOTONIC,
#                   seconds, as each child saw them) appended to OUT (a
#                   name relative to this script's directory)
#   prefork N       a pre-fork HTTP server: N os.fork() workers serving
#                   http.server handlers on one listening socket, loaded
#                   by a client in this process until SECS have passed
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _ready import mark_ready  # noqa: E402


def child_work(secs):
    end = time.time() + secs
    x = 0
    while time.time() < end:
        for i in range(20000):
            x += i * i
    return x


def pool_task(n):
    x = 0
    for i in range(n):
        x += i * i
    return x


def run_pool(method, n, secs, ready):
    import multiprocessing as mp
    ctx = mp.get_context(method)
    with ctx.Pool(n) as pool:
        pool.map(pool_task, [1000] * n)
        mark_ready(ready, 0)
        end = time.time() + secs
        while time.time() < end:
            pool.map(pool_task, [300000] * (2 * n))


def run_executor(n, secs, ready):
    import multiprocessing as mp
    ctx = mp.get_context("spawn")
    try:
        from concurrent.futures import ProcessPoolExecutor
        ex = ProcessPoolExecutor(n, mp_context=ctx)
    except TypeError:       # 3.6: no mp_context
        return run_pool("spawn", n, secs, ready)
    with ex:
        list(ex.map(pool_task, [1000] * n))
        mark_ready(ready, 0)
        end = time.time() + secs
        while time.time() < end:
            list(ex.map(pool_task, [300000] * (2 * n)))


def run_churn(n, secs, out, ready):
    mark_ready(ready, 0)
    gap = secs / n
    kids = []
    for _ in range(n):
        life = random.uniform(0.010, 0.080)
        pid = os.fork()
        if pid == 0:
            t0 = time.monotonic()
            child_work(life)
            t1 = time.monotonic()
            fd = os.open(out, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, ("%d %.6f %.6f\n" % (os.getpid(), t0, t1)).encode())
            os.close(fd)
            os._exit(0)
        kids.append(pid)
        time.sleep(gap)
    for pid in kids:
        os.waitpid(pid, 0)


def run_prefork(n, secs, ready):
    import http.server
    import socket
    import urllib.request

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = ("%d\n" % handle_request_work()).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    def handle_request_work():
        x = 0
        for i in range(30000):
            x += i * i
        return x

    srv = http.server.HTTPServer(("127.0.0.1", 0), Handler, False)
    srv.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.server_bind()
    srv.server_activate()
    port = srv.server_address[1]
    workers = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            try:
                srv.serve_forever()
            finally:
                os._exit(0)
        workers.append(pid)
    srv.socket.close()
    mark_ready(ready, 0)
    end = time.time() + secs
    url = "http://127.0.0.1:%d/" % port
    while time.time() < end:
        urllib.request.urlopen(url, timeout=5).read()
    for pid in workers:
        os.kill(pid, 15)
        os.waitpid(pid, 0)


def main():
    ready = sys.argv[1] if sys.argv[1] != "-" else None
    mode = sys.argv[2]
    secs = float(sys.argv[3])
    args = sys.argv[4:]
    if mode == "pool-fork":
        run_pool("fork", int(args[0]), secs, ready)
    elif mode == "forkserver":
        run_pool("forkserver", int(args[0]), secs, ready)
    elif mode == "pool-spawn":
        run_executor(int(args[0]), secs, ready)
    elif mode == "subprocess":
        import subprocess
        py = args[0] if args and args[0] != "-" else sys.executable
        mark_ready(ready, 0)
        subprocess.run([py, os.path.abspath(__file__), "-", "child",
                        str(secs)], check=True)
    elif mode == "shell":
        import subprocess
        mark_ready(ready, 0)
        # "; exit" keeps sh from exec'ing its last command
        subprocess.run(["/bin/sh", "-c", '"$0" "$1" - child "$2"; exit $?',
                        sys.executable, os.path.abspath(__file__),
                        str(secs)], check=True)
    elif mode == "child":
        mark_ready(ready, 0)
        child_work(secs)
    elif mode == "churn":
        here = os.path.dirname(os.path.abspath(__file__))
        run_churn(int(args[0]), secs, os.path.join(here, args[1]), ready)
    elif mode == "prefork":
        run_prefork(int(args[0]), secs, ready)
    else:
        sys.exit("procs.py: unknown mode " + mode)


if __name__ == "__main__":
    main()
