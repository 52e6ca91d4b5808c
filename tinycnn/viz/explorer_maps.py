"""The explanations the explorer page shows, for every image and every class.

The page lets a learner pick an image and a class, and shows four pictures of that pair:
    saliency     |dz_k/dx|, the largest over the channels          (tinycnn.saliency)
    SmoothGrad   the same, averaged over noisy copies of the image  (tinycnn.smoothgrad)
                 for the predicted and the true class of each image: 25 backward passes
                 a class would make it the slowest by far (smoothgrad_every_class=True: all)
    Grad-CAM     at each layer with a spatial output, one per layer (tinycnn.grad_cam; all
                 layers from one pass: tinycnn.explain.grad_cams)
    occlusion    the drop of p_k when a grey patch hides each place  (tinycnn.occlusion;
                 every class from the same passes: tinycnn.explain.occlusion_maps)
A page opened from disk cannot run the model, so every (image, class) pair is computed here,
by the functions named beside each: the same numbers a learner gets calling them. Each image
and class is one more row for saliency and Grad-CAM: the images are repeated K times, the
classes tiled.
(SmoothGrad draws its noise for the whole batch it is given, so its maps are those of the
batch of (image, class) pairs it computes: other noise than a call on one image would draw.)

Pictures need no more than 256 levels, so each map goes to the page as bytes, scaled to its own
largest magnitude, which is kept beside it (the page writes it under the picture):
    q = round(255 * m / max m)        m >= 0: saliency, SmoothGrad, Grad-CAM      (uint8)
    q = round(127 * m / max |m|)      occlusion, whose drops can be negative       (int8)

Shapes: x (N, H, W, C); every map (N, K, H, W), Grad-CAM's (N, K, H_l, W_l); scales (N, K).
"""

from collections import Counter

import numpy as np

from tinycnn.explain import grad_cams, occlusion_maps, saliency, smoothgrad


def spatial_layers(leaves, calls):
    """The indices into ``leaves`` (the model's layers, opened up) of the layers Grad-CAM can
    look at: an output (H, W, C), and called once."""
    counts = Counter(id(layer) for layer, _ in calls)
    return [index for index, layer in enumerate(leaves)
            if counts.get(id(layer)) == 1 and len(layer.output_shape) == 3]


def explorer_explanations(model, x, predicted, labels, cam_layers, smoothgrad_samples=25,
                          smoothgrad_every_class=False, patch=4, stride=2):
    """{"saliency", "smoothgrad", "occlusion": (N, K, H, W), "gradcam": [(N, K, H_l, W_l) for
    each index in cam_layers], "smoothgrad_done": (N, K) bool}, float, in the units each
    function gives. SmoothGrad costs ``smoothgrad_samples`` backward passes a pair: unless
    ``smoothgrad_every_class``, only each image's predicted and true class get one (the others
    stay zero, and smoothgrad_done says which)."""
    count, num_classes = len(x), model.output_shape[-1]
    repeated = np.repeat(x, num_classes, axis=0)         # image 0 K times, then image 1 ...
    classes = np.tile(np.arange(num_classes), count)     # ... asked about class 0, 1, ..., K-1

    def per_class(maps):
        return maps.reshape(count, num_classes, *maps.shape[1:])

    def largest_over_channels(maps):
        return np.abs(maps).max(axis=-1)

    done = np.zeros((count, num_classes), dtype=bool)
    if smoothgrad_every_class:
        done[:] = True
    else:
        done[np.arange(count), predicted] = done[np.arange(count), labels] = True
    images, asked = np.nonzero(done)  # the pairs, image by image
    smooth = np.zeros((count, num_classes, *x.shape[1:3]), dtype=x.dtype)
    smooth[images, asked] = largest_over_channels(
        smoothgrad(model, x[images], asked, samples=smoothgrad_samples))
    return {
        "saliency": per_class(largest_over_channels(saliency(model, repeated, classes))),
        "smoothgrad": smooth,
        "smoothgrad_done": done,
        "occlusion": occlusion_maps(model, x, patch=patch, stride=stride),
        "gradcam": [per_class(cams) for cams in grad_cams(model, repeated, classes, cam_layers)]
        if cam_layers else [],
    }


def quantized(maps, signed=False):
    """maps (N, K, ...) -> (bytes (N, K, ...) uint8 or int8, scales (N, K) float): each map
    divided by its own largest magnitude (0 for an all-zero map)."""
    axes = tuple(range(2, maps.ndim))
    scales = np.abs(maps).max(axis=axes).astype(np.float64)
    safe = np.where(scales > 0, scales, 1.0).reshape(*scales.shape, *([1] * len(axes)))
    levels = 127 if signed else 255
    q = np.rint(maps / safe * levels).astype(np.int8 if signed else np.uint8)
    return q, scales
