"""MaxPool2D: keep the largest value of each KH x KW window, channel by channel.

Forward:   out[n, oy, ox, c] = max_{ky, kx} x[n, S_h*oy - P_h + ky, S_w*ox - P_w + kx, c]
           (the max over the window's pixels inside the image; padding never wins)
Backward:  the gradient of a max flows only to the pixel that won, so
           dx[n, y*, x*, c] += dout[n, oy, ox, c] at the winner (y*, x*), every other pixel
           gets 0 (the first pixel of a window wins a tie).
The forward kernel records the winner of every window (``argmax``) so backward need not search
again. Output size, strides and padding: see tinycnn/layers/pooling2d.py (H_out = (H - KH) //
S_h + 1 for "valid", ceil(H / S_h) for "same"). No weights.

Shapes:  x (N, H, W, C) -> out (N, H_out, W_out, C); argmax (N, H_out, W_out, C) int32
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers.pooling2d import Pooling2D
from tinycnn.layers.shapes import strides_or_alias


class MaxPoolCache(NamedTuple):
    """What MaxPool2D's forward keeps for backward (the last call's):

        argmax    (N, H_out, W_out, C) int32, each window's winner: ky*KW + kx inside it
        x_shape   (N, H, W, C), the shape of dx
    """

    argmax: np.ndarray
    x_shape: tuple


class MaxPool2D(Pooling2D):
    """MaxPool2D(pool_size=2, strides=None, padding="valid"), as in Keras: strides default to
    the pool size; ``stride`` is an older name for ``strides``, still accepted."""

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None, input_shape=None,
                 stride=None):
        strides = strides_or_alias(strides, stride, "MaxPool2D", default=None)
        super().__init__(pool_size, strides, padding, name=name, input_shape=input_shape)

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, H_out, W_out, C)."""
        self._check_input(x)
        out, argmax = self.kernels.maxpool_forward(x, *self.geometry)
        self._cache = MaxPoolCache(argmax=argmax, x_shape=x.shape)
        return out

    def backward(self, dout):
        """dout: (N, H_out, W_out, C) -> dx: (N, H, W, C)."""
        cache = self._cached()
        return self.kernels.maxpool_backward(dout, cache.argmax, cache.x_shape, *self.geometry)
