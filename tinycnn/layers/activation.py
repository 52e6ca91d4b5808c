"""Activation layers: one activation function applied to every value, as a layer of its own.

    Activation("tanh")   out = tanh(x), and likewise any name tinycnn/layers/activations.py
                         lists ("relu", "gelu", "swish", "leaky_relu", "softmax", "linear", ...)
                         or a function of tinycnn.keras.activations (keras.activations.gelu)
    ReLU(), Sigmoid(), Tanh(), Softmax(): the same with the function fixed (Keras's names)
    ReLU(max_value=None, negative_slope=0.0, threshold=0.0), Keras's arguments, each >= 0:
        out = min(x, max_value)                 where x > threshold
        out = negative_slope * (x - threshold)  elsewhere
        dx = dout where 0 < out < max_value, negative_slope * dout where out < 0, else 0
      With the defaults that is max(x, 0), computed exactly as activation="relu" is (its
      backward is a Numba kernel).
The formulas, forward and backward, are in ``tinycnn/layers/activations.py``, written once for
these layers and for Conv2D's and Dense's ``activation=``. (Conv2D and Dense applying it
themselves saves a pass over memory; these layers are for models written with separate
activations.) Softmax works over the last axis. When a Softmax is the model's last layer and
the loss is a cross-entropy, Sequential skips its backward and uses the simpler, exact
dL/dx = (out - onehot(y)) / N instead.

Shapes: x, out, dout, dx: any (N, ..., F), all the same. No weights.
"""

import numbers
from typing import NamedTuple

import numpy as np

from tinycnn.layers.activations import (
    activate,
    activation_backward,
    check_activation,
    input_to_keep,
    relu,
    relu_derivative,
)
from tinycnn.layers.base import Layer


class ActivationCache(NamedTuple):
    """What an activation layer's forward keeps for backward (the last call's): out
    (N, ..., F), whose values the derivative is written with, and x, the input, only for the
    few activations whose derivative needs it (activations.NEEDS_INPUT; else None)."""

    out: np.ndarray
    x: np.ndarray = None


def non_negative(value, what):
    """``value`` as a float >= 0 (a slope, a bound), or a ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < np.inf:
        raise ValueError(f"{what}: expected a number >= 0, got {value!r}")
    return float(value)


class Activation(Layer):
    """Activation(activation): a name of tinycnn/layers/activations.py ("relu", "gelu",
    "linear", ...) or a function of tinycnn.keras.activations."""

    fixed = None  # the function a subclass always applies (ReLU: "relu")

    def __init__(self, activation=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        kind = type(self).__name__
        if self.fixed is not None:
            if activation not in (None, self.fixed):
                raise ValueError(f"{kind}: always applies {self.fixed!r}, got "
                                 f"activation={activation!r}; use Activation({activation!r})")
            activation = self.fixed
        elif activation is None:
            raise ValueError(f"{kind}: expected an activation name such as 'relu', got None")
        self.activation = check_activation(activation, kind)

    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        """x: (N, ..., F) -> out: the same shape."""
        self._check_input(x)
        out = activate(x, self.activation)
        self._cache = ActivationCache(out=out, x=input_to_keep(x, self.activation))
        return out

    def backward(self, dout):
        """dout: (N, ..., F) -> dx: the same shape."""
        cache = self._cached()
        rows = cache.out.reshape(-1, cache.out.shape[-1])  # the kernels take (M, F)
        x_rows = None if cache.x is None else cache.x.reshape(rows.shape)
        dx = activation_backward(dout.reshape(rows.shape), rows, self.activation, self.kernels,
                                 z=x_rows)
        return dx.reshape(cache.out.shape)

    def get_config(self):
        if self.fixed is not None:
            return {"name": self.name}
        # "linear" is None inside (no function to apply), but None would not rebuild the layer
        return {"name": self.name, "activation": self.activation or "linear"}

    def __repr__(self):
        if self.fixed is not None:
            return super().__repr__()
        return f"Activation(name={self.name!r}, activation={self.activation!r})"


class ReLU(Activation):
    """ReLU(max_value=None, negative_slope=0.0, threshold=0.0): max(x, 0) with the defaults;
    the arguments as in the module docstring (Keras's)."""

    fixed = "relu"

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, name=None,
                 input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.max_value = None if max_value is None else non_negative(max_value, "ReLU max_value")
        self.negative_slope = non_negative(negative_slope, "ReLU negative_slope")
        self.threshold = non_negative(threshold, "ReLU threshold")

    def _plain(self):
        """True with the default arguments: then out = max(x, 0), as activation="relu"."""
        return self.max_value is None and self.negative_slope == 0 and self.threshold == 0

    def forward(self, x, training=False):
        if self._plain():
            return super().forward(x, training)
        self._check_input(x)
        out = relu(x, self.negative_slope, self.max_value, self.threshold)
        self._cache = ActivationCache(out=out)
        return out

    def backward(self, dout):
        if self._plain():
            return super().backward(dout)
        out = self._cached().out
        return dout * relu_derivative(out, self.negative_slope, self.max_value)

    def get_config(self):
        return {"name": self.name, "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}

    def __repr__(self):
        if self._plain():
            return super().__repr__()
        return (f"ReLU(name={self.name!r}, max_value={self.max_value}, "
                f"negative_slope={self.negative_slope}, threshold={self.threshold})")


class Sigmoid(Activation):
    """out = 1 / (1 + exp(-x)), between 0 and 1."""

    fixed = "sigmoid"


class Tanh(Activation):
    """out = tanh(x), between -1 and 1."""

    fixed = "tanh"


class Softmax(Activation):
    """out = exp(x) / sum(exp(x)) over the last axis: rows summing to 1."""

    fixed = "softmax"
