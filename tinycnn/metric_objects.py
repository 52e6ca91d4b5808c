"""Metrics as objects, as keras.metrics: each keeps running totals over the batches it is shown.

    m = SparseCategoricalAccuracy()
    m.update_state(y_true, y_pred)     add a batch (sample_weight (N,): how much each example
                                       counts; 1 without)
    m.result()                         the value over every batch since the last reset
    m.reset_state()                    start again (fit does it every epoch, evaluate at its start)

Means: result = sum_n w_n v_n / sum_n w_n over the examples seen, v_n the example's value:
    accuracy                      v_n = [y_true[n] == y_pred[n]]        (exact equality)
    sparse_categorical_accuracy   v_n = [argmax_k p[n, k] == y_n]       y: class ids (N,)
    categorical_accuracy          v_n = [argmax p[n] == argmax y[n]]    y: one-hot (N, K)
    (sparse_)top_k_categorical    v_n = [#{j : p[n, j] > p[n, y_n]} < k]   the true class among
                                  the k highest scores (a tie with the k-th counts as in)
    binary_accuracy               v_n = mean_k [y[n, k] == (p[n, k] > threshold)]   (0.5)
    mean_squared_error ("mse")    v_n = mean_k (p[n, k] - y[n, k])^2
    mean_absolute_error ("mae")   v_n = mean_k |p[n, k] - y[n, k]|
    root_mean_squared_error       sqrt of the mean of (p - y)^2 over every example seen
Confusion counts (Precision, Recall, AUC) over every entry of y_pred (N, K), y_true of the same
shape (one-hot); an entry is "predicted positive" when its score is > the threshold (0.5):
    precision = TP / (TP + FP)       recall = TP / (TP + FN)       (0 while nothing is counted)
    AUC: TP, FP, TN, FN at num_thresholds thresholds spread over [0, 1]; the area under the
    curve of (false-positive rate, recall) (ROC) or (recall, precision) (PR).
Sums are kept in float64 (Keras keeps float32), so results agree with Keras's to float32
rounding. ``targets`` says what a metric needs, which compile checks against the loss.
A metric's ``get_config()`` gives its constructor's arguments: ``type(m)(**m.get_config())``
is a new metric like it (what a model file and a model's copy hold).
"""

import numbers
import re

import numpy as np

from tinycnn.losses import mean_absolute_error, mean_squared_error, same_rank

NEG_INF = -1e10  # Keras's score for the entries top_k leaves out
EPSILON = 1e-7  # Keras's backend.epsilon(): AUC's outer thresholds are -eps and 1 + eps


# ---- one value per example -----------------------------------------------------------------
def accuracy(y_true, y_pred):
    """[y_true == y_pred] per entry, float (Keras's keras.metrics.accuracy)."""
    y_pred = np.asarray(y_pred)
    y_true, y_pred = same_rank(np.asarray(y_true, y_pred.dtype), y_pred)
    return (y_true == y_pred).astype(np.float64)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """[y_true == (y_pred > threshold)] per entry, float: (N, K) -> (N, K) (Keras's
    keras.metrics.binary_accuracy; y_true (N,) against y_pred (N, 1) counts as (N, 1))."""
    y_true, y_pred = same_rank(np.asarray(y_true), np.asarray(y_pred))
    return (y_true == (y_pred > threshold).astype(y_true.dtype)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred):
    """[argmax_k y_pred[n, k] == y_true[n]]: y_true (N,) or (N, 1) class ids -> (N,)."""
    y_true, y_pred = _class_ids(y_true), np.asarray(y_pred)
    return (np.argmax(y_pred, axis=-1) == y_true).astype(np.float64)


