"""The chain rule checked link by link: which layer's backward disagrees with the numbers.

tinycnn.gradcheck checks one layer on its own. Here every layer call (a step of the engine,
network.py) is checked where it sits in the model, against the loss itself. With a an input of
step k (a_0 the images), L the cross-entropy of the logits z and a random direction u shaped
like a:
    analytic   <dL/da, u>                         what step k's backward hands back to a
    numeric    (L(a + h u) - L(a - h u)) / (2 h)   the model run again, step k reading a + h u
and likewise for each parameter array of each layer (its grads against a nudge of the weights;
for a shared layer, the sum over its calls). Only step k reads the nudged a: where a value
feeds several steps (a branch), each reader's backward is checked on its own, and a merge layer
once per input. (Equal values of an input get equal nudges, and zeros none: ties and kinks, see
the code.) One direction per array is enough to catch a wrong sign, a missing factor or a
swapped axis (they change <g, u> for almost every u), and costs two forward passes instead of
two per number. Checked from the last step back, the first call whose dL/da (or grads)
disagrees while the steps reading its output agreed is the one whose backward is wrong:
everything below it only inherits the error.

It runs on a float64 copy of the model (model_copy.py; in float32 the rounding of L swamps
the difference quotient) on the NumPy twin kernels (no Numba compilation for float64), opened
up (leaves.py: a model used as a layer is checked layer by layer), in training mode as a
training step runs (Dropout draws the same masks in every forward pass, the augmentation layers
the same transforms).
The loss comes from the logits z and the one-hot (or given) targets T:
    L = mean_n ( logsumexp(z_n) - sum_k T[n, k] z[n, k] ),    dL/dz = (softmax(z) - T) / N
the cross-entropy of both losses, without their clipping, so the gradient is exact.

Shapes: x (N, H, W, C); targets T (N, K); a, u: an input of a layer call (N, ...).
"""

from functools import partial
from typing import NamedTuple

import numpy as np

from tinycnn.explain.leaves import computing_layers, with_steps
from tinycnn.explain.logits import logit_network
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
    """The layer whose backward is wrong, what disagrees ("dL/dx", "dL/dx_1" for a merge
    layer's second input, "grads['W']"; a shared layer's call is named too), and the relative
    error |analytic - numeric| / (|analytic| + |numeric|)."""

    layer: object
    what: str
    error: float


class NudgedInput:
    """A layer call that reads its input ``position`` plus ``nudge``: one value moved as one
    step sees it, the rest of the model as it is (what the engine runs in the step's place)."""

    def __init__(self, layer, position, nudge):
        self.layer, self.position, self.nudge = layer, position, nudge
        self.takes_list = layer.takes_list

    def forward(self, inputs, training=False):
        if not self.takes_list:
            return self.layer.forward(inputs + self.nudge, training=training)
        inputs = list(inputs)
        inputs[self.position] = inputs[self.position] + self.nudge
        return self.layer.forward(inputs, training=training)


