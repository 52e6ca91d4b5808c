"""From a checked config and checked arrays back to a model.

    layers      each layer's class from its name (LAYER_CLASSES, or ``custom_objects``), called
                with its config; a NestedNetwork's inner layers likewise, built and wrapped
    model       a stack: Sequential(layers, name, seed, dtype), built for input_shape;
                a graph: keras.Input from the InputLayer's spec, each step's layer called on
                the KerasTensors it reads, in step order, and Model(inputs, outputs, name,
                seed, dtype), which builds it (a shared layer is one object, called twice).
                The rebuilt model's layers and steps must be the file's, in its order
    arrays      copied into the layers' params and state
    compile     the loss, metrics (names, or metric objects made from their class and config),
                weighted metrics, optimizer settings and step count, and the optimizer state
    training    model.training_rng continues where the saved model's stream stopped, and
                model.epochs_trained (version 1 files: the stream from the seed, 0 epochs)
Imports run one way, model -> saving -> network, graph, layers, losses, optimizers: Model is
imported inside ``build_model``, when a file is loaded, never when this module is.
"""

import numpy as np

from tinycnn import graph
from tinycnn.layers import LAYER_CLASSES
from tinycnn.losses import loss_from_config
from tinycnn.metrics import from_saved_form
from tinycnn.network import NestedNetwork, Network
from tinycnn.optimizers import optimizer_from_config
from tinycnn.saving.config import model_dtype, network_graph
from tinycnn.saving.errors import ModelFileError

SAVED_DICTS = ("params", "state")  # the layer dicts whose arrays the file holds


def layer_classes(custom_objects=None):
    """{class name: class} for the layers a file may name (``custom_objects``: your own)."""
    return {**LAYER_CLASSES, **(custom_objects or {})}


def new_layer(spec, classes, path, where):
    """A new, unbuilt layer from its spec {"class": ..., "config": {...}}: its constructor checks
    the arguments, and a bad one is a ModelFileError naming the file and the layer."""
    name = spec["class"]
    if name not in classes:
        raise ModelFileError(
            f"{path!r}: unknown layer class {name!r}. If it is your own layer, register it "
            f"before loading (put @tinycnn.layers.register above 'class {name}(Layer)'), or "
            f"pass it: tinycnn.load_model(path, custom_objects={{{name!r}: {name}}})")
    # JSON has no tuples: pairs such as kernel_size come back as lists.
    arguments = {key: tuple(value) if isinstance(value, list) else value
                 for key, value in spec["config"].items()}
    try:
        return classes[name](**arguments)
    except (ValueError, TypeError) as error:
        raise ModelFileError(f"{path!r}: {where} ({name} {spec['config'].get('name')!r}) "
                             f"cannot be made from the file's arguments: {error}") from error


def build_model(model_class, config, classes, path):
    """A built model with the layers ``config`` describes: a ``model_class`` (Sequential) for
    a stack, a Model for a graph."""
    if network_graph(config) is None:
        layers = [_layer(spec, classes, path, f"layer {index}")
                  for index, spec in enumerate(config["layers"])]
        model = model_class(layers, name=config["name"], seed=config["seed"],
                            dtype=model_dtype(config))
        model.build(tuple(config["input_shape"]))
    else:
        from tinycnn.model import Model  # model.py imports saving: not at the top

        inputs, outputs, layers = _called_graph(config, classes, path, "")
        model = Model(inputs, outputs, name=config["name"], seed=config["seed"],
                      dtype=model_dtype(config))
        _check_same_graph(model, layers, config, path, "the model")
    _set_trainable(model.layers, config["layers"])
    return model


def _layer(spec, classes, path, where):
    if spec["class"] != "NestedNetwork":
        return new_layer(spec, classes, path, where)
    inner = spec["config"]  # a model used as a layer: rebuild it, then wrap it
    if network_graph(inner) is None:
        layers = [_layer(inner_spec, classes, path, f"{where}, inner layer {j}")
                  for j, inner_spec in enumerate(inner["layers"])]
        network = Network(layers, name=inner["name"], seed=0, dtype=inner["dtype"])
        network.build(tuple(inner["input_shape"]))
    else:  # its weights are drawn here and overwritten by the file's
        inputs, outputs, layers = _called_graph(inner, classes, path, f"{where}, inner ")
        network = Network(name=inner["name"], seed=0, dtype=inner["dtype"])
        network.connect(inputs, outputs)
        _check_same_graph(network, layers, inner, path, f"{where} (model {inner['name']!r})")
    return NestedNetwork(network)


