"""What the explorer page knows of a model: its layer calls, their numbers, and every output.

The page (tinycnn/viz/explorer/) redoes one unit's arithmetic in the browser, with the model's
own weights and the model's own outputs of the layer below, so it needs, for every layer call:
    values    value 0 is the model's input, value k the output of call k (as the engine numbers
              them, tinycnn/network.py); a call reads the values in its ``inputs``
    kind      which step-by-step view the page has for it: "conv", "maxpool", "avgpool",
              "batchnorm", "dense", "activation", or "other" (the page then shows the value
              and says it has no step-by-step view of that layer type)
    numbers   the window geometry, the activation's name, which weights it reads
A model used as a layer is opened up (tinycnn/explain/leaves.py): the page shows its inner
layers, each call with its own outputs.

Every array goes to the page as little-endian bytes, compressed with zlib (the browser's
DecompressionStream("deflate") reads it back) and written as base64 text: the page is one file
that opens from disk, and a script can read text but not a binary file beside it.

Shapes: images (N, H, W, C); every value (N, *shape of that value); W and b as the layer has
them (Conv2D W (KH, KW, C_in, F), Dense W (D, units)).
"""

import base64
import zlib

import numpy as np

from tinycnn.explain.leaves import opened_up
from tinycnn.explain.logits import CHUNK
from tinycnn.explain.untouched import untouched
from tinycnn.layers.activation import Activation
from tinycnn.layers.averagepool2d import AveragePooling2D
from tinycnn.layers.batchnorm import BatchNormalization
from tinycnn.layers.conv2d import Conv2D
from tinycnn.layers.dense import Dense
from tinycnn.layers.maxpool2d import MaxPool2D


def encoded(array):
    """array -> base64 text of its zlib-compressed little-endian bytes (C order)."""
    array = np.ascontiguousarray(array)
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    return base64.b64encode(zlib.compress(little.tobytes(), 6)).decode("ascii")


def layer_outputs(model, x):
    """Every value the model computes for images x (N, H, W, C), in inference mode: a list,
    value 0 = x, value k = the output of call k, each (N, *shape) in the model's dtype. The
    model is left as it was."""
    outputs = []
    with untouched(model), opened_up(model) as network:
        for start in range(0, len(x), CHUNK):
            chunk = [x[start:start + CHUNK]]
            network.forward(chunk[0], watch=lambda step, out, chunk=chunk: chunk.append(out))
            outputs.append(chunk)
    return [np.concatenate(parts) for parts in zip(*outputs, strict=True)]


def describe_calls(flat):
    """flat: leaf_steps(model) (tinycnn/explain/leaves.py) -> one dict per call (see the module
    docstring), and the weights they read: (calls, weights) with weights {"k:name/key": array},
    k the number of the layer's first call (two layers of two inner models may share a name; a
    shared layer's calls share its weights)."""
    calls, weights, prefixes = [], {}, {}
    for number, (layer, inputs) in enumerate(flat, start=1):
        prefix = prefixes.setdefault(id(layer), f"{number}:{layer.name}")
        call = {"name": layer.name, "type": type(layer).__name__, "inputs": list(inputs),
                "output": number, "kind": "other"}
        call.update(_details(layer, prefix, weights))
        calls.append(call)
    return calls, weights


def _details(layer, prefix, weights):
    """The kind of a layer and the numbers its step-by-step view needs; the arrays it reads go
    into ``weights`` under "prefix/key"."""
    def weight(key, array):
        weights[f"{prefix}/{key}"] = array
        return f"{prefix}/{key}"

    if isinstance(layer, Conv2D):
        return {"kind": "conv", "activation": layer.activation or "linear",
                "window": _window(layer.geometry), "dilation": list(layer.dilation_rate),
                "W": weight("W", layer.params["W"]),
                "b": weight("b", layer.params["b"]) if layer.use_bias else None}
    if isinstance(layer, MaxPool2D | AveragePooling2D):
        return {"kind": "maxpool" if isinstance(layer, MaxPool2D) else "avgpool",
                "window": _window(layer.geometry)}
    if isinstance(layer, Dense):
        return {"kind": "dense", "activation": layer.activation or "linear",
                "W": weight("W", layer.params["W"]),
                "b": weight("b", layer.params["b"]) if layer.use_bias else None}
    if isinstance(layer, BatchNormalization) and layer.axis == -1:
        numbers = {"kind": "batchnorm", "epsilon": layer.epsilon,
                   "mean": weight("moving_mean", layer.state["moving_mean"]),
                   "variance": weight("moving_variance", layer.state["moving_variance"])}
        for key in ("gamma", "beta"):  # center=False / scale=False leave one out
            numbers[key] = weight(key, layer.params[key]) if key in layer.params else None
        return numbers
    if isinstance(layer, Activation):
        return {"kind": "activation", "activation": layer.activation or "linear"}
    return {}


def _window(geometry):
    """A WindowGeometry as the page reads it: kernel, strides, padding before, output size."""
    return {"kernel": [geometry.kh, geometry.kw], "strides": [geometry.stride_h,
            geometry.stride_w], "padding": [geometry.pad_h, geometry.pad_w],
            "out": [geometry.out_h, geometry.out_w]}
