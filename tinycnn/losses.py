"""Losses, called as Keras calls them: ``loss(y_true, y_pred)``; and what each asks of a model.

Each loss says what the model's output must be and gives the gradient backward starts from
(for one batch of N examples with K outputs; y the targets):
    loss                             reads                      the gradient backward starts from
    sparse_categorical_crossentropy  the logits z of a softmax  dL/dz = (softmax(z) - onehot(y)) / N
    categorical_crossentropy         the logits z of a softmax  dL/dz = (softmax(z) - y) / N
    binary_crossentropy              the logits z of a sigmoid  dL/dz = (sigmoid(z) - y) / (N K)
    mean_squared_error ("mse")       the output p, any          dL/dp = 2 (p - y) / (N K)
    mean_absolute_error ("mae")      the output p, any          dL/dp = sign(p - y) / (N K)
    huber (delta = 1)                the output p, any          dL/dp = clip(p - y, +-delta) / (N K)
A model that ends in the activation a loss reads the logits of stops before it: forward gives z,
and backward starts below the activation (Sequential's ``gives_logits``), as Keras's TensorFlow
backend reads the logits kept beside a softmax's or sigmoid's output.

Cross-entropy. With probabilities p (N, K) and the true class y_n of each example:
    L = -(1/N) * sum_n log p[n, y_n]
    dL/dp[n, k] = -1 / (N * p[n, y_n]) if k == y_n else 0
When p = softmax(z), the two gradients combine into one exact and stable expression:
    dL/dz = (p - onehot(y)) / N
which Sequential uses: a model that ends in a softmax skips the softmax's own backward
(``gradient_wrt_logits``).

Binary cross-entropy, entry by entry, averaged over the K outputs of an example:
    L_n = -(1/K) sum_k [y log p + (1 - y) log(1 - p)],  p = sigmoid(z)
        = (1/K) sum_k [max(z, 0) - z y + log(1 + e^-|z|)]     (from the logits, stably)
    dL_n/dz = (p - y) / K
``label_smoothing`` e trains on y (1 - e) + e / 2 (towards 1/2) instead of y.

Where a cross-entropy reads log p from:
  * logits z (``from_logits=True``, or a model that ends in the loss's softmax or sigmoid),
    stably and with no clipping:
        log p[n, k] = z[n, k] - max_j z[n, j] - log sum_j exp(z[n, j] - max_j z[n, j])
    so an example whose true class has probability e^-60 counts 60, not log(1e-7) = 16.1;
  * probabilities a user passes in (or a model ending in another activation): clipped to
    [eps, 1 - eps] (eps = 1e-7) so log never sees 0, and normalised to sum to 1, in the order
    Keras's TensorFlow backend does it (categorical: normalise, then clip; sparse: clip, then
    log_softmax of the logs; binary: clip only). The gradient is 0 where a value is clipped.

sparse_categorical_crossentropy takes integer labels y_true: (N,) (or (N, 1));
categorical_crossentropy takes one-hot (or soft) targets y_true: (N, K); the others take
targets of y_pred's shape, (N,) counting as (N, 1) for one output (Keras's same-rank rule).
The functions return one loss per example (N,); the loss objects reduce them (Keras's
"sum_over_batch_size": the mean). Each checks that y_true and y_pred are what they should be,
so arguments given in the wrong order are an error, not a wrong number.
"""

import numbers

import numpy as np

from tinycnn.layers.activations import sigmoid, softmax

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "none", None)


