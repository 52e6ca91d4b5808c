"""Grad-CAM: where in the image a convolution layer saw the evidence for a class.

Take a layer whose output is a stack of feature maps A (H_l, W_l, C_l), by default the last one
that has such an output. For class k with logit z_k (see logits.py), Selvaraju et al. (2017):
    alpha[c]  = (1 / (H_l*W_l)) sum_{y, x} dz_k / dA[y, x, c]     how much map c matters to k
    cam[y, x] = ReLU( sum_c alpha[c] * A[y, x, c] )                  where those maps fire
The ReLU keeps only the places that speak for class k. dz_k/dA comes from the model's own
backward pass, started from dL/dz = onehot(k): what the layers reading A hand back to it,
added up where A feeds several (a branch), as the engine adds them. The class activation map
of Zhou et al. (2016) is a special case: when A feeds GlobalAveragePooling2D and then the
Dense layer of the logits, dz_k/dA[y, x, c] = W[c, k] / (H_l*W_l) at every pixel, and
Grad-CAM = ReLU(sum_c W[c, k] A[y, x, c]) / (H_l*W_l).

The maps are coarse (3x3 at the study model's last Conv2D, for 28x28 images). ``resize_heatmap``
stretches them onto the image by bilinear interpolation, pixel centres on pixel centres (output
pixel i samples the map at (i + 0.5) * h / H - 0.5): a map pixel stands for the middle of the
region it sees, which is roughly where its receptive field is centred.

Shapes: images (N, H, W, C); A (N, H_l, W_l, C_l); alpha (N, C_l); cam (N, H_l, W_l).
"""

import numpy as np

from tinycnn.explain.inputs import checked_classes, checked_classifier, checked_images
from tinycnn.explain.leaves import leaf_layers
from tinycnn.explain.logits import CHUNK, logit_network, one_hot
from tinycnn.explain.untouched import untouched
from tinycnn.graph import InputLayer


def grad_cam(model, images, classes=None, layer=None):
    """Grad-CAM heatmaps (N, H_l, W_l), >= 0, in the units of the layer's output (not scaled).

    classes: (N,) class ids, one id for every image, or None for each image's predicted class.
    layer: a name, an index into the model's layers (a model used as a layer opened up, see
    leaves.py), or None for the last layer with a spatial output (H_l, W_l, C_l). The layer
    must be called once (a shared layer has one output per call).
    Inference mode; the model is left as it was.
    """
    return grad_cams(model, images, classes, [layer])[0]


def grad_cams(model, images, classes=None, layers=(None,)):
    """grad_cam at several layers at once, from one forward and one backward pass: a list of
    heatmaps (N, H_l, W_l), one per entry of ``layers`` (each as grad_cam's ``layer``)."""
    checked_classifier(model, "grad_cam")
    x, _ = checked_images(model, images, "grad_cam images")
    num_classes = model.output_shape[-1]
    classes = checked_classes(classes, len(x), num_classes, "grad_cam classes")
    leaves = leaf_layers(model)
    targets = [leaves[spatial_layer_index(leaves, layer, "grad_cam")] for layer in layers]
    with untouched(model), logit_network(model, "grad_cam") as network:
        # A layer with a spatial output always lies below the logits.
        target_steps = [_only_call(network, target, "grad_cam") for target in targets]
        values = [network.steps.index(step) + 1 for step in target_steps]  # the values A
        cams = [np.empty((len(x), *target.output_shape[:2]), dtype=x.dtype)
                for target in targets]
        kept = {}
        wanted = {id(step) for step in target_steps}

        def keep_maps(step, out):
            if id(step) in wanted:
                kept[id(step)] = out

        for start in range(0, len(x), CHUNK):
            logits = network.forward(x[start:start + CHUNK], watch=keep_maps)
            chosen = logits.argmax(axis=1) if classes is None else classes[start:start + CHUNK]
            arriving = gradients_arriving(network, values,
                                          one_hot(chosen, num_classes, logits.dtype))
            for cam, step, value in zip(cams, target_steps, values, strict=True):
                alpha = arriving[value].mean(axis=(1, 2))  # (n, C_l)
                cam[start:start + CHUNK] = np.maximum(
                    np.einsum("nyxc,nc->nyx", kept[id(step)], alpha), 0)
    return cams


