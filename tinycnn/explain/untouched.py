"""Leaving a model as it was: what an explanation borrows from the model, and gives back.

Explanations run the model's own layers forward and backward, and those passes leave traces in
every layer:
    _cache            what the last forward kept for backward (replaced by every forward call)
    grads             dL/dparams (replaced by every backward call)
    needs_input_grad  False on the layers reading the model's input (nothing below them trains);
                      a saliency map needs dL/d(image), so it is switched on for a while
    state             BatchNorm's moving statistics, moved by a training forward
    random_stream()   where the generator a layer draws from stands (Dropout's masks)
and in the model's steps: ``step.cache``, what each call of a shared layer kept for its own
backward. ``untouched(model)`` saves all of them and puts them back on the way out, error or
not: a model explained halfway through training goes on exactly as if nothing had happened.
The weights (``params``) are not saved: nothing here changes them.
"""

import contextlib

from tinycnn.explain.leaves import every_layer, every_network


@contextlib.contextmanager
def untouched(model):
    """Run the block, then put back every layer's cache, grads, needs_input_grad, state and
    random stream, and every step's cache, as they were before it."""
    layers = every_layer(model)  # models used as layers too, and their own layers
    saved = [_save(layer) for layer in layers]
    steps = [step for network in every_network(model) for step in network.steps]
    step_caches = [step.cache for step in steps]
    try:
        yield model
    finally:
        for layer, traces in zip(layers, saved, strict=True):
            _restore(layer, traces)
        for step, cache in zip(steps, step_caches, strict=True):
            step.cache = cache


def _save(layer):
    stream = layer.random_stream()  # its own generator (seed=), its rng, or None
    return {
        "cache": layer._cache,
        "needs_input_grad": layer.needs_input_grad,
        # The dict itself, its arrays, and their values: a backward may put new arrays into
        # the dict (the package's layers do) or write into the old ones (a layer of yours may).
        "grads": (layer.grads, {key: (value, value.copy()) for key, value in layer.grads.items()}),
        "state": {key: value.copy() for key, value in layer.state.items()},
        "stream": (stream, stream.bit_generator.state) if stream is not None else None,
    }


def _restore(layer, traces):
    layer._cache = traces["cache"]
    layer.needs_input_grad = traces["needs_input_grad"]
    grads, arrays = traces["grads"]
    grads.clear()
    for key, (array, values) in arrays.items():
        array[...] = values
        grads[key] = array
    layer.grads = grads
    for key, values in traces["state"].items():
        layer.state[key][...] = values  # in place: model.weights and replicas share them
    if traces["stream"] is not None:
        stream, state = traces["stream"]
        stream.bit_generator.state = state
