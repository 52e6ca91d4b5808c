"""keras.activations: the activation functions on arrays, with Keras's names and arguments.

    from tinycnn import keras
    keras.activations.relu(x, max_value=6.0)        keras.activations.gelu(x, approximate=True)
    Dense(64, activation=keras.activations.gelu)    # the same as activation="gelu"

Each takes an array (or a list: ints become float32, Keras's floatx) and returns a new array
of its shape and float dtype. The math, with each derivative, is in
tinycnn/layers/activations.py; a layer given one of these functions as ``activation=`` applies
it by name, with Keras's default arguments. glu (it halves an axis) and threshold (it needs
its arguments) live here only: no layer takes them as its activation.
"""

import numpy as np

from tinycnn.layers import activations


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """max(x, 0); with Keras's arguments, x above threshold (at most max_value) and
    negative_slope * (x - threshold) at and below it."""
    return _apply(activations.relu, x, negative_slope, max_value, threshold)


def leaky_relu(x, negative_slope=0.2):
    """x where x > 0, else negative_slope * x."""
    return _apply(activations.leaky_relu, x, negative_slope)


def relu6(x):
    """min(max(x, 0), 6)."""
    return _apply(activations.relu6, x)


def elu(x, alpha=1.0):
    """x where x > 0, else alpha * (exp(x) - 1)."""
    return _apply(activations.elu, x, alpha)


def selu(x):
    """scale * elu(x, alpha), with alpha = 1.67326324 and scale = 1.05070098."""
    return _apply(activations.selu, x)


def celu(x, alpha=1.0):
    """x where x > 0, else alpha * (exp(x / alpha) - 1)."""
    return _apply(activations.celu, x, alpha)


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return _apply(activations.sigmoid, x)


def hard_sigmoid(x):
    """clip(x / 6 + 1/2, 0, 1): 0 for x <= -3, 1 for x >= 3."""
    return _apply(activations.hard_sigmoid, x)


def sparse_sigmoid(x):
    """clip((x + 1) / 2, 0, 1): 0 for x <= -1, 1 for x >= 1."""
    return _apply(activations.sparse_sigmoid, x)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x)."""
    return _apply(activations.log_sigmoid, x)


def tanh(x):
    """(exp(x) - exp(-x)) / (exp(x) + exp(-x))."""
    return _apply(np.tanh, x)


def hard_tanh(x):
    """clip(x, -1, 1)."""
    return _apply(activations.hard_tanh, x)


def softplus(x):
    """log(exp(x) + 1)."""
    return _apply(activations.softplus, x)


def softsign(x):
    """x / (|x| + 1)."""
    return _apply(activations.softsign, x)


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2."""
    return _apply(activations.squareplus, x, b)


def sparse_plus(x):
    """0 for x <= -1, (x + 1)^2 / 4 for -1 < x < 1, x for x >= 1."""
    return _apply(activations.sparse_plus, x)


def soft_shrink(x, threshold=0.5):
    """x - threshold above threshold, x + threshold below -threshold, else 0."""
    return _apply(activations.soft_shrink, x, threshold)


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    return _apply(activations.hard_shrink, x, threshold)


def exponential(x):
    """exp(x)."""
    return _apply(activations.exponential, x)


def linear(x):
    """x itself (as a float array)."""
    return _floats(x)


def gelu(x, approximate=False):
    """x * P(x), P(x) = (1 + erf(x / sqrt(2))) / 2, the normal distribution's cumulative;
    approximate=True: x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))) / 2."""
    return _apply(activations.gelu, x, approximate)


def silu(x):
    """x * sigmoid(x) (swish)."""
    return _apply(activations.silu, x)


def mish(x):
    """x * tanh(softplus(x))."""
    return _apply(activations.mish, x)


def hard_silu(x):
    """x * hard_sigmoid(x) = x * clip(x / 6 + 1/2, 0, 1) (hard_swish)."""
    return _apply(activations.hard_silu, x)


def tanh_shrink(x):
    """x - tanh(x)."""
    return _apply(activations.tanh_shrink, x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis`` (max(x) subtracted first, against overflow)."""
    return _apply(activations.softmax, x, axis)


def log_softmax(x, axis=-1):
    """x - log(sum(exp(x))) along ``axis``."""
    return _apply(activations.log_softmax, x, axis)


def sparsemax(x, axis=-1):
    """max(x - tau, 0) along ``axis``, tau the threshold that makes the outputs sum to 1."""
    return _apply(activations.sparsemax, x, axis)


def glu(x, axis=-1):
    """a * sigmoid(b), where a and b are the two halves of x along ``axis``."""
    x = _floats(x)
    if x.shape[axis] % 2:
        raise ValueError(f"glu: the axis {axis} of x must have an even size, got x.shape "
                         f"{x.shape}")
    a, b = np.split(x, 2, axis=axis)
    return a * activations.sigmoid(b)


def threshold(x, threshold, default_value):
    """x where x > threshold, else default_value."""
    x = _floats(x)
    return np.where(x > threshold, x, default_value).astype(x.dtype)


swish = silu  # Keras's other names for the same functions
hard_swish = hard_silu

# Each function's name as check_activation takes it (swish is silu: its name is "silu").
NAMES = {function: function.__name__ for function in (
    relu, leaky_relu, relu6, elu, selu, celu, sigmoid, hard_sigmoid, sparse_sigmoid,
    log_sigmoid, tanh, hard_tanh, softplus, softsign, squareplus, sparse_plus, soft_shrink,
    hard_shrink, exponential, linear, gelu, silu, mish, hard_silu, tanh_shrink, softmax,
    log_softmax, sparsemax, glu, threshold)}
BY_NAME = {name: function for function, name in NAMES.items()}


def get(identifier):
    """keras.activations.get: the function for a name ("swish", any case), None (linear) or
    one of these functions; any other callable as it is, as Keras does (a layer takes only
    these, as it needs the derivative)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in activations.NOT_BY_NAME:
        return BY_NAME[identifier.lower()]  # no layer applies them, but they are functions
    name = activations.check_activation(identifier, "keras.activations.get")
    return linear if name is None else BY_NAME[name]


def serialize(activation):
    """keras.activations.serialize: the name of one of these functions ("silu" for swish)."""
    if activation not in NAMES:
        raise ValueError(f"keras.activations.serialize: {activation!r} is not one of "
                         "tinycnn.keras.activations")
    return NAMES[activation]


def deserialize(name):
    """keras.activations.deserialize: the function of that name."""
    return get(name)


def _floats(x):
    """x as a NumPy float array: float32 and float64 kept, anything else as float32."""
    x = np.asarray(x)
    return x if x.dtype in (np.float32, np.float64) else x.astype(np.float32)


def _apply(function, x, *arguments):
    """function(x, *arguments) on x as floats, in x's float dtype (an argument given as a
    NumPy float64 must not turn float32 values into float64 ones)."""
    x = _floats(x)
    return np.asarray(function(x, *arguments)).astype(x.dtype, copy=False)


__all__ = [*NAMES.values(), "swish", "hard_swish", "get", "serialize", "deserialize"]
