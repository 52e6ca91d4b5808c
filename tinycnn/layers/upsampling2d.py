"""UpSampling2D: each image made (s_h, s_w) times larger, as Keras's ``layers.UpSampling2D``
(channels-last images only).

"nearest" copies every pixel into an s_h x s_w block:
    out[n, i, j, c] = x[n, i // s_h, j // s_w, c]
    dx[n, h, w, c] = the sum of dout over the block of (h, w)
"bilinear" blends the two nearest input rows, then the two nearest columns, as TensorFlow's
resize does (half-pixel centres): output row i sits at p = (i + 1/2) / s_h - 1/2 in input rows,
clamped to [0, H - 1], and with low = floor(p), high = min(low + 1, H - 1), t = p - low,
    row i of the result = (1 - t) * row low of x + t * row high of x
and likewise along the columns. Each output is a fixed weighted sum of inputs, so backward
hands every dout value back to the two rows (then columns) it came from, with the same weights.
Output size:  H_out = s_h * H,  W_out = s_w * W. No weights.

Shapes:  x (N, H, W, C) -> out (N, H_out, W_out, C);  dout like out -> dx like x;
         a Blend's low, high, t: (H_out,) for the rows, (W_out,) for the columns
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers.base import Layer
from tinycnn.layers.shapes import positive_pair

INTERPOLATIONS = ("nearest", "bilinear")
KERAS_ONLY = ("bicubic", "lanczos3", "lanczos5")  # Keras's other interpolations


class Blend(NamedTuple):
    """Where bilinear upsampling reads each output row (or column): rows low and high of the
    input, weighed 1 - t and t."""

    low: np.ndarray
    high: np.ndarray
    t: np.ndarray


def bilinear_blend(size, factor):
    """The Blend of an axis of ``size`` pixels made ``factor`` times longer."""
    position = np.clip((np.arange(size * factor) + 0.5) / factor - 0.5, 0, size - 1)
    low = np.floor(position).astype(np.intp)
    return Blend(low=low, high=np.minimum(low + 1, size - 1), t=position - low)


def blend(x, axis, rows):
    """x with ``axis`` resampled: (1 - t) * x[low] + t * x[high] along it."""
    t = _along(rows.t, axis, x.ndim).astype(x.dtype)
    return np.take(x, rows.low, axis=axis) * (1 - t) + np.take(x, rows.high, axis=axis) * t


def unblend(dout, axis, rows, size):
    """blend's backward: each dout value added back, weighed, into its rows low and high."""
    t = _along(rows.t, axis, dout.ndim).astype(dout.dtype)
    shape = list(dout.shape)
    shape[axis] = size
    dx = np.zeros(shape, dtype=dout.dtype)
    index = (slice(None),) * axis
    np.add.at(dx, (*index, rows.low), dout * (1 - t))  # add.at: several outputs share a row
    np.add.at(dx, (*index, rows.high), dout * t)
    return dx


def _along(vector, axis, ndim):
    """vector (L,) shaped to broadcast along ``axis`` of an array of ``ndim`` axes."""
    shape = [1] * ndim
    shape[axis] = len(vector)
    return vector.reshape(shape)


class UpSampling2D(Layer):
    """UpSampling2D(size=(2, 2), interpolation="nearest"): size an int or a pair (s_h, s_w);
    interpolation "nearest" or "bilinear". data_format: None or "channels_last"."""

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", name=None,
                 input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"UpSampling2D data_format: tinycnn's images are channels-last "
                             f"(N, H, W, C); got {data_format!r}")
        self.size = positive_pair(size, "UpSampling2D size")
        kind = interpolation.lower() if isinstance(interpolation, str) else interpolation
        if kind in KERAS_ONLY:
            raise ValueError(f"UpSampling2D interpolation: tinycnn has only {INTERPOLATIONS}, "
                             f"not Keras's {interpolation!r}")
        if kind not in INTERPOLATIONS:
            raise ValueError(f"UpSampling2D interpolation: expected one of {INTERPOLATIONS}, "
                             f"got {interpolation!r}")
        self.interpolation = kind

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        height, width, channels = input_shape
        return (height * self.size[0], width * self.size[1], channels)

    def build(self, input_shape, rng=None, dtype=np.float32):
        """Work out, once, where bilinear upsampling reads each output row and column."""
        super().build(input_shape, rng, dtype)
        height, width, _ = self.input_shape
        self.rows = bilinear_blend(height, self.size[0])
        self.columns = bilinear_blend(width, self.size[1])
        return self

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, H_out, W_out, C)."""
        self._check_input(x)
        self._cache = x.shape
        if self.interpolation == "nearest":
            return x.repeat(self.size[0], axis=1).repeat(self.size[1], axis=2)
        return blend(blend(x, 1, self.rows), 2, self.columns)

    def backward(self, dout):
        """dout: (N, H_out, W_out, C) -> dx: (N, H, W, C)."""
        n, height, width, channels = self._cached()
        if self.interpolation == "nearest":
            blocks = dout.reshape(n, height, self.size[0], width, self.size[1], channels)
            return blocks.sum(axis=(2, 4))
        return unblend(unblend(dout, 2, self.columns, width), 1, self.rows, height)

    def get_config(self):
        return {"name": self.name, "size": list(self.size), "data_format": "channels_last",
                "interpolation": self.interpolation}

    def __repr__(self):
        return (f"UpSampling2D(name={self.name!r}, size={self.size}, "
                f"interpolation={self.interpolation!r})")
