"""Weight regularizers: a penalty on a parameter W added to the loss, and its gradient.

    L1L2(l1, l2):  penalty(W) = l1 * sum |W| + l2 * sum W^2
                   dpenalty/dW = l1 * sign(W) + 2 * l2 * W
    keras.regularizers.l1(0.01), l2(0.01), l1_l2(l1=0.01, l2=0.01): the same with one or both.
A layer given ``kernel_regularizer=`` (or ``bias_regularizer=``) keeps it in
``layer.regularizers`` ({"W": ...}); a training step adds every trainable layer's penalties to
the loss it reports and their gradients to the layer's grads, and evaluate reports the loss
with the penalties, as Keras does (a frozen layer's weights are not penalised, as in Keras).
"""

import numbers

import numpy as np


class L1L2:
    """L1L2(l1=0.0, l2=0.0): l1 * sum |W| + l2 * sum W^2."""

    def __init__(self, l1=0.0, l2=0.0):  # noqa: E741 (Keras's argument names)
        for name, value in (("l1", l1), ("l2", l2)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                    or not 0 <= value < np.inf:
                raise ValueError(f"regularizer {name}: expected a number >= 0, got {value!r}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, W):
        """The penalty of W (float)."""
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.sum(np.abs(W), dtype=np.float64))
        if self.l2:
            total += self.l2 * float(np.sum(np.square(W, dtype=np.float64)))
        return total

    def gradient(self, W):
        """dpenalty/dW: W's shape and dtype."""
        return (self.l1 * np.sign(W) + (2 * self.l2) * W).astype(W.dtype, copy=False)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self):
        return f"L1L2(l1={self.l1}, l2={self.l2})"


def l1(l1=0.01):  # noqa: E741
    """keras.regularizers.l1(0.01): l1 * sum |W|."""
    return L1L2(l1=l1)


def l2(l2=0.01):
    """keras.regularizers.l2(0.01): l2 * sum W^2."""
    return L1L2(l2=l2)


def l1_l2(l1=0.01, l2=0.01):  # noqa: E741
    """keras.regularizers.l1_l2(l1=0.01, l2=0.01): both."""
    return L1L2(l1=l1, l2=l2)


L1, L2 = l1, l2  # Keras's class names, with Keras's defaults
_BY_NAME = {"l1": l1, "l2": l2, "l1_l2": l1_l2}


def get(identifier, what):
    """None, a name ("l1", "l2", "l1_l2", Keras's defaults), an L1L2, or its serialized form
    {"l1": ..., "l2": ...}; anything else is an error naming ``what``."""
    if identifier is None or isinstance(identifier, L1L2):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict) and set(identifier) == {"l1", "l2"}:
        return L1L2(**identifier)
    raise ValueError(f"{what}: expected None, one of {sorted(_BY_NAME)} or a "
                     f"keras.regularizers object, got {identifier!r}")


def serialize(regularizer):
    return None if regularizer is None else regularizer.get_config()


def penalties(kernel_regularizer, bias_regularizer, layer):
    """A layer's ``regularizers`` dict ({"W": ..., "b": ...}, only those given)."""
    given = {"W": get(kernel_regularizer, f"{layer} kernel_regularizer"),
             "b": get(bias_regularizer, f"{layer} bias_regularizer")}
    return {key: regularizer for key, regularizer in given.items() if regularizer is not None}


def penalty_config(regularizers):
    """The get_config entries of a layer's regularizers (none when it has none, so the files
    of layers without them are as before)."""
    names = {"W": "kernel_regularizer", "b": "bias_regularizer"}
    return {names[key]: serialize(regularizer) for key, regularizer in regularizers.items()}
