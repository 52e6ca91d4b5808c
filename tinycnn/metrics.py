"""Classification metrics from labels and predicted probabilities (NumPy only).

Shapes: y_true, y_pred (N,) int class ids; probs (N, K); confusion matrix (K, K) with
cm[true, predicted] = number of examples.
    precision_k = cm[k, k] / sum_i cm[i, k]   (of those predicted k, the fraction that are k)
    recall_k    = cm[k, k] / sum_j cm[k, j]   (of those that are k, the fraction found)
    F1_k        = 2 * precision_k * recall_k / (precision_k + recall_k)
A class that is never predicted (or never present) gets 0 rather than a division by zero.
"""

import numpy as np


def accuracy(y_true, probs):
    """Fraction of rows whose most probable class is the true one."""
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
