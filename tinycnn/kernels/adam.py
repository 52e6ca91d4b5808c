"""The Adam update of one parameter array, in one pass over memory.

    m = m + (1 - b1) * (g - m)
    v = v + (1 - b2) * (g^2 - v)
    p = p - step_size * m / (sqrt(v) + eps)      step_size = lr * sqrt(1 - b2^t) / (1 - b1^t)
AMSGrad (v_hat given) keeps the largest v seen so far and divides by it instead:
    v_hat = max(v_hat, v)
    p = p - step_size * m / (sqrt(v_hat) + eps)

Shapes: p, g, m, v (and v_hat) all the same, any shape; p, m, v, v_hat are updated in place.
In NumPy each line above allocates temporaries and walks memory again (~1 ms a step for the
seed model's 241,546 parameters); the fused loop does it once. The constants are cast to the
parameters' dtype so float32 parameters are updated in float32 arithmetic, as in NumPy.
"""

import numpy as np

from tinycnn.kernels.jit import kernel


@kernel
def _adam_update(p, g, m, v, step_size, beta_1, beta_2, epsilon):
    to_dtype = p.dtype.type
    keep_m, keep_v = to_dtype(1.0 - beta_1), to_dtype(1.0 - beta_2)
    step_size, epsilon = to_dtype(step_size), to_dtype(epsilon)
    for i in range(p.size):
        # Read each array once into a local: LLVM then sees no overlap to fear and vectorises.
        g_i = g[i]
        m_i = m[i] + keep_m * (g_i - m[i])
        v_i = v[i] + keep_v * (g_i * g_i - v[i])
        m[i], v[i] = m_i, v_i
        p[i] -= step_size * m_i / (np.sqrt(v_i) + epsilon)


@kernel
def _amsgrad_update(p, g, m, v, v_hat, step_size, beta_1, beta_2, epsilon):
    # _adam_update with the running maximum of v (a second loop keeps Adam's own untouched).
    to_dtype = p.dtype.type
    keep_m, keep_v = to_dtype(1.0 - beta_1), to_dtype(1.0 - beta_2)
    step_size, epsilon = to_dtype(step_size), to_dtype(epsilon)
    for i in range(p.size):
        g_i = g[i]
        m_i = m[i] + keep_m * (g_i - m[i])
        v_i = v[i] + keep_v * (g_i * g_i - v[i])
        v_hat_i = np.maximum(v_hat[i], v_i)
        m[i], v[i], v_hat[i] = m_i, v_i, v_hat_i
        p[i] -= step_size * m_i / (np.sqrt(v_hat_i) + epsilon)


def _check_shapes(p, g, m, v, v_hat):
    # The kernel walks p.size elements of each array and NumPy would broadcast: either way a
    # wrong-shaped gradient would train silently wrong.
    for name, array in (("g", g), ("m", m), ("v", v), ("v_hat", v_hat)):
        if array is not None and array.shape != p.shape:
            raise ValueError(f"adam_update: {name} has shape {array.shape}, "
                             f"but the parameter p has shape {p.shape}")


def adam_update(p, g, m, v, step_size, beta_1, beta_2, epsilon, v_hat=None):
    """Update p, m, v (and v_hat, for AMSGrad) in place (contiguous arrays of one shape)."""
    _check_shapes(p, g, m, v, v_hat)
    for name, array in (("p", p), ("m", m), ("v", v), ("v_hat", v_hat)):
        if array is not None and not array.flags.c_contiguous:
            # reshape(-1) would then update a copy and the step would be lost.
            raise ValueError(f"adam_update: {name} must be C-contiguous to update in place")
    flat_g = np.ascontiguousarray(g).reshape(-1)
    if v_hat is None:
        _adam_update(p.reshape(-1), flat_g, m.reshape(-1), v.reshape(-1), step_size, beta_1,
                     beta_2, epsilon)
    else:
        _amsgrad_update(p.reshape(-1), flat_g, m.reshape(-1), v.reshape(-1), v_hat.reshape(-1),
                        step_size, beta_1, beta_2, epsilon)


def adam_update_reference(p, g, m, v, step_size, beta_1, beta_2, epsilon, v_hat=None):
    """NumPy twin of adam_update."""
    _check_shapes(p, g, m, v, v_hat)
    m += (1 - beta_1) * (g - m)
    v += (1 - beta_2) * (g * g - v)
    if v_hat is not None:
        np.maximum(v_hat, v, out=v_hat)
        v = v_hat
    p -= (step_size * m / (np.sqrt(v) + epsilon)).astype(p.dtype, copy=False)
