# numpy_matmul.py - one thread multiplying matrices with NumPy: BLAS's gemm
# runs with the GIL released.
import threading
import time

import numpy

from _ready import mark_ready, ready_path


def matmul_loop():
    a = numpy.random.rand(300, 300)
    while True:
        a @ a


threading.Thread(target=matmul_loop, name="matmul", daemon=True).start()
mark_ready(ready_path())
while True:
    time.sleep(3600)
