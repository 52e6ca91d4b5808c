"""Cross-entropy losses for classification, called as Keras calls them: ``loss(y_true, y_pred)``.

With probabilities p (N, K) and the true class y_n of each example:
    L = -(1/N) * sum_n log p[n, y_n]
    dL/dp[n, k] = -1 / (N * p[n, y_n]) if k == y_n else 0
When p = softmax(z), the two gradients combine into one exact and stable expression:
    dL/dz = (p - onehot(y)) / N
which Sequential uses: a model that ends in a softmax skips the softmax's own backward
(``gradient_wrt_logits``).

Where the loss reads log p from:
  * logits z (``from_logits=True``, or a model that ends in a softmax: Sequential hands the loss
    the scores before that softmax, as Keras does), stably and with no clipping:
        log p[n, k] = z[n, k] - max_j z[n, j] - log sum_j exp(z[n, j] - max_j z[n, j])
    so an example whose true class has probability e^-60 counts 60, not log(1e-7) = 16.1;
  * probabilities a user passes in: clipped to [eps, 1 - eps] (eps = 1e-7) so log never sees 0,
    and normalised to sum to 1, in the order Keras's TensorFlow backend does it (categorical:
    normalise, then clip; sparse: clip, then log_softmax of the logs).

sparse_categorical_crossentropy takes integer labels y_true: (N,) (or (N, 1));
categorical_crossentropy takes one-hot (or soft) targets y_true: (N, K).
The functions return one loss per example (N,); the loss objects reduce them (Keras's
"sum_over_batch_size": the mean). Both check that y_true and y_pred are what they should be,
so arguments given in the wrong order are an error, not a wrong number.
"""

import numbers

import numpy as np

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "none", None)


def log_softmax(z):
    """log softmax(z) over the last axis, computed stably: (N, K) -> (N, K)."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class CrossEntropy:
    """What both cross-entropies share; subclasses say how targets are checked and pick log p.

    ``reduction``: how ``loss(y_true, y_pred)`` turns the per-example losses into its result,
    Keras's names: "sum_over_batch_size" (or "mean": the mean), "sum", "none" (the (N,) array).
    """

    name = None
    sparse = None
    from_logits = False  # also for a subclass whose __init__ does not call ours

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__} reduction: expected one of "
                             f"{list(REDUCTIONS)}, got {reduction!r}")
        self.from_logits = bool(from_logits)
        self.reduction = reduction
        if name is not None:
            self.name = str(name)

    # ---- what Keras users call -----------------------------------------------------------
    def __call__(self, y_true, y_pred, sample_weight=None):
        """Mean loss (float) over the examples of y_true and y_pred (N, K), as Keras's
        ``loss(y_true, y_pred)``; ``sample_weight`` (N,) weighs each example's loss."""
        losses = self.per_example(y_true, y_pred)
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=np.float64)
            if weights.shape not in ((), (len(losses),)):
                raise ValueError(f"{self.name}: sample_weight should have shape "
                                 f"({len(losses)},), got {weights.shape}")
            losses = losses * weights
        if self.reduction in ("none", None):
            return losses
        total = float(np.sum(losses))
        return total if self.reduction == "sum" else total / len(losses)

    def per_example(self, y_true, y_pred):
        """One loss per example: (N,)."""
        y_true, y_pred = self.checked(y_true, y_pred)
        log_p = log_softmax(y_pred) if self.from_logits else self.log_of_probabilities(y_pred)
        return -self.picked(log_p, y_true)

    # ---- what Sequential calls ----------------------------------------------------------
    def of_logits(self, y_true, logits):
        """Mean loss (float) from logits (N, K): what a model ending in a softmax reports."""
        return float(-np.mean(self.picked(log_softmax(logits), y_true)))

    def gradient_wrt_logits(self, y_true, probs):
        """dL/dz for the logits z under probs = softmax(z): (N, K), in probs' dtype."""
        return (self.minus_targets(probs, y_true) / len(y_true)).astype(probs.dtype, copy=False)

    # ---- checks --------------------------------------------------------------------------
    def checked(self, y_true, y_pred):
        """(y_true, y_pred) as arrays, or an error that says which argument is off."""
        y_pred = np.asarray(y_pred)
        if y_pred.ndim != 2 or not np.issubdtype(y_pred.dtype, np.floating):
            raise ValueError(
                f"{self.name}: y_pred should be float scores of shape (N, K), got "
                f"{y_pred.dtype} of shape {y_pred.shape}; the order is Keras's: "
                "loss(y_true, y_pred), the targets first")
        return self.checked_targets(np.asarray(y_true), y_pred), y_pred

    def get_config(self):
        return {"name": type(self).name, "from_logits": self.from_logits}

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits})"


