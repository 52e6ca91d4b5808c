"""A working copy of a model: the same layers, weights, state and settings, sharing nothing.

The check-up trains, breaks and measures a model; it does all of that on a copy, so the
caller's model, its optimizer and its history stay exactly as they were. The copy is rebuilt
the way ``load_model`` rebuilds a saved model:
    layers      type(layer)(**layer.get_config()): new objects with the same settings and names,
                frozen where the original is (trainable False)
    model       a stack: the same class, name, seed and dtype, built for the same input shape;
                a functional model: keras.Input again, then each step's copied layer called on
                the values it reads, in step order (a layer the original shares is copied once,
                so the copy shares it too), and the same class made from those inputs and
                outputs, which builds it from the seed
    weights     set_weights(model.get_weights()): params and state (BatchNorm's statistics)
    compile     the same loss, metrics, weighted metrics and optimizer settings
                (optimizer_from_config), with fresh metric objects (type(m)(**m.get_config()):
                the copy's running totals are its own) and a fresh optimizer state: a copy
                starts training from step 0
    kernels     the same kernel set ("numba" or "numpy") and number of worker threads
A model used as a layer of another (a NestedNetwork, as Keras's Sequential([model, ...])) is
copied the same way, then wrapped again: the copy shares no weight with the original's.
"""

from tinycnn import graph
from tinycnn.metric_objects import Metric
from tinycnn.optimizers import optimizer_from_config


def copy_model(model, dtype=None):
    """A new, independent model equal to ``model`` (built); ``dtype`` to compute in another
    precision (the weights are converted)."""
    twin = _copy_network(model, model.dtype if dtype is None else dtype)
    twin.set_weights(model.get_weights())
    twin.use_kernels(model.kernels.name)
    twin.workers = getattr(model, "workers", 1)
    if getattr(model, "loss", None) is not None and getattr(model, "optimizer", None) is not None:
        twin.compile(loss=model.loss, metrics=[_fresh(metric) for metric in model.metrics],
                     weighted_metrics=[_fresh(metric) for metric in model.weighted_metrics],
                     optimizer=optimizer_from_config(model.optimizer.get_config()))
    return twin


def _fresh(metric):
    """A new metric object like ``metric`` (its settings, none of its running totals); a name,
    a class or a function as it is."""
    if isinstance(metric, Metric):
        return type(metric)(**metric.get_config())
    return metric


def clone_model(model):
    """Keras's ``keras.models.clone_model(model)``: a new model of the same class, layers and
    settings (names, trainable flags, seed, dtype), built, with new weights: the ones a new
    model with that seed draws, as Keras draws new ones; not compiled, as in Keras."""
    return _copy_network(model, model.dtype)


def _copy_network(network, dtype):
    """The same class of network with copies of its layers, built, with new weights."""
    if network.is_functional:
        return _copy_graph(network, dtype)
    layers = [_copy_layer(layer, dtype) for layer in network.layers]
    twin = type(network)(layers, name=network.name, seed=network.seed, dtype=dtype)
    return twin.build(network.input_shape)


def _copy_graph(network, dtype):
    """A functional model called again on new layers (the module docstring)."""
    entry = network.layers[0]  # the InputLayer
    inputs = graph.Input(shape=network.input_shape, name=entry.name, dtype=dtype)
    copies = {}  # id(original layer) -> its copy: one copy, however many steps call it
    values = [inputs]  # values[v]: value v of the copy, a KerasTensor
    for step in network.steps:
        if id(step.layer) not in copies:
            copies[id(step.layer)] = _copy_layer(step.layer, dtype)
        layer = copies[id(step.layer)]
        tensors = [values[v] for v in step.inputs]
        values.append(layer(tensors if layer.takes_list else tensors[0]))
    settings = {"name": network.name, "seed": network.seed, "dtype": dtype}
    if hasattr(network, "compile"):  # a Model: keras.Model(inputs, outputs)
        return type(network)(inputs, values[-1], **settings)
    # A plain Network (a model used as a layer, as load_model rebuilds one): made, then wired.
    return type(network)(**settings).connect(inputs, values[-1])


def _copy_layer(layer, dtype):
    inner = getattr(layer, "network", None)
    if inner is not None:  # a model used as a layer (NestedNetwork): copy the model, wrap it
        twin = type(layer)(_copy_network(inner, dtype))
        twin.name = layer.name  # the name its outer model gave it
        return twin
    try:
        twin = type(layer)(**layer.get_config())
    except TypeError as error:
        raise TypeError(
            f"cannot copy layer {layer.name!r} ({type(layer).__name__}): its get_config() "
            f"does not give back its constructor's arguments ({error})") from error
    twin.trainable = layer.trainable  # a frozen layer stays frozen in the check-up's runs
    return twin