def categorical_accuracy(y_true, y_pred):
    """[argmax y_pred[n] == argmax y_true[n]]: y_true one-hot (N, K) -> (N,)."""
    return (np.argmax(y_pred, axis=-1) == np.argmax(y_true, axis=-1)).astype(np.float64)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1 where class y_true[n] is among the k highest scores of y_pred[n] (N, K), else 0;
    ``from_sorted_ids``: y_pred holds class ids, best first, instead of scores."""
    y_true, y_pred = _class_ids(y_true), np.asarray(y_pred)
    if from_sorted_ids:
        return np.any(y_pred[:, :k] == y_true[:, None], axis=1).astype(np.float64)
    return in_top_k(y_true, y_pred, k).astype(np.float64)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """sparse_top_k_categorical_accuracy with one-hot y_true (N, K)."""
    return in_top_k(np.argmax(y_true, axis=-1), np.asarray(y_pred), k).astype(np.float64)


def in_top_k(targets, predictions, k):
    """(N,) bool: whether predictions[n, targets[n]] is among the k highest of its row, as
    TensorFlow's in_top_k: fewer than k scores are above it (so ties are in), and a row with a
    NaN or infinite score is never in."""
    rows, targets = np.arange(len(targets)), np.asarray(targets).astype(np.int64)
    above = np.sum(predictions > predictions[rows, targets][:, None], axis=1)
    return (above < k) & np.all(np.isfinite(predictions), axis=1)


def _class_ids(y_true):
    y_true = np.asarray(y_true)
    return y_true[..., 0] if y_true.ndim == 2 and y_true.shape[1] == 1 else y_true


def snake_case(name):
    """Keras's to_snake_case: "TopKCategoricalAccuracy" -> "top_k_categorical_accuracy"."""
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _name(name):
    if name is not None and not isinstance(name, str):
        raise ValueError(f"metric name: expected a string, got {name!r}")
    return name