class SparseCategoricalCrossentropy(CrossEntropy):
    """SparseCategoricalCrossentropy(from_logits=False): y_true are class ids (N,)."""

    name = "sparse_categorical_crossentropy"
    sparse = True

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name=None):
        if ignore_class is not None:
            raise ValueError("SparseCategoricalCrossentropy: tinycnn does not support "
                             f"ignore_class (got {ignore_class!r})")
        super().__init__(from_logits, reduction, name)

    def checked_targets(self, y_true, y_pred):
        if y_true.ndim == 2 and y_true.shape[1] == 1:
            y_true = y_true[:, 0]
        if y_true.ndim == 2 and y_true.shape == y_pred.shape:
            raise ValueError(
                f"{self.name}: y_true has shape {y_true.shape}, like y_pred: one-hot targets "
                "(use categorical_crossentropy), or the arguments in the wrong order (Keras's "
                "order is loss(y_true, y_pred), class ids first)")
        if y_true.shape != (len(y_pred),):
            raise ValueError(f"{self.name}: y_true should be {len(y_pred)} class ids (N,) for "
                             f"y_pred of shape {y_pred.shape}, got shape {y_true.shape}")
        if not np.issubdtype(y_true.dtype, np.integer):
            if not np.issubdtype(y_true.dtype, np.floating) or not np.all(
                    y_true == np.round(y_true)):
                raise ValueError(f"{self.name}: y_true should be integer class ids, got "
                                 f"{y_true.dtype} values such as {y_true.flat[0]!r}")
        if len(y_true) and (y_true.min() < 0 or y_true.max() >= y_pred.shape[1]):
            raise ValueError(f"{self.name}: class ids must lie in [0, {y_pred.shape[1]}), got "
                             f"values from {y_true.min()} to {y_true.max()}")
        return y_true.astype(np.int64)

    def log_of_probabilities(self, probs):
        # Keras's TensorFlow backend: log of the clipped probabilities, used as logits.
        return log_softmax(np.log(np.clip(probs, EPSILON, 1.0 - EPSILON)))

    def picked(self, log_p, y):
        """log p of each example's class: (N,)."""
        return log_p[np.arange(len(y)), y]

    def minus_targets(self, probs, y):
        """probs - onehot(y): (N, K)."""
        grad = probs.copy()
        grad[np.arange(len(y)), y] -= 1.0
        return grad

    def gradient(self, y_true, probs):
        """dL/dprobs (N, K) of the loss as computed from probabilities: with c = clip(p),
        L_n = -log c_y + log sum_k c_k, so dL/dp_j = (1/sum_k c_k - [j = y] / c_y) / N where
        p_j is not clipped (0 where it is)."""
        n = len(y_true)
        clipped = np.clip(probs, EPSILON, 1.0 - EPSILON)
        grad = np.broadcast_to(1.0 / clipped.sum(axis=1, keepdims=True), probs.shape).copy()
        grad[np.arange(n), y_true] -= 1.0 / clipped[np.arange(n), y_true]
        return grad * (clipped == probs) / n


