"""load_model and load_weights: what is checked, in what order, before a file becomes a model.

A model file may come from anyone, so ``read_model`` trusts none of it: each step only reads
what the step before has bounded, and any failure is a ModelFileError that names the file.
"""

import os

from tinycnn.saving.archive import ModelArchive
from tinycnn.saving.config import check_config, parse_config
from tinycnn.saving.errors import ModelFileError, refusing_damage
from tinycnn.saving.expected import ArraySpec, expected_arrays, file_dtypes, optimizer_arrays
from tinycnn.saving.rebuild import (
    SAVED_DICTS,
    build_model,
    copy_arrays,
    layer_classes,
    restore_training,
)


def read_model(path, custom_objects=None):
    """(config, layer classes, {member: array}) from the file at ``path``, checked in order:
        1. the zip directory: every member stored uncompressed and inside the file
        2. the config member: at most MAX_CONFIG_BYTES, JSON, every key's type and range
        3. the arrays the config implies: each layer built on its own, within what the file
           can hold, for every array's exact shape and dtype
        4. the members: each one expected, none missing
        5. each array: its .npy header against 3., then exactly its bytes
    """
    path = _existing(path)
    with refusing_damage(path), ModelArchive(path) as archive:
        config = check_config(parse_config(archive.read_config_text(), path), path)
        classes = layer_classes(custom_objects)
        expected = expected_arrays(config, classes, archive.size, path)
        optional = optimizer_arrays(config, expected)
        archive.check_members(expected, optional)
        present = {name: spec for name, spec in optional.items() if archive.holds(name)}
        arrays = {name: archive.read_array(name, spec)
                  for name, spec in {**expected, **present}.items()}
    return config, classes, arrays


def load_model(model_class, path, custom_objects=None):
    """The model saved in ``path``: a ``model_class`` (Sequential) if the file holds a stack of
    layers, a Model (functional) if it holds a graph; see tinycnn.load_model."""
    path = os.fspath(path)
    config, classes, arrays = read_model(path, custom_objects)
    try:
        model = build_model(model_class, config, classes, path)
        copy_arrays(model, arrays, path)
        restore_training(model, config, arrays)
    except ModelFileError:
        raise
    except (ValueError, TypeError) as error:  # e.g. compile: the loss needs a softmax
        raise ModelFileError(f"{path!r}: the model it describes cannot be rebuilt: "
                             f"{error}") from error
    return model


def load_weights_into(model, path):
    """Copy the params and state saved in ``path`` into the built ``model``: the file's
    arrays must have the model's names and shapes, and the file's dtype or the model's (they
    are converted to the model's). Every array is read before any is copied."""
    path = _existing(path)
    with refusing_damage(path), ModelArchive(path) as archive:
        config = check_config(parse_config(archive.read_config_text(), path), path)
        dtypes = file_dtypes(config)
        expected = {f"{kind}/{index}/{key}": ArraySpec(value.shape,
                                                       (*dtypes, value.dtype), layer.name)
                    for kind in SAVED_DICTS for index, layer in enumerate(model.layers)
                    for key, value in getattr(layer, kind).items()}
        archive.check_members(expected, optimizer_arrays(config, expected))
        arrays = {name: archive.read_array(name, spec) for name, spec in expected.items()}
    copy_arrays(model, arrays, path)


def _existing(path):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no model file at {path!r}")
    return path
