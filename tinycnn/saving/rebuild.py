"""From a checked config and checked arrays back to a model.

    layers      each layer's class from its name (LAYER_CLASSES, or ``custom_objects``), called
                with its config; a NestedNetwork's inner layers likewise, built and wrapped
    model       Sequential(layers, name, seed, dtype), built for input_shape
    arrays      copied into the layers' params and state
    compile     the loss, metrics, optimizer settings and step count, and the optimizer state
    training    model.training_rng continues where the saved model's stream stopped, and
                model.epochs_trained (version 1 files: the stream from the seed, 0 epochs)
This module never imports the model, so imports run one way: model -> saving -> network,
layers, losses, optimizers.
"""

import numpy as np

from tinycnn.layers import LAYER_CLASSES
from tinycnn.losses import loss_from_config
from tinycnn.network import NestedNetwork, Network
from tinycnn.optimizers import optimizer_from_config
from tinycnn.saving.config import model_dtype
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
    """A built ``model_class`` (Sequential) with the layers ``config`` describes."""
    layers = [_layer(spec, classes, path, f"layer {index}")
              for index, spec in enumerate(config["layers"])]
    model = model_class(layers, name=config["name"], seed=config["seed"],
                        dtype=model_dtype(config))
    model.build(tuple(config["input_shape"]))
    _set_trainable(model.layers, config["layers"])
    return model


def _layer(spec, classes, path, where):
    if spec["class"] != "NestedNetwork":
        return new_layer(spec, classes, path, where)
    inner = spec["config"]  # a model used as a layer: rebuild it, then wrap it
    layers = [_layer(inner_spec, classes, path, f"{where}, inner layer {j}")
              for j, inner_spec in enumerate(inner["layers"])]
    network = Network(layers, name=inner["name"], dtype=inner["dtype"])
    return NestedNetwork(network.build(tuple(inner["input_shape"])))


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
                      metrics=settings["metrics"])
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
