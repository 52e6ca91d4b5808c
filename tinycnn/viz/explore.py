"""The explorer: one page to click inside a trained network, opened from disk in a browser.

    explore(model, images, labels, out)        ->  out/explorer.html
    python -m tinycnn explore MODEL.npz --out DIR [--images 100]

The page shows a grid of the images (true and predicted class, mistakes marked); for the one
picked, every layer's output, as feature maps or bars; a click on a unit shows how the model
computed it, with the model's own numbers:
    Conv2D               its window in the layer below lights up; the kernel, the products,
                         their sum, the bias, z and the activation
    MaxPool2D / AveragePooling2D   the window and its winner (or its mean)
    BatchNormalization   the moving mean and variance, gamma, beta and the result
    Dense                the largest products, their sum, the bias, z and the activation;
                         the last layer shows the logits and the probabilities as bars
and, for the picked image and a class chosen on the page, its saliency map, SmoothGrad,
Grad-CAM at a layer chosen on the page, and its occlusion map (explorer_maps.py).

Everything the page shows is computed here, by the model (explorer_model.py): the page redoes
one unit's arithmetic from the layer below's outputs and the weights, in float64, beside the
model's own output for that unit, so the two can be compared. The page is one HTML file with
its script, its style and its data inside (tinycnn/viz/explorer/ holds the first two): no
server, no network.

Shapes: images (N, H, W, C), or (N, H, W) for a grayscale model, in the model's input scale;
labels (N,) class ids.
"""

import json
import re
from importlib import resources
from pathlib import Path

import numpy as np

from tinycnn.explain.inputs import checked_classes, checked_classifier, checked_images
from tinycnn.explain.leaves import leaf_layers, leaf_steps
from tinycnn.explain.logits import class_logits
from tinycnn.layers.activations import softmax
from tinycnn.viz.explorer_maps import explorer_explanations, quantized, spatial_layers
from tinycnn.viz.explorer_model import describe_calls, encoded, layer_outputs

MAX_IMAGES = 1000  # every image's outputs go into the page: past this it grows too large


