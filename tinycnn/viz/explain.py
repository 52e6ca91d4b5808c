"""Where the network looks: test images beside what each explanation says about them.

One row per image: the image (titled with the true and the predicted class), then one column
per method, each for the predicted class k (a wrong prediction shows what misled the model):
    saliency     |dz_k/dx|, the largest over the channels: the pixels that move k's score most.
                 On a black background it follows which input of each max-pool window won a
                 tie, and looks like noise; the next three columns check it
    grad_cam     where a conv layer (by default the last) saw evidence for k, over the image
    smoothgrad   |dz_k/dx| averaged over 25 noisy copies of the image (less speckle)
    integrated_gradients  |x * mean dz_k/dx on the path from black|: each pixel's share of the
                 change of z_k from a black image (zero where the image is black)
    occlusion    the drop of p_k when a 4x4 patch of the image's mean hides the pixel, over
                 the image: red where hiding costs k evidence, blue where it helps k
The maps come from tinycnn/explain/; each panel is scaled to its own maximum (|maximum| for
occlusion), so panels show where, not how much. A map that is zero everywhere would show as an
empty panel: it says why instead (Grad-CAM keeps only evidence *for* k; with none at its layer,
the map is 0).

images: (N, H, W) or (N, H, W, C) in the model's input scale; labels: (N,) int class ids;
class_names: K names.
"""

import matplotlib.pyplot as plt
import numpy as np

from tinycnn.explain import (
    class_logits,
    grad_cam,
    integrated_gradients,
    occlusion,
    resize_heatmap,
    saliency,
    smoothgrad,
)
from tinycnn.layers.activations import softmax
from tinycnn.viz._output import finish_figure
from tinycnn.viz.data import show_image
from tinycnn.viz.predictions import RIGHT_COLOR, WRONG_COLOR, most_confident_mistakes

METHODS = ("saliency", "smoothgrad", "integrated_gradients", "occlusion", "grad_cam")
# saliency and Grad-CAM first, where they always were; then the three that check them.
DEFAULT_METHODS = ("saliency", "grad_cam", "smoothgrad", "integrated_gradients", "occlusion")

# What an all-zero map of each method means, written on its panel instead of a blank.
NO_EVIDENCE = "no positive evidence\nat this layer"
ALL_ZERO = {
    "saliency": "zero gradient:\nno pixel moves z_k",
    "smoothgrad": "zero gradient:\nno pixel moves z_k",
    "integrated_gradients": "zero attributions:\nz_k as at black",
    "occlusion": "no patch changes p_k\n(p_k saturated)",
    "grad_cam": NO_EVIDENCE,
}


def explanation_examples(labels, probs, correct=3, wrong=3):
    """Indices of the first ``correct`` right predictions, then the ``wrong`` most confident
    mistakes: (M,) int. labels: (N,); probs: (N, K)."""
    labels = np.asarray(labels)
    right = np.flatnonzero(np.asarray(probs).argmax(axis=1) == labels)[:correct]
    return np.concatenate([right, most_confident_mistakes(labels, probs, wrong)]).astype(int)


def explanation_maps(model, x, method, layer=None):
    """One method's maps for images x (M, H, W, C) and their predicted classes: (M, H, W),
    the numbers each panel shows (before scaling)."""
    if method == "saliency":
        return np.abs(saliency(model, x)).max(axis=-1)
    if method == "smoothgrad":
        return np.abs(smoothgrad(model, x)).max(axis=-1)
    if method == "integrated_gradients":
        return np.abs(integrated_gradients(model, x)).max(axis=-1)
    if method == "occlusion":
        return occlusion(model, x)
    return resize_heatmap(grad_cam(model, x, layer=layer), x.shape[1:3])