def log_softmax(z):
    """log softmax(z) over the last axis, computed stably: (N, K) -> (N, K)."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def same_rank(a, b):
    """Keras's squeeze_or_expand_to_same_rank: when the ranks differ by one and the longer
    array's last axis is 1, the shorter one gains that axis if it is 1-D, else the longer one
    loses it: (N,) against (N, 1) becomes (N, 1) and (N, 1)."""
    if a.ndim == b.ndim + 1 and a.shape[-1] == 1:
        return (a, b[..., None]) if b.ndim == 1 else (a[..., 0], b)
    if b.ndim == a.ndim + 1 and b.shape[-1] == 1:
        return (a[..., None], b) if a.ndim == 1 else (a, b[..., 0])
    return a, b


class Loss:
    """What every loss shares: Keras's ``reduction`` and ``name``, and the call
    ``loss(y_true, y_pred, sample_weight=None)``. A subclass gives ``per_example`` (one loss
    per example) and ``gradient`` (dL/dy_pred of a batch's mean loss), and says what it needs:

    activation          the final activation whose input, the logits, the loss reads when
                        the model ends in it ("softmax", "sigmoid"); None: it reads the output
    output_activations  the activations the model's output may end in (None: any output)
    targets             what y_true is: "class ids" (N,), "one-hot" rows (N, K), "binary"
                        (N, K) in [0, 1], or "values" (N, K), any numbers

    ``reduction``: how ``loss(y_true, y_pred)`` turns the per-example losses into its result,
    Keras's names: "sum_over_batch_size" (or "mean": the mean), "sum", "none" (the array).
    """

    name = None
    activation = None
    output_activations = None
    targets = "values"
    sparse = False
    from_logits = False  # also for a subclass whose __init__ does not call ours

    def __init__(self, reduction="sum_over_batch_size", name=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__} reduction: expected one of "
                             f"{list(REDUCTIONS)}, got {reduction!r}")
        self.reduction = reduction
        if name is not None:
            self.name = str(name)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Mean loss (float) over the examples of y_true and y_pred, as Keras's
        ``loss(y_true, y_pred)``; ``sample_weight`` (N,) weighs each example's loss."""
        losses = self.per_example(y_true, y_pred)
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=np.float64)
            if weights.shape not in ((), losses.shape):
                raise ValueError(f"{self.name}: sample_weight should have shape "
                                 f"{losses.shape}, got {weights.shape}")
            losses = losses * weights
        if self.reduction in ("none", None):
            return losses
        total = float(np.sum(losses))
        return total if self.reduction == "sum" else total / losses.size

    def get_config(self):
        return {"name": type(self).name}

    def __repr__(self):
        settings = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items()
                             if key != "name")
        return f"{type(self).__name__}({settings})"


class CrossEntropy(Loss):
    """What both categorical cross-entropies share; subclasses say how targets are checked
    and pick log p."""

    activation = "softmax"
    output_activations = ("softmax",)

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction, name)
        self.from_logits = bool(from_logits)

    def per_example(self, y_true, y_pred):
        """One loss per example: (N,)."""
        y_true, y_pred = self.checked(y_true, y_pred)
        if self.from_logits:
            return self.per_example_of_logits(y_true, y_pred)
        return -self.picked(self.log_of_probabilities(y_pred), y_true)

    # ---- what Sequential calls ----------------------------------------------------------
    def activate(self, logits):
        """softmax(z): the probabilities (N, K) of logits (N, K)."""
        return softmax(logits)

    def per_example_of_logits(self, y_true, logits):
        """One loss per example (N,) from the logits (N, K)."""
        return -self.picked(log_softmax(logits), y_true)

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
        return {**super().get_config(), "from_logits": self.from_logits}


class SparseCategoricalCrossentropy(CrossEntropy):
    """SparseCategoricalCrossentropy(from_logits=False): y_true are class ids (N,)."""

    name = "sparse_categorical_crossentropy"
    targets = "class ids"
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
    targets = "one-hot"

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


class EntryByEntry(Loss):
    """Losses that compare y_pred with targets of its shape value by value and average over
    an example's K values (Keras: mean over the last axis): binary cross-entropy and the
    regression losses. Targets (N,) against y_pred (N, 1) count as (N, 1); y_true is cast to
    y_pred's dtype, as Keras casts it."""

    def checked(self, y_true, y_pred):
        y_pred = np.asarray(y_pred)
        if y_pred.dtype.kind in "biu":
            y_pred = y_pred.astype(np.float64)
        if y_pred.ndim == 0 or y_pred.dtype.kind != "f":
            raise ValueError(f"{self.name}: y_pred should be float values of shape (N, K), got "
                             f"{y_pred.dtype} of shape {y_pred.shape}")
        y_true, y_pred = same_rank(np.asarray(y_true), y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"{self.name}: y_true should have y_pred's shape {y_pred.shape} "
                             f"(or (N,) for one output), got {y_true.shape}")
        if y_true.dtype.kind not in "biuf":
            raise ValueError(f"{self.name}: y_true should be numbers, got {y_true.dtype}")
        return y_true.astype(y_pred.dtype), y_pred


