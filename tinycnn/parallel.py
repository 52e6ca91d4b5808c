"""Inference on several threads: the pieces of a batch shared out over the CPU's cores.

predict and evaluate cut each batch of images into pieces of 16 (``INFERENCE_PIECE``) and
every piece's forward pass is independent of the others, so ``workers`` threads can each take
pieces:
    thread k:  out[p] = replica_k.forward(x[p])     for the pieces p it takes
    result:    the outputs concatenated in piece order
Each thread runs its own *replica* of the model (Network.replica): the very same weight arrays,
but its own caches, which forward overwrites. The numbers are the same bits as on one thread:
the pieces are the same and nothing is added across them.

Why threads help here: a forward pass on 32 images is a few small matrix multiplies and
kernels. Split over two cores by the BLAS library, every multiply stops and restarts the
cores, and one core idles while a single-threaded kernel runs; one piece per core keeps both
busy. So while the pieces run, BLAS is held to one thread per call. Measured for the
notebook's model at batch 1000 (docs/performance.md): ~7,300 images/s on one thread, ~12,000 on two.

Why training does not do the same: we tried (pieces of 16 or 32 images forward and backward
on two threads, gradients added up in piece order) and on this 2-core machine it was no
faster than one pass over 32 images with BLAS using both cores (the backward pass's matrix
multiplies are big enough to split well). See docs/performance.md, "What did not pay off".

The threads are Python threads: the heavy work (NumPy's matrix multiplies, the Numba kernels,
compiled with nogil=True) runs without Python's lock, so they do run at the same time.
"""

import contextlib
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import ThreadpoolController

# Images per forward pass in predict and evaluate. Small pieces keep each layer's im2col
# matrix in cache. Measured at batch_size=1000 on 2 threads, alternating in one process
# (medians of 12 rounds): pieces of 16 images ~13,800 images/s, 32 ~12,200, 64 ~10,400; on
# one thread, one 1,000-image pass gave ~6,000.
INFERENCE_PIECE = 16


def batch_outputs(model, x, batch_size, logits=False):
    """The inference output of ``model`` for images x (N, H, W, C), one batch of
    ``batch_size`` images after another: an iterator over arrays (n, ...) in order.

    Each batch runs in pieces of at most INFERENCE_PIECE images on ``model.workers`` threads,
    each thread with its own replica of the model; the pieces of every batch are handed out
    at once, so the threads never wait while the caller handles a batch (its callbacks).
    ``logits``: the scores before a final softmax (Network.forward).
    """
    step = min(batch_size, INFERENCE_PIECE)
    batches = [(start, min(start + batch_size, len(x))) for start in range(0, len(x), batch_size)]
    pieces = [(start, min(start + step, stop)) for first, stop in batches
              for start in range(first, stop, step)]
    replicas = threading.local()

    def forward(piece):
        if not hasattr(replicas, "model"):
            replicas.model = model.replica()
        start, stop = piece
        return replicas.model.forward(x[start:stop], training=False, logits=logits)

    ends = iter([stop for _, stop in batches])
    batch_end, done = next(ends), []
    with one_blas_thread():
        for (_, stop), out in zip(pieces, map_in_threads(forward, pieces, model.workers),
                                  strict=True):
            done.append(out)
            if stop == batch_end:  # the batch's last piece
                yield done[0] if len(done) == 1 else np.concatenate(done)
                batch_end, done = next(ends, None), []


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