def gradients_arriving(network, values, dout):
    """Run ``network.backward(dout)`` and return {value: dL/d(value)} for each of ``values``
    (0 is the network's input, k the output of step k-1): the sum of what the backward passes
    of the steps reading it hand back to it, added as the engine adds them (network.py), in the
    same order."""
    totals = dict.fromkeys(values)

    def add_up(step, dx):
        for read, grad in zip(step.inputs, dx if step.layer.takes_list else [dx], strict=True):
            if read in totals and grad is not None:
                totals[read] = grad if totals[read] is None else totals[read] + grad

    network.backward(dout, watch=add_up)
    return totals


def _only_call(network, layer, what):
    """The one step of ``network`` that calls ``layer``; a layer called several times (shared,
    or inside a model used twice) has one output per call, and is refused."""
    calls = [step for step in network.steps if step.layer is layer]
    if len(calls) != 1:
        raise ValueError(f"{what}: layer {layer.name!r} is called {len(calls)} times in the "
                         "model (a shared layer, or a layer of a model used twice), so it has "
                         "no one output to explain; choose a layer that is called once")
    return calls[0]


def spatial_layer_index(layers, layer, what):
    """The index in ``layers`` of ``layer`` (a name, an index, or None for the last layer with
    an (H, W, C) output), after checking that its output is such a stack of maps (an
    InputLayer's output is the model's input, not a layer's maps)."""
    spatial = [index for index, candidate in enumerate(layers)
               if len(candidate.output_shape) == 3 and not isinstance(candidate, InputLayer)]
    names = [candidate.name for candidate in layers]
    if layer is None:
        if not spatial:
            raise ValueError(f"{what}: the model has no layer with a spatial output (H, W, C) "
                             "to explain; its layers are " + ", ".join(names))
        return spatial[-1]
    if isinstance(layer, str):
        matches = [index for index, name in enumerate(names) if name == layer]
        if not matches:
            raise ValueError(f"{what}: no layer named {layer!r}; the model's layers are "
                             + ", ".join(names))
        if len(matches) > 1:
            raise ValueError(f"{what}: {len(matches)} layers are named {layer!r} (a model used "
                             "as a layer names its own layers); give the index of the one you "
                             f"mean: {', '.join(map(str, matches))}")
        index = matches[0]
    elif isinstance(layer, (int, np.integer)) and not isinstance(layer, bool):
        if not -len(layers) <= layer < len(layers):
            raise ValueError(f"{what}: layer index {layer} is out of range for "
                             f"{len(layers)} layers")
        index = int(layer) % len(layers)
    else:
        raise TypeError(f"{what}: layer must be a layer name, an index or None, got {layer!r}")
    if index not in spatial:
        shape = (None, *layers[index].output_shape)
        kind = ("is the model's input (InputLayer), not a layer's output"
                if isinstance(layers[index], InputLayer) else
                f"has output shape {shape}, not a stack of maps (N, H, W, C)")
        raise ValueError(f"{what}: layer {names[index]!r} {kind}; layers with one: "
                         + ", ".join(names[i] for i in spatial))
    return index


def resize_heatmap(heatmaps, size):
    """Bilinear resize of heatmaps (N, h, w) or (h, w) to size (H, W): (N, H, W) or (H, W).

    Pixel centres line up (output pixel i samples the map at (i + 0.5) * h / H - 0.5, clamped
    to the edges), so a constant map stays constant and a map of the same size is unchanged.
    """
    heatmaps = np.asarray(heatmaps)
    if heatmaps.ndim not in (2, 3):
        raise ValueError(f"resize_heatmap: expected heatmaps (N, h, w) or (h, w), got shape "
                         f"{heatmaps.shape}")
    out_h, out_w = (int(side) for side in size)
    if out_h < 1 or out_w < 1:
        raise ValueError(f"resize_heatmap: size must be two positive ints, got {size!r}")
    maps = heatmaps if heatmaps.ndim == 3 else heatmaps[np.newaxis]
    top, bottom, down = _sample_points(maps.shape[1], out_h)
    left, right, across = _sample_points(maps.shape[2], out_w)
    down, across = down[:, np.newaxis], across[np.newaxis, :]
    rows = maps[:, top] * (1 - down) + maps[:, bottom] * down  # (N, H, w)
    resized = rows[:, :, left] * (1 - across) + rows[:, :, right] * across  # (N, H, W)
    return resized if heatmaps.ndim == 3 else resized[0]


def _sample_points(size, out_size):
    """For each of out_size output pixels: the two neighbouring map pixels and the weight of the
    second, (lo, hi, t), so that value = (1 - t) * map[lo] + t * map[hi]."""
    position = np.clip((np.arange(out_size) + 0.5) * size / out_size - 0.5, 0, size - 1)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, size - 1)
    return lo, hi, position - lo
