"""Cross-entropy losses for classification.

With probabilities p (N, K) from a softmax and the true class y_n of each example:
    L = -(1/N) * sum_n log p[n, y_n]
    dL/dp[n, k] = -1 / (N * p[n, y_n]) if k == y_n else 0
Probabilities are clipped to [eps, 1 - eps] (eps = 1e-7, as Keras) so log never sees 0.

When p = softmax(z), the two gradients combine into one exact and stable expression:
    dL/dz = (p - onehot(y)) / N
which Sequential uses whenever the model ends in a softmax (``gradient_wrt_logits``).

sparse_categorical_crossentropy takes integer labels y: (N,);
categorical_crossentropy takes one-hot (or soft) targets y: (N, K).
"""

import numpy as np

EPSILON = 1e-7


class SparseCategoricalCrossentropy:
    name = "sparse_categorical_crossentropy"
    sparse = True

    def __call__(self, probs, y):
        """probs: (N, K), y: (N,) int -> mean loss (float)."""
        picked = probs[np.arange(len(y)), y]
        return float(-np.mean(np.log(np.clip(picked, EPSILON, 1.0 - EPSILON))))

    def gradient(self, probs, y):
        """dL/dprobs: (N, K)."""
        n = len(y)
        grad = np.zeros_like(probs)
        picked = np.clip(probs[np.arange(n), y], EPSILON, 1.0 - EPSILON)
        grad[np.arange(n), y] = -1.0 / (n * picked)
        return grad

    def gradient_wrt_logits(self, probs, y):
        """dL/dz for probs = softmax(z): (N, K)."""
        grad = probs.copy()
        grad[np.arange(len(y)), y] -= 1.0
        grad /= len(y)
        return grad


class CategoricalCrossentropy:
    name = "categorical_crossentropy"
    sparse = False

    def __call__(self, probs, y):
        """probs, y: (N, K) -> mean loss (float)."""
        log_p = np.log(np.clip(probs, EPSILON, 1.0 - EPSILON))
        return float(-np.mean(np.sum(y * log_p, axis=1)))

    def gradient(self, probs, y):
        """dL/dprobs: (N, K)."""
        return -y / (len(y) * np.clip(probs, EPSILON, 1.0 - EPSILON))

    def gradient_wrt_logits(self, probs, y):
        """dL/dz for probs = softmax(z), rows of y summing to 1: (N, K)."""
        return ((probs - y) / len(y)).astype(probs.dtype)


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
