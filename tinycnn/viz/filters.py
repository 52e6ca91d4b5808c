"""What the convolution layers learned: the first layer's filters, and the feature maps every
Conv2D layer produces for one image.

A model here is a tinycnn model, a Sequential or a functional one: the feature maps come from
one forward pass on its engine, whose ``watch`` hook sees every layer call, the layers of a
model used as a layer included (tinycnn/explain/leaves.py), branches and shared layers too.
"""

import math
from collections import Counter

import matplotlib.pyplot as plt
import numpy as np

from tinycnn.explain.inputs import checked_model
from tinycnn.explain.leaves import opened_up
from tinycnn.explain.untouched import untouched
from tinycnn.viz._output import finish_figure
from tinycnn.viz.data import show_image


def _filter_image(weights, index):
    """Filter ``index`` of W (KH, KW, C_in, F) as an image scaled to [0, 1]: (KH, KW) for one
    input channel (or the mean over many), (KH, KW, 3) for a colour input.
    """
    kernel = weights[:, :, :, index]
    if kernel.shape[-1] == 3:
        image = kernel
    else:
        image = kernel.mean(axis=-1)
    low, high = image.min(), image.max()
    # A constant filter (e.g. all weights zero) would divide by zero; show it as mid grey.
    if high - low < 1e-12:
        return np.full(image.shape, 0.5)
    return (image - low) / (high - low)


def plot_filters(weights, path=None, ncols=8, title="First-layer filters"):
    """Every filter of a Conv2D layer as a small grey image (dark = low weight, light = high).

    weights: (KH, KW, C_in, F), e.g. ``model.get_layer("conv2d").params["W"]`` (a functional
    model's ``layers[0]`` is its InputLayer, with no weights). Each filter is scaled to
    its own range; with C_in other than 1 or 3 the mean over input channels is shown.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 4:
        raise ValueError(f"weights must be (KH, KW, C_in, F), got shape {weights.shape}")
    num_filters = weights.shape[-1]
    ncols = min(ncols, num_filters)
    nrows = math.ceil(num_filters / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.3 * nrows + 0.6), squeeze=False)
    for ax in axes.flat[num_filters:]:
        ax.axis("off")
    for index, ax in enumerate(axes.flat[:num_filters]):
        show_image(ax, _filter_image(weights, index))
        ax.set_title(str(index + 1), fontsize=8)
    kh, kw, c_in, _ = weights.shape
    fig.suptitle(f"{title}: {num_filters} filters of {kh}x{kw}x{c_in}")
    fig.tight_layout()
    return finish_figure(fig, path)


def conv_feature_maps(model, image):
    """Run one image through the model (inference mode) and keep every Conv2D call's output.

    image: (H, W) or (H, W, C). Returns a list of ``(layer, maps)`` with maps (H_out, W_out, F),
    in the order the model runs them; a Conv2D called several times (shared) gives one entry
    per call.
    """
    checked_model(model, "conv_feature_maps")
    x = np.asarray(image, dtype=model.dtype)
    if x.ndim == 2:
        x = x[:, :, None]
    outputs = []

    def keep_conv_maps(step, out):
        if type(step.layer).__name__ == "Conv2D":
            outputs.append((step.layer, np.array(out[0])))  # a copy: the engine's are read-only

    with untouched(model), opened_up(model) as network:
        network.forward(x[None], watch=keep_conv_maps)
    return outputs


def plot_feature_maps(model, image, path=None, max_maps=16, ncols=8):
    """The input image, then the first ``max_maps`` feature maps of each Conv2D layer.

    image: (H, W) or (H, W, C) in the model's input scale (e.g. pixels / 255).
    Each map gets its own colour scale (bright = strong activation).
    """
    outputs = conv_feature_maps(model, image)
    if not outputs:
        raise ValueError("the model has no Conv2D layer")
    rows_per_layer = [math.ceil(min(maps.shape[-1], max_maps) / ncols) for _, maps in outputs]
    height_ratios = [1.4] + rows_per_layer
    fig = plt.figure(figsize=(1.3 * ncols, 1.5 * sum(height_ratios) + 0.5), layout="constrained")
    panels = fig.subfigures(len(height_ratios), 1, height_ratios=height_ratios)

    input_ax = panels[0].subplots()
    show_image(input_ax, image)
    panels[0].suptitle("Input image", fontsize=10)

    calls = Counter(id(layer) for layer, _ in outputs)
    seen = Counter()
    for panel, rows, (layer, maps) in zip(panels[1:], rows_per_layer, outputs, strict=True):
        seen[id(layer)] += 1
        call = f", call {seen[id(layer)]} of {calls[id(layer)]}" if calls[id(layer)] > 1 else ""
        shown = min(maps.shape[-1], max_maps)
        axes = panel.subplots(rows, ncols, squeeze=False)
        for ax in axes.flat[shown:]:
            ax.axis("off")
        for channel, ax in enumerate(axes.flat[:shown]):
            show_image(ax, maps[:, :, channel], cmap="viridis")
        height, width, num_maps = maps.shape
        panel.suptitle(
            f"{layer.name} ({type(layer).__name__}{call}): output {height}x{width}x{num_maps}, "
            f"first {shown} of {num_maps} maps",
            fontsize=10,
        )
    return finish_figure(fig, path)
