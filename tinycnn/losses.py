"""Cross-entropy losses for classification.

With probabilities p (N, K) and the true class y_n of each example:
    L = -(1/N) * sum_n log p[n, y_n]
    dL/dp[n, k] = -1 / (N * p[n, y_n]) if k == y_n else 0
Probabilities are clipped to [eps, 1 - eps] (eps = 1e-7, as Keras) so log never sees 0.

When p = softmax(z), the two gradients combine into one exact and stable expression:
    dL/dz = (p - onehot(y)) / N
which Sequential uses: a model that ends in a softmax skips the softmax's own backward
(``gradient_wrt_logits``).

``from_logits=True`` (as in Keras) reads the model's output as the logits z themselves, for a
model that ends in Dense(K) with no softmax. The loss then takes log p straight from z,
    log p[n, k] = z[n, k] - max_j z[n, j] - log sum_j exp(z[n, j] - max_j z[n, j])
which never overflows and never takes the log of 0 (no clipping needed), and the gradient
with respect to the output is the same (softmax(z) - onehot(y)) / N.

sparse_categorical_crossentropy takes integer labels y: (N,);
categorical_crossentropy takes one-hot (or soft) targets y: (N, K).
"""

import numpy as np

from tinycnn.layers.activations import softmax

EPSILON = 1e-7


def log_softmax(z):
    """log softmax(z) over the last axis, computed stably: (N, K) -> (N, K)."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


class CrossEntropy:
    """What both cross-entropies share; subclasses say how the targets pick log p."""

    name = None
    sparse = None
    from_logits = False  # also for a subclass whose __init__ does not call ours

    def __init__(self, from_logits=False):
        self.from_logits = bool(from_logits)

    def log_probs(self, out):
        """log p (N, K) from the model's output: logits or probabilities."""
        if self.from_logits:
            return log_softmax(out)
        return np.log(np.clip(out, EPSILON, 1.0 - EPSILON))

    def __call__(self, out, y):
        """out: (N, K) probabilities (or logits), y: targets -> mean loss (float)."""
        return float(-np.mean(self.picked(self.log_probs(out), y)))

    def gradient_wrt_logits(self, out, y):
        """dL/dz for the logits z: (N, K), in out's dtype."""
        probs = softmax(out) if self.from_logits else out
        return (self.minus_targets(probs, y) / len(y)).astype(out.dtype, copy=False)

    def get_config(self):
        return {"name": self.name, "from_logits": self.from_logits}

    def __repr__(self):
        return f"{type(self).__name__}(from_logits={self.from_logits})"


class SparseCategoricalCrossentropy(CrossEntropy):
    name = "sparse_categorical_crossentropy"
    sparse = True

    def picked(self, log_p, y):
        """log p of each example's class: (N,)."""
        return log_p[np.arange(len(y)), y]

    def minus_targets(self, probs, y):
        """probs - onehot(y): (N, K)."""
        grad = probs.copy()
        grad[np.arange(len(y)), y] -= 1.0
        return grad

    def gradient(self, probs, y):
        """dL/dprobs: (N, K) (probabilities, not logits)."""
        n = len(y)
        grad = np.zeros_like(probs)
        picked = np.clip(probs[np.arange(n), y], EPSILON, 1.0 - EPSILON)
        grad[np.arange(n), y] = -1.0 / (n * picked)
        return grad


class CategoricalCrossentropy(CrossEntropy):
    name = "categorical_crossentropy"
    sparse = False

    def picked(self, log_p, y):
        """sum_k y[n, k] log p[n, k]: (N,)."""
        return np.sum(y * log_p, axis=1)

    def minus_targets(self, probs, y):
        """probs - y, rows of y summing to 1: (N, K)."""
        return probs - y

    def gradient(self, probs, y):
        """dL/dprobs: (N, K) (probabilities, not logits)."""
        return -y / (len(y) * np.clip(probs, EPSILON, 1.0 - EPSILON))


LOSSES = {cls.name: cls for cls in (SparseCategoricalCrossentropy, CategoricalCrossentropy)}


def get_loss(loss):
    """A loss object from its Keras name, or the object itself."""
    if isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"compile: unknown loss {loss!r}: expected one of {sorted(LOSSES)}")
        return LOSSES[loss]()
    if not callable(loss) or not hasattr(loss, "gradient_wrt_logits"):
        raise TypeError(f"compile: loss must be a name or a loss object, got {loss!r}")
    return loss


def loss_from_config(config):
    """The loss saved by get_config (or, in older files, just its name)."""
    if isinstance(config, str):
        return get_loss(config)
    config = dict(config)
    return LOSSES[config.pop("name")](**config)