class CategoricalCrossentropy(CrossEntropy):
    """CategoricalCrossentropy(from_logits=False, label_smoothing=0.0): y_true are one-hot (or
    soft) rows (N, K); ``label_smoothing`` e trains on y * (1 - e) + e / K instead."""

    name = "categorical_crossentropy"
    sparse = False

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name=None):
        super().__init__(from_logits, reduction, name)
        self.label_smoothing = _label_smoothing(label_smoothing)
        _check_axis(axis)

    def checked_targets(self, y_true, y_pred):
        if y_true.shape != y_pred.shape:
            raise ValueError(
                f"{self.name}: y_true should be one-hot targets of shape {y_pred.shape}, like "
                f"y_pred, got {y_true.shape} (for class ids use "
                "sparse_categorical_crossentropy; Keras's order is loss(y_true, y_pred))")
        if _is_one_hot(y_pred) and not _is_one_hot(y_true):
            raise ValueError(
                f"{self.name}: y_pred is exactly one-hot and y_true is not: the arguments "
                "look swapped (Keras's order is loss(y_true, y_pred), the targets first)")
        return y_true

    def smoothed(self, y):
        """The targets trained on: y * (1 - e) + e / K with label_smoothing e (N, K)."""
        if not self.label_smoothing:
            return y
        return y * (1.0 - self.label_smoothing) + self.label_smoothing / y.shape[1]

    def log_of_probabilities(self, probs):
        # Keras's TensorFlow backend: normalise the rows, then clip.
        return np.log(np.clip(probs / probs.sum(axis=-1, keepdims=True), EPSILON, 1 - EPSILON))

    def picked(self, log_p, y):
        """sum_k y[n, k] log p[n, k]: (N,)."""
        return np.sum(self.smoothed(y) * log_p, axis=1)

    def minus_targets(self, probs, y):
        """probs - y, rows of y summing to 1: (N, K)."""
        return probs - self.smoothed(y)

    def gradient(self, y_true, probs):
        """dL/dprobs (N, K) of the loss as computed from probabilities: with q = p / sum_k p_k
        and c = clip(q), L_n = -sum_k y_k log c_k. Then g = dL/dq = -y / c (0 where clipped)
        and dq_k/dp_j = ([j = k] - q_k) / sum p, so dL/dp_j = (g_j - sum_k g_k q_k) / sum p."""
        total = probs.sum(axis=1, keepdims=True)
        q = probs / total
        clipped = np.clip(q, EPSILON, 1.0 - EPSILON)
        g = -self.smoothed(y_true) / clipped * (clipped == q)
        return (g - np.sum(g * q, axis=1, keepdims=True)) / total / len(y_true)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


def _is_one_hot(y):
    return bool(np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=-1) == 1))


def _label_smoothing(value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
        raise ValueError(f"label_smoothing: expected a number in [0, 1], got {value!r}")
    return float(value)


def _check_axis(axis):
    if axis != -1:
        raise ValueError(f"tinycnn's cross-entropies work over the last axis (axis=-1), "
                         f"got axis={axis!r}")


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """keras.losses.sparse_categorical_crossentropy: one loss per example, (N,)."""
    _check_axis(axis)
    loss = SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=ignore_class)
    return loss.per_example(y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """keras.losses.categorical_crossentropy: one loss per example, (N,)."""
    loss = CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing,
                                   axis=axis)
    return loss.per_example(y_true, y_pred)


LOSSES = {cls.name: cls for cls in (SparseCategoricalCrossentropy, CategoricalCrossentropy)}
# compile(loss=...) also takes the class names and the functions, as Keras does.
_ALIASES = {"SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
            "CategoricalCrossentropy": "categorical_crossentropy",
            sparse_categorical_crossentropy: "sparse_categorical_crossentropy",
            categorical_crossentropy: "categorical_crossentropy"}


def get_loss(loss):
    """A loss object from its Keras name (or function), or the object itself."""
    if isinstance(loss, str) or loss in _ALIASES:
        name = _ALIASES.get(loss, loss)
        if name not in LOSSES:
            raise ValueError(f"compile: unknown loss {loss!r}: expected one of {sorted(LOSSES)}")
        return LOSSES[name]()
    if not callable(loss) or not hasattr(loss, "gradient_wrt_logits"):
        raise TypeError(f"compile: loss must be a name or a loss object, got {loss!r}")
    if getattr(loss, "reduction", "sum_over_batch_size") not in ("sum_over_batch_size", "mean"):
        raise ValueError(f"compile: tinycnn trains on the mean loss of a batch; the loss's "
                         f"reduction={loss.reduction!r} is not supported in training")
    return loss


def loss_from_config(config):
    """The loss saved by get_config (or, in older files, just its name)."""
    if isinstance(config, str):
        return get_loss(config)
    config = dict(config)
    return LOSSES[config.pop("name")](**config)
