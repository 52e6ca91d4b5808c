# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Fashion-MNIST with tinycnn
#
# The study people usually do with TensorFlow/Keras, section by section, with tinycnn alone:
# load and explore the data, define and train a CNN, plot and animate the training, predict,
# draw the confusion matrix and the network; then what the Keras notebook did not show (the
# learned filters, feature maps, the most confident mistakes, per-class scores, where the
# network looks and what each layer costs).
#
# **Cell by cell:** open `fashion_mnist.ipynb` in JupyterLab, or this file,
# `fashion_mnist.py`, in VS Code or Spyder (they read its `# %%` cells). Each figure shows
# below its cell, and after each cell its variables (`x_train`, `model`, `history`, `probs`...)
# are there to look at: change a value, run the cell again.
#
# **As a script,** all at once, with the parameters on the command line (`--help` lists them):
#
#     python examples/fashion_mnist.py       # the full study: 20 epochs (Keras: 0.9058)
#     python examples/fashion_mnist.py --subset 2000 --epochs 1 --out /tmp/quick   # a quick look
#
# Either way every figure, animation and table is also written into the output folder
# (`outputs/` in the working directory), numbered by section, and `report.html` there shows
# them all on one page. The script ends by printing the test accuracy, so it doubles as a
# smoke test.

# %%
import argparse
import errno
import json
import os
import platform
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

import tinycnn
from tinycnn.callbacks import Callback, EarlyStopping
from tinycnn.datasets import fashion_mnist
from tinycnn.datasets.errors import DatasetError, DatasetNotFoundError
from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D
from tinycnn.metrics import confusion_matrix, precision_recall_f1

IN_A_NOTEBOOK = "ipykernel" in sys.modules  # a Jupyter kernel: JupyterLab, VS Code, papermill
if not IN_A_NOTEBOOK:
    matplotlib.use("Agg")  # a script writes its figures to files; pick Agg before pyplot loads
from tinycnn import viz  # noqa: E402  (after the backend is chosen)

CLASS_NAMES = fashion_mnist.CLASS_NAMES
VALIDATION_SPLIT = 0.2
ANIMATED_PREDICTIONS = 20  # the Keras notebook animated the first 20 test images
EXPLORED = 100  # test images in the explorer page (every layer's output of each is in it)

# %% [markdown]
# Helpers that are not part of the story (JupyterLab shows the cell collapsed: click its dots to
# open it): reading the command line when this runs as a script, checking that the output folder
# can be written, showing a written figure below its cell, timing a step for the report, and
# stopping with a clear message.

# %% jupyter={"source_hidden": true}
PROG = "fashion_mnist.py"
MIN_SUBSET = 10  # validation_split=0.2 must leave images on both sides
PARAMETERS = ["EPOCHS", "BATCH_SIZE", "SUBSET", "OUT", "SEED", "DATA_DIR", "NO_DOWNLOAD",
              "NO_ANIMATIONS", "PATIENCE", "KEEP_LAST"]  # one per option: --batch-size, ...


def this_file_is_the_program():
    """True for ``python fashion_mnist.py ...`` (or IPython's ``%run``): the command line is ours.

    Not in a notebook: its kernel was started with a command line of its own
    (``ipykernel_launcher -f connection.json``), which must not be read as our options.
    """
    this_file = globals().get("__file__")
    program = sys.argv[0] if sys.argv else ""
    return this_file is not None and Path(program).resolve() == Path(this_file).resolve()


AS_A_SCRIPT = this_file_is_the_program()


