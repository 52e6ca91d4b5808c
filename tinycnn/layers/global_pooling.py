"""Global pooling: one number per channel for the whole image, (N, H, W, C) -> (N, C).

A pooling window as large as the image. Put before the classifier instead of Flatten, it hands
the Dense layer C numbers instead of H*W*C, and asks "is this feature anywhere in the image?"
rather than "where is it?".

GlobalAveragePooling2D:  out[n, c] = (1 / (H*W)) * sum_{y, x} x[n, y, x, c]
                         dx[n, y, x, c] = dout[n, c] / (H*W)        (every pixel alike)
GlobalMaxPooling2D:      out[n, c] = max_{y, x} x[n, y, x, c]
                         dx[n, y, x, c] = dout[n, c] at that channel's largest pixel (the
                         first in row-major order if several tie), 0 at every other pixel
Plain NumPy: each forward pass is one reduction over the axes (1, 2). No weights.

Shapes:  x (N, H, W, C) -> out (N, C);  dout (N, C) -> dx (N, H, W, C)
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers.base import Layer


class GlobalAveragePoolCache(NamedTuple):
    """What GlobalAveragePooling2D's forward keeps for backward (the last call's): only x_shape
    (N, H, W, C), the shape of dx."""

    x_shape: tuple


class GlobalMaxPoolCache(NamedTuple):
    """What GlobalMaxPooling2D's forward keeps for backward (the last call's):

        winner    (N, C), each channel's largest pixel as a flat index y*W + x
        x_shape   (N, H, W, C), the shape of dx
    """

    winner: np.ndarray
    x_shape: tuple


class GlobalPooling2D(Layer):
    """Base class: images (H, W, C) in, one value per channel (C,) out."""

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        return (input_shape[2],)


class GlobalAveragePooling2D(GlobalPooling2D):
    """The mean of each channel over the whole image."""

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, C)."""
        self._check_input(x)
        self._cache = GlobalAveragePoolCache(x_shape=x.shape)
        return x.mean(axis=(1, 2))

    def backward(self, dout):
        """dout: (N, C) -> dx: (N, H, W, C)."""
        n, h, w, c = self._cached().x_shape
        dx = np.empty((n, h, w, c), dtype=dout.dtype)
        dx[...] = (dout / (h * w))[:, np.newaxis, np.newaxis, :]  # copied to every pixel
        return dx


class GlobalMaxPooling2D(GlobalPooling2D):
    """The largest value of each channel over the whole image."""

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, C)."""
        self._check_input(x)
        n, h, w, c = x.shape
        pixels = x.reshape(n, h * w, c)
        winner = pixels.argmax(axis=1)  # (N, C): the flat pixel index y*W + x; first max wins
        self._cache = GlobalMaxPoolCache(winner=winner, x_shape=x.shape)
        return pixels.max(axis=1)

    def backward(self, dout):
        """dout: (N, C) -> dx: (N, H, W, C)."""
        cache = self._cached()
        n, h, w, c = cache.x_shape
        dx = np.zeros((n, h * w, c), dtype=dout.dtype)
        images = np.arange(n)[:, np.newaxis]  # (N, 1), broadcast against winner (N, C)
        channels = np.arange(c)[np.newaxis, :]  # (1, C)
        dx[images, cache.winner, channels] = dout  # dx[i, winner[i, ch], ch] = dout[i, ch]
        return dx.reshape(n, h, w, c)
