"""The Adam update of one parameter array, in one pass over memory.

    m = m + (1 - b1) * (g - m)
    v = v + (1 - b2) * (g^2 - v)
    p = p - step_size * m / (sqrt(v) + eps)      step_size = lr * sqrt(1 - b2^t) / (1 - b1^t)

Shapes: p, g, m, v all the same, any shape; p, m, v are updated in place. In NumPy each line
above allocates temporaries and walks memory again (~1 ms a step for the seed model's 241,546
parameters); the fused loop does it once. The constants are cast to the parameters' dtype
so float32 parameters are updated in float32 arithmetic, as in NumPy.
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


def _check_shapes(p, g, m, v):
    # The kernel walks p.size elements of each array and NumPy would broadcast: either way a
    # wrong-shaped gradient would train silently wrong.
    for name, array in (("g", g), ("m", m), ("v", v)):
        if array.shape != p.shape:
            raise ValueError(f"adam_update: {name} has shape {array.shape}, "
                             f"but the parameter p has shape {p.shape}")


def adam_update(p, g, m, v, step_size, beta_1, beta_2, epsilon):
    """Update p, m, v in place (contiguous arrays of one shape)."""
    _check_shapes(p, g, m, v)
    for name, array in (("p", p), ("m", m), ("v", v)):
        if not array.flags.c_contiguous:
            # reshape(-1) would then update a copy and the step would be lost.
            raise ValueError(f"adam_update: {name} must be C-contiguous to update in place")
    _adam_update(p.reshape(-1), np.ascontiguousarray(g).reshape(-1), m.reshape(-1),
                 v.reshape(-1), step_size, beta_1, beta_2, epsilon)


def adam_update_reference(p, g, m, v, step_size, beta_1, beta_2, epsilon):
    """NumPy twin of adam_update."""
    _check_shapes(p, g, m, v)
    m += (1 - beta_1) * (g - m)
    v += (1 - beta_2) * (g * g - v)
    p -= (step_size * m / (np.sqrt(v) + epsilon)).astype(p.dtype, copy=False)
