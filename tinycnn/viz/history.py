"""Training curves: the history plot, and the same curves growing epoch by epoch as an animation.

A history is what ``fit`` returns, as Keras has it: a ``History`` object, its ``.history`` dict
of equal-length lists (``{"loss": [...], "accuracy": [...], "val_loss": [...], ...}``, one value
per epoch), or a pandas DataFrame with one column per metric (and optionally an ``epoch``
column; otherwise epochs are numbered from 1).
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.animation import FuncAnimation
from matplotlib.ticker import MaxNLocator

from tinycnn.viz._output import finish_figure, save_animation

# The notebook's animation called val_loss "Validation Accuracy"; each curve gets its own name.
CURVE_LABELS = {
    "loss": "Training loss",
    "accuracy": "Training accuracy",
    "acc": "Training accuracy",
    "val_loss": "Validation loss",
    "val_accuracy": "Validation accuracy",
    "val_acc": "Validation accuracy",
}
# Loss in blue, accuracy in orange; training solid, validation dashed.
CURVE_STYLES = {
    "loss": ("C0", "-"),
    "accuracy": ("C1", "-"),
    "acc": ("C1", "-"),
    "val_loss": ("C0", "--"),
    "val_accuracy": ("C1", "--"),
    "val_acc": ("C1", "--"),
}


def history_frame(history) -> pd.DataFrame:
    """The history as a DataFrame indexed by epoch (1, 2, ...), one numeric column per metric."""
    history = getattr(history, "history", history)
    frame = pd.DataFrame(history).copy()
    if "epoch" in frame.columns:
        frame = frame.set_index("epoch")
    else:
        frame.index = np.arange(1, len(frame) + 1)
    frame.index.name = "epoch"
    frame = frame.select_dtypes("number")
    if frame.empty:
        raise ValueError("the history has no epochs or no numeric metrics")
    known = [name for name in CURVE_LABELS if name in frame.columns]
    others = [name for name in frame.columns if name not in CURVE_LABELS]
    return frame[known + others]


def _select_curves(frame: pd.DataFrame, metrics) -> pd.DataFrame:
    # By default only loss and accuracy curves: a column such as seconds per epoch would
    # otherwise squash them against the bottom of the plot.
    if metrics is None:
        metrics = [name for name in frame.columns if name in CURVE_LABELS] or list(frame.columns)
    missing = [name for name in metrics if name not in frame.columns]
    if missing:
        raise ValueError(f"not in the history: {missing}; it has {list(frame.columns)}")
    return frame[list(metrics)]


def _y_limits(frame: pd.DataFrame):
    # The notebook used [0, 1]; a loss above 1 (early epochs, short runs) would be cut off.
    top = max(1.0, 1.05 * float(np.nanmax(frame.to_numpy())))
    return 0.0, top


def _draw_axes(ax, frame: pd.DataFrame):
    lines = {}
    for name in frame.columns:
        color, style = CURVE_STYLES.get(name, (None, ":"))
        (lines[name],) = ax.plot(
            [], [], color=color, linestyle=style, marker="o", markersize=3,
            label=CURVE_LABELS.get(name, name),
        )
    first, last = frame.index[0], frame.index[-1]
    ax.set_xlim(first - 0.5, last + 0.5)
    ax.set_ylim(*_y_limits(frame))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Loss / accuracy")
    ax.grid(True, alpha=0.3)
    # Outside the axes: inside, some curve always ends up under it (val_loss climbs late).
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    return lines


def plot_history(history, path=None, ylim=None, metrics=None):
    """Loss, accuracy, val_loss and val_accuracy (whichever are present) against the epoch.

    history: dict of lists (E values each), History, or DataFrame, see the module docstring.
    ylim: (bottom, top); by default [0, 1], stretched when a value is above 1.
    metrics: the columns to draw; by default the loss and accuracy ones.
    """
    frame = _select_curves(history_frame(history), metrics)
    fig, ax = plt.subplots(figsize=(9.5, 5))
    lines = _draw_axes(ax, frame)
    for name, line in lines.items():
        line.set_data(frame.index, frame[name])
    if ylim is not None:
        ax.set_ylim(*ylim)
    ax.set_title("Training history")
    fig.tight_layout()
    return finish_figure(fig, path)


def _history_animation(history, fps, metrics):
    frame = _select_curves(history_frame(history), metrics)
    fig, ax = plt.subplots(figsize=(9.5, 5))
    lines = _draw_axes(ax, frame)
    title = ax.set_title("")
    epochs = len(frame)

    def draw_epoch(step):
        shown = frame.iloc[: step + 1]
        for name, line in lines.items():
            line.set_data(shown.index, shown[name])
        title.set_text(f"Training history: epoch {shown.index[-1]} of {frame.index[-1]}")
        return [*lines.values(), title]

    draw_epoch(0)  # so the figure shown before the animation runs is the first frame
    fig.tight_layout()
    anim = FuncAnimation(fig, draw_epoch, frames=epochs, interval=1000 / fps, repeat=True)
    return fig, anim


def make_history_animation(history, fps=2.0, metrics=None) -> FuncAnimation:
    """The history curves growing epoch by epoch, one frame per epoch (E frames).

    Display it in a notebook with ``HTML(anim.to_jshtml())``; to write files use
    ``animate_history``. history and metrics as in ``plot_history``.
    """
    return _history_animation(history, fps, metrics)[1]


def animate_history(history, gif_path=None, html_path=None, fps=2.0, metrics=None):
    """Write the growing-curves animation as a GIF and/or an HTML player (one frame per epoch).

    Returns ``{"gif": Path, "html": Path}`` for the files written.
    """
    fig, anim = _history_animation(history, fps, metrics)
    return save_animation(anim, fig, gif_path, html_path, fps=fps, title="Training history")
