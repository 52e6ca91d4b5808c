"""SmoothGrad: saliency maps averaged over noisy copies of the image.

A saliency map dz_k/dx (saliency.py) jumps from pixel to pixel: the gradient of a ReLU network
changes abruptly where units switch on and off. SmoothGrad (Smilkov et al., 2017) averages it
over copies of the image with Gaussian noise added:
    M(x) = 1/S sum_s dz_k/dx (x + e_s),   e_s ~ Normal(0, sigma^2),   sigma = noise (max x - min x)
with sigma set per image from its own range of values. The class k is chosen once, on the clean
image (by default its predicted class), so every copy is asked about the same class. The noise
comes from a generator made from ``seed``: the same seed, the same map. The mean is kept as a
running mean, M += (map - M) / s, so that with noise=0 it is the saliency map exactly.

Shapes: images (N, H, W, C) or (N, H, W); classes (N,); the maps: as the images.
"""

import numpy as np

from tinycnn.explain.inputs import checked_classes, checked_classifier, checked_images
from tinycnn.explain.logits import class_logits
from tinycnn.explain.saliency import saliency


def smoothgrad(model, images, classes=None, noise=0.15, samples=25, seed=0):
    """The saliency map averaged over ``samples`` noisy copies: an array shaped like ``images``.

    classes: (N,) class ids, one id for every image, or None for each image's predicted class.
    noise: the noise's standard deviation as a fraction of each image's range (max - min).
    seed: an int or a np.random.Generator for the noise. The model is left as it was.
    """
    checked_classifier(model, "smoothgrad")
    x, shape = checked_images(model, images, "smoothgrad images")
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 1:
        raise ValueError(f"smoothgrad: samples must be an integer >= 1, got {samples!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"smoothgrad: noise must be a number >= 0, got {noise!r}")
    classes = checked_classes(classes, len(x), model.output_shape[-1], "smoothgrad classes")
    if classes is None:
        classes = class_logits(model, x).argmax(axis=1)
    rng = np.random.default_rng(seed)
    sigma = noise * (x.max(axis=(1, 2, 3)) - x.min(axis=(1, 2, 3)))  # (N,)
    mean = np.zeros_like(x)
    for sample in range(1, samples + 1):
        noisy = x + (rng.standard_normal(x.shape) * sigma[:, None, None, None]).astype(x.dtype)
        mean += (saliency(model, noisy, classes) - mean) / sample
    return mean.reshape(shape)
