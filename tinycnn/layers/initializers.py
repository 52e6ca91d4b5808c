"""Weight initialisation, as Keras does it by default.

Glorot (Xavier) uniform: W ~ U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)), which keeps
the variance of activations and gradients about the same from layer to layer. For a conv kernel
(KH, KW, C_in, F): fan_in = KH*KW*C_in, fan_out = KH*KW*F. Biases start at zero.
"""

import numpy as np


def glorot_uniform(shape, rng, dtype):
    receptive_field = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    fan_in = shape[-2] * receptive_field
    fan_out = shape[-1] * receptive_field
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(dtype)
