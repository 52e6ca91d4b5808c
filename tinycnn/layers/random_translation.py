"""RandomTranslation: while training, shift each image by a random fraction of its height and
width, as Keras's ``layers.RandomTranslation``; at inference, pass the images through.

Draw:     dy = u * H with u ~ Uniform(height range),  dx = v * W with v ~ Uniform(width range)
Forward:  out[n, y, x] = x[n, y - dy, x - dx]: positive dy moves the content down, positive dx
          right; the place it left is filled by fill_mode, and a fractional shift is
          interpolated (tinycnn/layers/augmentation.py: the fill modes, the interpolations,
          Keras's transform [1, 0, -dx, 0, 1, -dy, 0, 0])
Backward: out is linear in x, so dx is the resampling's adjoint (augmentation.py).
Factors (Keras's rule): a number f means [-|f|, |f|], a pair (a, b) means [min, max]; every
number in [-1, 1]. No weights.

Shapes:  x, out, dout, dx: (N, H, W, C);  dy, dx: (N,) in pixels
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers.augmentation import (
    RandomAffineLayer,
    affine_matrices,
    affine_transform,
    as_config,
    checked_range,
    pair_or_number,
)


class Shift(NamedTuple):
    """What RandomTranslation draws for a batch: (N,) shifts in pixels, down and right."""

    dy: np.ndarray
    dx: np.ndarray


def translation_matrices(dy, dx):
    """The (N, 8) transforms that shift by dy rows and dx columns (numbers or (N,) arrays)."""
    return affine_matrices(1.0, 0.0, -np.asarray(dx, np.float64), 0.0, 1.0,
                           -np.asarray(dy, np.float64))


def translate(images, dy, dx, fill_mode="reflect", interpolation="bilinear", fill_value=0.0):
    """images (N, H, W, C) shifted by dy rows (down) and dx columns (right), each a number or
    one per image (N,), in pixels."""
    return affine_transform(images, translation_matrices(dy, dx), interpolation, fill_mode,
                            fill_value)


class RandomTranslation(RandomAffineLayer):
    """RandomTranslation(height_factor, width_factor, fill_mode="reflect",
    interpolation="bilinear", seed=None, fill_value=0.0): the factors as fractions of the
    height and width (module docstring); fill_mode "reflect", "wrap", "constant" (with
    fill_value) or "nearest"; interpolation "bilinear" or "nearest"; seed: None (draw from the
    model's training stream) or an int (the layer's own generator)."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 name=None, input_shape=None):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, name=name,
                         input_shape=input_shape)
        self.height_factor = pair_or_number(height_factor, "RandomTranslation height_factor")
        self.width_factor = pair_or_number(width_factor, "RandomTranslation width_factor")
        self.height_range = checked_range(self.height_factor, "RandomTranslation height_factor")
        self.width_range = checked_range(self.width_factor, "RandomTranslation width_factor")

    def draw(self, rng, shape):
        n, height, width, _ = shape
        dy = rng.uniform(*self.height_range, size=n) * height
        dx = rng.uniform(*self.width_range, size=n) * width
        return Shift(dy=dy, dx=dx)

    def transforms(self, shift, height, width):
        return translation_matrices(shift.dy, shift.dx)

    def arguments(self):
        return {"height_factor": as_config(self.height_factor),
                "width_factor": as_config(self.width_factor), **self.resampling_arguments()}
