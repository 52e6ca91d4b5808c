"""RandomZoom: while training, zoom each image in or out about its centre by a random factor,
as Keras's ``layers.RandomZoom``; at inference, pass the images through.

Draw:     zoom_y = 1 + u, u ~ Uniform(height range);  zoom_x = 1 + v, v ~ Uniform(width
          range), or zoom_x = zoom_y (the same draw) when width_factor is None, which keeps
          the aspect ratio
Forward:  out[n, y, x] = x[n, cy + zoom_y (y - cy), cx + zoom_x (x - cx)] about the centre
          (cy, cx) = ((H - 1) / 2, (W - 1) / 2): a zoom above 1 shows more of the picture,
          smaller (zooming out; positive factors), below 1 less of it, larger (zooming in).
          What comes from outside the image is filled by fill_mode, and points between pixels
          are interpolated (tinycnn/layers/augmentation.py)
Backward: out is linear in x, so dx is the resampling's adjoint (augmentation.py).
Factors (Keras's rule): a number f means [-|f|, |f|], a pair (a, b) means [min, max]; every
number in (-1, 1]. No weights.

Shapes:  x, out, dout, dx: (N, H, W, C);  zoom_y, zoom_x: (N,)
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


class Zoom(NamedTuple):
    """What RandomZoom draws for a batch: (N,) zoom factors down the rows and across."""

    zoom_y: np.ndarray
    zoom_x: np.ndarray


def zoom_matrices(zoom_y, zoom_x, height, width):
    """The (N, 8) transforms that zoom images of height x width about their centre (numbers
    or (N,) arrays): Keras's, for these factors."""
    zoom_y, zoom_x = np.asarray(zoom_y, np.float64), np.asarray(zoom_x, np.float64)
    return affine_matrices(zoom_x, 0.0, (width - 1) / 2 * (1 - zoom_x),
                           0.0, zoom_y, (height - 1) / 2 * (1 - zoom_y))


def zoom(images, zoom_y, zoom_x, fill_mode="reflect", interpolation="bilinear",
         fill_value=0.0):
    """images (N, H, W, C) zoomed about their centre by zoom_y down the rows and zoom_x
    across (above 1: out; below 1: in), each a number or one per image (N,)."""
    _, height, width, _ = images.shape
    return affine_transform(images, zoom_matrices(zoom_y, zoom_x, height, width),
                            interpolation, fill_mode, fill_value)


class RandomZoom(RandomAffineLayer):
    """RandomZoom(height_factor, width_factor=None, fill_mode="reflect",
    interpolation="bilinear", seed=None, fill_value=0.0): the factors as in the module
    docstring; fill_mode "reflect", "wrap", "constant" (with fill_value) or "nearest";
    interpolation "bilinear" or "nearest"; seed: None (draw from the model's training
    stream) or an int (the layer's own generator)."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 name=None, input_shape=None):
        super().__init__(fill_mode=fill_mode, interpolation=interpolation, seed=seed,
                         fill_value=fill_value, data_format=data_format, name=name,
                         input_shape=input_shape)
        what = "RandomZoom height_factor"
        self.height_factor = pair_or_number(height_factor, what)
        self.height_range = checked_range(self.height_factor, what, low_open=True)
        self.width_factor = self.width_range = None
        if width_factor is not None:
            what = "RandomZoom width_factor"
            self.width_factor = pair_or_number(width_factor, what)
            self.width_range = checked_range(self.width_factor, what, low_open=True)

    def draw(self, rng, shape):
        zoom_y = 1 + rng.uniform(*self.height_range, size=shape[0])
        if self.width_range is None:
            return Zoom(zoom_y=zoom_y, zoom_x=zoom_y)
        return Zoom(zoom_y=zoom_y, zoom_x=1 + rng.uniform(*self.width_range, size=shape[0]))

    def transforms(self, zooms, height, width):
        return zoom_matrices(zooms.zoom_y, zooms.zoom_x, height, width)

    def arguments(self):
        return {"height_factor": as_config(self.height_factor),
                "width_factor": as_config(self.width_factor), **self.resampling_arguments()}
