"""Saving and loading models: architecture, weights and optimizer state in one .npz file.

The file is a plain NumPy .npz archive (read with ``allow_pickle=False``, so loading never runs
code from the file):
    "tinycnn_model"              a JSON string: format version, layer classes and configs,
                                 the compile settings, the optimizer's config and step count
    "params/<i>/<name>"          layer i's parameter, e.g. "params/0/W" (3, 3, 1, 32)
    "optimizer/<slot>/<key>"     optimizer state, e.g. "optimizer/m/0/W" for Adam's first moment
It is written to a temporary file and renamed, so a failure never leaves half a file behind.
"""

import json
import os
import tempfile
import zipfile

import numpy as np

from tinycnn.layers import LAYER_CLASSES
from tinycnn.optimizers import optimizer_from_config

FORMAT = "tinycnn-model"
VERSION = 1


class ModelFileError(ValueError):
    """The file is not a tinycnn model, is damaged, or does not fit the model."""


def save_model(model, path):
    model._ensure_built()
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
    arrays = {f"params/{i}/{name}": value
              for i, layer in enumerate(model.layers) for name, value in layer.params.items()}
    if model.loss is not None:
        optimizer = model.optimizer
        config["compile"] = {"loss": model.loss.name, "metrics": model.metrics,
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


def _read(path):
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


def _copy_params(model, arrays, path):
    # Check every array before copying any, so a file that does not fit leaves the model as it was.
    for i, layer in enumerate(model.layers):
        for name, target in layer.params.items():
            key = f"params/{i}/{name}"
            if key not in arrays:
                raise ModelFileError(f"{path!r} has no {key!r} for layer {layer.name!r}: it was "
                                     "saved from another architecture")
            if arrays[key].shape != target.shape:
                raise ModelFileError(
                    f"{path!r}: layer {i} ({layer.name}) parameter {name!r} has shape "
                    f"{arrays[key].shape} in the file but {target.shape} in the model: "
                    "it was saved from another architecture")
    extra = {k for k in arrays if k.startswith("params/")} - {
        f"params/{i}/{name}" for i, layer in enumerate(model.layers) for name in layer.params}
    if extra:
        raise ModelFileError(f"{path!r} holds parameters this model does not have "
                             f"({sorted(extra)[:3]}...): it was saved from another architecture")
    for i, layer in enumerate(model.layers):
        for name, target in layer.params.items():
            target[...] = arrays[f"params/{i}/{name}"]


def load_model(path):
    """Rebuild the model saved in ``path``: same layers, weights and (if it was compiled)
    loss, optimizer and optimizer state, so it predicts identically and resumes training."""
    from tinycnn.model import Sequential

    config, arrays = _read(path)
    layers = []
    for spec in config["layers"]:
        if spec.get("class") not in LAYER_CLASSES:
            raise ModelFileError(f"{os.fspath(path)!r}: unknown layer class {spec.get('class')!r}")
        layer_config = dict(spec["config"])
        for key in ("kernel_size", "pool_size"):
            if key in layer_config:
                layer_config[key] = tuple(layer_config[key])
        layers.append(LAYER_CLASSES[spec["class"]](**layer_config))
    model = Sequential(layers, name=config["name"], seed=config["seed"])
    model.build(tuple(config["input_shape"]))
    _copy_params(model, arrays, os.fspath(path))
    if config["compile"] is not None:
        settings = config["compile"]
        model.compile(loss=settings["loss"], optimizer=optimizer_from_config(settings["optimizer"]),
                      metrics=settings["metrics"])
        model.optimizer.iterations = settings["iterations"]
        for key, value in arrays.items():
            if key.startswith("optimizer/"):
                _, slot, state_key = key.split("/", 2)
                model.optimizer.state.setdefault(slot, {})[state_key] = value.copy()
    return model


def load_weights_into(model, path):
    """Copy the weights saved in ``path`` into ``model``, checking every shape."""
    model._ensure_built()
    _, arrays = _read(path)
    _copy_params(model, arrays, os.fspath(path))