def int_at_least(minimum):
    """An argparse type: a whole number >= ``minimum``, or a one-line error."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def make_parser():
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Train the Keras notebook's CNN on Fashion-MNIST with tinycnn and write "
                    "every figure, animation and table of the study, plus report.html, into "
                    "--out. Ends by printing the test accuracy.",
        epilog="Quick look: --subset 2000 --epochs 1 (well under a minute). The full default "
               "run (60,000 images, 20 epochs) takes several minutes.",
    )
    parser.add_argument("--epochs", type=int_at_least(1),
                        help="passes over the training images (default: %(default)s)")
    parser.add_argument("--batch-size", type=int_at_least(1),
                        help="images per Adam step (default: %(default)s)")
    parser.add_argument("--subset", type=int_at_least(MIN_SUBSET), metavar="N",
                        help=f"train on the first N training images only (at least {MIN_SUBSET};"
                             f" {VALIDATION_SPLIT:.0%}% of them are held out for validation) and "
                             "evaluate on the first N/6 test images, keeping the data set's "
                             "6:1 train:test ratio (default: all 60,000 and all 10,000)")
    parser.add_argument("--out", type=Path,
                        help="folder for every output file (default: %(default)s)")
    parser.add_argument("--seed", type=int_at_least(0),
                        help="fixes the initial weights and the shuffling, so a rerun gives the "
                             "same numbers (default: %(default)s)")
    parser.add_argument("--data-dir", type=Path,
                        help="a folder holding the four Fashion-MNIST IDX files (plain or .gz);"
                             " searched first, before $TINYCNN_DATA_DIR, the user cache, "
                             "/usr/share/datasets/fashion-mnist and a download")
    parser.add_argument("--no-download", action="store_true",
                        help="never download the data set; fail if no folder has it")
    parser.add_argument("--patience", type=int_at_least(1), metavar="N",
                        help="stop early when val_accuracy has not improved for N epochs "
                             "(default: train every epoch, as the notebook did)")
    parser.add_argument("--keep-last", action="store_true",
                        help="test the weights of the last epoch, as the notebook did; by "
                             "default the weights of the epoch with the best val_accuracy are "
                             "restored first (the validation images choose, never the test set)")
    parser.add_argument("--no-animations", action="store_true",
                        help="skip the training and prediction animations (GIF + HTML), "
                             "the slowest plots")
    return parser


def read_command_line(defaults):
    """The parameters given on the command line, ``{"EPOCHS": 1, ...}``; the parameters cell's
    values (``defaults``) stand for the options left out. A bad option exits with status 2 and
    one line naming it, as argparse does."""
    parser = make_parser()
    parser.set_defaults(**{name.lower(): defaults[name] for name in PARAMETERS})
    args = parser.parse_args()
    return {name: getattr(args, name.lower()) for name in PARAMETERS}


def writable_folder(folder):
    """Make ``folder`` (and its parents) and prove that a file can be written in it; return it
    as a Path. If not, ``stop`` (status 2, as for a bad option) before any data is loaded.

    Proved by writing, not asked with ``os.access``: that says yes to root in a read-only
    folder, and a full disk only shows when bytes are written. The probe is a new hidden file,
    deleted at once, so the files already in the folder stay as they are."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-") as probe:
            probe.write(b"tinycnn")
            probe.flush()
            os.fsync(probe.fileno())  # some file systems report a full disk only here
    except OSError as error:
        stop(OSError(f"cannot write into the output folder {folder} "
                     f"({error.strerror or error})"), exit_code=2)
    return folder


# errno values that say a write was refused: a full disk or quota, a file larger than allowed,
# a read-only file system, no permission.
WRITE_REFUSED = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM}


def one_line_for_a_refused_write(kind, error, trace):
    """``sys.excepthook`` for the script: a write refused mid-run (the disk filled up after the
    output folder was checked) ends as ``stop`` ends, in one line naming the path and the
    reason, status 1. Every other exception keeps its traceback: it is a bug to look at."""
    if not (issubclass(kind, OSError) and error.errno in WRITE_REFUSED):
        sys.__excepthook__(kind, error, trace)
        return
    if error.filename:
        print(f"{PROG}: error: {error.filename}: {error.strerror}", file=sys.stderr)
    else:  # a failed write or close names no file (PIL's, for one); every output goes into OUT
        print(f"{PROG}: error: cannot write into the output folder {OUT} ({error.strerror})",
              file=sys.stderr)


if AS_A_SCRIPT:
    sys.excepthook = one_line_for_a_refused_write


