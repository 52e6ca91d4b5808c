"""ZeroPadding2D: rows and columns of zeros around each image, as Keras's
``layers.ZeroPadding2D`` (channels-last images only).

Forward:   out = zeros (N, H_out, W_out, C);  out[:, top:top+H, left:left+W, :] = x
Backward:  dx = dout[:, top:top+H, left:left+W, :]   (the zeros depend on nothing)
Output size:  H_out = top + H + bottom,  W_out = left + W + right
padding: an int p (p on every side), a pair (p_h, p_w) (p_h rows at the top and at the bottom,
p_w columns at the left and at the right), or ((top, bottom), (left, right)). No weights.

Shapes:  x (N, H, W, C) -> out (N, H_out, W_out, C);  dout (N, H_out, W_out, C) -> dx like x
"""

import numbers

import numpy as np

from tinycnn.layers.base import Layer

FORMS = ("an int, a pair (height, width) or ((top, bottom), (left, right)) of ints >= 0")


def padding_pairs(value):
    """padding as ((top, bottom), (left, right)), or a ValueError naming what it takes."""
    if _count(value):
        return ((int(value),) * 2,) * 2
    if isinstance(value, (tuple, list)) and len(value) == 2:
        if all(_count(side) for side in value):  # (p_h, p_w): the same on both sides
            return tuple((int(side),) * 2 for side in value)
        if all(isinstance(side, (tuple, list)) and len(side) == 2 and all(map(_count, side))
               for side in value):
            return tuple((int(side[0]), int(side[1])) for side in value)
    raise ValueError(f"ZeroPadding2D padding: expected {FORMS}, got {value!r}")


def _count(value):
    """True for an int >= 0 (a number of rows or columns)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


class ZeroPadding2D(Layer):
    """ZeroPadding2D(padding=(1, 1)): padding as in the module docstring. data_format: None
    or "channels_last" (Keras's argument; tinycnn's images are always channels-last)."""

    def __init__(self, padding=(1, 1), data_format=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        if data_format not in (None, "channels_last"):
            raise ValueError(f"ZeroPadding2D data_format: tinycnn's images are channels-last "
                             f"(N, H, W, C); got {data_format!r}")
        self.padding = padding_pairs(padding)  # ((top, bottom), (left, right))

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        (top, bottom), (left, right) = self.padding
        height, width, channels = input_shape
        return (top + height + bottom, left + width + right, channels)

    def _interior(self):
        """(rows, columns): the slices of the output that hold the input."""
        (top, _), (left, _) = self.padding
        height, width, _ = self.input_shape
        return slice(top, top + height), slice(left, left + width)

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, H_out, W_out, C)."""
        self._check_input(x)
        rows, columns = self._interior()
        out = np.zeros((x.shape[0], *self.output_shape), dtype=x.dtype)
        out[:, rows, columns, :] = x
        self._cache = x.shape
        return out

    def backward(self, dout):
        """dout: (N, H_out, W_out, C) -> dx: (N, H, W, C)."""
        self._cached()
        rows, columns = self._interior()
        # a contiguous copy: the layer below may hand dx to a kernel that wants one
        return np.ascontiguousarray(dout[:, rows, columns, :])

    def get_config(self):
        return {"name": self.name, "padding": [list(side) for side in self.padding],
                "data_format": "channels_last"}

    def __repr__(self):
        return f"ZeroPadding2D(name={self.name!r}, padding={self.padding})"