def plot_explanations(model, images, labels, class_names, path=None, correct=3, wrong=3,
                      layer=None, methods=DEFAULT_METHODS):
    """Rows of the image and one panel per method (see the module docstring) for a few right
    predictions and the most confident mistakes.

    layer: Grad-CAM's layer, named in its column's title (default: the last with a spatial
    output). methods: which columns, in order, from METHODS.
    """
    methods = tuple(methods)
    unknown = [method for method in methods if method not in METHODS]
    if unknown or not methods:
        raise ValueError(f"plot_explanations: methods must be some of {', '.join(METHODS)}; "
                         f"got {methods!r}")
    images = np.asarray(images)
    x = images[..., np.newaxis] if images.ndim == 3 else images
    probs = softmax(class_logits(model, x).astype(np.float64))
    chosen = explanation_examples(labels, probs, correct, wrong)
    if len(chosen) == 0:
        raise ValueError("plot_explanations: no images to show (correct=0 and no mistakes?)")
    shown = x[chosen]
    maps = {method: explanation_maps(model, shown, method, layer) for method in methods}
    columns = 1 + len(methods)
    fig, axes = plt.subplots(len(chosen), columns, figsize=(2.2 * columns, 2.3 * len(chosen) + 0.6),
                             squeeze=False, layout="constrained")
    for row, index in enumerate(chosen):
        predicted = int(probs[index].argmax())
        wrong_one = predicted != int(labels[index])
        show_image(axes[row, 0], shown[row])
        axes[row, 0].set_title(f"#{index} true: {class_names[int(labels[index])]}\npredicted: "
                               f"{class_names[predicted]} ({probs[index, predicted]:.0%})",
                               color=WRONG_COLOR if wrong_one else RIGHT_COLOR, fontsize=9)
        for ax, method in zip(axes[row, 1:], methods, strict=True):
            _draw(ax, method, maps[method][row], shown[row])
    for ax, method in zip(axes[0, 1:], methods, strict=True):
        ax.set_title(_heading(method, layer), fontsize=9)
    fig.suptitle("Where the network looks, for the predicted class k")
    return finish_figure(fig, path)


def _draw(ax, method, heatmap, image):
    """One panel: heatmap (H, W) drawn as its method's column draws it, or a note if it is
    zero everywhere."""
    if method == "occlusion":  # signed: red, hiding costs k evidence; blue, hiding helps k
        show_image(ax, image)
        ax.imshow(_signed_overlay(heatmap))
    elif method == "grad_cam":
        show_image(ax, image)
        ax.imshow(_overlay(_scaled(heatmap)))
    else:
        show_image(ax, _scaled(heatmap), cmap="hot")
    if not np.max(np.abs(heatmap)) > 0:  # nothing to show: say why, not a blank
        ax.text(0.5, 0.5, ALL_ZERO[method], transform=ax.transAxes, ha="center", va="center",
                fontsize=8, color="white",
                bbox={"facecolor": "black", "alpha": 0.6, "edgecolor": "none"})


def _heading(method, layer):
    """The column's title: the method and what its panel shows."""
    if method == "grad_cam":
        if layer is None:
            return "Grad-CAM"
        return f"Grad-CAM at {layer}" if isinstance(layer, str) else f"Grad-CAM at layer {layer}"
    return {"saliency": "saliency |dz/dx|",
            "smoothgrad": "SmoothGrad |dz/dx|\n(25 noisy copies)",
            "integrated_gradients": "integrated gradients\n|x * mean dz/dx|",
            "occlusion": "occlusion: drop of p_k\n(red: hiding hurts k)"}[method]


def _overlay(heatmap):
    """heatmap (H, W) in [0, 1] as an RGBA image (H, W, 4) that hides the image below it in
    proportion to the heat: cold places stay clear."""
    colors = plt.get_cmap("jet")(heatmap)
    colors[..., 3] = 0.65 * heatmap
    return colors


def _signed_overlay(heatmap):
    """heatmap (H, W) of either sign as an RGBA image (H, W, 4): red where positive, blue where
    negative, as opaque as |value| / max |value|: zero stays clear."""
    signed = _scaled(np.abs(heatmap)) * np.sign(heatmap)  # in [-1, 1]
    colors = plt.get_cmap("RdBu_r")((signed + 1) / 2)
    colors[..., 3] = 0.8 * np.abs(signed)
    return colors


def _scaled(heatmap):
    """heatmap / its maximum, in [0, 1] (all zeros stay zeros)."""
    top = float(np.max(heatmap))
    return heatmap / top if top > 0 else np.zeros_like(heatmap)