def stop(error, exit_code=1):
    """A problem to fix before the study can go on. In a notebook, raise ``error``. As a script,
    print it (and a hint) as ``fashion_mnist.py: error: ...`` with no traceback and exit with
    ``exit_code`` (2 for a bad option, as argparse does)."""
    if not AS_A_SCRIPT:
        raise error
    print(f"{PROG}: error: {error}", file=sys.stderr)
    if isinstance(error, DatasetNotFoundError):
        hint = "on the command line, pass --data-dir FOLDER"
        if NO_DOWNLOAD:
            hint += ", or leave out --no-download"
        print(f"{PROG}: {hint}", file=sys.stderr)
    sys.exit(exit_code)


def show(*paths):
    """Show the figures (PNG) and animations (GIF) just written, below the cell, in a notebook.
    A script has written them to files and shows nothing."""
    if IN_A_NOTEBOOK:
        from IPython.display import Image, display

        for path in paths:
            display(Image(filename=str(path)))


def heading(title):
    print(f"\n=== {title} ===")


timings = {}  # seconds per step, for the report
started = time.perf_counter()


@contextmanager
def timed(step):
    """Time the ``with`` block into ``timings[step]``."""
    clock = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = time.perf_counter() - clock


# %% [markdown]
# ## Parameters
#
# Change a value and run the cells below again (`SUBSET = 2000` and `EPOCHS = 1` take well
# under a minute). As a script, the command line sets them: `--epochs 1 --subset 2000 --out
# /tmp/quick`, one option per name (`BATCH_SIZE` is `--batch-size`), with these values as the
# defaults. This cell is tagged `parameters`, so papermill can set them too.

# %% tags=["parameters"]
EPOCHS = 20  # passes over the training images
BATCH_SIZE = 32  # images per Adam step
SUBSET = None  # N: train on the first N training images only, test on the first N/6
OUT = "outputs"  # the folder for every figure, animation and table, and report.html
SEED = 0  # fixes the initial weights and the shuffling: a rerun gives the same numbers
DATA_DIR = None  # a folder holding the four Fashion-MNIST IDX files, searched first
NO_DOWNLOAD = False  # True: never download the data set
NO_ANIMATIONS = False  # True: skip the two animations (GIF + HTML), the slowest plots
PATIENCE = None  # N: stop early when val_accuracy has not improved for N epochs
KEEP_LAST = False  # True: test the last epoch's weights, as Keras did (default: the best)

if AS_A_SCRIPT:  # python fashion_mnist.py --epochs 1 ...: the command line overrides them
    globals().update(read_command_line(defaults=globals()))

# %% [markdown]
# ## 1. Data
#
# 60,000 training and 10,000 test images of 28x28 grey pixels, ten classes of clothing, loaded
# as Keras loads them (uint8). Dividing by 255 gives float32 pixels in [0, 1], with a channel
# axis: `(N, 28, 28, 1)`.

# %%
heading("1. Data")
out = writable_folder(OUT)  # every file of the study goes here
with timed("load data"):
    try:
        (x_train_raw, y_train), (x_test_raw, y_test) = fashion_mnist.load_data(
            DATA_DIR, download=not NO_DOWNLOAD)
    except DatasetError as error:  # not found, or a damaged file: the message says where
        stop(error)
    x_train = fashion_mnist.normalize_images(x_train_raw)  # uint8 (N, 28, 28) -> float32 /255
    x_test = fashion_mnist.normalize_images(x_test_raw)
print(f"Training set shape: {x_train_raw.shape}")
print(f"Test set shape: {x_test_raw.shape}")
print(f"Classes: {', '.join(CLASS_NAMES)}")
viz.plot_example(x_train[100], y_train[100], CLASS_NAMES, path=out / "01_example.png")
show(out / "01_example.png")

# %% [markdown]
# ## 2. One image of each class

# %%
viz.plot_class_examples(x_train, y_train, CLASS_NAMES, path=out / "02_class_examples.png")
show(out / "02_class_examples.png")

# %% [markdown]
# ## 3. Dataset summary
#
# Images per class in each split: every class has 6,000 training and 1,000 test images.

# %%
heading("3. Dataset summary")
summary = fashion_mnist.class_counts(y_train, y_test)
print(summary.to_string())
print(f"{'all':<12}{summary['train'].sum():>6}{summary['test'].sum():>6}"
      f"{summary['total'].sum():>7}")
summary.to_csv(out / "03_dataset_summary.csv")

