"""The Fashion-MNIST study, end to end, with tinycnn alone: the Keras notebook, section by section.

    python examples/fashion_mnist.py         # the full study: 20 epochs (the notebook: 0.9058)
    python examples/fashion_mnist.py --subset 2000 --epochs 1 --out /tmp/quick  # a quick look

Every figure, animation and table goes into --out (default outputs/), numbered by section, and
report.html there shows them all on one page with the run's settings and timings. The script
ends by printing the test accuracy, so it doubles as a smoke test. Cells are marked with
``# %%`` so editors (VS Code, Spyder, Jupytext) can run it like a notebook.
"""

# %% Imports. Plots go straight to files: pick the Agg backend before tinycnn.viz loads pyplot.
import argparse
import json
import platform
import sys
import time
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

matplotlib.use("Agg")
from tinycnn import viz  # noqa: E402  (after the backend is chosen)

CLASS_NAMES = fashion_mnist.CLASS_NAMES
VALIDATION_SPLIT = 0.2
ANIMATED_PREDICTIONS = 20  # the notebook animated the first 20 test images
MIN_SUBSET = 10  # validation_split=0.2 must leave images on both sides


# %% The command line.
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
        prog="fashion_mnist.py",
        description="Train the Keras notebook's CNN on Fashion-MNIST with tinycnn and write "
                    "every figure, animation and table of the study, plus report.html, into "
                    "--out. Ends by printing the test accuracy.",
        epilog="Quick look: --subset 2000 --epochs 1 (well under a minute). The full default "
               "run (60,000 images, 20 epochs) takes several minutes.",
    )
    parser.add_argument("--epochs", type=int_at_least(1), default=20,
                        help="passes over the training images (default: %(default)s)")
    parser.add_argument("--batch-size", type=int_at_least(1), default=32,
                        help="images per Adam step (default: %(default)s)")
    parser.add_argument("--subset", type=int_at_least(MIN_SUBSET), default=None, metavar="N",
                        help=f"train on the first N training images only (at least {MIN_SUBSET};"
                             f" {VALIDATION_SPLIT:.0%}% of them are held out for validation) and "
                             "evaluate on the first N/6 test images, keeping the data set's "
                             "6:1 train:test ratio (default: all 60,000 and all 10,000)")
    parser.add_argument("--out", type=Path, default=Path("outputs"),
                        help="folder for every output file (default: %(default)s)")
    parser.add_argument("--seed", type=int_at_least(0), default=0,
                        help="fixes the initial weights and the shuffling, so a rerun gives the "
                             "same numbers (default: %(default)s)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="a folder holding the four Fashion-MNIST IDX files (plain or .gz);"
                             " searched first, before $TINYCNN_DATA_DIR, the user cache, "
                             "/usr/share/datasets/fashion-mnist and a download")
    parser.add_argument("--no-download", action="store_true",
                        help="never download the data set; fail if no folder has it")
    parser.add_argument("--patience", type=int_at_least(1), default=None, metavar="N",
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


# %% The notebook's callback: it kept every epoch's logs (and here, how long each epoch took).
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


def build_model(seed):
    """The notebook's CNN: Conv 32 -> pool -> Conv 64 -> pool -> Conv 128 -> Dense 128 -> 10."""
    model = tinycnn.Sequential([
        Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
        MaxPool2D(2),
        Conv2D(64, 3, activation="relu"),
        MaxPool2D(2),
        Conv2D(128, 3, activation="relu"),
        Flatten(),
        Dense(128, activation="relu"),
        Dense(10, activation="softmax"),
    ], seed=seed)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


class UsageError(Exception):
    """A command-line value that only turns out wrong once the data is loaded."""


def heading(title):
    print(f"\n=== {title} ===")


def run(args):
    out = args.out
    timings = {}
    sections = {}  # report heading -> the files of that section, in order
    started = time.perf_counter()

    # %% 1. Load and normalise the data; one example image with its label.
    heading("1. Data")
    clock = time.perf_counter()
    (x_train_raw, y_train), (x_test_raw, y_test) = fashion_mnist.load_data(
        args.data_dir, download=not args.no_download)
    x_train = fashion_mnist.normalize_images(x_train_raw)  # uint8 (N, 28, 28) -> float32 /255
    x_test = fashion_mnist.normalize_images(x_test_raw)
    timings["load data"] = time.perf_counter() - clock
    print(f"Training set shape: {x_train_raw.shape}")
    print(f"Test set shape: {x_test_raw.shape}")
    print(f"Classes: {', '.join(CLASS_NAMES)}")
    viz.plot_example(x_train[100], y_train[100], CLASS_NAMES, path=out / "01_example.png")
    sections["1. Data"] = ["01_example.png"]

    # %% 2. One image of each class.
    viz.plot_class_examples(x_train, y_train, CLASS_NAMES, path=out / "02_class_examples.png")
    sections["2. One image of each class"] = ["02_class_examples.png"]

    # %% 3. The combined dataset summary: images per class in each split.
    heading("3. Dataset summary")
    summary = fashion_mnist.class_counts(y_train, y_test)
    print(summary.to_string())
    print(f"{'all':<12}{summary['train'].sum():>6}{summary['test'].sum():>6}"
          f"{summary['total'].sum():>7}")
    summary.to_csv(out / "03_dataset_summary.csv")
    sections["3. Dataset summary"] = ["03_dataset_summary.csv"]

    # %% 4. Data exploration: basic statistics and the class distribution.
    heading("4. Data exploration")
    stats = pd.DataFrame(
        {"images": [len(x) for x in (x_train, x_test)],
         "height": [x.shape[1] for x in (x_train, x_test)],
         "width": [x.shape[2] for x in (x_train, x_test)],
         "pixel_min": [float(x.min()) for x in (x_train, x_test)],
         "pixel_max": [float(x.max()) for x in (x_train, x_test)],
         "pixel_mean": [float(x.mean()) for x in (x_train, x_test)],
         "pixel_std": [float(x.std()) for x in (x_train, x_test)]},
        index=pd.Index(["train", "test"], name="split"))
    stats = stats.round(4)
    print(stats.to_string())
    stats.to_csv(out / "04_statistics.csv")
    viz.plot_class_distribution(y_train, y_test, CLASS_NAMES,
                                path=out / "04_class_distribution.png")
    sections["4. Data exploration"] = ["04_statistics.csv", "04_class_distribution.png"]

    # %% The subset to train and evaluate on (everything, unless --subset).
    if args.subset is not None:
        if args.subset > len(x_train):
            raise UsageError(f"--subset {args.subset}: the training set has only "
                             f"{len(x_train)} images")
        test_count = max(1, args.subset * len(x_test) // len(x_train))
        x_train, y_train = x_train[:args.subset], y_train[:args.subset]
        x_test, y_test = x_test[:test_count], y_test[:test_count]
        print(f"\n--subset {args.subset}: training on the first {len(x_train)} training images"
              f" ({int(len(x_train) * (1 - VALIDATION_SPLIT))} to fit, the rest to validate),"
              f" testing on the first {len(x_test)} test images")
    timings["data plots"] = time.perf_counter() - clock - timings["load data"]

    # %% 5. The model, exactly the notebook's architecture.
    heading("5. Model")
    model = build_model(args.seed)
    summary_text = model.summary()
    (out / "05_model_summary.txt").write_text(summary_text + "\n", encoding="utf-8")
    sections["5. Model"] = ["05_model_summary.txt"]

    # %% 6. Training: Adam, batch 32, 20% of the training images held out for validation.
    # The notebook kept the last epoch's weights, after val_loss had climbed for 14 epochs;
    # keeping the epoch with the best val_accuracy instead is the obvious improvement.
    heading("6. Training")
    recorder = TrainingHistory()
    best = EarlyStopping(monitor="val_accuracy", patience=args.patience or args.epochs,
                         restore_best_weights=not args.keep_last)
    clock = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
              validation_split=VALIDATION_SPLIT, callbacks=[recorder, best], verbose=1)
    timings["training"] = time.perf_counter() - clock
    history = recorder.frame()
    tested_epoch = len(history) if args.keep_last else best.best_epoch + 1
    print(f"Testing the weights of epoch {tested_epoch} "
          f"(val_accuracy {history['val_accuracy'][tested_epoch - 1]:.4f}"
          f"{', the best' if not args.keep_last else ', the last'})")
    timings["mean epoch"] = float(history["seconds"].mean())
    print(history.round(4).to_string(index=False))
    history.to_csv(out / "06_history.csv", index=False)
    (out / "06_history.json").write_text(
        json.dumps(history.to_dict(orient="list"), indent=2) + "\n", encoding="utf-8")
    model.save(out / "model.npz")

    clock = time.perf_counter()
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=256)
    probs = model.predict(x_test, batch_size=256)
    timings["evaluation"] = time.perf_counter() - clock
    print(f"Test loss: {test_loss:.4f}, test accuracy: {test_accuracy:.4f} "
          f"({len(x_test)} test images)")
    test_result = {"test_loss": float(test_loss), "test_accuracy": float(test_accuracy),
                   "test_images": len(x_test), "weights_of_epoch": tested_epoch}
    (out / "06_test_metrics.json").write_text(json.dumps(test_result, indent=2) + "\n",
                                              encoding="utf-8")
    (out / "06_test_metrics.txt").write_text(
        f"test loss: {test_loss:.4f}\ntest accuracy: {test_accuracy:.4f}\n"
        f"test images: {len(x_test)}\nweights of epoch: {tested_epoch}\n", encoding="utf-8")
    sections["6. Training"] = ["06_history.csv", "06_test_metrics.txt"]

    # %% 7. The training history: the four curves against the epoch.
    clock = time.perf_counter()
    viz.plot_history(history, path=out / "07_training_history.png")
    sections["7. Training history"] = ["07_training_history.png"]

    # %% 8. The same curves growing epoch by epoch (GIF and an HTML player, same stem).
    if not args.no_animations:
        viz.animate_history(history, out / "08_training.gif", out / "08_training.html")
        sections["8. Training, animated"] = ["08_training.gif"]

    # %% 9. Predictions on the test set: the most probable class of each image.
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
    sections["9. Predictions"] = ["09_predictions.csv"]

    # %% 10. An animation of predictions: wrong ones titled in red.
    if not args.no_animations:
        viz.animate_predictions(x_test, y_test, y_pred, CLASS_NAMES, out / "10_predictions.gif",
                                out / "10_predictions.html", count=ANIMATED_PREDICTIONS)
        sections["10. Predictions, animated"] = ["10_predictions.gif"]

    # %% 11. The confusion matrix (rows: true class, columns: predicted class).
    matrix = confusion_matrix(y_test, y_pred, len(CLASS_NAMES))
    viz.plot_confusion_matrix(matrix, CLASS_NAMES, path=out / "11_confusion_matrix.png")
    matrix_table = pd.DataFrame(matrix, index=pd.Index(CLASS_NAMES, name="true / predicted"),
                                columns=CLASS_NAMES)
    matrix_table.to_csv(out / "11_confusion_matrix.csv")
    sections["11. Confusion matrix"] = ["11_confusion_matrix.png", "11_confusion_matrix.csv"]

    # %% 12. The network, drawn with Graphviz from the model itself.
    heading("12. Network")
    drawing = viz.draw_network(model, out / "12_network", title="Fashion-MNIST CNN")
    print("Wrote " + ", ".join(path.name for path in drawing.files.values()))
    if drawing.message:
        print(drawing.message)
    sections["12. Network"] = [path.name for path in drawing.files.values()
                               if path.suffix == ".png"]

    # %% Beyond the notebook: what the filters learned, and what each conv layer sees.
    viz.plot_filters(model.layers[0].params["W"], path=out / "13_filters.png")
    viz.plot_feature_maps(model, x_test[0], path=out / "14_feature_maps.png")
    sections["Beyond: filters and feature maps"] = ["13_filters.png", "14_feature_maps.png"]

    # %% Beyond the notebook: the mistakes the model was most sure of.
    viz.plot_confident_mistakes(x_test, y_test, probs, CLASS_NAMES,
                                path=out / "15_confident_mistakes.png")
    sections["Beyond: most confident mistakes"] = ["15_confident_mistakes.png"]

    # %% Beyond the notebook: precision, recall and F1 of each class.
    heading("Per-class precision, recall and F1")
    precision, recall, f1, support = precision_recall_f1(matrix)
    per_class = pd.DataFrame({"precision": precision, "recall": recall, "f1": f1,
                              "support": support},
                             index=pd.Index(CLASS_NAMES, name="class"))
    print(per_class.round(4).to_string())
    per_class.round(4).to_csv(out / "16_per_class_metrics.csv")
    sections["Beyond: per-class precision, recall and F1"] = ["16_per_class_metrics.csv"]
    timings["plots and animations"] = time.perf_counter() - clock

    # %% The report: every file above on one page, with the settings and timings.
    timings["total"] = time.perf_counter() - started
    settings = {
        "command": " ".join(["fashion_mnist.py", *sys.argv[1:]]),
        "epochs": args.epochs,
        "batch size": args.batch_size,
        "validation split": VALIDATION_SPLIT,
        "optimizer": "Adam (defaults)",
        "seed": args.seed,
        "training images (fit + validation)": len(x_train),
        "test images": len(x_test),
        "test loss": round(float(test_loss), 4),
        "test accuracy": round(float(test_accuracy), 4),
        "weights tested": f"epoch {tested_epoch} of {len(history)}"
                          f" ({'last' if args.keep_last else 'best val_accuracy'})",
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
    }
    report = viz.build_report(out, settings=settings, timings=timings,
                              sections=list(sections.items()), captions=captions,
                              title="Fashion-MNIST with tinycnn")
    print(f"\nReport: {report}")
    print(f"Test accuracy: {test_accuracy:.4f}")
    return test_accuracy


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        args.out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        parser.error(f"--out {args.out}: cannot create the folder ({error.strerror})")
    try:
        run(args)
    except UsageError as error:
        parser.error(str(error))
    except DatasetError as error:
        print(f"{parser.prog}: error: {error}", file=sys.stderr)
        if isinstance(error, DatasetNotFoundError):
            hint = "on the command line, pass --data-dir FOLDER"
            if args.no_download:
                hint += ", or leave out --no-download"
            print(f"{parser.prog}: {hint}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
