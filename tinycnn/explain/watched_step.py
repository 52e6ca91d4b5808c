"""One training step written out layer by layer, checking every array as it goes.

The same step as ``Model.train_step`` (training.py), one pass over the batch, on the engine:
    forward    every layer call, training=True, up to the logits   is each output finite?
    loss       L = loss(y, z) from the logits z;  dz = dL/dz = (softmax(z) - y) / N
    backward   every call's backward, last to first                 is each dL/dx finite,
                                                                    and each layer's grads?
    update     optimizer.step(params, grads)                        is every weight finite?
It names the first array that holds a NaN or an infinity: which phase, which layer (and
updates nothing after a forward or backward pass that met one). That is the question to ask
when a loss turns into NaN: an overflow starts in one place (a layer's output grows past
float32's 3.4e38, an exp overflows, a gradient explodes) and spreads to everything after it, so
the first place it shows is where to look. Cross-entropy read from probabilities clips them,
so a loss can stay finite while the logits are already infinite; the layer outputs show it
first.

Shapes: x (N, H, W, C); y (N,) class ids or (N, K) targets; probs (N, K).
"""

from typing import NamedTuple

import numpy as np

from tinycnn.explain.leaves import computing_layers
from tinycnn.explain.logits import logit_network
from tinycnn.layers.activations import softmax


class Problem(NamedTuple):
    """Where a step first met a NaN or an infinity: phase "forward", "backward" or "update",
    the layer, and what was not finite ("the output", "dL/dx", "grads['W']", "params['W']")."""

    phase: str
    layer: object
    what: str

    def describe(self):
        """e.g. "the output of dense (Dense) in the forward pass"."""
        when = {"forward": "in the forward pass", "backward": "in the backward pass",
                "update": "after the optimizer's update"}[self.phase]
        return f"{self.what} of {self.layer.name} ({type(self.layer).__name__}) {when}"


class Step(NamedTuple):
    """What a watched step gives back: the loss (None if the forward pass failed), the
    model's output (N, K) and the first Problem, or None when everything stayed finite."""

    loss: float | None
    probs: np.ndarray | None
    problem: Problem | None


def watched_step(model, x, y):
    """Train ``model`` (compiled) one step on (x, y), checking each array; returns a Step.
    Nothing is updated when the forward or backward pass meets a non-finite value."""
    # An overflow is what this step looks for; NumPy's warnings would only say it again.
    with np.errstate(over="ignore", invalid="ignore"):
        return _step(model, x, y)


def _step(model, x, y):
    # The model opened up (leaves.py): the first layer to overflow is named even inside a
    # model used as a layer, and the optimizer moves the leaves' own arrays. The forward pass
    # stops at the logits (logits.py), which the loss reads as fit does. The engine's watch
    # hooks see every layer call; the first problem is kept, and the pass runs on to its end
    # (NaN and infinity only spread).
    with logit_network(model, "watched_step") as network:
        problems = []

        def check_output(step, out):
            if not problems and not np.isfinite(out).all():
                problems.append(Problem("forward", step.layer, "the output"))

        def check_gradients(step, dx):
            layer = step.layer
            for key, grad in layer.grads.items():
                if not problems and not np.isfinite(grad).all():
                    problems.append(Problem("backward", layer, f"grads[{key!r}]"))
            for grad in dx if layer.takes_list else [dx]:
                if not problems and grad is not None and not np.isfinite(grad).all():
                    problems.append(Problem("backward", layer, "dL/dx"))

        out = network.forward(x, training=True, watch=check_output)
        if problems:
            return Step(None, None, problems[0])
        loss, probs = model.loss.of_logits(y, out), softmax(out)
        network.backward(model.loss.gradient_wrt_logits(y, probs), watch=check_gradients)
        if problems:
            return Step(loss, probs, problems[0])
    layers = computing_layers(model)
    model.optimizer.step([layer.trainable_params for layer in layers],
                         [layer.grads for layer in layers], [layer.name for layer in layers])
    for layer in layers:  # as training.train_step does
        layer.apply_constraints()
    for layer in layers:
        for key, value in layer.params.items():
            if not np.isfinite(value).all():
                return Step(loss, probs, Problem("update", layer, f"params[{key!r}]"))
    return Step(loss, probs, None)