# %% [markdown]
# ## 4. Data exploration
#
# Basic statistics of the pixels, and the class distribution of each split.

# %%
heading("4. Data exploration")
stats = pd.DataFrame(
    {"images": [len(x) for x in (x_train, x_test)],
     "height": [x.shape[1] for x in (x_train, x_test)],
     "width": [x.shape[2] for x in (x_train, x_test)],
     "pixel_min": [float(x.min()) for x in (x_train, x_test)],
     "pixel_max": [float(x.max()) for x in (x_train, x_test)],
     "pixel_mean": [float(x.mean()) for x in (x_train, x_test)],
     "pixel_std": [float(x.std()) for x in (x_train, x_test)]},
    index=pd.Index(["train", "test"], name="split")).round(4)
print(stats.to_string())
stats.to_csv(out / "04_statistics.csv")
viz.plot_class_distribution(y_train, y_test, CLASS_NAMES, path=out / "04_class_distribution.png")
show(out / "04_class_distribution.png")

# %% [markdown]
# ### The images to train and test on
#
# All of them, unless `SUBSET` is set: then the first `SUBSET` training images (20% of them
# held out for validation) and the first `SUBSET / 6` test images, the data set's 6:1 ratio.

# %%
if SUBSET is not None:
    if SUBSET > len(x_train_raw):
        stop(ValueError(f"--subset {SUBSET}: the training set has only {len(x_train_raw)} "
                        "images"), exit_code=2)
    test_count = max(1, SUBSET * len(x_test_raw) // len(x_train_raw))
    x_train, y_train = x_train[:SUBSET], y_train[:SUBSET]
    x_test, y_test = x_test[:test_count], y_test[:test_count]
    print(f"\n--subset {SUBSET}: training on the first {len(x_train)} training images"
          f" ({int(len(x_train) * (1 - VALIDATION_SPLIT))} to fit, the rest to validate),"
          f" testing on the first {len(x_test)} test images")

# %% [markdown]
# ## 5. Model
#
# Exactly the Keras notebook's architecture: three 3x3 convolutions (32, 64, 128 filters) with ReLU,
# max pooling after the first two, then a dense layer of 128 and a softmax over the 10 classes.
# `seed` fixes the initial weights and the shuffling.

# %%
heading("5. Model")
model = tinycnn.Sequential([
    Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
    MaxPool2D(2),
    Conv2D(64, 3, activation="relu"),
    MaxPool2D(2),
    Conv2D(128, 3, activation="relu"),
    Flatten(),
    Dense(128, activation="relu"),
    Dense(10, activation="softmax"),
], seed=SEED)
model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
summary_text = model.summary(print_fn=None)  # the Keras-style table, as text
(out / "05_model_summary.txt").write_text(summary_text + "\n", encoding="utf-8")
print(summary_text)

# %% [markdown]
# ## 6. Training
#
# Adam, batch 32, the last 20% of the training images held out for validation. A callback
# keeps every epoch's logs, as the Keras notebook's did, and here how long each epoch took.
#
# The Keras notebook kept the last epoch's weights, after val_loss had climbed for 14 epochs. The
# study keeps the weights of the epoch with the best val_accuracy instead (`EarlyStopping`
# with `restore_best_weights`; `KEEP_LAST = True` tests the last ones): the validation images
# choose, the test images are only used for the final figure.

# %%
class TrainingHistory(Callback):
    """Stores one row per epoch: epoch (from 1), the logged metrics, seconds."""

    def on_train_begin(self, logs=None):
        self.rows = []

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self.started
        self.rows.append({"epoch": epoch + 1, **(logs or {}), "seconds": seconds})

    def frame(self):
        return pd.DataFrame(self.rows)


# %%
heading("6. Training")
recorder = TrainingHistory()
best = EarlyStopping(monitor="val_accuracy", patience=PATIENCE or EPOCHS,
                     restore_best_weights=not KEEP_LAST)
with timed("training"):
    model.fit(x_train, y_train, epochs=EPOCHS, batch_size=BATCH_SIZE,
              validation_split=VALIDATION_SPLIT, callbacks=[recorder, best], verbose=1)
history = recorder.frame()
tested_epoch = len(history) if KEEP_LAST else best.best_epoch + 1
timings["mean epoch"] = float(history["seconds"].mean())
history.to_csv(out / "06_history.csv", index=False)
(out / "06_history.json").write_text(
    json.dumps(history.to_dict(orient="list"), indent=2) + "\n", encoding="utf-8")
model.save(out / "model.npz")
print(f"Testing the weights of epoch {tested_epoch} "
      f"(val_accuracy {history['val_accuracy'][tested_epoch - 1]:.4f}"
      f"{', the last' if KEEP_LAST else ', the best'})")
print(history.round(4).to_string(index=False))

# %% [markdown]
# The test set, seen for the first time: its loss and accuracy, and the predicted
# probabilities of each class for every test image (`probs`, shape `(N, 10)`).

# %%
with timed("evaluation"):
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=256)
    probs = model.predict(x_test, batch_size=256)