def _called_graph(network, classes, path, where):
    """(input, output, layers) of the graph ``network`` describes: keras.Input made from
    layers[0], the InputLayer's spec, then each step's layer called on the values it reads
    (KerasTensors), in step order. ``layers``: the layer objects, in the file's order."""
    spec = network["layers"][0]["config"]
    inputs = graph.Input(shape=tuple(spec["shape"]), name=spec["name"], dtype=spec["dtype"])
    layers = [inputs.layer] + [_layer(spec, classes, path, f"{where}layer {index}")
                               for index, spec in enumerate(network["layers"]) if index > 0]
    values = [inputs]  # values[v]: value v as a KerasTensor (0: the input)
    for step in network_graph(network)["steps"]:
        layer = layers[step["layer"]]
        tensors = [values[value] for value in step["inputs"]]
        values.append(layer(tensors if layer.takes_list else tensors[0]))
    return inputs, values[-1], layers


def _check_same_graph(network, layers, config, path, what):
    """The rebuilt ``network`` has the file's layers and steps, in the file's order: its
    arrays are named by layer index. config.py has checked the order already: a last check."""
    steps = network_graph(config)["steps"]
    same_layers = [id(layer) for layer in network.layers] == [id(layer) for layer in layers]
    same_steps = [(id(step.layer), step.inputs) for step in network.steps] == [
        (id(layers[step["layer"]]), tuple(step["inputs"])) for step in steps]
    if not (same_layers and same_steps):
        raise ModelFileError(f"{path!r}: {what} rebuilt from the file has its layers or steps "
                             "in another order than the file lists them")


def _set_trainable(layers, specs):
    """Each layer's saved ``trainable`` flag (version 2), outer layers first: freezing a model
    used as a layer freezes its inner layers, which may then differ one by one."""
    for layer, spec in zip(layers, specs, strict=True):
        if "trainable" in spec:
            layer.trainable = spec["trainable"]
        if spec["class"] == "NestedNetwork":
            _set_trainable(layer.network.layers, spec["config"]["layers"])


def copy_arrays(model, arrays, path):
    """Copy the file's params and state into the model's arrays (every one checked first, so a
    file that does not fit leaves the model as it was)."""
    targets = {f"{kind}/{index}/{key}": value for kind in SAVED_DICTS
               for index, layer in enumerate(model.layers)
               for key, value in getattr(layer, kind).items()}
    for name, target in targets.items():
        if arrays[name].shape != target.shape:  # expected_arrays saw to it; a last check
            raise ModelFileError(f"{path!r}: {name!r} has shape {arrays[name].shape}, the "
                                 f"model {target.shape}")
    for name, target in targets.items():
        target[...] = arrays[name]


def restore_training(model, config, arrays):
    """The loss, optimizer (settings, step count and state), training_rng and epochs_trained."""
    settings = config["compile"]
    if settings is not None:
        model.compile(loss=loss_from_config(settings["loss"]),
                      optimizer=optimizer_from_config(settings["optimizer"]),
                      metrics=[from_saved_form(entry) for entry in settings["metrics"]],
                      weighted_metrics=[from_saved_form(entry)
                                        for entry in settings.get("weighted_metrics", [])])
        model.optimizer.iterations = settings["iterations"]
        for name, value in arrays.items():
            if name.startswith("optimizer/"):
                _, slot, key = name.split("/", 2)
                model.optimizer.state.setdefault(slot, {})[key] = value.copy()
    training = config.get("training")
    if training is not None:  # version 1 files: the stream from the seed, as Network made it
        rng = np.random.Generator(np.random.PCG64())
        rng.bit_generator.state = training["rng"]
        model.training_rng = rng
        model.epochs_trained = training["epochs_trained"]
