"""Cropping2D: rows and columns cut off the edges of each image, as Keras's
``layers.Cropping2D`` (channels-last images only); ZeroPadding2D's opposite.

Forward:   out = x[:, top:H-bottom, left:W-right, :]
Backward:  dx = zeros like x;  dx[:, top:H-bottom, left:W-right, :] = dout
           (the cut-off pixels change nothing downstream: their gradient is 0)
Output size:  H_out = H - top - bottom,  W_out = W - left - right, each at least 1
cropping: an int c (c on every side), a pair (c_h, c_w) (c_h rows at the top and at the bottom,
c_w columns at the left and at the right), or ((top, bottom), (left, right)). No weights.

Shapes:  x (N, H, W, C) -> out (N, H_out, W_out, C);  dout (N, H_out, W_out, C) -> dx like x
"""

import numbers

import numpy as np

from tinycnn.layers.base import Layer

FORMS = "an int, a pair (height, width) or ((top, bottom), (left, right)) of ints >= 0"


def cropping_pairs(value):
    """cropping as ((top, bottom), (left, right)), or a ValueError naming what it takes. As in
    Keras, each of the two entries may be an int (both sides) or a pair."""
    if _count(value):
        return ((int(value),) * 2,) * 2
    if isinstance(value, (tuple, list)) and len(value) == 2:
        pairs = [_pair(side) for side in value]
        if None not in pairs:
            return tuple(pairs)
    raise ValueError(f"Cropping2D cropping: expected {FORMS}, got {value!r}")


def _pair(side):
    """One axis's (before, after), or None if ``side`` is not an int or a pair of ints >= 0."""
    if _count(side):
        return (int(side), int(side))
    if isinstance(side, (tuple, list)) and len(side) == 2 and all(map(_count, side)):
        return (int(side[0]), int(side[1]))
    return None


def _count(value):
    """True for an int >= 0 (a number of rows or columns)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


class Cropping2D(Layer):
    """Cropping2D(cropping=((0, 0), (0, 0))): cropping as in the module docstring.
    data_format: None or "channels_last" (tinycnn's images are always channels-last)."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, name=None,
                 input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Cropping2D data_format: tinycnn's images are channels-last "
                             f"(N, H, W, C); got {data_format!r}")
        self.cropping = cropping_pairs(cropping)  # ((top, bottom), (left, right))

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        (top, bottom), (left, right) = self.cropping
        height, width, channels = input_shape
        if top + bottom >= height or left + right >= width:
            raise ValueError(f"{self}: cropping {self.cropping} leaves nothing of an image "
                             f"{height}x{width} (input shape {input_shape})")
        return (height - top - bottom, width - left - right, channels)

    def _kept(self):
        """(rows, columns): the slices of the input that the output keeps."""
        (top, _), (left, _) = self.cropping
        out_h, out_w, _ = self.output_shape
        return slice(top, top + out_h), slice(left, left + out_w)

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, H_out, W_out, C)."""
        self._check_input(x)
        rows, columns = self._kept()
        self._cache = x.shape
        # a contiguous copy: the layer above may hand it to a kernel that wants one
        return np.ascontiguousarray(x[:, rows, columns, :])

    def backward(self, dout):
        """dout: (N, H_out, W_out, C) -> dx: (N, H, W, C)."""
        x_shape = self._cached()
        rows, columns = self._kept()
        dx = np.zeros(x_shape, dtype=dout.dtype)
        dx[:, rows, columns, :] = dout
        return dx

    def get_config(self):
        return {"name": self.name, "cropping": [list(side) for side in self.cropping],
                "data_format": "channels_last"}

    def __repr__(self):
        return f"Cropping2D(name={self.name!r}, cropping={self.cropping})"