def _optional_int(value, what, low):
    """None, or an int >= low: a metric's k, top_k or class_id."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Integral)
                              or value < low):
        raise ValueError(f"{what}: expected an int >= {low}, got {value!r}")
    return value


def _flag(value, what):
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{what}: expected True or False, got {value!r}")
    return bool(value)


# ---- the metric objects --------------------------------------------------------------------
class Metric:
    """Base class: ``update_state``, ``result``, ``reset_state`` and a ``name`` (by default the
    class's in snake_case, as Keras: Precision -> "precision")."""

    # What y_true must be: "class ids" (N,), "one-hot" (N, K), "per-output" (N, K) values
    # of y_pred's shape; None: any of them.
    targets = None

    def __init__(self, name=None):
        self.name = _name(name) or snake_case(type(self).__name__)
        self.reset_state()

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        """update_state(...), then the result, as Keras's metric(y_true, y_pred)."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self):
        return {"name": self.name}

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


class Mean(Metric):
    """Mean(name="mean"): the (weighted) mean of the values given: update_state(values,
    sample_weight=None), one value per example (values (N, ...) are averaged over the rest)."""

    def __init__(self, name="mean"):
        super().__init__(name)

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        values = np.asarray(values, dtype=np.float64)
        if values.ndim > 1:
            values = values.reshape(len(values), -1).mean(axis=1)
        if sample_weight is None:
            count = len(values) if values.ndim else 1
            if count:  # the batch's mean times its size, as tinycnn always counted
                self.total += float(np.mean(values)) * count
                self.count += count
            return
        weights = np.asarray(sample_weight, dtype=np.float64)
        weights = np.broadcast_to(weights.reshape(values.shape) if weights.size == values.size
                                  else weights, values.shape)
        self.total += float(np.sum(values * weights))
        self.count += float(np.sum(weights))

    def result(self):
        return self.total / self.count if self.count else 0.0


class MeanMetricWrapper(Mean):
    """The mean of ``fn(y_true, y_pred, **kwargs)``, a function giving one value per example
    (Keras's MeanMetricWrapper); compile wraps a metric function so, named after it."""

    def __init__(self, fn, name=None, **kwargs):
        self._fn, self._fn_kwargs = fn, kwargs
        super().__init__(name or "mean_metric_wrapper")

    def update_state(self, y_true, y_pred, sample_weight=None):
        super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        return {"fn": self._fn, **super().get_config(), **self._fn_kwargs}


class MeanOf(MeanMetricWrapper):
    """A MeanMetricWrapper whose function is fixed by its class (Accuracy, BinaryAccuracy,
    ...): its constructor takes the function's settings, and so does its config."""

    def get_config(self):
        return {**Metric.get_config(self), **self._fn_kwargs}


class Accuracy(MeanOf):
    """How often y_pred equals y_true exactly (for predicted class ids, not probabilities)."""

    def __init__(self, name="accuracy"):
        super().__init__(accuracy, name)


class SparseCategoricalAccuracy(MeanOf):
    """How often the highest score is the true class; y_true: class ids (N,)."""

    targets = "class ids"

    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(sparse_categorical_accuracy, name)


class CategoricalAccuracy(MeanOf):
    """How often the highest score is the true class; y_true: one-hot (N, K)."""

    targets = "one-hot"

    def __init__(self, name="categorical_accuracy"):
        super().__init__(categorical_accuracy, name)


class SparseTopKCategoricalAccuracy(MeanOf):
    """How often the true class is among the k highest scores; y_true: class ids (N,)."""

    targets = "class ids"

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", from_sorted_ids=False):
        self.k = _optional_int(k, "SparseTopKCategoricalAccuracy k", low=1)
        self.from_sorted_ids = _flag(from_sorted_ids,
                                     "SparseTopKCategoricalAccuracy from_sorted_ids")
        super().__init__(sparse_top_k_categorical_accuracy, name, k=self.k,
                         from_sorted_ids=self.from_sorted_ids)


class TopKCategoricalAccuracy(MeanOf):
    """How often the true class is among the k highest scores; y_true: one-hot (N, K)."""

    targets = "one-hot"

    def __init__(self, k=5, name="top_k_categorical_accuracy"):
        self.k = _optional_int(k, "TopKCategoricalAccuracy k", low=1)
        super().__init__(top_k_categorical_accuracy, name, k=self.k)


class BinaryAccuracy(MeanOf):
    """How often y_pred > threshold agrees with y_true (0 or 1), entry by entry: for a
    sigmoid's outputs, the fraction of labels guessed right."""

    targets = "per-output"

    def __init__(self, name="binary_accuracy", threshold=0.5):
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real) \
                or not np.isfinite(threshold):
            raise ValueError(f"BinaryAccuracy threshold: expected a number, got {threshold!r}")
        self.threshold = threshold
        super().__init__(binary_accuracy, name, threshold=threshold)


class MeanSquaredError(MeanOf):
    """The mean of (y_pred - y_true)^2 (averaged over an example's outputs first)."""

    targets = "per-output"

    def __init__(self, name="mean_squared_error"):
        super().__init__(mean_squared_error, name)


class MeanAbsoluteError(MeanOf):
    """The mean of |y_pred - y_true| (averaged over an example's outputs first)."""

    targets = "per-output"

    def __init__(self, name="mean_absolute_error"):
        super().__init__(mean_absolute_error, name)


class RootMeanSquaredError(Mean):
    """sqrt(mean (y_pred - y_true)^2): the square root of the mean over every example seen
    (not the mean of each batch's root), in the targets' units."""

    targets = "per-output"

    def __init__(self, name="root_mean_squared_error"):
        super().__init__(name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = same_rank(np.asarray(y_true, np.float64),
                                   np.asarray(y_pred, np.float64))
        super().update_state(np.square(y_pred - y_true), sample_weight)

    def result(self):
        return float(np.sqrt(super().result()))


def confusion_counts(y_true, y_pred, thresholds, top_k=None, class_id=None,
                     sample_weight=None):
    """{"tp", "fp", "tn", "fn"}: each (T,), the (weighted) count of entries of y_pred (N, K)
    that are positive in y_true (nonzero) and above threshold t (float32, as Keras compares),
    and so on. ``top_k``: only each row's k highest scores can be positive; ``class_id``: only
    that column counts."""
    y_pred = np.asarray(y_pred, dtype=np.float32)
    y_pred, y_true = same_rank(y_pred, np.asarray(y_true))
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} should have the "
                         "same shape: these metrics compare them entry by entry (one-hot "
                         "targets (N, K) for class scores (N, K))")
    weights = np.ones(y_pred.shape) if sample_weight is None else np.broadcast_to(
        np.reshape(sample_weight, (-1,) + (1,) * (y_pred.ndim - 1)), y_pred.shape)
    if top_k is not None:
        highest = np.argsort(-y_pred, axis=-1, kind="stable")[..., :top_k]  # ties: lower index
        kept = np.zeros(y_pred.shape, dtype=bool)
        np.put_along_axis(kept, highest, True, axis=-1)
        y_pred = np.where(kept, y_pred, np.float32(NEG_INF))
    if class_id is not None:
        y_true, y_pred, weights = y_true[..., class_id], y_pred[..., class_id], \
            weights[..., class_id]
    label = y_true.reshape(-1) != 0
    weights = weights.reshape(-1).astype(np.float64)
    above = y_pred.reshape(1, -1) > np.asarray(thresholds, np.float32).reshape(-1, 1)  # (T, M)
    return {"tp": above[:, label] @ weights[label], "fp": above[:, ~label] @ weights[~label],
            "fn": ~above[:, label] @ weights[label], "tn": ~above[:, ~label] @ weights[~label]}


