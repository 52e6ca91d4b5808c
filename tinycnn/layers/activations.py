"""Activation functions that layers apply to their output, forward and backward.

Forward out = f(x), backward dx = dout * f'(x), value by value; x is what the function is
applied to (Dense's and Conv2D's z, an activation layer's input). Each f' is written with the
output ``out`` where it can be: that is the array the layer keeps for backward anyway.

    relu           out = max(x, 0)                                 f' = 1 where out > 0, else 0
    relu6          out = min(max(x, 0), 6)                         f' = 1 where 0 < out < 6
    leaky_relu     out = x if x > 0, else s x          (s = 0.2)   f' = 1 where out > 0, else s
    elu            out = x if x > 0, else a (e^x - 1)  (a = 1)
                                                      f' = 1 where out > 0, else out + a
    selu           out = L elu(x, A)     (A = 1.6732..., L = 1.0507...)
                                                      f' = L where out > 0, else out + L A
    celu           out = x if x > 0, else a (e^(x/a) - 1)  (a = 1)
                                                      f' = 1 where out > 0, else out / a + 1
    sigmoid        out = 1 / (1 + e^-x)                            f' = out (1 - out)
    hard_sigmoid   out = clip(x / 6 + 1/2, 0, 1)                   f' = 1/6 where 0 < out < 1
    sparse_sigmoid out = clip((x + 1) / 2, 0, 1)                   f' = 1/2 where 0 < out < 1
    log_sigmoid    out = log(sigmoid(x)) = -softplus(-x)           f' = 1 - e^out
    tanh           out = tanh(x)                                   f' = 1 - out^2
    hard_tanh      out = clip(x, -1, 1)                            f' = 1 where -1 < out < 1
    softplus       out = log(1 + e^x)                              f' = 1 - e^-out (= sigmoid(x))
    softsign       out = x / (1 + |x|)                             f' = (1 - |out|)^2
    squareplus     out = (x + sqrt(x^2 + b)) / 2       (b = 4)     f' = out^2 / (out^2 + b / 4)
    sparse_plus    out = 0, (x + 1)^2 / 4, x  for x <= -1, -1 < x < 1, x >= 1
                                                      f' = sqrt(out) where out < 1, else 1
    soft_shrink    out = x - t, 0, x + t  for x > t, |x| <= t, x < -t  (t = 0.5)
                                                      f' = 1 where out != 0, else 0
    hard_shrink    out = x where |x| > t, else 0       (t = 0.5)   f' = 1 where out != 0, else 0
    exponential    out = e^x                                       f' = out
    linear         out = x                                         f' = 1
Five whose f' needs x itself (NEEDS_INPUT: a layer applying them keeps x as well as out):
    gelu           out = x P(x),  P(x) = (1 + erf(x / sqrt 2)) / 2 (the normal distribution's
                   cumulative; Keras's default approximate=False)  f' = P(x) + x p(x),
                   p(x) = e^(-x^2 / 2) / sqrt(2 pi)
    silu (swish)   out = x sigmoid(x)                 f' = s (1 + x (1 - s)),  s = sigmoid(x)
    mish           out = x t,  t = tanh(softplus(x))  f' = t + x sigmoid(x) (1 - t^2)
    hard_silu      out = x hard_sigmoid(x)            f' = 0, (2x + 3) / 6, 1
    (hard_swish)                                           for x <= -3, -3 < x < 3, x >= 3
    tanh_shrink    out = x - tanh(x)                  f' = tanh(x)^2
And three over the last axis, F values at a time (x, out, dout: (..., F)):
    softmax        out_k = e^(x_k - max x) / sum_j e^(x_j - max x)
                   dx = out * (dout - sum_k dout_k out_k)   (the Jacobian-vector product)
    log_softmax    out_k = x_k - max x - log sum_j e^(x_j - max x)
                   dx = dout - e^out * sum_k dout_k
    sparsemax      out = max(x - tau, 0), tau the threshold that makes out sum to 1
                   dx = dout - (the mean of dout over the support S = {k: out_k > 0}) on S,
                   0 elsewhere

A name gives the function with Keras's default arguments (in parentheses above). The functions
take Keras's arguments, for the layers that pass their own (ReLU's max_value,
negative_slope and threshold; LeakyReLU's negative_slope; ELU's alpha); the derivatives read
from out hold for the values those layers accept (each >= 0). Subtracting max x before exp
changes nothing mathematically and keeps exp from overflowing; sigmoid splits on the sign of
x for the same reason, and softplus is NumPy's logaddexp(0, x). NumPy has no erf: gelu calls
Python's math.erfc value by value (about 0.1 us a value, ~100 times tanh's time).
Shapes: x, out, dout, dx: (..., F), all the same.
"""

