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

``logit_layers(model)`` hands out the layers that compute z, the model's own layers: a final
Softmax layer is left out, and a fused softmax is switched off for the duration of the block
(its layer's ``activation`` is None meanwhile, so its forward returns z and its backward takes
dL/dz). No second model, no copied weights. A model used as a layer of another is opened up
(leaves.py), so its own softmax or Softmax layer is found where it is.
"""

import contextlib

import numpy as np

from tinycnn.explain.inputs import checked_classifier, checked_images
from tinycnn.explain.leaves import leaf_layers
from tinycnn.explain.untouched import untouched
from tinycnn.layers.activation import Activation

CHUNK = 32  # images per forward and backward pass: each layer's arrays stay in cache


@contextlib.contextmanager
def logit_layers(model):
    """The model's layers from the input to the logits, as a list (see the module docstring);
    a model used as a layer is opened up (leaves.py)."""
    layers = leaf_layers(model)
    last = layers[-1]
    if getattr(last, "activation", None) != "softmax":
        yield layers
    elif isinstance(last, Activation):  # a stand-alone Softmax(): z is its input
        yield layers[:-1]
    else:
        last.activation = None
        try:
            yield layers
        finally:
            last.activation = "softmax"


def forward(layers, x):
    """Run ``layers`` in inference mode (training=False): x -> their output."""
    for layer in layers:
        x = layer.forward(x, training=False)
    return x


def backward(layers, dout):
    """Run the backward passes of ``layers``, last to first: dout (dL/d(their output)) ->
    dL/d(their input), or None when the first of them skips it (needs_input_grad False)."""
    for layer in reversed(layers):
        dout = layer.backward(dout)
    return dout


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
    with untouched(model), logit_layers(model) as layers:
        return np.concatenate([forward(layers, x[start:start + CHUNK])
                               for start in range(0, len(x), CHUNK)])