def explore(model, images, labels, out, class_names=None, filename="explorer.html",
            smoothgrad_samples=25, smoothgrad_every_class=False, occlusion_patch=4,
            occlusion_stride=2, title=None):
    """Write the explorer page for ``model`` and ``images`` (with their true ``labels``) into
    the folder ``out``; returns the page's path. class_names: K names (default "0" ... "K-1").
    The explanations are computed as tinycnn.smoothgrad(samples=smoothgrad_samples) and
    tinycnn.occlusion(patch=occlusion_patch, stride=occlusion_stride) compute them, SmoothGrad
    for each image's predicted and true class only unless ``smoothgrad_every_class``
    (explorer_maps.py). The model is left as it was."""
    checked_classifier(model, "explore")
    x, _ = checked_images(model, images, "explore images")
    if not 1 <= len(x) <= MAX_IMAGES:
        raise ValueError(f"explore: expected 1 to {MAX_IMAGES} images, got {len(x)}")
    num_classes = model.output_shape[-1]
    labels = checked_classes(labels, len(x), num_classes, "explore labels")
    if labels is None:
        raise ValueError("explore: labels are needed (the true class of every image)")
    class_names = _class_names(class_names, num_classes)

    logits = class_logits(model, x)
    probs = softmax(logits.astype(np.float64))
    values = layer_outputs(model, x)
    flat = leaf_steps(model)  # every layer call, models used as layers opened up
    calls, weights = describe_calls(flat)
    leaves = leaf_layers(model)
    cam_layers = spatial_layers(leaves, flat)
    maps = explorer_explanations(model, x, probs.argmax(axis=1), labels, cam_layers,
                                 smoothgrad_samples, smoothgrad_every_class, occlusion_patch,
                                 occlusion_stride)
    data = {
        "title": title or f"Inside {model.name}",
        "dtype": np.dtype(model.dtype).name,
        "class_names": class_names,
        "values": [{"shape": list(value.shape[1:])} for value in values],
        "calls": calls,
        "weights": {key: {"shape": list(array.shape), "data": encoded(array)}
                    for key, array in weights.items()},
        "cam_layers": [{"name": leaves[index].name, "output": _output_of(leaves[index], flat)}
                       for index in cam_layers],
        "settings": {"smoothgrad_samples": smoothgrad_samples,
                     "occlusion_patch": occlusion_patch, "occlusion_stride": occlusion_stride},
        "images": _images(x, labels, logits, probs, values, maps),
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    page = out / filename
    page.write_text(_page(data), encoding="utf-8")
    return page


def _images(x, labels, logits, probs, values, maps):
    """One dict per image: its labels, logits, probabilities, thumbnail, every value the model
    computed (one compressed block) and its explanation maps (another)."""
    thumbnails = _thumbnails(x)
    quantized_maps = {name: quantized(maps[name], signed=name == "occlusion")
                      for name in ("saliency", "smoothgrad", "occlusion")}
    cams = [quantized(cam) for cam in maps["gradcam"]]
    images = []
    for n in range(len(x)):
        parts = [quantized_maps[name][0][n].ravel().view(np.uint8)
                 for name in ("saliency", "smoothgrad", "occlusion")]
        parts += [q[n].ravel() for q, _ in cams]
        images.append({
            "label": int(labels[n]),
            "predicted": int(probs[n].argmax()),
            "logits": [float(v) for v in logits[n]],
            "probs": [float(v) for v in probs[n]],
            "thumbnail": encoded(thumbnails[n]),
            "values": encoded(np.concatenate([value[n].ravel() for value in values])),
            "maps": encoded(np.concatenate(parts)),
            "scales": {**{name: quantized_maps[name][1][n].tolist() for name in quantized_maps},
                       "gradcam": [scales[n].tolist() for _, scales in cams]},
            "smoothgrad_done": maps["smoothgrad_done"][n].tolist(),
        })
    return images


def _thumbnails(x):
    """x (N, H, W, C) -> (N, H, W, 3) uint8 for the grid: grey from one channel, colour from
    three, each scaled from the images' smallest value to their largest."""
    picture = x if x.shape[-1] == 3 else np.repeat(x[..., :1], 3, axis=-1)
    low, high = float(picture.min()), float(picture.max())
    scaled = (picture - low) / (high - low) if high > low else np.zeros_like(picture)
    return np.rint(scaled * 255).astype(np.uint8)


def _output_of(layer, flat):
    """The value number of the output of ``layer``'s (only) call among the calls ``flat``."""
    return next(number for number, (called, _) in enumerate(flat, start=1) if called is layer)


def _class_names(class_names, num_classes):
    if class_names is None:
        return [str(k) for k in range(num_classes)]
    names = [str(name) for name in class_names]
    if len(names) != num_classes:
        raise ValueError(f"explore class_names: the model has {num_classes} classes, got "
                         f"{len(names)} names")
    return names


def _page(data):
    """The page: the template with its style, script and data put in, each where the template
    says /*STYLE*/, /*SCRIPT*/ and /*DATA*/ (in the template only: not again inside them)."""
    folder = resources.files("tinycnn.viz") / "explorer"
    # A "<" in the data (a layer's name) could end the <script> element that holds it; JSON
    # may write it as \u003c, and JSON has no "<" outside its strings.
    parts = {"STYLE": (folder / "explorer.css").read_text(encoding="utf-8"),
             # units.js (the step-by-step views) first: explorer.js ends by starting the page
             "SCRIPT": "\n".join((folder / name).read_text(encoding="utf-8")
                                 for name in ("units.js", "explorer.js")),
             "DATA": json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")}
    template = (folder / "page.html").read_text(encoding="utf-8")
    return re.sub(r"/\*(STYLE|SCRIPT|DATA)\*/", lambda match: parts[match.group(1)], template)
