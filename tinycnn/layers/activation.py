"""Activation layers: one activation function applied to every value, as a layer of its own.

    Activation("tanh")   out = tanh(x), and likewise "relu", "sigmoid", "softmax", "linear"
    ReLU(), Sigmoid(), Tanh(), Softmax(): the same with the function fixed (Keras's names)
The formulas, forward and backward, are in ``tinycnn/layers/activations.py``, written once for
these layers and for Conv2D's and Dense's ``activation=``. (Conv2D and Dense applying it
themselves saves a pass over memory; these layers are for models written with separate
activations.) Softmax works over the last axis. When a Softmax is the model's last layer and
the loss is a cross-entropy, Sequential skips its backward and uses the simpler, exact
dL/dx = (out - onehot(y)) / N instead.

Shapes: x, out, dout, dx: any (N, ..., F), all the same. No weights.
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers.activations import activate, activation_backward, check_activation
from tinycnn.layers.base import Layer


class ActivationCache(NamedTuple):
    """What an activation layer's forward keeps for backward (the last call's): only out
    (N, ..., F), whose values the derivative is written with."""

    out: np.ndarray


class Activation(Layer):
    """Activation(activation): "relu", "sigmoid", "tanh", "softmax" or "linear"."""

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
        self._cache = ActivationCache(out=out)
        return out

    def backward(self, dout):
        """dout: (N, ..., F) -> dx: the same shape."""
        out = self._cached().out
        rows = out.reshape(-1, out.shape[-1])  # the kernels take (M, F)
        dx = activation_backward(dout.reshape(rows.shape), rows, self.activation, self.kernels)
        return dx.reshape(out.shape)

    def get_config(self):
        if self.fixed is not None:
            return {"name": self.name}
        return {"name": self.name, "activation": self.activation}

    def __repr__(self):
        if self.fixed is not None:
            return super().__repr__()
        return f"Activation(name={self.name!r}, activation={self.activation!r})"


class ReLU(Activation):
    """out = max(x, 0)."""

    fixed = "relu"


class Sigmoid(Activation):
    """out = 1 / (1 + exp(-x)), between 0 and 1."""

    fixed = "sigmoid"


class Tanh(Activation):
    """out = tanh(x), between -1 and 1."""

    fixed = "tanh"


class Softmax(Activation):
    """out = exp(x) / sum(exp(x)) over the last axis: rows summing to 1."""

    fixed = "softmax"