class BinaryCrossentropy(EntryByEntry):
    """BinaryCrossentropy(from_logits=False, label_smoothing=0.0): each of the K outputs is
    the probability that its label is 1 (one output for a yes/no question, K for K labels
    that each may hold); y_true: 0 or 1 (or a probability) for each, (N, K)."""

    name = "binary_crossentropy"
    activation = "sigmoid"
    # Outputs in [0, 1]: a sigmoid (its logits are read), or one of these, clipped. Not a
    # softmax: Keras would read a softmax's logits as if they were a sigmoid's.
    output_activations = ("sigmoid", "hard_sigmoid", "sparse_sigmoid")
    targets = "binary"

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name=None):
        super().__init__(reduction, name)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _label_smoothing(label_smoothing)
        _check_axis(axis)

    def smoothed(self, y):
        """The targets trained on: y * (1 - e) + e / 2 with label_smoothing e."""
        if not self.label_smoothing:
            return y
        return y * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing

    def per_example(self, y_true, y_pred):
        """One loss per example: (N,), from logits or from clipped probabilities."""
        y_true, y_pred = self.checked(y_true, y_pred)
        if self.from_logits:
            return self.per_example_of_logits(y_true, y_pred)
        y = self.smoothed(y_true)
        clipped = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        return -np.mean(y * np.log(clipped) + (1 - y) * np.log(1 - clipped), axis=-1)

    def activate(self, logits):
        """sigmoid(z): the probabilities (N, K) of logits (N, K)."""
        return sigmoid(logits)

    def per_example_of_logits(self, y_true, logits):
        """One loss per example (N,) from the logits (N, K), stably (TensorFlow's
        sigmoid_cross_entropy_with_logits)."""
        y = self.smoothed(y_true.astype(logits.dtype))
        pointwise = np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
        return np.mean(pointwise, axis=-1)

    def of_logits(self, y_true, logits):
        """Mean loss (float) from logits (N, K): what a model ending in a sigmoid reports."""
        return float(np.mean(self.per_example_of_logits(y_true, logits)))

    def gradient_wrt_logits(self, y_true, probs):
        """dL/dz for the logits z under probs = sigmoid(z): (p - y) / (N K), in probs' dtype."""
        return ((probs - self.smoothed(y_true)) / probs.size).astype(probs.dtype, copy=False)

    def gradient(self, y_true, probs):
        """dL/dprobs (N, K) of the loss from probabilities: with c = clip(p), dL/dp =
        (-y / c + (1 - y) / (1 - c)) / (N K) where p is not clipped (0 where it is)."""
        y = self.smoothed(y_true.astype(probs.dtype))
        clipped = np.clip(probs, EPSILON, 1.0 - EPSILON)
        grad = (-y / clipped + (1 - y) / (1 - clipped)) * (clipped == probs) / probs.size
        return grad.astype(probs.dtype, copy=False)

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits,
                "label_smoothing": self.label_smoothing}


class Regression(EntryByEntry):
    """A loss of the error e = y_pred - y_true, value by value: L_n = (1/K) sum_k f(e_k), so
    dL/dp = f'(e) / (N K) for the batch's mean. Subclasses give f (``pointwise``) and f'."""

    def per_example(self, y_true, y_pred):
        """One loss per example: (N,)."""
        y_true, y_pred = self.checked(y_true, y_pred)
        return np.mean(self.pointwise(y_pred - y_true), axis=-1)

    def gradient(self, y_true, y_pred):
        """dL/dy_pred (N, K) of the batch's mean loss, in y_pred's dtype."""
        error = y_pred - y_true.astype(y_pred.dtype)
        return (self.derivative(error) / y_pred.size).astype(y_pred.dtype, copy=False)


