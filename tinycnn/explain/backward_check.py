"""The chain rule checked link by link: which layer's backward disagrees with the numbers.

tinycnn.gradcheck checks one layer on its own. Here every layer is checked where it sits in
the model, against the loss itself. With a_k the input of layer k (a_0 the images), L the
cross-entropy of the logits z and a random direction u shaped like a_k:
    analytic   <dL/da_k, u>                           from the model's backward pass
    numeric    (L(a_k + h u) - L(a_k - h u)) / (2 h)   running layers k, k+1, ... forward again
and likewise for each parameter array of layer k (its grads against a nudge of the weights).
(Equal values of an input get equal nudges, and zeros none: ties and kinks, see the code.)
One direction per array is enough to catch a wrong sign, a missing factor or a swapped axis
(they change <g, u> for almost every u), and costs two forward passes instead of two per
number. Checked from the top layer down, the first layer whose dL/da_k (or grads) disagrees
while dL/d(its output) agreed is the one whose backward is wrong: everything below it only
inherits the error.

It runs on a float64 copy of the model (model_copy.py; in float32 the rounding of L swamps
the difference quotient) on the NumPy twin kernels (no Numba compilation for float64), in
training mode as a training step runs (Dropout draws the same masks in every forward pass).
The loss comes from the logits z and the one-hot (or given) targets T:
    L = mean_n ( logsumexp(z_n) - sum_k T[n, k] z[n, k] ),    dL/dz = (softmax(z) - T) / N
the cross-entropy of both losses, without their clipping, so the gradient is exact.

Shapes: x (N, H, W, C); targets T (N, K); a_k, u: a layer's input (N, ...).
"""

from functools import partial
from typing import NamedTuple

import numpy as np

from tinycnn.explain.leaves import leaf_layers
from tinycnn.explain.logits import logit_layers
from tinycnn.explain.model_copy import copy_model
from tinycnn.gradcheck import zero_floor
from tinycnn.layers.activations import softmax

STEP = 1e-6  # h: small against the values (around 1), large against float64's 1e-16
TOLERANCE = 1e-2  # relative error; a correct layer gives ~1e-8, a wrong sign 1, a factor 2 1/3
# Below this, a derivative is zero: the difference quotient's rounding noise is about
# 1e-16 * L / STEP ~ 1e-10 (L ~ 1), and the floor is 1000 times that, 1.1e-7, the same rule
# as tinycnn.gradcheck's. (A conv's bias before a training-mode BatchNorm has a true
# gradient of 0, the batch mean takes it away, and both sides measure only noise.)
ZERO = zero_floor(1.0, STEP)


class Mismatch(NamedTuple):
    """The layer whose backward is wrong, what disagrees ("dL/dx" or "grads['W']"), and the
    relative error |analytic - numeric| / (|analytic| + |numeric|)."""

    layer: object
    what: str
    error: float


def check_backward(model, x, targets, seed=0):
    """(worst relative error over every check, the first Mismatch from the top or None).

    x: (N, H, W, C) images (a few are plenty); targets: (N, K) one-hot or soft targets."""
    twin = copy_model(model, dtype=np.float64).use_kernels("numpy")
    x = np.asarray(x, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    rng = np.random.default_rng(seed)
    # Each layer that draws (Dropout) gets a stream of its own, rewound before every forward
    # pass: the same masks however many layers below it are skipped.
    drawing = [layer for layer in leaf_layers(twin) if getattr(layer, "rng", None) is not None]
    for number, layer in enumerate(drawing):
        layer.rng = np.random.default_rng([seed, number])
    start_states = [layer.rng.bit_generator.state for layer in drawing]
    with logit_layers(twin) as layers:
        layers[0].needs_input_grad = True

        def rewind():
            for layer, state in zip(drawing, start_states, strict=True):
                layer.rng.bit_generator.state = state

        def loss_from(index, a):
            """L after running layers[index:] on their input a."""
            rewind()
            for layer in layers[index:]:
                a = layer.forward(a, training=True)
            return _cross_entropy(a, targets)

        inputs, a = [], x
        rewind()
        for layer in layers:  # the inputs a_k, and every cache for the backward below
            inputs.append(a)
            a = layer.forward(a, training=True)
        dout = (softmax(a) - targets) / len(x)
        input_grads, param_grads = [None] * len(layers), [None] * len(layers)
        for index in reversed(range(len(layers))):
            dout = layers[index].backward(dout)
            input_grads[index] = dout
            param_grads[index] = {key: grad.copy() for key, grad in layers[index].grads.items()}

        worst = 0.0
        for index in reversed(range(len(layers))):
            layer = layers[index]
            for key, value in layer.params.items():
                error = _directional_error(partial(loss_from, index, inputs[index]), value,
                                           param_grads[index][key], rng)
                worst = max(worst, error)
                if error > TOLERANCE:
                    return worst, Mismatch(layer, f"grads[{key!r}]", error)
            nudged = inputs[index].copy()
            error = _directional_error(partial(loss_from, index, nudged), nudged,
                                       input_grads[index], rng, keep_ties=True)
            worst = max(worst, error)
            if error > TOLERANCE:
                return worst, Mismatch(layer, "dL/dx", error)
    return worst, None


def _directional_error(loss, array, grad, rng, keep_ties=False):
    """Relative error of <grad, u> against the central difference of loss() along u, nudging
    ``array`` in place (and putting it back). ``keep_ties``: see _error_along.
    An error above TOLERANCE is measured again along a second direction, and the smaller one
    kept: a nudge can cross a kink (a ReLU at 0, two nearly equal values in a max pool) by
    bad luck, twice hardly ever, while a wrong gradient is wrong along every direction."""
    error = _error_along(loss, array, grad, rng, keep_ties)
    if error > TOLERANCE:
        error = min(error, _error_along(loss, array, grad, rng, keep_ties))
    return error


def _error_along(loss, array, grad, rng, keep_ties):
    if keep_ties:
        # Equal values get equal nudges, and zeros none. A layer's input has exact ties (a
        # ReLU's zeros, BatchNorm's image of them, flat regions of a picture); a max pool over
        # a tie has no derivative in a direction that breaks it, but has one along a nudge
        # that moves the tied values together. And a ReLU's zeros sit on its kink.
        values, groups = np.unique(array, return_inverse=True)
        direction = rng.standard_normal(len(values))[groups].reshape(array.shape)
        direction[array == 0] = 0
    else:
        direction = rng.standard_normal(array.shape)
    saved = array.copy()
    array += STEP * direction
    up = loss()
    array[...] = saved - STEP * direction
    down = loss()
    array[...] = saved
    numeric = (up - down) / (2 * STEP)
    analytic = float(np.sum(grad * direction))
    return abs(analytic - numeric) / max(abs(analytic) + abs(numeric), ZERO)


def _cross_entropy(z, targets):
    """mean_n (logsumexp(z_n) - sum_k T[n, k] z[n, k]): z (N, K), targets (N, K)."""
    top = z.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(z - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_sum - (targets * z).sum(axis=1)))