def _divide(a, b):
    return np.divide(a, b, out=np.zeros(np.shape(a)), where=np.asarray(b) != 0)


class _ConfusionRatio(Metric):
    """Precision and Recall: TP / (TP + FP) or TP / (TP + FN), at one threshold (a float) or
    several (an array); Keras's arguments: ``thresholds`` (default 0.5; with ``top_k``, any
    score of the top k), ``top_k``, ``class_id``."""

    targets = "one-hot"
    other = None  # "fp" or "fn": the count beside TP in the denominator

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None):
        what = type(self).__name__
        self.top_k = _optional_int(top_k, f"{what} top_k", low=1)
        self.class_id = _optional_int(class_id, f"{what} class_id", low=0)
        self.init_thresholds = thresholds
        if thresholds is None:
            self.thresholds = [0.5 if top_k is None else NEG_INF]
        else:
            values = np.atleast_1d(np.asarray(thresholds, dtype=object))
            if values.ndim != 1 or not len(values) or not all(
                    isinstance(t, numbers.Real) and not isinstance(t, bool) for t in values):
                raise ValueError(f"{what} thresholds: expected a number or a list of numbers in "
                                 f"[0, 1], got {thresholds!r}")
            self.thresholds = [float(t) for t in values]
            if not all(0 <= t <= 1 for t in self.thresholds):
                raise ValueError(f"{type(self).__name__} thresholds: expected values in "
                                 f"[0, 1], got {thresholds!r}")
        super().__init__(name)

    def reset_state(self):
        self.true_positives = np.zeros(len(self.thresholds))
        self.others = np.zeros(len(self.thresholds))

    def update_state(self, y_true, y_pred, sample_weight=None):
        counts = confusion_counts(y_true, y_pred, self.thresholds, self.top_k, self.class_id,
                                  sample_weight)
        self.true_positives += counts["tp"]
        self.others += counts[self.other]

    def result(self):
        ratio = _divide(self.true_positives, self.true_positives + self.others)
        return float(ratio[0]) if len(ratio) == 1 else ratio

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_ConfusionRatio):
    """Of the entries predicted positive, the fraction that are: TP / (TP + FP)."""

    other = "fp"


class Recall(_ConfusionRatio):
    """Of the positive entries, the fraction predicted positive: TP / (TP + FN)."""

    other = "fn"


