"""Bias and ReLU: the forward pass fused, and their gradients.

    out = max(z + b, 0)          dz = dout * (out > 0)          db = sum of dz over rows

Shapes: z, out, dout, dz: (M, F) with F = the channels or units, b, db: (F,). Fusing saves one
full pass over the layer's output (the biggest array of a conv layer). The Numba kernel works in
place on z, which the layer has just allocated; the NumPy twins return new arrays, so callers
always use the returned value.
"""

import numpy as np

from tinycnn.kernels.jit import kernel


@kernel
def bias_relu(z, b):
    """z: (M, F), b: (F,) -> max(z + b, 0), written into z and returned."""
    m, f = z.shape
    for i in range(m):
        for j in range(f):
            value = z[i, j] + b[j]
            z[i, j] = 0.0 if value < 0 else value  # NaN stays NaN, as in np.maximum
    return z


@kernel
def relu_backward(dout, out):
    """dout, out: (M, F) -> dz = dout where out > 0, else 0."""
    m, f = out.shape
    dz = np.empty_like(dout)
    for i in range(m):
        for j in range(f):
            dz[i, j] = dout[i, j] if out[i, j] > 0 else 0.0
    return dz


@kernel
def bias_grad(dz):
    """dz: (M, F) -> db: (F,), the column sums.

    NumPy's dz.sum(axis=0) is several times slower on a tall (M, F) array like conv1's
    (21,632, 32); one pass adding row after row into F running sums is not.
    """
    db = np.zeros(dz.shape[1], dtype=dz.dtype)
    for i in range(dz.shape[0]):
        for j in range(dz.shape[1]):
            db[j] += dz[i, j]
    return db


def bias_relu_reference(z, b):
    """NumPy twin of bias_relu (returns a new array)."""
    return np.maximum(z + b, 0)


def relu_backward_reference(dout, out):
    """NumPy twin of relu_backward."""
    return dout * (out > 0)


def bias_grad_reference(dz):
    """NumPy twin of bias_grad."""
    return dz.sum(axis=0)
