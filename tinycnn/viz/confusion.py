"""The confusion matrix as a seaborn heatmap (counting is done elsewhere, e.g. tinycnn.metrics)."""

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from tinycnn.viz._output import finish_figure


def plot_confusion_matrix(matrix, class_names, path=None, title="Confusion matrix"):
    """Heatmap of a confusion matrix in reds, each cell annotated with its count.

    matrix: (K, K) int, ``matrix[i, j]`` = images of true class i predicted as class j (a float
    matrix, e.g. row-normalised, is annotated with two decimals);
    class_names: K names, used on both axes.
    """
    matrix = np.asarray(matrix)
    num_classes = len(class_names)
    if matrix.shape != (num_classes, num_classes):
        expected = (num_classes, num_classes)
        raise ValueError(f"matrix has shape {matrix.shape}, expected {expected}")
    # Counts print as integers; a normalised (float) matrix prints with two decimals.
    number_format = "d" if np.issubdtype(matrix.dtype, np.integer) else ".2f"
    fig, ax = plt.subplots(figsize=(10, 8))
    sns.heatmap(
        matrix, annot=True, fmt=number_format, cmap="Reds", ax=ax,
        xticklabels=class_names, yticklabels=class_names,
        linewidths=0.5, linecolor="white", cbar_kws={"label": "Images"},
    )
    ax.set_xlabel("Predicted class")
    ax.set_ylabel("True class")
    ax.set_title(title)
    plt.setp(ax.get_xticklabels(), rotation=45, ha="right")
    plt.setp(ax.get_yticklabels(), rotation=0)
    fig.tight_layout()
    return finish_figure(fig, path)
