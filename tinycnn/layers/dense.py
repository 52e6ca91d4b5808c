"""Dense: a fully connected layer.

Forward:   z = x @ W + b,  out = activation(z)
Backward:  dz = dout through the activation's derivative, then
           dW = x.T @ dz,  db = dz summed over the batch,  dx = dz @ W.T

Shapes:  x (N, D) -> out (N, U);  W (D, U), b (U,)
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers.activations import (
    activation_backward,
    add_bias_and_activate,
    check_activation,
)
from tinycnn.layers.base import Layer
from tinycnn.layers.initializers import glorot_uniform
from tinycnn.layers.shapes import positive_int


class DenseCache(NamedTuple):
    """What Dense's forward keeps for backward (the last call's):

        x     (N, D), the input: dW = x.T @ dz
        out   (N, U), after the activation, whose derivative backward reads (None after
              forward_preactivation: backward_from_preactivation starts below the activation)
    """

    x: np.ndarray
    out: np.ndarray


class Dense(Layer):
    """Dense(units, activation=None)."""

    def __init__(self, units, activation=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.units = positive_int(units, "Dense units")
        self.activation = check_activation(activation, "Dense")

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(
                f"{self}: expects flat vectors (D,), got input shape {input_shape}; "
                "put a Flatten() layer before it"
            )
        return (self.units,)

    def _create_params(self, input_shape, rng, dtype):
        shape = (input_shape[0], self.units)
        return {"W": glorot_uniform(shape, rng, dtype), "b": np.zeros(self.units, dtype)}

    def forward(self, x, training=False):
        """x: (N, D) -> out: (N, U)."""
        self._check_input(x)
        z = x @ self.params["W"]
        out = add_bias_and_activate(z, self.params["b"], self.activation, self.kernels)
        self._cache = DenseCache(x=x, out=out)
        return out

    def forward_preactivation(self, x, training=False):
        """x: (N, D) -> z = x @ W + b: (N, U), the activation left out: under a softmax these
        are the logits, which a loss reads stably (Sequential.train_step).
        backward_from_preactivation(dz) follows it."""
        self._check_input(x)
        z = x @ self.params["W"]
        z += self.params["b"]
        self._cache = DenseCache(x=x, out=None)
        return z

    def backward(self, dout):
        """dout: (N, U) -> dx: (N, D); fills grads "W" (D, U) and "b" (U,)."""
        out = self._cached().out
        return self.backward_from_preactivation(
            activation_backward(dout, out, self.activation, self.kernels)
        )

    def backward_from_preactivation(self, dz):
        """Backward from dz = dL/dz (before the activation): (N, U)."""
        x = self._cached().x
        self.grads["W"] = x.T @ dz
        self.grads["b"] = self.kernels.column_sums(dz)
        return dz @ self.params["W"].T if self.needs_input_grad else None

    def get_config(self):
        return {"name": self.name, "units": self.units, "activation": self.activation}

    def __repr__(self):
        return f"Dense(name={self.name!r}, units={self.units}, activation={self.activation!r})"
