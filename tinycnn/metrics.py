"""Classification metrics from labels and predicted probabilities (NumPy only), and the
metrics compile takes (the objects live in metric_objects.py).

Shapes: y_true, y_pred (N,) int class ids; probs (N, K); confusion matrix (K, K) with
cm[true, predicted] = number of examples.
    precision_k = cm[k, k] / sum_i cm[i, k]   (of those predicted k, the fraction that are k)
    recall_k    = cm[k, k] / sum_j cm[k, j]   (of those that are k, the fraction found)
    F1_k        = 2 * precision_k * recall_k / (precision_k + recall_k)
A class that is never predicted (or never present) gets 0 rather than a division by zero.
"""

import numpy as np

from tinycnn.metric_objects import (  # noqa: F401 (tinycnn.metrics.Precision, as keras.metrics)
    AUC,
    BY_NAME,
    CLASSES,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    Mean,
    MeanAbsoluteError,
    MeanMetricWrapper,
    MeanSquaredError,
    Metric,
    Precision,
    Recall,
    RootMeanSquaredError,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    get,
    mean_absolute_error,
    mean_squared_error,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)

# The names compile takes (and a model file holds): "accuracy" and "acc", which Keras resolves
# from the shapes (see _accuracy), and Keras's names of the metric classes.
METRIC_NAMES = sorted({"accuracy", "acc", *BY_NAME} - {"mean", "Mean"})
# The classes whose objects a model file holds as {"class": name, "config": get_config()}.
SAVED_CLASSES = {cls.__name__: cls for cls in CLASSES if cls is not Mean}
# What to use instead of a metric whose targets are not the loss's.
_OTHER_KIND = {SparseCategoricalAccuracy: "use 'accuracy'", CategoricalAccuracy: "use 'accuracy'",
               SparseTopKCategoricalAccuracy: "use TopKCategoricalAccuracy",
               TopKCategoricalAccuracy: "use SparseTopKCategoricalAccuracy",
               BinaryAccuracy: "use 'accuracy'"}


def check_metrics(metrics, targets, what="metrics", units=None):
    """The Metric objects for compile(metrics=...) (or ``weighted_metrics``), one for each
    entry, named as Keras names them: a name gives a new object logged under that name ("acc"
    logs "acc"), an object is used as it is (logged under its ``name``), a class is made with
    its defaults, a function f(y_true, y_pred) is averaged under its own name. ``targets``:
    what the loss takes (its ``targets``: "class ids", "one-hot", "binary", "values");
    ``units``: the model's number of outputs K, if known, which "accuracy" depends on."""
    if metrics is None:
        return []
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)):
        raise TypeError(f"compile: {what} should be a list of names or metric objects, such "
                        f"as ['accuracy'], got {metrics!r}")
    return [_metric(metric, targets, units) for metric in metrics]


def _accuracy(name, targets, units):
    """Keras's pick for "accuracy" (compile_utils.get_metric), logged under the name given:
    BinaryAccuracy for a model with one output, SparseCategoricalAccuracy for class ids,
    else CategoricalAccuracy (so a multi-label model of K > 1 sigmoids gets the latter, as in
    Keras). Before the model's outputs are known, binary cross-entropy is taken to have one."""
    if units == 1 or (units is None and targets == "binary"):
        return BinaryAccuracy(name=name)
    if targets == "class ids":
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def _metric(metric, targets, units):
    if isinstance(metric, str) and metric.lower() in ("accuracy", "acc"):
        return _accuracy(metric, targets, units)
    if isinstance(metric, str):
        if metric not in BY_NAME:
            raise ValueError(f"compile: unknown metric {metric!r}: tinycnn knows "
                             f"{METRIC_NAMES}")
        made = get(metric)
        made.name = metric
    else:
        made = get(metric)
        if not isinstance(made, Metric):  # a function: its mean, under its name
            made = MeanMetricWrapper(made, name=getattr(made, "__name__", None))
    if type(made) is Mean:
        raise ValueError(f"compile: metric {made.name!r} is a Mean, which averages the values "
                         "you give it (update_state(values)); compile's metrics compare "
                         "y_true with y_pred")
    if made.targets is not None and (made.targets == "class ids") != (targets == "class ids"):
        hint = _OTHER_KIND.get(type(made), "train on one-hot targets (categorical_crossentropy)"
                               " to use it: it compares y_true with y_pred entry by entry")
        raise ValueError(f"compile: metric {made.name!r} takes {made.targets} targets, but the "
                         f"loss takes {targets} targets; {hint}")
    return made


def saved_form(given, made):
    """How a model file holds one of compile's metrics: a name as it was given (compile
    resolves it again on load), else {"class": ..., "config": made.get_config()} for an
    object of one of tinycnn's metric classes; None for what it cannot hold (a function, a
    metric class of your own)."""
    if isinstance(given, str):
        return given
    if SAVED_CLASSES.get(type(made).__name__) is type(made):
        return {"class": type(made).__name__, "config": made.get_config()}
    return None


def from_saved_form(entry):
    """A metric for compile from what ``saved_form`` wrote: the name, or a new object."""
    if isinstance(entry, str):
        return entry
    return SAVED_CLASSES[entry["class"]](**entry["config"])


def log_names(metrics, weighted_metrics=()):
    """The names the metrics are logged under, as Keras's: a name already taken gets "_1",
    "_2", ...; a weighted metric whose name is taken is "weighted_<name>"."""
    taken = {}
    names = [_unique(metric.name, taken) for metric in metrics]
    for metric in weighted_metrics:
        name = metric.name if metric.name not in taken else f"weighted_{metric.name}"
        names.append(_unique(name, taken))
    return names


def _unique(name, taken):
    if name not in taken:
        taken[name] = 1
        return name
    index = taken[name]
    taken[name] += 1
    return f"{name}_{index}"


def accuracy(y_true, probs):
    """Fraction of rows whose most probable class is the true one; y_true (N,) class ids or
    (N, K) one-hot targets."""
    if y_true.ndim == 2:
        y_true = np.argmax(y_true, axis=1)
    return float(np.mean(np.argmax(probs, axis=1) == y_true))


def confusion_matrix(y_true, y_pred, num_classes):
    """(K, K) int64 counts, rows = true class, columns = predicted class."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ in shape")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= num_classes):
            raise ValueError(f"{name}: class ids must lie in [0, {num_classes}), got "
                             f"[{y.min()}, {y.max()}]")
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _safe_divide(a, b):
    return np.divide(a, b, out=np.zeros(a.shape, dtype=float), where=b != 0)


def precision_recall_f1(cm):
    """Per-class (precision, recall, f1, support), each (K,), from a confusion matrix (K, K)."""
    cm = np.asarray(cm, dtype=float)
    hits = np.diag(cm)
    precision = _safe_divide(hits, cm.sum(axis=0))
    recall = _safe_divide(hits, cm.sum(axis=1))
    f1 = _safe_divide(2 * precision * recall, precision + recall)
    return precision, recall, f1, cm.sum(axis=1).astype(np.int64)
