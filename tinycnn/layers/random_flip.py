"""RandomFlip: while training, mirror each image with probability 1/2, as Keras's
``layers.RandomFlip``; at inference, pass the images through.

mode "horizontal": left-right, out[n, y, x] = x[n, y, W-1-x];  "vertical": top-bottom,
out[n, y, x] = x[n, H-1-y, x];  "horizontal_and_vertical" (the default): both at once, on one
draw per image, as Keras 3.15.1 does (so an image is either unchanged or turned by 180
degrees; it is never flipped one way only).
Backward: a flip is its own inverse, so dx = the same flips applied to dout.
Randomness, seed and inference: tinycnn/layers/augmentation.py. No weights.

Shapes:  x, out, dout, dx: (N, H, W, C);  flips: (N,) bool, True for the images to flip
"""

import numpy as np

from tinycnn.layers.augmentation import RandomImageLayer, choice

MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def flip(images, flips, mode="horizontal_and_vertical"):
    """images (N, H, W, C) with the images where ``flips`` (N,) is True flipped by ``mode``."""
    choice(mode, MODES, "flip mode")
    chosen = np.asarray(flips, bool)[:, None, None, None]
    out = images
    if mode != "vertical":
        out = np.where(chosen, out[:, :, ::-1], out)
    if mode != "horizontal":
        out = np.where(chosen, out[:, ::-1], out)
    return out


class RandomFlip(RandomImageLayer):
    """RandomFlip(mode="horizontal_and_vertical", seed=None): mode as in the module
    docstring; seed: None (draw from the model's training stream) or an int (the layer's own
    generator)."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, name=None,
                 input_shape=None):
        super().__init__(seed=seed, data_format=data_format, name=name, input_shape=input_shape)
        self.mode = choice(mode, MODES, "RandomFlip mode")

    def draw(self, rng, shape):
        """flips (N,): each image's coin, True with probability 1/2."""
        return rng.random(shape[0]) < 0.5

    def augment(self, x, flips):
        return flip(x, flips, self.mode), flips

    def augment_backward(self, dout, flips):
        return flip(dout, flips, self.mode)

    def arguments(self):
        return {"mode": self.mode}
