"""Activation functions that layers apply to their output, forward and backward.

    relu:     out = max(z, 0)                         dz = dout * (out > 0)
    sigmoid:  out = 1 / (1 + exp(-z))                 dz = dout * out * (1 - out)
    tanh:     out = tanh(z)                           dz = dout * (1 - out^2)
    softmax:  out_k = exp(z_k - max z) / sum_j exp(z_j - max z)   (over the last axis)
              dz = out * (dout - sum_k dout_k * out_k)   (the Jacobian-vector product)

Each derivative is written with the output ``out``, not the input z: that is the array the
layer keeps for backward anyway. Conv2D, Dense and the stand-alone activation layers all call
these, so each formula is written once. Subtracting max z before exp changes nothing
mathematically and keeps exp from overflowing; sigmoid splits on the sign of z for the same
reason. Shapes: z, out, dout: (..., F).
"""

import numpy as np

ACTIVATIONS = (None, "relu", "sigmoid", "tanh", "softmax")


def check_activation(name, where):
    """The activation's name, lower-cased ("ReLU" -> "relu"; "linear" -> None), or a clear error."""
    key = name.lower() if isinstance(name, str) else name
    if key == "linear":
        key = None
    if key not in ACTIVATIONS:
        raise ValueError(
            f"{where}: unknown activation {name!r}: expected one of {list(ACTIVATIONS)}"
        )
    return key


def sigmoid(z):
    # exp of a large positive number overflows: use exp(-|z|), which is always <= 1.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(z.dtype, copy=False)


def softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_backward(dout, out):
    return out * (dout - (dout * out).sum(axis=-1, keepdims=True))


def activate(z, activation):
    """activation(z) for z: (..., F), as a new array (z is left as it is)."""
    if activation == "relu":
        return np.maximum(z, 0)
    if activation == "sigmoid":
        return sigmoid(z)
    if activation == "tanh":
        return np.tanh(z)
    if activation == "softmax":
        return softmax(z)
    if activation is None:
        return z
    raise _unknown(activation)


def add_bias_and_activate(z, b, activation, kernels):
    """z: (M, F) pre-bias output, b: (F,) -> activation(z + b), reusing z's memory if it can."""
    if activation == "relu":  # one fused pass instead of two
        return kernels.bias_relu(z, b)
    z += b
    return activate(z, activation)


def activation_backward(dout, out, activation, kernels):
    """dout, out: (M, F) -> dz, the gradient before the activation."""
    if activation == "relu":
        return kernels.relu_backward(dout, out)
    if activation == "sigmoid":
        return dout * out * (1 - out)
    if activation == "tanh":
        return dout * (1 - out * out)
    if activation == "softmax":
        return softmax_backward(dout, out)
    if activation is None:
        return dout
    raise _unknown(activation)


def _unknown(activation):
    # A name set on a layer after its constructor checked it ("Relu") must not run as linear.
    return ValueError(f"unknown activation {activation!r}: expected one of {list(ACTIVATIONS)} "
                      "(as check_activation gives them)")