class AUC(Metric):
    """The area under the ROC curve (``curve="PR"``: the precision-recall curve), from the
    confusion counts at ``num_thresholds`` thresholds: -eps, 1/(T-1), ..., (T-2)/(T-1), 1 + eps.
    ``summation_method``: "interpolation" (trapezoids; for PR, Keras's interpolation of
    precision), "minoring" or "majoring" (the lower or the higher end of each step).
    ``from_logits``: apply a sigmoid to y_pred first. Keras's thresholds=, multi_label=,
    num_labels= and label_weights= are not supported."""

    targets = "one-hot"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        unsupported = {"thresholds": thresholds, "multi_label": multi_label or None,
                       "num_labels": num_labels, "label_weights": label_weights}
        for argument, value in unsupported.items():
            if value is not None:
                raise ValueError(f"AUC {argument}={value!r}: tinycnn's AUC counts at "
                                 "num_thresholds evenly spread thresholds, over all entries")
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) \
                or num_thresholds < 2:
            raise ValueError(f"AUC num_thresholds: expected an int > 1, got {num_thresholds!r}")
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC curve: expected 'ROC' or 'PR', got {curve!r}")
        if str(summation_method).lower() not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC summation_method: expected 'interpolation', 'minoring' or "
                             f"'majoring', got {summation_method!r}")
        self.num_thresholds = num_thresholds
        self.from_logits = _flag(from_logits, "AUC from_logits")
        self.curve, self.summation_method = str(curve).upper(), str(summation_method).lower()
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds = [0.0 - EPSILON, *inner, 1.0 + EPSILON]
        super().__init__(name)

    def reset_state(self):
        self.counts = {key: np.zeros(self.num_thresholds) for key in ("tp", "fp", "tn", "fn")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = np.asarray(y_pred, dtype=np.float32)
        if self.from_logits:
            with np.errstate(over="ignore"):  # exp(-z) = inf for z < -88: sigmoid 0
                y_pred = 1 / (1 + np.exp(-y_pred))
        # Keras's shortcut for evenly spread thresholds, whose float32 rounding we follow: a
        # score p in [0, 1] is above thresholds 0 .. ceil(p * (T - 1)) - 1.
        y_pred = np.clip(y_pred, 0, 1)
        y_pred, y_true = same_rank(y_pred, np.asarray(y_true))
        if y_true.shape != y_pred.shape:
            raise ValueError(f"AUC: y_true {y_true.shape} and y_pred {y_pred.shape} should "
                             "have the same shape (one-hot targets for class scores)")
        weights = np.ones(y_pred.shape) if sample_weight is None else np.broadcast_to(
            np.reshape(sample_weight, (-1,) + (1,) * (y_pred.ndim - 1)), y_pred.shape)
        last = np.ceil(y_pred * np.float32(self.num_thresholds - 1)).astype(np.int64) - 1
        last = np.maximum(last, 0).reshape(-1)
        label, weights = y_true.reshape(-1) != 0, weights.reshape(-1).astype(np.float64)
        for key, mask in (("tp", label), ("fp", ~label)):
            in_bucket = np.bincount(last[mask], weights[mask], minlength=self.num_thresholds)
            above = np.cumsum(in_bucket[::-1])[::-1]  # bucket i counts for thresholds <= i
            self.counts[key] += above
            self.counts["fn" if key == "tp" else "tn"] += weights[mask].sum() - above

    def result(self):
        tp, fp, tn, fn = (self.counts[key] for key in ("tp", "fp", "tn", "fn"))
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc()
        recall = _divide(tp, tp + fn)
        x, y = (_divide(fp, fp + tn), recall) if self.curve == "ROC" else (recall,
                                                                            _divide(tp, tp + fp))
        heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
                   "majoring": np.maximum(y[:-1], y[1:])}[self.summation_method]
        return float(np.sum((x[:-1] - x[1:]) * heights))

    def _interpolated_pr_auc(self):
        """Davis & Goadrich's interpolation of precision between thresholds (Keras's
        interpolate_pr_auc): each step's area, with precision moving along the step."""
        tp, fp, fn = self.counts["tp"], self.counts["fp"], self.counts["fn"]
        dtp = tp[:-1] - tp[1:]
        predicted = tp + fp
        dp = predicted[:-1] - predicted[1:]
        slope = _divide(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * predicted[1:]
        both = (predicted[:-1] > 0) & (predicted[1:] > 0)
        ratio = np.where(both, _divide(predicted[:-1], np.maximum(predicted[1:], 0)), 1.0)
        steps = _divide(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return float(np.sum(steps))

    def get_config(self):
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "from_logits": self.from_logits}


CLASSES = (Accuracy, SparseCategoricalAccuracy, CategoricalAccuracy, TopKCategoricalAccuracy,
           SparseTopKCategoricalAccuracy, BinaryAccuracy, MeanSquaredError, MeanAbsoluteError,
           RootMeanSquaredError, Precision, Recall, AUC, Mean)
# Keras's names for them (keras.metrics.get): the class name, its snake_case, and a few more.
BY_NAME = {**{cls.__name__: cls for cls in CLASSES},
           **{snake_case(cls.__name__): cls for cls in CLASSES},
           "mse": MeanSquaredError, "MSE": MeanSquaredError, "mae": MeanAbsoluteError,
           "MAE": MeanAbsoluteError}


def get(identifier):
    """keras.metrics.get: a new metric object from its name ("precision", "Precision") or its
    class; a metric object or a function f(y_true, y_pred) as it is."""
    if isinstance(identifier, str):
        if identifier not in BY_NAME:
            raise ValueError(f"unknown metric {identifier!r}: tinycnn knows {sorted(BY_NAME)}")
        return BY_NAME[identifier]()
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, Metric) or callable(identifier):
        return identifier
    raise TypeError(f"a metric should be a name, a Metric or a function f(y_true, y_pred), "
                    f"got {identifier!r}")
