"""Dropout: while training, zero each value with probability `rate` and scale the rest up.

Training:   mask ~ Bernoulli(1 - rate),  out = x * mask / (1 - rate),  dx = dout * mask / (1 - rate)
Inference:  out = x (the scaling during training keeps the expected value the same).
noise_shape (Keras's): the mask's shape, N included, broadcast over x: an axis of size 1 there
shares one draw along x's axis, so noise_shape=(None, 1, 1, C) on (N, H, W, C) images keeps or
drops whole channels (SpatialDropout2D) and (None, H, W, 1) whole pixels; None takes x's size.
Randomness: from ``self.random_stream()`` (tinycnn/layers/base.py): the layer's own
generator, ``np.random.default_rng(seed)``, if it was made with ``seed=``, else ``self.rng``,
the model's training stream that fit hands every layer (the weights' generator before that),
so a seeded model drops the same values on every rerun. Keras's own draws cannot be matched.
Shapes: x, out: any (N, ...); mask: noise_shape, or x's shape. No weights.
"""

import numbers
from typing import NamedTuple

import numpy as np

from tinycnn.layers.base import Layer, own_generator


class DropoutCache(NamedTuple):
    """What Dropout's forward keeps for backward (the last call's): only scaled_mask,
    mask / (1 - rate), x's shape or noise_shape (broadcast over x); or a single 1 after a
    forward that dropped nothing."""

    scaled_mask: np.ndarray


class Dropout(Layer):
    """Dropout(rate, noise_shape=None, seed=None): rate, the fraction of values to drop,
    0 <= rate < 1; noise_shape, the mask's shape (N first), each size None, 1 or x's; seed,
    None (draw from the model's training stream) or an int (the layer's own generator)."""

    draws_random = True

    def __init__(self, rate, noise_shape=None, seed=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout rate: expected a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.noise_shape = _noise_shape(noise_shape)
        self.seed, self.generator = own_generator(seed, f"{type(self).__name__} seed")

    def compute_output_shape(self, input_shape):
        if self.noise_shape is not None:
            shape = (None, *input_shape)  # the batch size is checked in forward
            if len(self.noise_shape) != len(shape) or any(
                    size not in (None, 1, axis_size)
                    for size, axis_size in zip(self.noise_shape[1:], shape[1:], strict=True)):
                raise ValueError(f"{self}: noise_shape {self.noise_shape} does not broadcast "
                                 f"over inputs of shape (N, {', '.join(map(str, input_shape))}): "
                                 "each size must be None, 1 or the input's")
        return input_shape

    def mask_shape(self, x_shape):
        """The shape of the mask for a batch of ``x_shape``: x_shape, or noise_shape with each
        None replaced by x's size."""
        if self.noise_shape is None:
            return x_shape
        if self.noise_shape[0] not in (None, 1, x_shape[0]):
            raise ValueError(f"{self}: noise_shape {self.noise_shape} does not broadcast over "
                             f"a batch of shape {x_shape}: its first size must be None, 1 or "
                             "the batch size")
        return tuple(x_size if size is None else size
                     for size, x_size in zip(self.noise_shape, x_shape, strict=True))

    def forward(self, x, training=False):
        """x: (N, ...) -> out: same shape."""
        self._check_input(x)
        if not training or self.rate == 0:
            self._cache = DropoutCache(scaled_mask=np.ones(1, x.dtype))  # dx = dout
            return x
        keep = 1.0 - self.rate
        draws = self.random_stream().random(self.mask_shape(x.shape))
        scaled_mask = (draws < keep).astype(x.dtype) / x.dtype.type(keep)
        self._cache = DropoutCache(scaled_mask=scaled_mask)
        return x * scaled_mask

    def backward(self, dout):
        return dout * self._cached().scaled_mask

    def get_config(self):
        config = {"name": self.name, "rate": self.rate}
        # Only when given: SpatialDropout2D's config (and older files) stay as they were.
        if self.noise_shape is not None:
            config["noise_shape"] = list(self.noise_shape)
        if self.seed is not None:
            config["seed"] = self.seed
        return config

    def __repr__(self):
        extra = "" if self.noise_shape is None else f", noise_shape={self.noise_shape}"
        extra += "" if self.seed is None else f", seed={self.seed}"
        return f"Dropout(name={self.name!r}, rate={self.rate}{extra})"


def _noise_shape(value):
    """None, or a tuple of sizes, each None or an int >= 1 (Keras's rule)."""
    if value is None:
        return None
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or any(
            size is not None and (isinstance(size, bool) or not isinstance(size, numbers.Integral)
                                  or size < 1) for size in value):
        raise ValueError(f"Dropout noise_shape: expected None or a tuple of sizes, each None "
                         f"or an int >= 1, got {value!r}")
    return tuple(None if size is None else int(size) for size in value)