def check_backward(model, x, targets, seed=0):
    """(worst relative error over every check, the first Mismatch from the top or None).

    x: (N, H, W, C) images (a few are plenty); targets: (N, K) one-hot or soft targets."""
    twin = copy_model(model, dtype=np.float64).use_kernels("numpy")
    x = np.asarray(x, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.float64)
    rng = np.random.default_rng(seed)
    # Each layer that draws (Dropout, the augmentation layers) is handed a stream of its own,
    # and the generator it really draws from (that one, or its own if it was made with seed=:
    # Layer.random_streams) is rewound before every forward pass: the same draws in every run.
    drawing = [layer for layer in computing_layers(twin) if layer.random_streams()]
    for number, layer in enumerate(drawing):
        layer.set_rng(np.random.default_rng([seed, number]))
    streams = [stream for layer in drawing for stream in layer.random_streams()]
    start_states = [stream.bit_generator.state for stream in streams]
    with logit_network(twin, "checkup") as network:
        for reader in network.input_readers():
            reader.needs_input_grad = True
        steps = network.steps

        def rewind():
            for stream, state in zip(streams, start_states, strict=True):
                stream.bit_generator.state = state

        def loss_of(runner):
            """L after a training forward pass of ``runner`` (the network, or a nudged copy)."""
            rewind()
            return _cross_entropy(runner.forward(x, training=True), targets)

        def loss_with_input_nudged(k, position, nudge):
            """L when step k reads its input ``position`` plus nudge."""
            calls = [(step.layer, step.inputs) for step in steps]
            calls[k] = (NudgedInput(steps[k].layer, position, nudge), steps[k].inputs)
            return loss_of(with_steps(network, calls))

        def loss_with_params_nudged(array, nudge):
            """L with a layer's parameters ``array`` at array + nudge (then put back)."""
            saved = array.copy()
            array += nudge
            try:
                return loss_of(network)
            finally:
                array[...] = saved

        rewind()
        values, handed_back, param_grads = _one_pass(network, x, targets)
        # A layer's grads are checked at its first call: for a shared layer they are the sum
        # over its calls, which needs every later call's dL/d(output) checked first.
        first_call = {}
        for k, step in enumerate(steps):
            first_call.setdefault(id(step.layer), k)
        worst = 0.0
        for k in reversed(range(len(steps))):
            step = steps[k]
            layer = step.layer
            if first_call[id(layer)] == k:
                for key, value in layer.params.items():
                    error = _directional_error(partial(loss_with_params_nudged, value), value,
                                               param_grads[id(layer)][key], rng)
                    worst = max(worst, error)
                    if error > TOLERANCE:
                        return worst, Mismatch(layer, f"grads[{key!r}]", error)
            for position, read in enumerate(step.inputs):
                error = _directional_error(partial(loss_with_input_nudged, k, position),
                                           values[read], handed_back[step][position], rng,
                                           keep_ties=True)
                worst = max(worst, error)
                if error > TOLERANCE:
                    what = f"dL/dx_{position}" if layer.takes_list else "dL/dx"
                    return worst, Mismatch(layer, what + _call_name(steps, k), error)
    return worst, None


def _one_pass(network, x, targets):
    """One training forward and backward pass of the loss: (every value, value_0 = x and
    value_k the output of step k-1; {step: what its backward hands back to its inputs, a
    list}; {id(layer): a copy of its grads})."""
    values, handed_back = [x], {}

    def keep_value(step, out):
        values.append(out)

    def keep_input_grads(step, dx):
        handed_back[step] = dx if step.layer.takes_list else [dx]

    z = network.forward(x, training=True, watch=keep_value)
    network.backward((softmax(z) - targets) / len(x), watch=keep_input_grads)
    param_grads = {id(layer): {key: grad.copy() for key, grad in layer.grads.items()}
                   for layer in network.layers}
    return values, handed_back, param_grads


def _call_name(steps, k):
    """' (call 2 of 3)' for a layer that several steps call, '' for a layer called once."""
    calls = [j for j, step in enumerate(steps) if step.layer is steps[k].layer]
    return f" (call {calls.index(k) + 1} of {len(calls)})" if len(calls) > 1 else ""


def _directional_error(loss_at, array, grad, rng, keep_ties=False):
    """Relative error of <grad, u> against the central difference of ``loss_at(nudge)``, the
    loss with ``array`` moved to array + nudge, along u. ``keep_ties``: see _error_along.
    An error above TOLERANCE is measured again along a second direction, and the smaller one
    kept: a nudge can cross a kink (a ReLU at 0, two nearly equal values in a max pool) by
    bad luck, twice hardly ever, while a wrong gradient is wrong along every direction."""
    error = _error_along(loss_at, array, grad, rng, keep_ties)
    if error > TOLERANCE:
        error = min(error, _error_along(loss_at, array, grad, rng, keep_ties))
    return error


def _error_along(loss_at, array, grad, rng, keep_ties):
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
    nudge = STEP * direction
    numeric = (loss_at(nudge) - loss_at(-nudge)) / (2 * STEP)
    analytic = float(np.sum(grad * direction))
    return abs(analytic - numeric) / max(abs(analytic) + abs(numeric), ZERO)


def _cross_entropy(z, targets):
    """mean_n (logsumexp(z_n) - sum_k T[n, k] z[n, k]): z (N, K), targets (N, K)."""
    top = z.max(axis=1, keepdims=True)
    log_sum = np.log(np.exp(z - top).sum(axis=1)) + top[:, 0]
    return float(np.mean(log_sum - (targets * z).sum(axis=1)))
