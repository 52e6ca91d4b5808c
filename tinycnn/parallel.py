"""Inference on several threads: the pieces of a batch shared out over the CPU's cores.

predict cuts its images into pieces of 16 (model.py, INFERENCE_CHUNK) and every piece's
forward pass is independent of the others, so ``workers`` threads can each take pieces:
    thread k:  out[p] = replica_k.forward(x[p])     for the pieces p it takes
    result:    the outputs concatenated in piece order
Each thread runs its own *replica* of the model (Network.replica): the very same weight arrays,
but its own caches, which forward overwrites. The numbers are the same bits as on one thread:
the pieces are the same and nothing is added across them.

Why threads help here: a forward pass on 32 images is a few small matrix multiplies and
kernels. Split over two cores by the BLAS library, every multiply stops and restarts the
cores, and one core idles while a single-threaded kernel runs; one piece per core keeps both
busy. So while the pieces run, BLAS is held to one thread per call. Measured for the
notebook's model at batch 1000 (README, "Speed"): ~7,300 images/s on one thread, ~12,000 on two.

Why training does not do the same: we tried (pieces of 16 or 32 images forward and backward
on two threads, gradients added up in piece order) and on this 2-core machine it was no
faster than one pass over 32 images with BLAS using both cores (the backward pass's matrix
multiplies are big enough to split well). See README, "What did not pay off".

The threads are Python threads: the heavy work (NumPy's matrix multiplies, the Numba kernels,
compiled with nogil=True) runs without Python's lock, so they do run at the same time.
"""

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController


def default_workers():
    """One thread per core the process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def map_in_threads(function, items, workers):
    """function(item) for every item, on up to ``workers`` threads: an iterator over the
    results in the items' order (an exception in a thread is raised when its result comes)."""
    if workers <= 1 or len(items) <= 1:
        return map(function, items)
    return _pool(workers).map(function, items)


@contextlib.contextmanager
def one_blas_thread():
    """Hold BLAS (NumPy's matrix multiplies) to the calling thread for the block."""
    with _blas_controller().limit(limits=1, user_api="blas"):
        yield


# Made once and kept: asking the libraries for their thread pools takes ~0.3 ms and starting
# threads ~0.1 ms, against ~2 ms for 32 images' forward pass.
_POOLS = {}
_CONTROLLER = []


def _pool(workers):
    if workers not in _POOLS:
        _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="tinycnn-predict")
    return _POOLS[workers]


def _blas_controller():
    if not _CONTROLLER:
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]
