"""RandomContrast: while training, stretch or squeeze each image's values about its channel
means by a random factor, as Keras's ``layers.RandomContrast``; at inference, pass the images
through.

Draw:     f ~ Uniform(1 - lower, 1 + upper), one per image, (lower, upper) from the factor
Forward:  m = the mean of x[n, :, :, c] over H and W (one per image and channel)
          z = (x - m) f + m,   out = clip(z, low, high),  (low, high) = value_range
Backward: with g = dout where low <= z <= high, else 0 (the clip passes nothing there),
          and d m / d x = 1 / (H W) for each pixel of the channel:
          dx = f g + (1 - f) mean_{H, W}(g)
Factor (Keras 3.15.1's rule): a number f in [0, 1] gives (lower, upper) = (0, f), so the
contrast only grows, f in [1, 1 + f] (Keras's docstring promises [1 - f, 1 + f]; its code
draws from [1, 1 + f], and so do we); a pair (a, b), refused only when a > 1 or b < 0, gives
f in [1 - a, 1 + b]. The output is always clipped to value_range (default (0, 255), as in
Keras): for images in [0, 1] that cuts off only what the stretch pushes below 0, so give
value_range=(0, 1) for those. No weights.

Shapes:  x, out, z, dout, dx: (N, H, W, C);  factors: (N,);  m: (N, 1, 1, C)
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers.augmentation import (
    RandomImageLayer,
    as_config,
    base_range,
    number,
    pair_or_number,
)


class ContrastCache(NamedTuple):
    """What backward needs: factors (N, 1, 1, 1) and inside (N, H, W, C), True where the
    clip left z alone."""

    factors: np.ndarray
    inside: np.ndarray


def stretch(images, factors):
    """z = (x - m) f + m for each image's contrast factor f ((N,) or a number)."""
    factors = np.asarray(factors, images.dtype).reshape(-1, 1, 1, 1)
    means = images.mean(axis=(1, 2), keepdims=True)
    return (images - means) * factors + means


def adjust_contrast(images, factors, value_range=(0, 255)):
    """images (N, H, W, C) with each image's contrast scaled by its factor ((N,) or a
    number), clipped to value_range."""
    return np.clip(stretch(images, factors), *value_range)


class RandomContrast(RandomImageLayer):
    """RandomContrast(factor, value_range=(0, 255), seed=None): factor and value_range as in
    the module docstring; seed: None (draw from the model's training stream) or an int (the
    layer's own generator)."""

    def __init__(self, factor, value_range=(0, 255), seed=None, data_format=None, name=None,
                 input_shape=None):
        super().__init__(seed=seed, data_format=data_format, name=name, input_shape=input_shape)
        self.factor = pair_or_number(factor, "RandomContrast factor")
        self.factor_range = base_range(self.factor, "RandomContrast factor", 0.0, 1.0)
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ValueError(f"RandomContrast value_range: expected a pair (low, high), got "
                             f"{value_range!r}")
        low, high = (number(v, "RandomContrast value_range") for v in value_range)
        if not low < high:
            raise ValueError(f"RandomContrast value_range: expected low < high, got "
                             f"{value_range!r}")
        self.value_range = (low, high)

    def draw(self, rng, shape):
        """factors (N,)."""
        lower, upper = self.factor_range
        # sorted: Keras takes a pair (a, b) with a + b < 0, which puts 1 - a above 1 + b
        return rng.uniform(*sorted((1 - lower, 1 + upper)), size=shape[0])

    def augment(self, x, factors):
        stretched = stretch(x, factors)
        low, high = self.value_range
        inside = (stretched >= low) & (stretched <= high)
        factors = factors.astype(x.dtype).reshape(-1, 1, 1, 1)
        return np.clip(stretched, low, high), ContrastCache(factors=factors, inside=inside)

    def augment_backward(self, dout, kept):
        passed = np.where(kept.inside, dout, 0)
        channel_means = passed.mean(axis=(1, 2), keepdims=True)
        return kept.factors * passed + (1 - kept.factors) * channel_means

    def arguments(self):
        return {"factor": as_config(self.factor), "value_range": list(self.value_range)}
