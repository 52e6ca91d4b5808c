"""Flatten: (N, H, W, C) -> (N, H*W*C), row-major, as Keras with channels-last.

Forward is a reshape and backward the inverse reshape; no copy, no weights.
"""

import math

from tinycnn.layers.base import Layer


class Flatten(Layer):
    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x, training=False):
        """x: (N, ...) -> (N, D)."""
        self._check_input(x)
        self._cache = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        """dout: (N, D) -> dx: the input's shape."""
        return dout.reshape(self._cached())
