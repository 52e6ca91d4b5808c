"""Pictures of predictions: an animation of test images with predicted and actual labels, and a
gallery of the mistakes the model was most sure of.

images: (N, H, W) or (N, H, W, C); y_true, y_pred: (N,) int class ids; probs: (N, K) predicted
probabilities (rows sum to 1); class_names: K names.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation

from tinycnn.viz._output import finish_figure, save_animation
from tinycnn.viz.data import show_image

WRONG_COLOR = "red"
RIGHT_COLOR = "black"


def _prediction_animation(images, y_true, y_pred, class_names, count, fps):
    count = min(count, len(images))
    if count == 0:
        raise ValueError("no images to animate")
    fig, ax = plt.subplots(figsize=(4.5, 4.8))
    shown = show_image(ax, images[0])
    title = ax.set_title("")
    counter = fig.text(0.5, 0.02, "", ha="center", fontsize=9, color="gray")

    def draw_image(index):
        image = np.asarray(images[index])
        if image.ndim == 3 and image.shape[-1] == 1:
            image = image[..., 0]
        shown.set_data(image)
        predicted = class_names[int(y_pred[index])]
        actual = class_names[int(y_true[index])]
        wrong = int(y_pred[index]) != int(y_true[index])
        title.set_text(f"Predicted: {predicted} / Actual: {actual}")
        title.set_color(WRONG_COLOR if wrong else RIGHT_COLOR)
        counter.set_text(f"test image {index + 1} of {count}")
        return [shown, title, counter]

    draw_image(0)  # so the figure shown before the animation runs is the first frame
    fig.subplots_adjust(left=0.05, right=0.95, bottom=0.08, top=0.9)
    anim = FuncAnimation(fig, draw_image, frames=count, interval=1000 / fps, repeat=True)
    return fig, anim


def make_prediction_animation(images, y_true, y_pred, class_names, count=20, fps=2.0):
    """The first ``count`` images, one a frame, titled "Predicted: X / Actual: Y" (red if wrong).

    Returns the FuncAnimation (``HTML(anim.to_jshtml())`` in a notebook).
    """
    return _prediction_animation(images, y_true, y_pred, class_names, count, fps)[1]


def animate_predictions(
    images, y_true, y_pred, class_names, gif_path=None, html_path=None, count=20, fps=2.0
):
    """Write the prediction animation (``min(count, N)`` frames) as a GIF and/or HTML player.

    Returns ``{"gif": Path, "html": Path}`` for the files written.
    """
    fig, anim = _prediction_animation(images, y_true, y_pred, class_names, count, fps)
    return save_animation(anim, fig, gif_path, html_path, fps=fps, title="Predictions")


def most_confident_mistakes(y_true, probs, count=16):
    """Indices of the wrong predictions with the highest predicted probability, most sure first.

    y_true: (N,) int; probs: (N, K). Returns (M,) int with M <= count.
    """
    probs = np.asarray(probs)
    predicted = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    wrong = np.flatnonzero(predicted != np.asarray(y_true))
    order = np.argsort(-confidence[wrong], kind="stable")
    return wrong[order[:count]]


def plot_confident_mistakes(images, y_true, probs, class_names, count=16, ncols=8, path=None):
    """A gallery of the ``count`` most confident mistakes, each titled in red with the predicted
    class (and its probability), the true class and the image's index in ``images``.
    """
    probs = np.asarray(probs)
    chosen = most_confident_mistakes(y_true, probs, count)
    if len(chosen) == 0:
        fig, ax = plt.subplots(figsize=(6, 2))
        ax.text(0.5, 0.5, "No mistakes: every prediction is right.", ha="center", va="center")
        ax.axis("off")
        return finish_figure(fig, path)
    ncols = min(ncols, len(chosen))
    nrows = math.ceil(len(chosen) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(1.9 * ncols, 2.4 * nrows + 0.4), squeeze=False, layout="constrained"
    )
    for ax in axes.flat[len(chosen):]:
        ax.axis("off")
    for ax, index in zip(axes.flat, chosen, strict=False):
        show_image(ax, images[index])
        predicted = int(probs[index].argmax())
        ax.set_title(
            f"{class_names[predicted]} ({probs[index, predicted]:.0%})\n"
            f"true: {class_names[int(y_true[index])]} (#{index})",
            color=WRONG_COLOR,
            fontsize=9,
        )
    fig.suptitle("Most confident mistakes: predicted (probability) and true class")
    return finish_figure(fig, path)
