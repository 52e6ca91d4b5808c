"""AveragePooling2D: replace each KH x KW window by its mean, channel by channel.

Forward:   out[n, oy, ox, c] = (1 / count) * sum_{ky, kx} x[n, y0 + ky, x0 + kx, c]
           with (y0, x0) = (S_h*oy - P_h, S_w*ox - P_w) the window's corner, summed over the
           window's pixels inside the image; count = how many there are: KH*KW, or fewer at an
           edge padded by "same" (as Keras and TensorFlow; PyTorch's count_include_pad would
           divide by KH*KW there, averaging in the padding's zeros)
Backward:  out is linear in x, each pixel with weight 1 / count, so
           dx[n, y, x, c] = sum over the windows (oy, ox) holding pixel (y, x) of
                            dout[n, oy, ox, c] / count(oy, ox)
Output size, strides and padding: see tinycnn/layers/pooling2d.py. No weights.

Shapes:  x (N, H, W, C) -> out (N, H_out, W_out, C)
"""

from typing import NamedTuple

from tinycnn.layers.pooling2d import Pooling2D


class AveragePoolCache(NamedTuple):
    """What AveragePooling2D's forward keeps for backward (the last call's): only x_shape
    (N, H, W, C), the shape of dx; each pixel's weight, 1 / count, is known from the geometry."""

    x_shape: tuple


class AveragePooling2D(Pooling2D):
    """AveragePooling2D(pool_size=2, strides=None, padding="valid"), as in Keras: strides
    default to the pool size."""

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, H_out, W_out, C)."""
        self._check_input(x)
        self._cache = AveragePoolCache(x_shape=x.shape)
        return self.kernels.avgpool_forward(x, *self.geometry)

    def backward(self, dout):
        """dout: (N, H_out, W_out, C) -> dx: (N, H, W, C)."""
        x_shape = self._cached().x_shape
        return self.kernels.avgpool_backward(dout, x_shape, *self.geometry)
