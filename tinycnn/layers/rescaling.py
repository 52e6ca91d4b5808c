"""Rescaling: every value scaled and shifted, as Keras's layers.Rescaling; in training and in
inference alike.

Forward:   out = x * scale + offset
Backward:  dx = dout * scale
Rescaling(1 / 255) takes pixels from [0, 255] to [0, 1]; Rescaling(1 / 127.5, offset=-1) to
[-1, 1]. (tinycnn's layers take float arrays: convert uint8 images with x.astype(np.float32)
before they reach the model.)

Shapes: x, out, dout, dx: any (N, ...), all the same. No weights.
"""

import numbers

import numpy as np

from tinycnn.layers.base import Layer


def finite_number(value, what):
    """``value`` as a float, or a ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{what}: expected a finite number, got {value!r}")
    return float(value)


class Rescaling(Layer):
    """Rescaling(scale, offset=0.0): two numbers (Keras also takes per-channel arrays;
    tinycnn takes numbers only)."""

    def __init__(self, scale, offset=0.0, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.scale = finite_number(scale, "Rescaling scale")
        self.offset = finite_number(offset, "Rescaling offset")

    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        """x: (N, ...) -> out: the same shape."""
        self._check_input(x)
        self._cache = x.shape
        return x * self.scale + self.offset

    def backward(self, dout):
        """dout: (N, ...) -> dx: the same shape."""
        self._cached()
        return dout * self.scale

    def get_config(self):
        return {"name": self.name, "scale": self.scale, "offset": self.offset}

    def __repr__(self):
        return f"Rescaling(name={self.name!r}, scale={self.scale}, offset={self.offset})"
