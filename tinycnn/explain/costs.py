"""What each layer costs, per image: multiply-adds in the forward pass, and activation memory.

Multiply-adds (one multiply and one add, ``total += x * w``) are what the matrix multiplies
do, and the matrix multiplies are where a CNN spends its arithmetic:
    Conv2D  H_out * W_out * F * (KH * KW * C_in)    one dot product of length KH*KW*C_in per
                                                     output value (padding zeros included, as
                                                     im2col and the textbook loop multiply them)
    Dense   D * U                                    x @ W
Every other layer counts 0: pooling compares or adds, activations, BatchNorm, Dropout, Flatten
and the merge layers (Add, Concatenate...) touch each value once or a few times, with no weight
matrix; their time is memory traffic, which ``profile`` measures. (The bias add is one add per
output, not counted.) A layer of yours can report its own count with a method
``multiply_adds()``. A layer called several times (shared) costs each of its calls. The
backward pass costs about twice the forward's: dW and dx are one matrix multiply each.

Activation memory is what the forward pass of a training step keeps for backward: the arrays
in every layer's ``_cache`` (Conv2D's im2col matrix and output, MaxPool2D's winners, Dropout's
mask, a merge layer's inputs...), in bytes, per image. It is measured, not derived: one
training forward of one image (zeros) on the engine, each call's cache walked and added up as
it is made (the ``watch`` hook), inside ``untouched`` so the model keeps nothing of it.
An array kept by two layers (Dense keeps its input, which is the output the layer below keeps)
counts once, at the first layer that keeps it. The bytes are those of the arrays' own dtypes:
the model's (4 bytes a value in float32, 8 in float64), int32 for MaxPool2D's winners.

Shapes: the model takes images (H, W, C); every count is for one image (N = 1).
"""

import numpy as np
from numpy.lib.array_utils import byte_bounds

from tinycnn.explain.inputs import checked_model
from tinycnn.explain.leaves import calls_of, leaf_steps
from tinycnn.explain.untouched import untouched
from tinycnn.layers.conv2d import Conv2D
from tinycnn.layers.dense import Dense


def layer_costs(model):
    """One dict per layer of ``model.layers``: name, type, output_shape, params, multiply_adds,
    activation_bytes. A layer called several times (shared) costs the sum over its calls."""
    checked_model(model, "layer_costs")
    kept, calls = activation_bytes(model), calls_of(model)
    return [{"name": layer.name, "type": type(layer).__name__,
             "output_shape": tuple(layer.output_shape), "params": layer.count_params(),
             "multiply_adds": multiply_adds(layer) * calls.get(id(layer), 0),
             "activation_bytes": kept_bytes}
            for layer, kept_bytes in zip(model.layers, kept, strict=True)]


def multiply_adds(layer):
    """Multiply-adds of one image's forward pass through a built layer, one call of it (module
    docstring)."""
    inner = getattr(layer, "network", None)
    if inner is not None:  # a model used as a layer: its layers' calls added up
        return sum(multiply_adds(leaf) for leaf, _ in leaf_steps(inner))
    own_count = getattr(layer, "multiply_adds", None)
    if callable(own_count):
        return int(own_count())
    if isinstance(layer, Conv2D):
        out_h, out_w, filters = layer.output_shape
        kh, kw = layer.kernel_size
        return out_h * out_w * filters * kh * kw * layer.input_shape[2]
    if isinstance(layer, Dense):
        return layer.input_shape[0] * layer.units
    return 0


def activation_bytes(model):
    """Bytes each layer's training forward keeps for backward, per image: a list, one per
    layer of ``model.layers``, each array counted once (module docstring)."""
    checked_model(model, "activation_bytes")
    x = np.zeros((1, *model.input_shape), dtype=model.dtype)
    seen, kept = set(), {id(layer): 0 for layer in model.layers}

    def count_cache(step, out):
        # Right after a call, the layer's cache is that call's; a model used as a layer keeps
        # its own layers' caches as its cache (network.py).
        for array in _arrays_in(step.layer._cache):
            # Views of one array (a reshape, Flatten's output) span the same bytes.
            span = byte_bounds(array)
            if span not in seen:
                seen.add(span)
                kept[id(step.layer)] += array.nbytes

    with untouched(model):
        model.forward(x, training=True, watch=count_cache)
    return [kept[id(layer)] for layer in model.layers]


def _arrays_in(cache):
    """Every NumPy array in a cache: an array, or tuples, lists and dicts holding some."""
    if isinstance(cache, np.ndarray):
        yield cache
    elif isinstance(cache, (tuple, list)):
        for item in cache:
            yield from _arrays_in(item)
    elif isinstance(cache, dict):
        for item in cache.values():
            yield from _arrays_in(item)
