"""Bias and ReLU: the forward pass fused, and their gradients.

    out = max(z + b, 0)          dz = dout * (out > 0)          db = column_sums(dz)

Shapes: z, out, dout, dz: (M, F) with F = the channels or units, b, db: (F,). Fusing saves one
full pass over the layer's output (the biggest array of a conv layer). The Numba kernel works in
place on z, which the layer has just allocated; the NumPy twins return new arrays, so callers
always use the returned value.

column_sums adds up each column of a tall (M, F) array: the bias gradient db above, and also
BatchNormalization's means, variances and gradients. It adds in float64 whatever the input's
dtype, and rounds once at the end. Added one row at a time in float32, M = N*H*W = 21,632 rows
(conv1 at batch 32) lost up to ~5e-6 of the sum, and BatchNorm's float32 output and gradients
were 3-4x further from float64 than TensorFlow's; now they are 4-40x closer than TensorFlow's
(tests/test_batchnorm.py has the figures).
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
def column_sums(a):
    """a: (M, F) -> (F,) in a's dtype: the sum of each column, added up in float64.

    NumPy's a.sum(axis=0) is several times slower on a tall (M, F) array like conv1's
    (21,632, 32); one pass adding row after row into F running sums is not. The float64 sums
    cost ~10 us more there than float32 ones (~85 -> ~97 us, timeit) and make the rounding
    error of a float32 sum independent of M (see the module docstring).
    """
    sums = np.zeros(a.shape[1], dtype=np.float64)
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            sums[j] += a[i, j]
    return sums.astype(a.dtype)


def bias_relu_reference(z, b):
    """NumPy twin of bias_relu (returns a new array)."""
    return np.maximum(z + b, 0)


def relu_backward_reference(dout, out):
    """NumPy twin of relu_backward."""
    return dout * (out > 0)


def column_sums_reference(a):
    """NumPy twin of column_sums (float64 sums, rounded once to a's dtype)."""
    return a.sum(axis=0, dtype=np.float64).astype(a.dtype)
