"""Integrated gradients: each pixel's share of the change of a class's logit from a baseline.

For an image x (H, W, C), a baseline x' (by default black: zeros) and a class k with logit z_k
(logits.py), Sundararajan, Taly and Yan (2017) integrate the saliency map (saliency.py) along
the straight path from x' to x:
    IG(x) = (x - x') * integral_0^1 dz_k/dx (x' + a (x - x')) da
          ~ (x - x') * 1/T sum_t dz_k/dx (x' + a_t (x - x')),   a_t = (t + 1/2) / T, t < T
(the midpoint rule with T = steps). By the chain rule the integral adds up the change of z_k
along the path, so the attributions are complete: sum IG(x) = z_k(x) - z_k(x'), up to the
rule's error, which shrinks like 1/T^2 on a smooth model. The class k is chosen once, on x (by
default its predicted class), not on the points along the path.

Shapes: images (N, H, W, C) or (N, H, W); baseline as the images or as one image; classes
(N,); the attributions: as the images.
"""

import numpy as np

from tinycnn.explain.inputs import checked_classes, checked_classifier, checked_images
from tinycnn.explain.logits import class_logits
from tinycnn.explain.saliency import saliency


def integrated_gradients(model, images, classes=None, baseline=None, steps=50):
    """(x - baseline) times the mean gradient of the class logit on the path from the baseline
    to x: an array shaped like ``images``.

    classes: (N,) class ids, one id for every image, or None for each image's predicted class.
    baseline: shaped like ``images`` or like one image; None: zeros. The model is left as it was.
    """
    checked_classifier(model, "integrated_gradients")
    x, shape = checked_images(model, images, "integrated_gradients images")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"integrated_gradients: steps must be an integer >= 1, got {steps!r}")
    start = _checked_baseline(baseline, x, shape)
    classes = checked_classes(classes, len(x), model.output_shape[-1],
                              "integrated_gradients classes")
    if classes is None:
        classes = class_logits(model, x).argmax(axis=1)
    total = np.zeros_like(x)
    for step in range(steps):
        alpha = (step + 0.5) / steps
        total += saliency(model, start + alpha * (x - start), classes)
    return ((x - start) * (total / steps)).reshape(shape)


def _checked_baseline(baseline, x, shape):
    """baseline: None, shaped like the images, or like one image -> x's shape and dtype."""
    if baseline is None:
        return np.zeros_like(x)
    baseline = np.asarray(baseline)
    if baseline.shape not in (shape, shape[1:]):
        raise ValueError(f"integrated_gradients baseline: expected shape {shape} (one per "
                         f"image) or {shape[1:]} (one for all), got {baseline.shape}")
    whole = np.broadcast_to(baseline, shape).astype(x.dtype)
    return whole.reshape(x.shape)
