"""How every Numba kernel is compiled: ``@kernel`` on a plain Python loop.

    nogil=True            the kernel lets go of Python's lock while it runs, so two threads
                          can each run one at the same time (the data-parallel training step,
                          tinycnn/parallel.py, keeps both cores busy that way)
    cache=True            the machine code is saved beside the source (__pycache__) and loaded
                          by the next process, instead of compiled again
    error_model="numpy"   a division by zero gives inf or nan as in NumPy, instead of a check
                          before every division that raises ZeroDivisionError; without the
                          checks LLVM can vectorise the loops (Adam's update ran ~10x faster)

The kernels are serial on purpose: the cores are shared out by whole pieces of the batch, not
inside one kernel, which is simpler and wastes no time waking threads for small arrays.
"""

from numba import njit

kernel = njit(nogil=True, cache=True, error_model="numpy")
