"""Dense: a fully connected layer.

Forward:   z = x @ W + b,  out = activation(z)
Backward:  dz = dout through the activation's derivative, then
           dW = x.T @ dz,  db = dz summed over the batch,  dx = dz @ W.T
With use_bias=False there is no b: z = x @ W, and params and grads hold W only.
W starts as kernel_initializer draws it, b as bias_initializer makes it
(tinycnn/layers/initializers.py); kernel_constraint and bias_constraint project them after
every optimizer step (tinycnn/layers/constraints.py).

Shapes:  x (N, D) -> out (N, U);  W (D, U), b (U,)
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers import constraints, initializers
from tinycnn.layers.activations import (
    activate,
    activation_backward,
    add_bias_and_activate,
    check_activation,
    input_to_keep,
)
from tinycnn.layers.base import Layer
from tinycnn.layers.regularizers import penalties, penalty_config
from tinycnn.layers.shapes import flag, positive_int


class DenseCache(NamedTuple):
    """What Dense's forward keeps for backward (the last call's):

        x     (N, D), the input: dW = x.T @ dz
        out   (N, U), after the activation, whose derivative backward reads (None after
              forward_preactivation: backward_from_preactivation starts below the activation)
        z     (N, U), before the activation: only for the activations whose derivative
              needs it (activations.NEEDS_INPUT), else None
    """

    x: np.ndarray
    out: np.ndarray
    z: np.ndarray = None


class Dense(Layer):
    """Dense(units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
    bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
    kernel_constraint=None, bias_constraint=None), as in Keras. The initializers: a name or an
    object of tinycnn.layers.initializers (``keras.initializers``); the regularizers: of
    tinycnn.layers.regularizers; the constraints: of tinycnn.layers.constraints."""

    # Keras's constraint argument for each param key (layers/constraints.py: attach)
    constraint_arguments = {"W": "kernel_constraint", "b": "bias_constraint"}

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, bias_constraint=None,
                 name=None, input_shape=None, input_dim=None):
        if input_dim is not None:  # Keras's older spelling of input_shape=(D,)
            if input_shape is not None and tuple(input_shape) != (input_dim,):
                raise ValueError(f"Dense: input_dim={input_dim!r} and "
                                 f"input_shape={input_shape!r} disagree; give one of them")
            input_shape = (positive_int(input_dim, "Dense input_dim"),)
        super().__init__(name=name, input_shape=input_shape)
        self.units = positive_int(units, "Dense units")
        self.activation = check_activation(activation, "Dense")
        self.use_bias = flag(use_bias, "Dense use_bias")
        self.kernel_initializer = initializers.get(kernel_initializer, "Dense kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "Dense bias_initializer")
        self.regularizers = penalties(kernel_regularizer, bias_regularizer, "Dense")
        self.constraints = constraints.attach(self, kernel_constraint=kernel_constraint,
                                              bias_constraint=bias_constraint)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(
                f"{self}: expects flat vectors (D,), got input shape {input_shape}; "
                "put a Flatten() layer before it"
            )
        return (self.units,)

    def _create_params(self, input_shape, rng, dtype):
        params = {"W": self.kernel_initializer((input_shape[0], self.units), rng, dtype)}
        if self.use_bias:
            params["b"] = self.bias_initializer((self.units,), rng, dtype)
        return params

    def forward(self, x, training=False):
        """x: (N, D) -> out: (N, U)."""
        self._check_input(x)
        z = x @ self.params["W"]
        if self.use_bias:
            out = add_bias_and_activate(z, self.params["b"], self.activation, self.kernels)
        else:
            out = activate(z, self.activation)
        self._cache = DenseCache(x=x, out=out, z=input_to_keep(z, self.activation))
        return out

    def forward_preactivation(self, x, training=False):
        """x: (N, D) -> z = x @ W + b: (N, U), the activation left out: under a softmax these
        are the logits, which a loss reads stably (Sequential.train_step).
        backward_from_preactivation(dz) follows it."""
        self._check_input(x)
        z = x @ self.params["W"]
        if self.use_bias:
            z += self.params["b"]
        self._cache = DenseCache(x=x, out=None)
        return z

    def backward(self, dout):
        """dout: (N, U) -> dx: (N, D); fills grads "W" (D, U) and "b" (U,) (if use_bias)."""
        cache = self._cached()
        return self.backward_from_preactivation(
            activation_backward(dout, cache.out, self.activation, self.kernels, z=cache.z)
        )

    def backward_from_preactivation(self, dz):
        """Backward from dz = dL/dz (before the activation): (N, U)."""
        x = self._cached().x
        self.grads["W"] = x.T @ dz
        if self.use_bias:
            self.grads["b"] = self.kernels.column_sums(dz)
        return dz @ self.params["W"].T if self.needs_input_grad else None

    def get_config(self):
        return {"name": self.name, "units": self.units, "activation": self.activation,
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                **penalty_config(self.regularizers), **constraints.constraint_config(self)}

    def __repr__(self):
        no_bias = "" if self.use_bias else ", use_bias=False"
        return (f"Dense(name={self.name!r}, units={self.units}, "
                f"activation={self.activation!r}{no_bias})")