test_result = {"test_loss": float(test_loss), "test_accuracy": float(test_accuracy),
               "test_images": len(x_test), "weights_of_epoch": tested_epoch}
(out / "06_test_metrics.json").write_text(json.dumps(test_result, indent=2) + "\n",
                                          encoding="utf-8")
(out / "06_test_metrics.txt").write_text(
    f"test loss: {test_loss:.4f}\ntest accuracy: {test_accuracy:.4f}\n"
    f"test images: {len(x_test)}\nweights of epoch: {tested_epoch}\n", encoding="utf-8")
print(f"Test loss: {test_loss:.4f}, test accuracy: {test_accuracy:.4f} "
      f"({len(x_test)} test images)")

# %% [markdown]
# ## 7. The training history
#
# The four curves against the epoch. Over 20 epochs the model overfits after about epoch 6:
# val_loss climbs while the training loss keeps falling.

# %%
viz.plot_history(history, path=out / "07_training_history.png")
show(out / "07_training_history.png")

# %% [markdown]
# ## 8. The same curves, growing epoch by epoch
#
# A GIF, and an HTML player beside it (`08_training.html`) to step through the epochs.

# %%
if not NO_ANIMATIONS:
    with timed("training animation"):
        viz.animate_history(history, out / "08_training.gif", out / "08_training.html")
    show(out / "08_training.gif")

# %% [markdown]
# ## 9. Predictions
#
# The predicted class of each test image is the most probable one.

# %%
heading("9. Predictions")
y_pred = probs.argmax(axis=1)
predictions = pd.DataFrame({
    "index": np.arange(len(y_test)),
    "true": [CLASS_NAMES[label] for label in y_test],
    "predicted": [CLASS_NAMES[label] for label in y_pred],
    "confidence": probs.max(axis=1).round(4),
})
print(predictions.head(10).to_string(index=False))
predictions.to_csv(out / "09_predictions.csv", index=False)

# %% [markdown]
# ## 10. An animation of predictions
#
# The first 20 test images, titled with the predicted and the actual class (red when wrong).

# %%
if not NO_ANIMATIONS:
    with timed("prediction animation"):
        viz.animate_predictions(x_test, y_test, y_pred, CLASS_NAMES, out / "10_predictions.gif",
                                out / "10_predictions.html", count=ANIMATED_PREDICTIONS)
    show(out / "10_predictions.gif")

# %% [markdown]
# ## 11. The confusion matrix
#
# Rows: the true class; columns: the predicted class. Off the diagonal, which classes the
# model mixes up (shirts, T-shirts, pullovers and coats, mostly).

# %%
matrix = confusion_matrix(y_test, y_pred, len(CLASS_NAMES))
viz.plot_confusion_matrix(matrix, CLASS_NAMES, path=out / "11_confusion_matrix.png")
matrix_table = pd.DataFrame(matrix, index=pd.Index(CLASS_NAMES, name="true / predicted"),
                            columns=CLASS_NAMES)
matrix_table.to_csv(out / "11_confusion_matrix.csv")
show(out / "11_confusion_matrix.png")

# %% [markdown]
# ## 12. The network
#
# Drawn by Graphviz from the model itself: each layer with its output shape and parameter
# count. Without Graphviz's `dot` program only the source, `12_network.gv`, is written.

