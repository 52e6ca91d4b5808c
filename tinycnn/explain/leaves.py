"""A model with every model used as a layer opened up: its leaves, and the steps that call them.

Keras lets a built model be a layer of another, ``Sequential([model, Softmax()])`` or
``inner(inputs)`` in a functional model; tinycnn wraps it in a ``NestedNetwork`` (network.py)
whose forward and backward run the inner model's layers. Explanations want those inner layers
themselves: Grad-CAM looks at an inner Conv2D, a saliency map needs the inner first layer's
dL/dx, the check-up names the inner layer that overflows. So they work on the leaves, the
layers that compute:
    Sequential([Sequential([conv, pool, flatten, dense]), softmax])
        leaves:  conv, pool, flatten, dense, softmax
and run them on the engine (network.py's forward and backward, with their ``watch`` hooks),
given the leaf steps: each wrapper's step replaced by its inner model's steps, the values
renumbered. A branch, a merge or a shared layer stays what it is:
    value_0 = x;  value_k = layer_k(value_{inputs of step k})
``opened_up(model)`` is the model running those steps: the same computation as the model, with
every layer call in sight. It is a shallow copy (as ``Network.replica`` makes one) with steps of
its own, so running it never touches the steps of the model (a shared layer's per-call caches).
A wrapper is recognised by its ``network`` attribute, and network.py is never imported:
network.py imports summary.py, which imports explain.
"""

import contextlib
import copy

from tinycnn.graph import InputLayer


def leaf_layers(model):
    """``model.layers`` with each model used as a layer replaced by its own leaves: a list. A
    functional model's InputLayer is among them, where its model lists it (names and indices
    count as in the model)."""
    leaves = []
    for layer in model.layers:
        inner = getattr(layer, "network", None)
        leaves.extend(leaf_layers(inner) if inner is not None else [layer])
    return leaves


def computing_layers(model):
    """The leaves that compute: leaf_layers without the InputLayers (keras.Input's)."""
    return [layer for layer in leaf_layers(model) if not isinstance(layer, InputLayer)]


def every_layer(model):
    """The leaves and the wrappers around them: every layer object that keeps something."""
    found = []
    for layer in model.layers:
        found.append(layer)
        inner = getattr(layer, "network", None)
        if inner is not None:
            found.extend(every_layer(inner))
    return found


def every_network(model):
    """The model and every model used as a layer inside it: each has steps of its own."""
    found = [model]
    for layer in model.layers:
        inner = getattr(layer, "network", None)
        if inner is not None:
            found.extend(every_network(inner))
    return found


def leaf_steps(model):
    """The model's layer calls with every wrapper opened up: [(layer, inputs)], in an order the
    engine can run, values numbered as the engine numbers them (0 the model's input, k the
    output of call k-1). A model called twice gives its layers' calls twice."""
    calls = []

    def open_up(network, input_value):
        """Append the calls of ``network`` reading flat value ``input_value``; return the
        flat value of its output."""
        flat = [input_value]  # flat[v]: the flat number of the network's own value v
        for step in network.steps:
            reads = tuple(flat[v] for v in step.inputs)
            inner = getattr(step.layer, "network", None)
            if inner is not None:
                flat.append(open_up(inner, reads[0]))
            else:
                calls.append((step.layer, reads))
                flat.append(len(calls))
        return flat[-1]

    open_up(model, 0)
    return calls


def with_steps(network, calls):
    """A shallow copy of ``network`` that runs ``calls`` [(layer, inputs)] instead of its own
    steps, sharing the layers: network.py's forward and backward, over these calls. Each call
    gets a step of its own (its own cache slot); a layer called more than once is shared."""
    make_step = type(network.steps[0])  # network.py's Step (see the module docstring)
    counts = _counts(layer for layer, _ in calls)
    twin = copy.copy(network)
    twin._steps = [make_step(layer, inputs, counts[id(layer)] > 1) for layer, inputs in calls]
    twin.layers = list({id(layer): layer for layer, _ in calls}.values())
    return twin


@contextlib.contextmanager
def opened_up(model):
    """The model running its leaf steps (with_steps), for the block. As in training, the
    layers that read only the model's input skip dL/dx, and every other leaf computes it (the
    first layer of a model used as a layer skips it inside that model, but opened up its input
    may be another layer's output). Each leaf's needs_input_grad is put back afterwards."""
    network = with_steps(model, leaf_steps(model))
    saved = [(layer, layer.needs_input_grad) for layer in network.layers]
    readers = {id(layer) for layer in network.input_readers()}
    try:
        for layer in network.layers:
            layer.needs_input_grad = id(layer) not in readers
        yield network
    finally:
        for layer, setting in saved:
            layer.needs_input_grad = setting


def calls_of(network):
    """{id(layer): how many of the network's steps call it}."""
    return _counts(step.layer for step in network.steps)


def _counts(layers):
    counts = {}
    for layer in layers:
        counts[id(layer)] = counts.get(id(layer), 0) + 1
    return counts
