"""Flatten: (N, H, W, C) -> (N, H*W*C), row-major, as Keras with channels-last.

Forward is a reshape and backward the inverse reshape; no copy, no weights.
"""

import math
from typing import NamedTuple

from tinycnn.layers.base import Layer


class FlattenCache(NamedTuple):
    """What Flatten's forward keeps for backward (the last call's): only x_shape (N, ...)."""

    x_shape: tuple


class Flatten(Layer):
    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x, training=False):
        """x: (N, ...) -> (N, D)."""
        self._check_input(x)
        self._cache = FlattenCache(x_shape=x.shape)
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        """dout: (N, D) -> dx: the input's shape."""
        return dout.reshape(self._cached().x_shape)