# %%
heading("12. Network")
drawing = viz.draw_network(model, out / "12_network", title="Fashion-MNIST CNN")
print("Wrote " + ", ".join(path.name for path in drawing.files.values()))
if drawing.message:
    print(drawing.message)
if "png" in drawing.files:
    show(drawing.files["png"])

# %% [markdown]
# ## Beyond the Keras notebook
#
# What the 32 filters of the first layer learned, and what each convolution layer sees of one
# test image (its feature maps).

# %%
viz.plot_filters(model.layers[0].params["W"], path=out / "13_filters.png")
viz.plot_feature_maps(model, x_test[0], path=out / "14_feature_maps.png")
show(out / "13_filters.png", out / "14_feature_maps.png")

# %% [markdown]
# The mistakes the model was most sure of.

# %%
viz.plot_confident_mistakes(x_test, y_test, probs, CLASS_NAMES,
                            path=out / "15_confident_mistakes.png")
show(out / "15_confident_mistakes.png")

# %% [markdown]
# Precision, recall and F1 of each class: how often a predicted class is right, how many of a
# class are found, and their harmonic mean.

# %%
heading("Per-class precision, recall and F1")
precision, recall, f1, support = precision_recall_f1(matrix)
per_class = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1,
                          "support": support},
                         index=pd.Index(CLASS_NAMES, name="class")).round(4)
print(per_class.to_string())
per_class.to_csv(out / "16_per_class_metrics.csv")

# %% [markdown]
# ### Where the network looks
#
# Three test images the model gets right and the three mistakes it is most sure of, each
# explained five ways for the predicted class: saliency (|dz/dx|; on the black background it
# follows max-pool tie-breaking and looks like noise), Grad-CAM at `conv2d_1` (where that layer
# saw evidence; its 11x11 maps still show where, the last conv's 3x3 would be a blur), SmoothGrad
# (saliency averaged over 25 noisy copies), integrated gradients (each pixel's share of the
# score, zero on black) and occlusion (how much hiding a 4x4 patch lowers the probability: red
# hurts the class, blue helps it). A panel whose map is zero everywhere says so.

# %%
with timed("where the network looks"):
    viz.plot_explanations(model, x_test, y_test, CLASS_NAMES, layer="conv2d_1",
                          path=out / "17_where_the_network_looks.png")
show(out / "17_where_the_network_looks.png")

# %% [markdown]
# ### Click inside the network
#
# `19_explorer.html`: one page, opened from disk in a browser (no server), for the first 100
# test images. Pick one; every layer's output for it appears. Click a unit: a conv unit lights
# up its window in the layer below and shows the kernel, the products, their sum, the bias and
# the ReLU, with the model's own numbers; a max-pool unit shows its window and the winner, the
# last layer its logits and probabilities. Saliency, SmoothGrad, Grad-CAM (at a layer you
# pick) and occlusion for a class you pick. The same page for any saved model:
# `python -m tinycnn explore model.npz --out DIR`.

# %%
with timed("explorer"):
    explorer = viz.explore(model, x_test[:EXPLORED], y_test[:EXPLORED], out,
                           class_names=CLASS_NAMES, filename="19_explorer.html")
print(f"Wrote {explorer.name} ({explorer.stat().st_size / 1e6:.1f} MB): open it in a browser")

# %% [markdown]
# ### What each layer costs
#
# Per image, the multiply-adds of each layer's forward pass and the bytes it keeps for
# backward (`model.summary(costs=True)`); then each layer's forward and backward time,
# measured on 32 test images (`tinycnn.profile`: a training step without the optimizer's
# update). The second conv layer does two thirds of the arithmetic and takes about half the
# time.

# %%
heading("What each layer costs")
costs_text = model.summary(costs=True, print_fn=None)
(out / "18_layer_costs.txt").write_text(costs_text + "\n", encoding="utf-8")
print(costs_text)
times = tinycnn.profile(model, x_test[:32], y_test[:32])  # prints its table too
costs = pd.DataFrame(tinycnn.explain.layer_costs(model))
layer_costs = costs[["name", "type", "params", "multiply_adds", "activation_bytes"]].merge(
    pd.DataFrame(times)[["name", "forward_ms", "backward_ms", "share", "gflops"]], on="name")
