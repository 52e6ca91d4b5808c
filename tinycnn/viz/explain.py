"""Where the network looks: test images beside their saliency maps and Grad-CAM heatmaps.

One row per image: the image (titled with the true and the predicted class), its saliency map
(|dz_k/dx|, the largest over the channels: bright pixels move the predicted class's score the
most) and its Grad-CAM heatmap laid over the image (red: where a conv layer, by default the
last, saw the evidence). k is the predicted class, so a wrong prediction shows what misled the
model. The maps come from tinycnn/explain/ (saliency.py, grad_cam.py); each is scaled to its own
maximum.

images: (N, H, W) or (N, H, W, C) in the model's input scale; labels: (N,) int class ids;
class_names: K names.
"""

import matplotlib.pyplot as plt
import numpy as np

from tinycnn.explain import class_logits, grad_cam, resize_heatmap, saliency
from tinycnn.layers.activations import softmax
from tinycnn.viz._output import finish_figure
from tinycnn.viz.data import show_image
from tinycnn.viz.predictions import RIGHT_COLOR, WRONG_COLOR, most_confident_mistakes


def explanation_examples(labels, probs, correct=3, wrong=3):
    """Indices of the first ``correct`` right predictions, then the ``wrong`` most confident
    mistakes: (M,) int. labels: (N,); probs: (N, K)."""
    labels = np.asarray(labels)
    right = np.flatnonzero(np.asarray(probs).argmax(axis=1) == labels)[:correct]
    return np.concatenate([right, most_confident_mistakes(labels, probs, wrong)]).astype(int)


# Grad-CAM keeps only evidence *for* the class (ReLU of the weighted maps): where the chosen
# layer saw none, the map is all zero, which would show as an empty panel.
NO_EVIDENCE = "no positive evidence\nat this layer"


def plot_explanations(model, images, labels, class_names, path=None, correct=3, wrong=3,
                      layer=None):
    """Rows of image | saliency | Grad-CAM for a few right predictions and the most confident
    mistakes. ``layer``: Grad-CAM's layer, named in its column's title (default: the last
    with a spatial output)."""
    images = np.asarray(images)
    x = images[..., np.newaxis] if images.ndim == 3 else images
    probs = softmax(class_logits(model, x).astype(np.float64))
    chosen = explanation_examples(labels, probs, correct, wrong)
    if len(chosen) == 0:
        raise ValueError("plot_explanations: no images to show (correct=0 and no mistakes?)")
    shown = x[chosen]
    maps = np.abs(saliency(model, shown)).max(axis=-1)
    cams = resize_heatmap(grad_cam(model, shown, layer=layer), shown.shape[1:3])
    fig, axes = plt.subplots(len(chosen), 3, figsize=(6.6, 2.3 * len(chosen) + 0.5),
                             squeeze=False, layout="constrained")
    for row, index in enumerate(chosen):
        predicted = int(probs[index].argmax())
        wrong_one = predicted != int(labels[index])
        image_ax, saliency_ax, cam_ax = axes[row]
        show_image(image_ax, shown[row])
        image_ax.set_title(f"#{index} true: {class_names[int(labels[index])]}\npredicted: "
                           f"{class_names[predicted]} ({probs[index, predicted]:.0%})",
                           color=WRONG_COLOR if wrong_one else RIGHT_COLOR, fontsize=9)
        show_image(saliency_ax, _scaled(maps[row]), cmap="hot")
        show_image(cam_ax, shown[row])
        cam_ax.imshow(_overlay(_scaled(cams[row])))
        if not np.max(cams[row]) > 0:  # ReLU(sum) was 0 everywhere: say so, not a blank
            cam_ax.text(0.5, 0.5, NO_EVIDENCE, transform=cam_ax.transAxes, ha="center",
                        va="center", fontsize=8, color="white",
                        bbox={"facecolor": "black", "alpha": 0.6, "edgecolor": "none"})
    fig.suptitle("Where the network looks: saliency and Grad-CAM for the predicted class")
    cam_heading = "Grad-CAM"
    if layer is not None:  # a name, or an index into the layers
        cam_heading += f" at {layer}" if isinstance(layer, str) else f" at layer {layer}"
    for ax, heading in zip(axes[0, 1:], ("saliency |dz/dx|", cam_heading), strict=True):
        ax.set_title(heading, fontsize=9)
    return finish_figure(fig, path)


def _overlay(heatmap):
    """heatmap (H, W) in [0, 1] as an RGBA image (H, W, 4) that hides the image below it in
    proportion to the heat: cold places stay clear."""
    colors = plt.get_cmap("jet")(heatmap)
    colors[..., 3] = 0.65 * heatmap
    return colors


def _scaled(heatmap):
    """heatmap / its maximum, in [0, 1] (all zeros stay zeros)."""
    top = float(np.max(heatmap))
    return heatmap / top if top > 0 else np.zeros_like(heatmap)
