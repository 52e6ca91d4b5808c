"""MaxPool2D: keep the largest value of each KH x KW window, channel by channel.

Forward:   out[n, oy, ox, c] = max_{ky, kx} x[n, S*oy + ky, S*ox + kx, c]
Backward:  the gradient of a max flows only to the pixel that won, so
           dx[n, S*oy + ky*, S*ox + kx*, c] += dout[n, oy, ox, c], every other pixel gets 0.
The forward kernel records the winner of every window (``argmax``) so backward need not
search again. Output size: H_out = (H - KH) // S + 1 (floor, as Keras's "valid"); no weights.

Shapes:  x (N, H, W, C) -> out (N, H_out, W_out, C); argmax (N, H_out, W_out, C) int8
"""

from tinycnn.layers.base import Layer
from tinycnn.layers.shapes import positive_int, positive_pair


class MaxPool2D(Layer):
    """MaxPool2D(pool_size=2, stride=None): stride defaults to the pool size."""

    def __init__(self, pool_size=2, stride=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.pool_size = positive_pair(pool_size, "MaxPool2D pool_size")
        if stride is None:
            if self.pool_size[0] != self.pool_size[1]:
                # Keras would then stride (KH, KW); our kernels take one stride for both axes.
                raise ValueError(f"MaxPool2D pool_size={pool_size}: a non-square pool needs an "
                                 "explicit stride (one int for both axes)")
            stride = self.pool_size[0]
        self.stride = positive_int(stride, "MaxPool2D stride")

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        (kh, kw), (h, w, c) = self.pool_size, input_shape
        if kh > h or kw > w:
            raise ValueError(f"{self}: pool {self.pool_size} is larger than the input {(h, w)}")
        return ((h - kh) // self.stride + 1, (w - kw) // self.stride + 1, c)

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, H_out, W_out, C)."""
        self._check_input(x)
        kh, kw = self.pool_size
        out, argmax = self.kernels.maxpool_forward(x, kh, kw, self.stride)
        self._cache = (argmax, x.shape) if training else None
        return out

    def backward(self, dout):
        """dout: (N, H_out, W_out, C) -> dx: (N, H, W, C)."""
        argmax, x_shape = self._cached()
        kh, kw = self.pool_size
        return self.kernels.maxpool_backward(dout, argmax, x_shape, kh, kw, self.stride)

    def get_config(self):
        return {"name": self.name, "pool_size": list(self.pool_size), "stride": self.stride}

    def __repr__(self):
        return f"MaxPool2D(name={self.name!r}, pool_size={self.pool_size}, stride={self.stride})"