import math

import numpy as np

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


# ---- value by value, f' read from out -----------------------------------------------------
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's relu: x above threshold (at most max_value), negative_slope * (x - threshold)
    at and below it; with the defaults, max(x, 0)."""
    if negative_slope == 0 and max_value is None and threshold == 0:
        return np.maximum(x, 0)
    out = np.where(x > threshold, x, 0)
    if max_value is not None:
        out = np.clip(out, 0, max_value)
    if negative_slope != 0:
        out = out - negative_slope * np.maximum(threshold - x, 0)
    return out


def relu_derivative(out, negative_slope=0.0, max_value=None):
    """1 where 0 < out < max_value, negative_slope where out < 0 (x below threshold), else 0;
    for arguments >= 0."""
    rising = out > 0 if max_value is None else (out > 0) & (out < max_value)
    return np.where(out < 0, negative_slope, rising).astype(out.dtype)


def relu6(x):
    return relu(x, max_value=6.0)


def relu6_derivative(out):
    return relu_derivative(out, max_value=6.0)


def leaky_relu(x, negative_slope=0.2):
    return np.where(x > 0, x, negative_slope * x)


def leaky_relu_derivative(out, negative_slope=0.2):
    return np.where(out > 0, 1, negative_slope).astype(out.dtype)


def elu(x, alpha=1.0):
    # exp of the negative part only: e^x of a large positive x would overflow (and is unused)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def elu_derivative(out, alpha=1.0):
    return np.where(out > 0, 1, out + alpha)


def selu(x):
    return SELU_SCALE * elu(x, SELU_ALPHA)


def selu_derivative(out):
    return np.where(out > 0, SELU_SCALE, out + SELU_SCALE * SELU_ALPHA)


def celu(x, alpha=1.0):
    return np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha)


def celu_derivative(out, alpha=1.0):
    return np.where(out > 0, 1, out / alpha + 1)


def sigmoid(x):
    # exp of a large positive number overflows: use exp(-|x|), which is always <= 1.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def hard_sigmoid(x):
    return np.clip(x + 3, 0, 6) / 6  # Keras's relu6(x + 3) / 6


def hard_sigmoid_derivative(out):
    return (((out > 0) & (out < 1)) / 6).astype(out.dtype)


def sparse_sigmoid(x):
    return np.clip(0.5 * (x + 1), 0, 1)


def sparse_sigmoid_derivative(out):
    return (((out > 0) & (out < 1)) / 2).astype(out.dtype)


def log_sigmoid(x):
    return -np.logaddexp(0, -x)


def log_sigmoid_derivative(out):
    return -np.expm1(out)


def hard_tanh(x):
    return np.clip(x, -1, 1)


def hard_tanh_derivative(out):
    return (np.abs(out) < 1).astype(out.dtype)


def softplus(x):
    return np.logaddexp(0, x)


def softplus_derivative(out):
    return -np.expm1(-out)


def softsign(x):
    return x / (1 + np.abs(x))


def softsign_derivative(out):
    return (1 - np.abs(out)) ** 2


def squareplus(x, b=4):
    return (x + np.sqrt(x * x + b)) / 2


def squareplus_derivative(out, b=4):
    return out * out / (out * out + b / 4)


def sparse_plus(x):
    return np.where(x <= -1, 0, np.where(x < 1, 0.25 * (x + 1) ** 2, x))


def sparse_plus_derivative(out):
    return np.where(out < 1, np.sqrt(out), 1)


def soft_shrink(x, threshold=0.5):
    return np.where(x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0))


def hard_shrink(x, threshold=0.5):
    return np.where(np.abs(x) > threshold, x, 0)


def shrink_derivative(out):
    """soft_shrink's and hard_shrink's: 1 outside the band that goes to 0."""
    return (out != 0).astype(out.dtype)


def exponential(x):
    return np.exp(x)


def exponential_derivative(out):
    return out


# ---- value by value, f' read from x -------------------------------------------------------
_math_erfc = np.frompyfunc(math.erfc, 1, 1)


def normal_cdf(x):
    """P(x) = erfc(-x / sqrt 2) / 2, the standard normal distribution's cumulative, value by
    value to float64 rounding (Python's math.erfc: erfc, not 1 + erf, so that far below 0,
    where P is tiny, no digits cancel)."""
    return 0.5 * np.asarray(_math_erfc(-x / math.sqrt(2)), dtype=x.dtype)


def gelu(x, approximate=False):
    """x P(x); approximate=True: Keras's tanh form,
    x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2 (forward only)."""
    if approximate:
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
        return 0.5 * x * (1 + np.tanh(inner))
    return x * normal_cdf(x)


def gelu_derivative(x):
    density = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return normal_cdf(x) + x * density


def silu(x):
    return x * sigmoid(x)


def silu_derivative(x):
    s = sigmoid(x)
    return s * (1 + x * (1 - s))


def mish(x):
    return x * np.tanh(softplus(x))


def mish_derivative(x):
    t = np.tanh(softplus(x))
    return t + x * sigmoid(x) * (1 - t * t)


def hard_silu(x):
    return x * hard_sigmoid(x)


def hard_silu_derivative(x):
    return hard_sigmoid(x) + x * ((x > -3) & (x < 3)) / 6


def tanh_shrink(x):
    return x - np.tanh(x)


def tanh_shrink_derivative(x):
    return np.tanh(x) ** 2


# ---- over one axis ------------------------------------------------------------------------
def softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def softmax_backward(dout, out):
    return out * (dout - (dout * out).sum(axis=-1, keepdims=True))


def log_softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def log_softmax_backward(dout, out):
    return dout - np.exp(out) * dout.sum(axis=-1, keepdims=True)


def sparsemax(x, axis=-1):
    """Martins and Astudillo (2016): sort x down, x_(1) >= x_(2) >= ...; the support is the
    k largest, for the largest k with 1 + k x_(k) > x_(1) + ... + x_(k), and
    tau = (x_(1) + ... + x_(k) - 1) / k. (Keras 3.15.1 sums every cumulative sum of the
    support instead, keras-team/keras#23425, so its outputs need not sum to 1.)"""
    rows = np.moveaxis(x, axis, -1)
    ordered = -np.sort(-rows, axis=-1)
    cumulative = np.cumsum(ordered, axis=-1)
    k = np.arange(1, rows.shape[-1] + 1, dtype=x.dtype)
    size = (1 + k * ordered > cumulative).sum(axis=-1, keepdims=True)
    tau = (np.take_along_axis(cumulative, size - 1, axis=-1) - 1) / size.astype(x.dtype)
    return np.moveaxis(np.maximum(rows - tau, 0), -1, axis)


def sparsemax_backward(dout, out):
    support = out > 0
    mean = (dout * support).sum(axis=-1, keepdims=True) / support.sum(axis=-1, keepdims=True)
    return np.where(support, dout - mean, 0).astype(dout.dtype, copy=False)


# ---- by name ------------------------------------------------------------------------------
# relu, sigmoid, tanh and linear (None) are written out in activate and activation_backward
# (relu's backward is a Numba kernel); these tables hold the others.
FORWARD = {
    "relu6": relu6, "leaky_relu": leaky_relu, "elu": elu, "selu": selu, "celu": celu,
    "hard_sigmoid": hard_sigmoid, "sparse_sigmoid": sparse_sigmoid, "log_sigmoid": log_sigmoid,
    "hard_tanh": hard_tanh, "softplus": softplus, "softsign": softsign,
    "squareplus": squareplus, "sparse_plus": sparse_plus, "soft_shrink": soft_shrink,
    "hard_shrink": hard_shrink, "exponential": exponential,
    "gelu": gelu, "silu": silu, "mish": mish, "hard_silu": hard_silu, "tanh_shrink": tanh_shrink,
    "softmax": softmax, "log_softmax": log_softmax, "sparsemax": sparsemax,
}
DERIVATIVE_FROM_OUTPUT = {
    "relu6": relu6_derivative, "leaky_relu": leaky_relu_derivative, "elu": elu_derivative,
    "selu": selu_derivative, "celu": celu_derivative,
    "hard_sigmoid": hard_sigmoid_derivative, "sparse_sigmoid": sparse_sigmoid_derivative,
    "log_sigmoid": log_sigmoid_derivative, "hard_tanh": hard_tanh_derivative,
    "softplus": softplus_derivative, "softsign": softsign_derivative,
    "squareplus": squareplus_derivative, "sparse_plus": sparse_plus_derivative,
    "soft_shrink": shrink_derivative, "hard_shrink": shrink_derivative,
    "exponential": exponential_derivative,
}
DERIVATIVE_FROM_INPUT = {
    "gelu": gelu_derivative, "silu": silu_derivative, "mish": mish_derivative,
    "hard_silu": hard_silu_derivative, "tanh_shrink": tanh_shrink_derivative,
}
BACKWARD_OVER_LAST_AXIS = {
    "softmax": softmax_backward, "log_softmax": log_softmax_backward,
    "sparsemax": sparsemax_backward,
}
NEEDS_INPUT = frozenset(DERIVATIVE_FROM_INPUT)

ACTIVATIONS = (None, "relu", "sigmoid", "tanh", *FORWARD)  # the names check_activation gives
ALIASES = {"linear": None, "swish": "silu", "hard_swish": "hard_silu"}  # Keras's other names
NOT_BY_NAME = {  # Keras's activations that no layer applies for you, and why
    "glu": "it halves the last axis, and a layer's activation keeps the shape",
    "threshold": "it needs its arguments threshold and default_value",
}


def check_activation(activation, where):
    """The name the layers use for ``activation``: a name in any case ("ReLU" -> "relu"), one
    of Keras's aliases ("swish" -> "silu", "linear" -> None), or a function of
    tinycnn.keras.activations (keras.activations.gelu -> "gelu"); anything else is an error
    that names ``where``."""
    if callable(activation):
        return check_activation(_function_name(activation, where), where)
    key = activation.lower() if isinstance(activation, str) else activation
    if isinstance(key, str):
        key = ALIASES.get(key, key)
    if key in NOT_BY_NAME:
        raise ValueError(f"{where}: activation {activation!r} cannot be a layer's: "
                         f"{NOT_BY_NAME[key]}; call tinycnn.keras.activations.{key} on arrays")
    if key not in ACTIVATIONS:
        raise ValueError(f"{where}: unknown activation {activation!r}: expected one of "
                         f"{list(ACTIVATIONS)} (or {', '.join(map(repr, ALIASES))})")
    return key


def _function_name(function, where):
    from tinycnn.layers.activation_functions import NAMES  # it is built on this module

    if function not in NAMES:
        raise ValueError(
            f"{where}: activation {function!r} is not one of tinycnn.keras.activations: a layer "
            "needs the function's derivative too, so it takes Keras's activations by name "
            "('gelu') or as those functions; for a function of your own write a Layer with "
            "its backward (docs/tutorials/own-layer.md)")
    return NAMES[function]


def activate(z, activation):
    """activation(z) for z: (..., F), as a new array (z is left as it is)."""
    if activation == "relu":
        return np.maximum(z, 0)
    if activation == "sigmoid":
        return sigmoid(z)
    if activation == "tanh":
        return np.tanh(z)
    if activation is None:
        return z
    if activation in FORWARD:
        return FORWARD[activation](z)
    raise _unknown(activation)


def add_bias_and_activate(z, b, activation, kernels):
    """z: (M, F) pre-bias output, b: (F,) -> activation(z + b), reusing z's memory if it can."""
    if activation == "relu":  # one fused pass instead of two
        return kernels.bias_relu(z, b)
    z += b
    return activate(z, activation)


def input_to_keep(z, activation):
    """z, the activation's input, when backward will need it (NEEDS_INPUT), else None: what
    a layer keeps for backward beside out."""
    return z if activation in NEEDS_INPUT else None


def activation_backward(dout, out, activation, kernels, z=None):
    """dout, out: (M, F) -> dz, the gradient before the activation. z: (M, F), the
    activation's input, which only the activations in NEEDS_INPUT read (and need)."""
    if activation == "relu":
        return kernels.relu_backward(dout, out)
    if activation == "sigmoid":
        return dout * out * (1 - out)
    if activation == "tanh":
        return dout * (1 - out * out)
    if activation is None:
        return dout
    if activation in DERIVATIVE_FROM_OUTPUT:
        return dout * DERIVATIVE_FROM_OUTPUT[activation](out)
    if activation in BACKWARD_OVER_LAST_AXIS:
        return BACKWARD_OVER_LAST_AXIS[activation](dout, out)
    if activation in DERIVATIVE_FROM_INPUT:
        if z is None:
            raise RuntimeError(f"activation {activation!r}: its derivative is written with its "
                               "input z, which the layer must keep and pass (z=...)")
        return dout * DERIVATIVE_FROM_INPUT[activation](z)
    raise _unknown(activation)


def _unknown(activation):
    # A name set on a layer after its constructor checked it ("Relu") must not run as linear.
    return ValueError(f"unknown activation {activation!r}: expected one of {list(ACTIVATIONS)} "
                      "(as check_activation gives them)")