class MeanSquaredError(Regression):
    """MeanSquaredError(): f(e) = e^2, f'(e) = 2 e."""

    name = "mean_squared_error"

    def pointwise(self, error):
        return np.square(error)

    def derivative(self, error):
        return 2 * error


class MeanAbsoluteError(Regression):
    """MeanAbsoluteError(): f(e) = |e|, f'(e) = sign(e) (0 at e = 0, as TensorFlow's)."""

    name = "mean_absolute_error"

    def pointwise(self, error):
        return np.abs(error)

    def derivative(self, error):
        return np.sign(error)


class Huber(Regression):
    """Huber(delta=1.0): f(e) = e^2 / 2 where |e| <= delta, delta |e| - delta^2 / 2 beyond:
    squared near 0, absolute far out, so an outlier pulls with at most delta.
    f'(e) = clip(e, -delta, delta)."""

    name = "huber_loss"

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name=None):
        super().__init__(reduction, name)
        if isinstance(delta, bool) or not isinstance(delta, numbers.Real) \
                or not 0 < delta < np.inf:
            raise ValueError(f"Huber delta: expected a number > 0, got {delta!r}")
        self.delta = float(delta)

    def pointwise(self, error):
        delta = np.asarray(self.delta, error.dtype)
        magnitude = np.abs(error)
        return np.where(magnitude <= delta, 0.5 * np.square(error),
                        delta * magnitude - 0.5 * np.square(delta))

    def derivative(self, error):
        return np.clip(error, -self.delta, self.delta)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


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


# ---- Keras's functions: one loss per example -------------------------------------------------
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


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """keras.losses.binary_crossentropy: one loss per example, (N,)."""
    loss = BinaryCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing,
                              axis=axis)
    return loss.per_example(y_true, y_pred)


def mean_squared_error(y_true, y_pred):
    """keras.losses.mean_squared_error: mean((y_pred - y_true)^2) over the last axis, (N,)."""
    return MeanSquaredError().per_example(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """keras.losses.mean_absolute_error: mean(|y_pred - y_true|) over the last axis, (N,)."""
    return MeanAbsoluteError().per_example(y_true, y_pred)


def huber(y_true, y_pred, delta=1.0):
    """keras.losses.huber: one Huber loss per example, (N,)."""
    return Huber(delta).per_example(y_true, y_pred)


CLASSES = (SparseCategoricalCrossentropy, CategoricalCrossentropy, BinaryCrossentropy,
           MeanSquaredError, MeanAbsoluteError, Huber)
LOSSES = {cls.name: cls for cls in CLASSES}  # what a model file names a loss by
# compile(loss=...) also takes Keras's other names, the class names and the functions.
_ALIASES = {**{cls.__name__: cls.name for cls in CLASSES},
            "bce": "binary_crossentropy", "BCE": "binary_crossentropy",
            "mse": "mean_squared_error", "MSE": "mean_squared_error",
            "mae": "mean_absolute_error", "MAE": "mean_absolute_error", "huber": "huber_loss",
            sparse_categorical_crossentropy: "sparse_categorical_crossentropy",
            categorical_crossentropy: "categorical_crossentropy",
            binary_crossentropy: "binary_crossentropy", mean_squared_error: "mean_squared_error",
            mean_absolute_error: "mean_absolute_error", huber: "huber_loss"}


def get_loss(loss):
    """A loss object from its Keras name (or function, or class), or the object itself."""
    if isinstance(loss, str) or (callable(loss) and loss in _ALIASES):
        name = _ALIASES.get(loss, loss)
        if name not in LOSSES:
            known = sorted(set(LOSSES) | {key for key in _ALIASES if isinstance(key, str)})
            raise ValueError(f"compile: unknown loss {loss!r}: expected one of {known}")
        return LOSSES[name]()
    if isinstance(loss, type) and issubclass(loss, Loss):
        loss = loss()
    if not isinstance(loss, Loss):
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
