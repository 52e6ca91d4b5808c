"""Bias + ReLU, fused, and the ReLU gradient.

    out = max(z + b, 0)          dz = dout * (out > 0)

Shapes: z, out, dout: (M, F) with F = the channels or units, b: (F,). Fusing saves one full
pass over the layer's output (the biggest array of a conv layer). The Numba kernel works in
place on z, which the layer has just allocated; the NumPy twins return new arrays, so callers
always use the returned value.
"""

import numpy as np
from numba import njit, prange


@njit(parallel=True, cache=True)
def bias_relu(z, b):
    """z: (M, F), b: (F,) -> max(z + b, 0), written into z and returned."""
    m, f = z.shape
    for i in prange(m):
        for j in range(f):
            value = z[i, j] + b[j]
            z[i, j] = value if value > 0 else 0.0
    return z


@njit(parallel=True, cache=True)
def relu_backward(dout, out):
    """dout, out: (M, F) -> dz = dout where out > 0, else 0."""
    m, f = out.shape
    dz = np.empty_like(dout)
    for i in prange(m):
        for j in range(f):
            dz[i, j] = dout[i, j] if out[i, j] > 0 else 0.0
    return dz


def bias_relu_reference(z, b):
    """NumPy twin of bias_relu (returns a new array)."""
    return np.maximum(z + b, 0)


def relu_backward_reference(dout, out):
    """NumPy twin of relu_backward."""
    return dout * (out > 0)
