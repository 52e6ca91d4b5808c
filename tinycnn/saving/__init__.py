"""Saving and loading models: architecture, weights, optimizer and training state in one file.

The file is a NumPy .npz archive (a zip of .npy files, stored uncompressed; no pickles, so
loading never runs code from the file):
    "tinycnn_model"              a JSON string: format version, the model's name, seed, input
                                 shape and dtype, each layer's class, config and trainable
                                 flag, a functional model's graph (which layer each step
                                 calls, on which values), the compile settings, the
                                 optimizer's config and step count, the training stream's
                                 state and epochs trained (config.py lists every key)
    "params/<i>/<name>"          layer i's parameter (i: its index in model.layers), e.g.
                                 "params/0/W" (3, 3, 1, 32); a shared layer's, once
    "state/<i>/<name>"           layer i's state, e.g. "state/1/moving_mean" (32,)
    "optimizer/<slot>/<i>/<name>"  optimizer state, e.g. "optimizer/m/0/W": Adam's first moment

    writer.py    save_model: written beside the target, flushed, renamed (all or nothing)
    loader.py    load_model, load_weights_into: what is checked, in order (read_model)
    archive.py   the zip archive and its .npy members, read without trusting their sizes
    config.py    the JSON description, every key checked
    expected.py  the arrays a description implies, worked out within what the file holds
    rebuild.py   from the checked description and arrays back to a model: a Sequential, or
                 for a graph a Model, its layers called on keras.Input in step order
    errors.py    ModelFileError: what every damaged or hostile file raises
"""

from tinycnn.saving.config import FORMAT, VERSION
from tinycnn.saving.errors import ModelFileError
from tinycnn.saving.loader import load_model, load_weights_into
from tinycnn.saving.writer import save_model

__all__ = ["FORMAT", "VERSION", "ModelFileError", "load_model", "load_weights_into",
           "save_model"]
