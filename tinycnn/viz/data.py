"""Pictures of the data set: one image, one image of each class, how many images each class has.

Images are ``(H, W)``, ``(H, W, 1)`` or ``(H, W, 3)`` arrays (a batch is ``(N, H, W[, C])``),
labels are integer class ids ``(N,)`` and ``class_names`` has K names, one per class id.
"""

import math

import matplotlib.pyplot as plt
import numpy as np

from tinycnn.viz._output import finish_figure

TRAIN_COLOR = "skyblue"
TEST_COLOR = "lightcoral"


def show_image(ax, image, cmap="gray"):
    """Draw one image on ``ax`` with no ticks. ``image``: (H, W), (H, W, 1) or (H, W, 3); with
    another number of channels (a model's 2-channel input), their mean, in grey."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] != 3:
        image = image.mean(axis=-1)
    shown = ax.imshow(image, cmap=cmap if image.ndim == 2 else None)
    ax.set_xticks([])
    ax.set_yticks([])
    return shown


def plot_example(image, label, class_names, path=None):
    """One image titled with its class, with a colour bar of the pixel values.

    image: (H, W) or (H, W, C); label: int class id; class_names: K names.
    """
    fig, ax = plt.subplots(figsize=(4.5, 4))
    shown = show_image(ax, image)
    fig.colorbar(shown, ax=ax)
    ax.set_title(f"{class_names[int(label)]} (label {int(label)})")
    return finish_figure(fig, path)


def plot_class_examples(images, labels, class_names, path=None, ncols=5):
    """A grid with the first image of each class, titled with the class name (2x5 for 10 classes).

    images: (N, H, W) or (N, H, W, C); labels: (N,) int; class_names: K names.
    A class with no image in ``images`` gets an empty panel saying so.
    """
    labels = np.asarray(labels)
    nrows = math.ceil(len(class_names) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.2 * ncols, 2.5 * nrows), squeeze=False)
    for class_id, ax in enumerate(axes.flat):
        if class_id >= len(class_names):
            ax.axis("off")
            continue
        found = np.flatnonzero(labels == class_id)
        if len(found) == 0:
            ax.text(0.5, 0.5, "no image", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
        else:
            show_image(ax, images[found[0]])
        ax.set_title(class_names[class_id])
    fig.tight_layout()
    return finish_figure(fig, path)


def plot_class_distribution(train_labels, test_labels, class_names, path=None):
    """Two bar charts of images per class: training set in sky blue, test set in light coral.

    train_labels: (N_train,) int; test_labels: (N_test,) int; class_names: K names.
    """
    num_classes = len(class_names)
    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    panels = [
        (axes[0], train_labels, TRAIN_COLOR, "Training set"),
        (axes[1], test_labels, TEST_COLOR, "Test set"),
    ]
    for ax, labels, color, title in panels:
        counts = np.bincount(np.asarray(labels), minlength=num_classes)
        bars = ax.bar(range(num_classes), counts, color=color, edgecolor="gray")
        ax.bar_label(bars, fontsize=8)
        ax.set_xticks(range(num_classes))
        ax.set_xticklabels(class_names, rotation=45, ha="right")
        ax.set_title(f"{title}: images per class")
        ax.set_ylabel("Images")
        ax.margins(y=0.1)
    fig.tight_layout()
    return finish_figure(fig, path)
