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
    Accuracy,
    CategoricalAccuracy,
    Mean,
    MeanMetricWrapper,
    Metric,
    Precision,
    Recall,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    categorical_accuracy,
    get,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)

# The metric names a model file holds (saving/config.py), all of them accuracy: "accuracy" and
# "acc" take class ids or one-hot targets alike; the other two only the kind their name says.
ACCURACY_NAMES = {"accuracy": None, "acc": None, "sparse_categorical_accuracy": True,
                  "categorical_accuracy": False}
# What to use instead of a metric whose targets are not the loss's.
_OTHER_KIND = {SparseCategoricalAccuracy: "use 'accuracy'", CategoricalAccuracy: "use 'accuracy'",
               SparseTopKCategoricalAccuracy: "use TopKCategoricalAccuracy",
               TopKCategoricalAccuracy: "use SparseTopKCategoricalAccuracy"}


def check_metrics(metrics, sparse, what="metrics"):
    """The Metric objects for compile(metrics=...) (or ``weighted_metrics``), one for each
    entry, named as Keras names them: a name gives a new object logged under that name ("acc"
    logs "acc"), an object is used as it is (logged under its ``name``), a class is made with
    its defaults, a function f(y_true, y_pred) is averaged under its own name. ``sparse``:
    whether the loss takes class ids (True) or one-hot targets."""
    if metrics is None:
        return []
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)):
        raise TypeError(f"compile: {what} should be a list of names or metric objects, such "
                        f"as ['accuracy'], got {metrics!r}")
    return [_metric(metric, sparse) for metric in metrics]


def _metric(metric, sparse):
    if isinstance(metric, str) and metric.lower() in ("accuracy", "acc"):
        # Keras picks the kind from the targets, and logs it under the name given
        made = (SparseCategoricalAccuracy if sparse else CategoricalAccuracy)(name=metric)
    elif isinstance(metric, str):
        if metric not in BY_NAME:
            raise ValueError(f"compile: unknown metric {metric!r}: tinycnn knows "
                             f"{sorted({'acc', *BY_NAME} - {'mean', 'Mean'})}")
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
    if made.targets is not None and (made.targets == "class ids") != sparse:
        loss_targets = "class ids" if sparse else "one-hot"
        hint = _OTHER_KIND.get(type(made), "train on one-hot targets (categorical_crossentropy)"
                               " to use it: it compares y_true with y_pred entry by entry")
        raise ValueError(f"compile: metric {made.name!r} takes {made.targets} targets, but the "
                         f"loss takes {loss_targets} targets; {hint}")
    return made


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
