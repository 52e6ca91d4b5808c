"""PReLU: a leaky ReLU whose slopes below 0 are learnt, as Keras's layers.PReLU.

Forward:   out = x where x > 0, alpha * x elsewhere     (alpha broadcast over the batch)
Backward:  dx = dout where x > 0, alpha * dout elsewhere
           dalpha = dout * min(x, 0), summed over the batch and the shared axes
alpha holds one slope per value of an input, (H, W, C) for images, except along
``shared_axes``, where one slope serves the whole axis: shared_axes=[1, 2] gives alpha
(1, 1, C), one slope per channel, as in He et al. (2015). The axes count the batch as axis 0,
as Keras's do. alpha starts as alpha_initializer makes it (zeros: a ReLU at first). A trained
alpha may be negative or above 1, so backward reads the sign of x, not of out.

Shapes:  x, out, dout, dx: (N, *S) for inputs of shape S;  alpha: S with each shared axis 1
"""

import numbers
from typing import NamedTuple

import numpy as np

from tinycnn.layers import initializers, regularizers
from tinycnn.layers.base import Layer


class PReLUCache(NamedTuple):
    """What PReLU's forward keeps for backward (the last call's): x (N, *S), the input, whose
    sign picks each value's slope and whose negative part is dout's factor in dalpha."""

    x: np.ndarray


class PReLU(Layer):
    """PReLU(alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None,
    shared_axes=None), as in Keras; shared_axes: an int or a list of them (1 is the first
    axis after the batch). tinycnn has no constraints: alpha_constraint must be None."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.alpha_initializer = initializers.get(alpha_initializer, "PReLU alpha_initializer")
        regularizer = regularizers.get(alpha_regularizer, "PReLU alpha_regularizer")
        self.regularizers = {} if regularizer is None else {"alpha": regularizer}
        if alpha_constraint is not None:
            raise ValueError(f"PReLU alpha_constraint: tinycnn has no weight constraints; "
                             f"expected None, got {alpha_constraint!r}")
        self.shared_axes = _axes(shared_axes)

    def compute_output_shape(self, input_shape):
        for axis in self.shared_axes:
            if axis > len(input_shape):
                raise ValueError(f"{self}: shared axis {axis} is beyond the input's axes "
                                 f"1 to {len(input_shape)} (input shape {input_shape})")
        return input_shape

    def _create_params(self, input_shape, rng, dtype):
        shape = [1 if axis in self.shared_axes else size
                 for axis, size in enumerate(input_shape, start=1)]
        return {"alpha": self.alpha_initializer(tuple(shape), rng, dtype)}

    def forward(self, x, training=False):
        """x: (N, *S) -> out: the same shape."""
        self._check_input(x)
        self._cache = PReLUCache(x=x)
        return np.where(x > 0, x, self.params["alpha"] * x)

    def backward(self, dout):
        """dout: (N, *S) -> dx: the same shape; fills grads "alpha" (alpha's shape)."""
        x, alpha = self._cached().x, self.params["alpha"]
        summed = (0, *self.shared_axes)  # the axes one slope serves
        dalpha = np.sum(dout * np.minimum(x, 0), axis=summed, keepdims=True)
        self.grads["alpha"] = dalpha.reshape(alpha.shape)
        return np.where(x > 0, dout, alpha * dout)

    def get_config(self):
        return {"name": self.name,
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": regularizers.serialize(self.regularizers.get("alpha")),
                "alpha_constraint": None,
                "shared_axes": list(self.shared_axes) or None}

    def __repr__(self):
        shared = f", shared_axes={list(self.shared_axes)}" if self.shared_axes else ""
        return f"PReLU(name={self.name!r}{shared})"


def _axes(shared_axes):
    """shared_axes as a sorted tuple of ints >= 1 (none: an empty tuple)."""
    if shared_axes is None:
        return ()
    axes = shared_axes if isinstance(shared_axes, (list, tuple)) else [shared_axes]
    for axis in axes:
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral) or axis < 1:
            raise ValueError(f"PReLU shared_axes: expected an int >= 1 or a list of them (axis "
                             f"0 is the batch), got {shared_axes!r}")
    return tuple(sorted({int(axis) for axis in axes}))
