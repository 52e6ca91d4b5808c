"""How many threads tinycnn's Numba kernels use, set per call and put back afterwards.

Why one thread by default: NumPy's matrix multiplies run on OpenBLAS's threads, which keep
spinning on the other cores for a while after each multiply. A parallel Numba kernel started
in that moment shares its cores with the spinning threads and finishes later than it would
have on one thread. Measured on 2 cores (README, "Threads"): a training step at batch 32 was
~10% faster with the kernels on one thread, while the multiplies kept both cores.

The kernels are still compiled with ``parallel=True``: even on one thread, Numba's parallel
loops know their arrays do not overlap and vectorise, which a plain loop here did not.
``numba.set_num_threads`` only affects the calling thread, and we restore it on the way out.
"""

import contextlib

import numba


@contextlib.contextmanager
def kernel_threads(count):
    """Run the block with Numba's thread count at ``count`` (None: leave it as it is)."""
    if count is None:
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(min(count, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)
