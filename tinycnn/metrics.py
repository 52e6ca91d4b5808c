"""Classification metrics from labels and predicted probabilities (NumPy only).

Shapes: y_true, y_pred (N,) int class ids; probs (N, K); confusion matrix (K, K) with
cm[true, predicted] = number of examples.
    precision_k = cm[k, k] / sum_i cm[i, k]   (of those predicted k, the fraction that are k)
    recall_k    = cm[k, k] / sum_j cm[k, j]   (of those that are k, the fraction found)
    F1_k        = 2 * precision_k * recall_k / (precision_k + recall_k)
A class that is never predicted (or never present) gets 0 rather than a division by zero.
"""

import numpy as np

# The names compile(metrics=[...]) knows, all of them accuracy (Keras's names): "accuracy" and
# "acc" take class ids or one-hot targets alike; the other two only the kind their name says.
ACCURACY_NAMES = {"accuracy": None, "acc": None, "sparse_categorical_accuracy": True,
                  "categorical_accuracy": False}


def check_metrics(metrics, sparse):
    """The metric names of compile(metrics=...), as a list, each logged under the name given
    (as Keras does); ``sparse``: whether the loss takes class ids (True) or one-hot targets."""
    if metrics is None:
        return []
    if isinstance(metrics, str) or not isinstance(metrics, (list, tuple)):
        raise TypeError(f"compile: metrics should be a list of names, such as ['accuracy'], "
                        f"got {metrics!r}")
    for name in metrics:
        if not isinstance(name, str) or name not in ACCURACY_NAMES:
            raise ValueError(f"compile: unknown metric {name!r}: tinycnn knows "
                             f"{sorted(ACCURACY_NAMES)}")
        wants_sparse = ACCURACY_NAMES[name]
        if wants_sparse is not None and wants_sparse != sparse:
            raise ValueError(
                f"compile: metric {name!r} takes {'class ids' if wants_sparse else 'one-hot'} "
                f"targets, but the loss takes {'class ids' if sparse else 'one-hot'} targets; "
                "use 'accuracy'")
    return list(metrics)


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
