"""Activation functions that layers apply to their output, forward and backward.

    relu:     out = max(z, 0)                         dz = dout * (out > 0)
    softmax:  out_k = exp(z_k - max z) / sum_j exp(z_j - max z)   (over the last axis)
              dz = out * (dout - sum_k dout_k * out_k)   (the Jacobian-vector product)

Conv2D, Dense and the stand-alone ReLU and Softmax layers all call these, so each formula is
written once. Subtracting max z before exp changes nothing mathematically and keeps exp from
overflowing. Shapes: z, out, dout: (..., F).
"""

import numpy as np

ACTIVATIONS = (None, "relu", "softmax")


def check_activation(name, where):
    if name not in ACTIVATIONS:
        raise ValueError(
            f"{where}: unknown activation {name!r}: expected one of {list(ACTIVATIONS)}"
        )
    return name


def softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(dout, out):
    return out * (dout - (dout * out).sum(axis=-1, keepdims=True))


def add_bias_and_activate(z, b, activation, kernels):
    """z: (M, F) pre-bias output, b: (F,) -> activation(z + b), reusing z's memory if it can."""
    if activation == "relu":
        return kernels.bias_relu(z, b)
    z += b
    if activation == "softmax":
        return softmax(z)
    return z


def activation_backward(dout, out, activation, kernels):
    """dout, out: (M, F) -> dz, the gradient before the activation."""
    if activation == "relu":
        return kernels.relu_backward(dout, out)
    if activation == "softmax":
        return softmax_backward(dout, out)
    return dout