layer_costs.to_csv(out / "18_layer_costs.csv", index=False, float_format="%.3f")

# %% [markdown]
# ## The report
#
# Every file above on one page, `report.html` in the output folder, with the run's settings
# and timings (in a notebook, the total includes the time between cells).

# %%
timings["total"] = time.perf_counter() - started
sections = {
    "1. Data": ["01_example.png"],
    "2. One image of each class": ["02_class_examples.png"],
    "3. Dataset summary": ["03_dataset_summary.csv"],
    "4. Data exploration": ["04_statistics.csv", "04_class_distribution.png"],
    "5. Model": ["05_model_summary.txt"],
    "6. Training": ["06_history.csv", "06_test_metrics.txt"],
    "7. Training history": ["07_training_history.png"],
    "8. Training, animated": ["08_training.gif"],
    "9. Predictions": ["09_predictions.csv"],
    "10. Predictions, animated": ["10_predictions.gif"],
    "11. Confusion matrix": ["11_confusion_matrix.png", "11_confusion_matrix.csv"],
    "12. Network": [drawing.files.get("png", drawing.files["gv"]).name],
    "Beyond: filters and feature maps": ["13_filters.png", "14_feature_maps.png"],
    "Beyond: most confident mistakes": ["15_confident_mistakes.png"],
    "Beyond: per-class precision, recall and F1": ["16_per_class_metrics.csv"],
    "Beyond: where the network looks": ["17_where_the_network_looks.png"],
    "Beyond: what each layer costs": ["18_layer_costs.csv", "18_layer_costs.txt"],
    "Beyond: click inside the network": ["19_explorer.html"],
}
if NO_ANIMATIONS:
    del sections["8. Training, animated"], sections["10. Predictions, animated"]
settings = {
    "command": " ".join([PROG, *sys.argv[1:]]) if AS_A_SCRIPT else "the notebook, cell by cell",
    "epochs": EPOCHS,
    "batch size": BATCH_SIZE,
    "validation split": VALIDATION_SPLIT,
    "optimizer": "Adam (defaults)",
    "seed": SEED,
    "training images (fit + validation)": len(x_train),
    "test images": len(x_test),
    "test loss": round(float(test_loss), 4),
    "test accuracy": round(float(test_accuracy), 4),
    "weights tested": f"epoch {tested_epoch} of {len(history)}"
                      f" ({'last' if KEEP_LAST else 'best val_accuracy'})",
    "tinycnn": tinycnn.__version__,
    "Python / NumPy": f"{platform.python_version()} / {np.__version__}",
}
captions = {
    "01_example.png": "Training image 100 with its label",
    "06_history.csv": "History: one row per epoch (seconds = wall time of the epoch)",
    "08_training.gif": "Training curves, epoch by epoch",
    "10_predictions.gif": f"The first {ANIMATED_PREDICTIONS} test images: predicted and "
                          "actual class (red when wrong)",
    "12_network.png": "The network, drawn by Graphviz from the model",
    "14_feature_maps.png": "Feature maps of each Conv2D layer for test image 0",
    "17_where_the_network_looks.png": "Right predictions and the most confident mistakes: "
                                      "saliency, Grad-CAM (at conv2d_1), SmoothGrad, "
                                      "integrated gradients and occlusion for the predicted "
                                      "class",
    "18_layer_costs.csv": "Per layer: multiply-adds and bytes kept for backward, per image; "
                          "forward and backward milliseconds on 32 test images (median of 5), "
                          "share of the time, GFLOP/s",
    "18_layer_costs.txt": "model.summary(costs=True), with the totals per image",
    "19_explorer.html": f"the explorer: the first {min(EXPLORED, len(x_test))} test images, "
                        "every layer's output, how each unit was computed, and where the "
                        "network looks for a class you pick",
}
report = viz.build_report(out, settings=settings, timings=timings,
                          sections=list(sections.items()), captions=captions,
                          title="Fashion-MNIST with tinycnn", pages=["19_explorer.html"])
print(f"\nReport: {report}")
print(f"Test accuracy: {test_accuracy:.4f}")
