"""SpatialDropout2D: Dropout that drops whole channels, as Keras's layers.SpatialDropout2D.

Training:   one draw per image and channel, mask ~ Bernoulli(1 - rate) of shape (N, 1, 1, C),
            out = x * mask / (1 - rate),  dx = dout * mask / (1 - rate)  (the mask broadcast
            over H and W: a channel is kept or zeroed in the whole image)
Inference:  out = x.
Neighbouring pixels of a feature map are alike, so dropping single pixels (Dropout) takes
little away: the pixels next to it carry the same information. Dropping the whole map does.
Everything else is Dropout's (tinycnn/layers/dropout.py): backward, the generator from
``build`` (the model's, so a seeded model drops the same channels on every rerun).

Shapes: x, out, dout, dx: (N, H, W, C); the mask: (N, 1, 1, C). No weights.
"""

import numpy as np

from tinycnn.layers.dropout import Dropout, DropoutCache


class SpatialDropout2D(Dropout):
    """SpatialDropout2D(rate): the fraction of channels to drop, 0 <= rate < 1. data_format:
    None or "channels_last". seed: None; the masks come from the model's generator, so seed
    the model instead (Sequential(..., seed=1))."""

    def __init__(self, rate, data_format=None, seed=None, name=None, input_shape=None):
        if data_format not in (None, "channels_last"):
            raise ValueError(f"SpatialDropout2D data_format: tinycnn's images are channels-last "
                             f"(N, H, W, C); got {data_format!r}")
        if seed is not None:
            raise ValueError(f"SpatialDropout2D seed: the masks come from the model's random "
                             f"generator; seed the model (Sequential(..., seed={seed!r})), "
                             f"not the layer, got seed={seed!r}")
        super().__init__(rate, name=name, input_shape=input_shape)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        return input_shape

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: the same shape."""
        self._check_input(x)
        if not training or self.rate == 0:
            self._cache = DropoutCache(scaled_mask=np.ones(1, x.dtype))  # dx = dout
            return x
        keep = 1.0 - self.rate
        n, _, _, channels = x.shape
        kept = self.rng.random((n, 1, 1, channels)) < keep
        scaled_mask = kept.astype(x.dtype) / x.dtype.type(keep)
        self._cache = DropoutCache(scaled_mask=scaled_mask)
        return x * scaled_mask

    def get_config(self):
        return {**super().get_config(), "data_format": "channels_last"}

    def __repr__(self):
        return f"SpatialDropout2D(name={self.name!r}, rate={self.rate})"
