"""Occlusion maps: how much a class's probability drops when a patch of the image is hidden.

For an image x (H, W, C) and a class k (Zeiler and Fergus, 2014): cover a patch x patch square
of it, every channel, with a plain value v (by default the image's mean), at every position
(top, left) on a grid of step ``stride``, and record the drop of the class probability
    drop[top, left] = p_k(x) - p_k(x with the square at (top, left) set to v)
where p = softmax(z) of the logits z (logits.py). Each pixel gets the mean drop over the
squares that covered it. The grid runs 0, stride, 2 stride, ... and always ends at H - patch
(W - patch), so every pixel is covered at least once. A large positive value: hiding the pixel
costs the class its evidence; a negative one: the pixel argued against the class. Only forward
passes: one per position, all the images at once, in chunks as class_logits runs them.

The positions are independent, so they run on ``model.workers`` threads (tinycnn/parallel.py,
as predict does): each thread a replica of the model (the same weights, caches of its own),
BLAS held to one thread per call. 169 positions of 100 images take ~1.4 s instead of ~2.4 s
on 2 cores. The drops are added up in position order, so the maps equal the plain loop's run
with one BLAS thread; against several BLAS threads they differ by float32 rounding (~1e-7).

Shapes: images (N, H, W, C) or (N, H, W); classes (N,); value a number or (N,); maps (N, H, W)
(occlusion_maps: (N, K, H, W), every class).
"""

import threading

import numpy as np

from tinycnn.explain.inputs import checked_classes, checked_classifier, checked_images
from tinycnn.explain.logits import CHUNK, class_logits, logit_network
from tinycnn.explain.untouched import untouched
from tinycnn.layers.activations import softmax
from tinycnn.parallel import map_in_threads, one_blas_thread


def occlusion(model, images, classes=None, patch=4, stride=2, value=None):
    """The mean drop of the class probability over the patches covering each pixel: (N, H, W).

    classes: (N,) class ids, one id for every image, or None for each image's predicted class.
    value: what fills the patch, a number or one per image (N,); None: each image's mean.
    Inference mode; the model is left as it was.
    """
    checked_classifier(model, "occlusion")
    x, _ = checked_images(model, images, "occlusion images")
    classes = checked_classes(classes, len(x), model.output_shape[-1], "occlusion classes")
    maps, logits = _every_class(model, x, patch, stride, value)
    if classes is None:
        classes = logits.argmax(axis=1)
    return maps[np.arange(len(x)), classes]


def occlusion_maps(model, images, patch=4, stride=2, value=None):
    """occlusion for every class at once, at the cost of one: (N, K, H, W), map k the mean drop
    of p_k (the same forward passes give every class's probability)."""
    checked_classifier(model, "occlusion")
    x, _ = checked_images(model, images, "occlusion images")
    return _every_class(model, x, patch, stride, value)[0]


def _every_class(model, x, patch, stride, value):
    """(maps (N, K, H, W), the logits of the clean images (N, K)) for checked x."""
    count, height, width = x.shape[:3]
    _check_size("patch", patch, min(height, width))
    _check_size("stride", stride, None)
    fill = _fill_values(x, value)
    logits = class_logits(model, x)
    clean = softmax(logits)  # (N, K)
    corners = [(top, left) for top in _starts(height, patch, stride)
               for left in _starts(width, patch, stride)]
    total = np.zeros((count, clean.shape[1], height, width), dtype=x.dtype)
    covered = np.zeros((height, width), dtype=x.dtype)
    with untouched(model), logit_network(model, "occlusion") as network:
        replicas = threading.local()

        def drop_at(corner):
            """p(x) - p(x with the square at ``corner`` hidden): (N, K)."""
            if not hasattr(replicas, "network"):
                replicas.network = network.replica()  # one per thread
            top, left = corner
            hidden = x.copy()
            hidden[:, top:top + patch, left:left + patch, :] = fill[:, None, None, None]
            hidden_logits = np.concatenate([replicas.network.forward(hidden[start:start + CHUNK])
                                            for start in range(0, count, CHUNK)])
            return clean - softmax(hidden_logits)

        with one_blas_thread():
            drops = map_in_threads(drop_at, corners, getattr(model, "workers", 1))
            for (top, left), drop in zip(corners, drops, strict=True):
                total[:, :, top:top + patch, left:left + patch] += drop[:, :, None, None]
                covered[top:top + patch, left:left + patch] += 1
    return total / covered, logits


def _starts(size, patch, stride):
    """0, stride, 2 stride, ... up to size - patch, and size - patch itself."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


def _check_size(name, size, largest):
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"occlusion: {name} must be an integer >= 1, got {size!r}")
    if largest is not None and size > largest:
        raise ValueError(f"occlusion: {name} {size} is larger than the image's smaller side "
                         f"{largest}")


def _fill_values(x, value):
    """value -> (N,) in x's dtype: one fill value per image."""
    if value is None:
        return x.mean(axis=(1, 2, 3))
    fill = np.asarray(value, dtype=x.dtype)
    if fill.ndim == 0:
        return np.full(len(x), fill, dtype=x.dtype)
    if fill.shape != (len(x),):
        raise ValueError(f"occlusion value: expected a number or one per image, shape "
                         f"({len(x)},), got shape {fill.shape}")
    return fill
