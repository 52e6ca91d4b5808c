"""LayerNormalization: normalise each example over its feature axes, then scale and shift, as
Keras's layers.LayerNormalization.

For each example (and each position along the axes not normalised), over the K values of the
normalised axes (``axis``; the last one by default):
    mean = (1/K) sum_k x_k        var = (1/K) sum_k (x_k - mean)^2
    x_hat = (x - mean) / sqrt(var + eps)          out = gamma * x_hat + beta
BatchNormalization takes its statistics across the batch instead; here each example has its
own, so training and inference compute the same, and nothing is kept between batches.
gamma and beta have the shape of the normalised axes (Keras's), broadcast over the rest.

Backward. With s = 1 / sqrt(var + eps), mean and var depend on every x_k of the group, and
(as in BatchNormalization, with the group in place of the batch)
    dbeta = dout summed over every axis but the normalised ones
    dgamma = dout * x_hat summed likewise              dx_hat = dout * gamma
    dx = s * (dx_hat - mean_k(dx_hat) - x_hat * mean_k(dx_hat * x_hat))
the two means taken over the group's K values. center=False drops beta, scale=False gamma.

Shapes: x, out, dout, dx: (N, *S); gamma, beta: S's sizes at the normalised axes, e.g. (C,).
"""

import numbers
from typing import NamedTuple

import numpy as np

from tinycnn.layers import initializers, regularizers
from tinycnn.layers.base import Layer
from tinycnn.layers.shapes import flag


class LayerNormCache(NamedTuple):
    """What LayerNormalization's forward keeps for backward (the last call's):

        x_hat      (N, *S), the normalised input
        inv_std    (N, *S) with 1 at the normalised axes: s = 1 / sqrt(var + eps) per group
    """

    x_hat: np.ndarray
    inv_std: np.ndarray


class LayerNormalization(Layer):
    """LayerNormalization(axis=-1, epsilon=1e-3, center=True, scale=True,
    beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
    gamma_regularizer=None), as in Keras. axis: an int or a list of them, counted as Keras
    counts them, with the batch as axis 0 (so -1 is the last). tinycnn has no constraints:
    beta_constraint and gamma_constraint must be None."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if not axes or any(isinstance(a, bool) or not isinstance(a, numbers.Integral)
                           for a in axes):
            raise ValueError(f"LayerNormalization axis: expected an int or a list of ints, "
                             f"got {axis!r}")
        self.axis = [int(a) for a in axes] if isinstance(axis, (list, tuple)) else int(axis)
        if isinstance(epsilon, bool) or not isinstance(epsilon, numbers.Real) or not epsilon > 0:
            raise ValueError(f"LayerNormalization epsilon: expected a number > 0, "
                             f"got {epsilon!r}")
        self.epsilon = float(epsilon)
        self.center = flag(center, "LayerNormalization center")
        self.scale = flag(scale, "LayerNormalization scale")
        self.beta_initializer = initializers.get(beta_initializer,
                                                 "LayerNormalization beta_initializer")
        self.gamma_initializer = initializers.get(gamma_initializer,
                                                  "LayerNormalization gamma_initializer")
        given = {"gamma": gamma_regularizer, "beta": beta_regularizer}
        self.regularizers = {
            key: regularizers.get(value, f"LayerNormalization {key}_regularizer")
            for key, value in given.items() if value is not None}
        for key, constraint in (("beta", beta_constraint), ("gamma", gamma_constraint)):
            if constraint is not None:
                raise ValueError(f"LayerNormalization {key}_constraint: tinycnn has no weight "
                                 f"constraints; expected None, got {constraint!r}")

    def normalised_axes(self, input_shape):
        """The normalised axes of an input (N, *S) as positive ints, sorted (0 is N)."""
        ndim = len(input_shape) + 1
        given = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in given:
            if not -ndim <= a < ndim or a % ndim == 0:
                raise ValueError(f"{self}: axis {a} is not an axis of the examples; inputs "
                                 f"(N, {', '.join(map(str, input_shape))}) have axes 1 to "
                                 f"{ndim - 1} (or -1 to {1 - ndim}); 0 is the batch")
        return tuple(sorted({a % ndim for a in given}))

    def compute_output_shape(self, input_shape):
        self.normalised_axes(input_shape)
        return input_shape

    def build(self, input_shape, rng=None, dtype=np.float32):
        """Work out, once, which axes are normalised (self.axes) and which are summed for
        dgamma and dbeta (self.other_axes); then create gamma and beta."""
        input_shape = tuple(int(d) for d in input_shape)
        self.axes = self.normalised_axes(input_shape)
        self.other_axes = tuple(a for a in range(len(input_shape) + 1) if a not in self.axes)
        return super().build(input_shape, rng, dtype)

    def _create_params(self, input_shape, rng, dtype):
        shape = tuple(input_shape[a - 1] for a in self.axes)
        params = {}  # Keras's order: gamma, then beta
        if self.scale:
            params["gamma"] = self.gamma_initializer(shape, rng, dtype)
        if self.center:
            params["beta"] = self.beta_initializer(shape, rng, dtype)
        return params

    def _broadcast(self, param):
        """gamma or beta shaped to broadcast over an input (N, *S): 1 on the other axes."""
        shape = [1] * (len(self.input_shape) + 1)
        for a, size in zip(self.axes, param.shape, strict=True):
            shape[a] = size
        return param.reshape(shape)

    def forward(self, x, training=False):
        """x: (N, *S) -> out: the same shape."""
        self._check_input(x)
        mean = x.mean(axis=self.axes, keepdims=True)
        centered = x - mean
        var = (centered * centered).mean(axis=self.axes, keepdims=True)
        inv_std = 1 / np.sqrt(var + x.dtype.type(self.epsilon))
        x_hat = centered * inv_std
        self._cache = LayerNormCache(x_hat=x_hat, inv_std=inv_std)
        out = x_hat
        if self.scale:
            out = out * self._broadcast(self.params["gamma"])
        if self.center:
            out = out + self._broadcast(self.params["beta"])
        return out

    def backward(self, dout):
        """dout: (N, *S) -> dx: the same shape; fills grads "gamma" and "beta" (their shape)."""
        cache = self._cached()
        x_hat, dx_hat = cache.x_hat, dout
        if self.scale:
            gamma = self.params["gamma"]
            self.grads["gamma"] = (dout * x_hat).sum(axis=self.other_axes).reshape(gamma.shape)
            dx_hat = dout * self._broadcast(gamma)
        if self.center:
            beta = self.params["beta"]
            self.grads["beta"] = dout.sum(axis=self.other_axes).reshape(beta.shape)
        mean_dx_hat = dx_hat.mean(axis=self.axes, keepdims=True)
        mean_product = (dx_hat * x_hat).mean(axis=self.axes, keepdims=True)
        return cache.inv_std * (dx_hat - mean_dx_hat - x_hat * mean_product)

    def get_config(self):
        return {"name": self.name, "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "beta_regularizer": regularizers.serialize(self.regularizers.get("beta")),
                "gamma_regularizer": regularizers.serialize(self.regularizers.get("gamma"))}

    def __repr__(self):
        return (f"LayerNormalization(name={self.name!r}, axis={self.axis}, "
                f"epsilon={self.epsilon})")
