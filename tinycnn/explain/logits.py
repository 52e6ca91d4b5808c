"""The class scores an explanation differentiates: the logits, the input of the final softmax.

A classifier ends in one of three ways, and each hands over its logits z (N, K) differently:
    Dense(K, activation="softmax")   the layer computes z = x @ W + b, then softmax(z) itself
                                     (a Conv2D with activation="softmax" likewise)
    ... -> Softmax()                 z is the input of the last layer
    Dense(K)                         no softmax at all (trained from logits): the output is z
Why the logit and not the probability p_k = softmax(z)_k: dp_k/dx mixes in every other class
(dp_k = p_k (dz_k - sum_j p_j dz_j)), and it vanishes once the model is sure (p_k near 1), so
the map of a confident prediction would be mostly noise. dz_k/dx asks only "what raises the
score of class k", as Simonyan et al. (2014) and Grad-CAM (Selvaraju et al., 2017) do.

``logit_network(model)`` hands out the network that computes z: the model opened up
(leaves.py), its own layers on the engine, whose last step gives z. A final Softmax layer's
step is left out, and a fused softmax is switched off for the duration of the block (its
layer's ``activation`` is None meanwhile, so its forward returns z and its backward takes
dL/dz). No second model, no copied weights. Its ``forward(x)`` gives z, its ``backward(dz)``
dL/dx (None when the layers reading x skip it), and both take the engine's ``watch`` hook.
"""

import contextlib

import numpy as np

from tinycnn.explain.inputs import checked_classifier, checked_images
from tinycnn.explain.leaves import calls_of, opened_up, with_steps
from tinycnn.explain.untouched import untouched
from tinycnn.layers.activation import Activation

CHUNK = 32  # images per forward and backward pass: each layer's arrays stay in cache


@contextlib.contextmanager
def logit_network(model, what):
    """The model opened up, ending at the logits (see the module docstring), for the block;
    ``what`` names the tool in an error."""
    with opened_up(model) as network:
        last = network.steps[-1].layer
        if getattr(last, "activation", None) != "softmax":
            yield network
        elif isinstance(last, Activation):  # a stand-alone Softmax(): z is its input
            yield with_steps(network, [(step.layer, step.inputs)
                                       for step in network.steps[:-1]])
        else:
            if calls_of(network)[id(last)] > 1:
                raise ValueError(
                    f"{what}: layer {last.name!r} ({type(last).__name__}) gives the model's "
                    "output through its softmax and is called earlier in the graph too: its "
                    "softmax cannot be left out of its last call alone, so the logits are out "
                    "of reach")
            last.activation = None
            try:
                yield network
            finally:
                last.activation = "softmax"


def one_hot(classes, num_classes, dtype):
    """classes: (N,) ints -> (N, K) with a 1 at each image's class: the gradient of
    sum_n z[n, classes[n]] with respect to z."""
    rows = np.zeros((len(classes), num_classes), dtype=dtype)
    rows[np.arange(len(classes)), classes] = 1
    return rows


def class_logits(model, images):
    """The logits z (N, K) of a classifier for images (N, H, W, C) (or (N, H, W) grayscale):
    what its final softmax would turn into probabilities. Inference mode; the model is left as
    it was."""
    checked_classifier(model, "class_logits")
    x, _ = checked_images(model, images, "class_logits images")
    with untouched(model), logit_network(model, "class_logits") as network:
        return np.concatenate([network.forward(x[start:start + CHUNK])
                               for start in range(0, len(x), CHUNK)])
