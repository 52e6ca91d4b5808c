"""RandomRotation: while training, turn each image by a random angle about its centre, as
Keras's ``layers.RandomRotation``; at inference, pass the images through.

Draw:     angle = 2 pi u, u ~ Uniform(factor range): the factor is a fraction of a full turn
Forward:  out[n, y, x] = x[n, y_in, x_in], the output pixel turned back by the angle about
          the centre (cy, cx) = ((H - 1) / 2, (W - 1) / 2):
              x_in = cx + cos(a) (x - cx) - sin(a) (y - cy)
              y_in = cy + sin(a) (x - cx) + cos(a) (y - cy)
          so a positive angle turns the picture counter-clockwise on the screen (rows run
          down). Corners from outside the image are filled by fill_mode, between pixels
          interpolated (tinycnn/layers/augmentation.py)
Backward: out is linear in x, so dx is the resampling's adjoint (augmentation.py).
Factor (Keras's rule for it): a number f in [-1, 1] means [-|f|, |f|]; a pair (a, b) means
[min, max], refused only when a > 1 or b < -1. No weights.

Shapes:  x, out, dout, dx: (N, H, W, C);  angles: (N,) in radians
"""

import numpy as np

from tinycnn.layers.augmentation import (
    RandomAffineLayer,
    affine_matrices,
    affine_transform,
    as_config,
    base_range,
    pair_or_number,
)


def rotation_matrices(angles, height, width):
    """The (N, 8) transforms that turn images of height x width by ``angles`` (radians,
    counter-clockwise; a number or (N,)) about their centre: Keras's, for this angle."""
    cos, sin = np.cos(angles), np.sin(angles)
    cx, cy = (width - 1) / 2, (height - 1) / 2
    return affine_matrices(cos, -sin, cx - cx * cos + cy * sin,
                           sin, cos, cy - cx * sin - cy * cos)


def rotate(images, angles, fill_mode="reflect", interpolation="bilinear", fill_value=0.0):
    """images (N, H, W, C) turned counter-clockwise by ``angles`` (radians, a number or one
    per image (N,)) about their centre."""
    _, height, width, _ = images.shape
    return affine_transform(images, rotation_matrices(angles, height, width), interpolation,
                            fill_mode, fill_value)


class RandomRotation(RandomAffineLayer):
    """RandomRotation(factor, fill_mode="reflect", interpolation="bilinear", seed=None,
    fill_value=0.0): factor as a fraction of a full turn (module docstring); fill_mode
    "reflect", "wrap", "constant" (with fill_value) or "nearest"; interpolation "bilinear" or
    "nearest"; seed: None (draw from the model's training stream) or an int (the layer's own
    generator)."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, name=None, input_shape=None):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, name=name,
                         input_shape=input_shape)
        self.factor = pair_or_number(factor, "RandomRotation factor")
        self.factor_range = base_range(self.factor, "RandomRotation factor", -1.0, 1.0)

    def draw(self, rng, shape):
        """angles (N,) in radians."""
        return 2 * np.pi * rng.uniform(*self.factor_range, size=shape[0])

    def transforms(self, angles, height, width):
        return rotation_matrices(angles, height, width)

    def arguments(self):
        return {"factor": as_config(self.factor), **self.resampling_arguments()}
