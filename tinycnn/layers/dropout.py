"""Dropout: while training, zero each value with probability `rate` and scale the rest up.

Training:   mask ~ Bernoulli(1 - rate),  out = x * mask / (1 - rate),  dx = dout * mask / (1 - rate)
Inference:  out = x (the scaling during training keeps the expected value the same).
Shapes: x, out, mask: any (N, ...). No weights. The random generator comes from ``build``
(the model passes its own seeded one), so a seeded model drops the same values on every rerun.
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers.base import Layer


class DropoutCache(NamedTuple):
    """What Dropout's forward keeps for backward (the last call's): only scaled_mask, the same
    shape as x, mask / (1 - rate); or a single 1 after a forward that dropped nothing."""

    scaled_mask: np.ndarray


class Dropout(Layer):
    """Dropout(rate): the fraction of values to drop, 0 <= rate < 1."""

    def __init__(self, rate, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(f"Dropout rate: expected a number in [0, 1), got {rate!r}")
        self.rate = float(rate)
        self.rng = None

    def compute_output_shape(self, input_shape):
        return input_shape

    def _create_params(self, input_shape, rng, dtype):
        self.rng = rng
        return {}

    def forward(self, x, training=False):
        """x: (N, ...) -> out: same shape."""
        self._check_input(x)
        if not training or self.rate == 0:
            self._cache = DropoutCache(scaled_mask=np.ones(1, x.dtype))  # dx = dout
            return x
        keep = 1.0 - self.rate
        scaled_mask = (self.rng.random(x.shape) < keep).astype(x.dtype) / x.dtype.type(keep)
        self._cache = DropoutCache(scaled_mask=scaled_mask)
        return x * scaled_mask

    def backward(self, dout):
        return dout * self._cached().scaled_mask

    def get_config(self):
        return {"name": self.name, "rate": self.rate}

    def __repr__(self):
        return f"Dropout(name={self.name!r}, rate={self.rate})"
