"""Pooling2D: what MaxPool2D and AveragePooling2D share (arguments, window geometry, sizes).

A pooling layer slides a KH x KW window over each channel on its own, S_h rows down and S_w
columns across at a time, and keeps one number per window: the largest (MaxPool2D) or the
mean (AveragePooling2D). It has no weights, and keeps the channel count:
    padding "valid":  windows lie inside the image,  H_out = (H - KH) // S_h + 1
    padding "same":   H_out = ceil(H / S_h); the image is padded as Keras pads it (half before,
                      the extra pixel after), but padded pixels never take part: they never win
                      a max and are not counted in a mean
W_out likewise, with KW and S_w. The window arithmetic is ``conv_geometry`` in
tinycnn/kernels/im2col.py, the same as a convolution's. Build works it out once:
``layer.geometry``, a ``WindowGeometry`` whose fields are the pooling kernels' arguments by
name and in order, so forward and backward call ``kernels.maxpool_forward(x, *geometry)`` and
the like.

Shapes:  x (N, H, W, C) -> out (N, H_out, W_out, C)
"""

import numpy as np

from tinycnn.kernels.im2col import WindowGeometry
from tinycnn.layers.base import Layer
from tinycnn.layers.shapes import padding_mode, positive_pair


class Pooling2D(Layer):
    """Base class: pool_size is an int or a pair (KH, KW); strides likewise, and None (the
    default) means the pool size, so that windows tile the image; padding "valid" or "same"."""

    def __init__(self, pool_size=2, strides=None, padding="valid", name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        kind = type(self).__name__
        self.pool_size = positive_pair(pool_size, f"{kind} pool_size")
        strides = self.pool_size if strides is None else strides
        self.strides = positive_pair(strides, f"{kind} strides")
        self.padding = padding_mode(padding, f"{kind} padding", allow_int=False)
        self.geometry = None  # a WindowGeometry, once build knows the input's size

    def _window_geometry(self, input_shape):
        """The WindowGeometry of this layer's window on an input (H, W, C)."""
        return WindowGeometry.of(input_shape, self.pool_size, self.strides, self.padding)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        geometry = self._window_geometry(input_shape)
        # Only "valid" can fail: "same" always has a window.
        if geometry.out_h < 1 or geometry.out_w < 1:
            raise ValueError(f"{self}: pool {self.pool_size} is larger than the input "
                             f"{input_shape[:2]} (padding 'valid'; 'same' would pad it)")
        return (geometry.out_h, geometry.out_w, input_shape[2])

    def build(self, input_shape, rng=None, dtype=np.float32):
        """Work out where the windows go, once: ``self.geometry`` (no weights to create)."""
        super().build(input_shape, rng, dtype)
        self.geometry = self._window_geometry(self.input_shape)
        return self

    def get_config(self):
        return {"name": self.name, "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding}

    def __repr__(self):
        return (f"{type(self).__name__}(name={self.name!r}, pool_size={self.pool_size}, "
                f"strides={self.strides}, padding={self.padding!r})")
