"""Saving and loading models: architecture, weights and optimizer state in one .npz file.

The file is a plain NumPy .npz archive (read with ``allow_pickle=False``, so loading never runs
code from the file):
    "tinycnn_model"              a JSON string: format version, layer classes and configs,
                                 the compile settings, the optimizer's config and step count
    "params/<i>/<name>"          layer i's parameter, e.g. "params/0/W" (3, 3, 1, 32)
    "state/<i>/<name>"           layer i's state, e.g. "state/1/moving_mean" (32,)
    "optimizer/<slot>/<key>"     optimizer state, e.g. "optimizer/m/0/W" for Adam's first moment
It is written to a temporary file and renamed, so a failure never leaves half a file behind.
``tinycnn.load_model`` (in model.py) reads it back with ``read_model_file``,
``layers_from_config`` and ``restore``; this module never imports the model, so imports run
one way: model -> saving -> network, layers, losses, optimizers.
"""

import json
import os
import tempfile
import zipfile

import numpy as np

from tinycnn.layers import LAYER_CLASSES
from tinycnn.losses import loss_from_config
from tinycnn.network import NestedNetwork, Network
from tinycnn.optimizers import optimizer_from_config

FORMAT = "tinycnn-model"
VERSION = 1


class ModelFileError(ValueError):
    """The file is not a tinycnn model, is damaged, or does not fit the model."""


_SAVED_DICTS = ("params", "state")  # the layer dicts whose arrays the file holds


def save_model(model, path):
    """Write ``model`` (built) to ``path``."""
    config = {
        "format": FORMAT,
        "version": VERSION,
        "name": model.name,
        "seed": model.seed,
        "input_shape": list(model.input_shape),
        "layers": [{"class": type(layer).__name__, "config": layer.get_config()}
                   for layer in model.layers],
        "compile": None,
    }
    arrays = {f"{kind}/{i}/{name}": value
              for kind in _SAVED_DICTS for i, layer in enumerate(model.layers)
              for name, value in getattr(layer, kind).items()}
    if model.loss is not None:
        optimizer = model.optimizer
        config["compile"] = {"loss": model.loss.get_config(), "metrics": model.metrics,
                             "optimizer": optimizer.get_config(),
                             "iterations": optimizer.iterations}
        for slot, values in optimizer.state.items():
            arrays.update({f"optimizer/{slot}/{key}": value for key, value in values.items()})
    arrays["tinycnn_model"] = np.array(json.dumps(config))

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)
        os.replace(tmp_path, path)
    except BaseException:
        os.unlink(tmp_path)
        raise


def read_model_file(path):
    """(config dict, {name: array}) from a model file, or a ModelFileError saying what is wrong."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{path!r} holds a single NumPy array (.npy), not a tinycnn "
                                 "model (.npz archive)")
        with loaded as archive:
            if "tinycnn_model" not in archive.files:
                raise ModelFileError(f"{path!r} is an .npz archive but not a tinycnn model "
                                     "(it has no 'tinycnn_model' entry)")
            arrays = {name: archive[name] for name in archive.files}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise ModelFileError(f"{path!r} is not a readable tinycnn model file (truncated or not "
                             f"an .npz archive): {error}") from error
    try:
        config = json.loads(str(arrays.pop("tinycnn_model")))
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{path!r}: its model description is damaged: {error}") from error
    if config.get("format") != FORMAT or config.get("version") != VERSION:
        raise ModelFileError(f"{path!r}: unsupported format {config.get('format')!r} "
                             f"version {config.get('version')!r}")
    return config, arrays


def _copy_arrays(model, arrays, path):
    """Copy the file's params and state into the model's arrays, checking every one first,
    so a file that does not fit leaves the model as it was."""
    expected = {}
    for kind in _SAVED_DICTS:
        for i, layer in enumerate(model.layers):
            for name, target in getattr(layer, kind).items():
                expected[f"{kind}/{i}/{name}"] = (layer, name, target)
    for key, (layer, name, target) in expected.items():
        if key not in arrays:
            raise ModelFileError(f"{path!r} has no {key!r} for layer {layer.name!r}: it was "
                                 "saved from another architecture")
        if arrays[key].shape != target.shape:
            raise ModelFileError(
                f"{path!r}: layer {layer.name!r} array {name!r} has shape {arrays[key].shape} "
                f"in the file but {target.shape} in the model: it was saved from another "
                "architecture")
    extra = {k for k in arrays if k.split("/")[0] in _SAVED_DICTS} - set(expected)
    if extra:
        raise ModelFileError(f"{path!r} holds arrays this model does not have "
                             f"({sorted(extra)[:3]}...): it was saved from another architecture")
    for key, (_, _, target) in expected.items():
        target[...] = arrays[key]


def layers_from_config(config, path, custom_objects=None):
    """New layer objects from the file's description (``custom_objects``: {name: class})."""
    classes = {**LAYER_CLASSES, **(custom_objects or {})}
    layers = []
    for spec in config["layers"]:
        name = spec.get("class")
        if name == "NestedNetwork":  # a model used as a layer: rebuild it, then wrap it
            inner = spec["config"]
            network = Network(layers_from_config(inner, path, custom_objects),
                              name=inner["name"], dtype=inner["dtype"])
            layers.append(NestedNetwork(network.build(tuple(inner["input_shape"]))))
            continue
        if name not in classes:
            raise ModelFileError(
                f"{os.fspath(path)!r}: unknown layer class {name!r}. If it is your own layer, "
                f"register it before loading (put @tinycnn.layers.register above "
                f"'class {name}(Layer)'), or pass it: "
                f"tinycnn.load_model(path, custom_objects={{{name!r}: {name}}})")
        # JSON has no tuples: pairs such as kernel_size come back as lists.
        layer_config = {key: tuple(value) if isinstance(value, list) else value
                        for key, value in spec["config"].items()}
        layers.append(classes[name](**layer_config))
    return layers


def restore(model, config, arrays, path):
    """Fill a model built from ``config`` with the file's arrays and, if it was compiled,
    its loss, optimizer and optimizer state."""
    _copy_arrays(model, arrays, os.fspath(path))
    if config["compile"] is None:
        return
    settings = config["compile"]
    model.compile(loss=loss_from_config(settings["loss"]),
                  optimizer=optimizer_from_config(settings["optimizer"]),
                  metrics=settings["metrics"])
    model.optimizer.iterations = settings["iterations"]
    for key, value in arrays.items():
        if key.startswith("optimizer/"):
            _, slot, state_key = key.split("/", 2)
            model.optimizer.state.setdefault(slot, {})[state_key] = value.copy()


def load_weights_into(model, path):
    """Copy the weights (and state) saved in ``path`` into a built ``model``."""
    _, arrays = read_model_file(path)
    _copy_arrays(model, arrays, os.fspath(path))
