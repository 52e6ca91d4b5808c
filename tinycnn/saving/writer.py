"""save_model: the model's description and arrays into one .npz file, all or nothing.

The file is written beside its target under a temporary name, flushed to disk, and renamed
over the target in one step, so a crash leaves the old file or the whole new one, never half
of one. The temporary's name, ".<target name>.<process id>.<random>.tmp", ties it to the
target and to the process writing it: a save that was killed leaves it behind, and the next
save of the same path removes it once that process no longer exists (never one whose process
still runs: it may be saving right now). Saving over a file keeps its permission bits; a new
file gets the usual 0o666 less the umask.
"""

import contextlib
import json
import os
import re
import secrets
import stat

import numpy as np

from tinycnn.metrics import saved_form
from tinycnn.network import NestedNetwork
from tinycnn.saving.config import FORMAT, STACK_VERSION, VERSION
from tinycnn.saving.rebuild import SAVED_DICTS


def save_model(model, path):
    """Write ``model`` (built) to ``path``."""
    arrays = {f"{kind}/{index}/{key}": value for kind in SAVED_DICTS
              for index, layer in enumerate(model.layers)
              for key, value in getattr(layer, kind).items()}
    if model.loss is not None:
        for slot, values in model.optimizer.state.items():
            arrays.update({f"optimizer/{slot}/{key}": value for key, value in values.items()})
    arrays["tinycnn_model"] = np.array(json.dumps(model_config(model)))
    write_atomically(path, lambda file: np.savez(file, **arrays))


def model_config(model):
    """The JSON-ready description of ``model`` (see config.py for every key). A model with no
    graph anywhere (no functional model, nor one used as a layer) is written as version 2,
    which tinycnn read before functional models too; a graph needs version 3."""
    version = VERSION if _has_graph(model) else STACK_VERSION
    config = {"format": FORMAT, "version": version, "name": model.name, "seed": model.seed,
              "input_shape": list(model.input_shape), "dtype": model.dtype.name,
              "layers": _layer_specs(model.layers, version)}
    if version >= 3:
        config["graph"] = _graph(model)
    config["compile"] = None
    config["training"] = {"rng": _rng_state(model.training_rng),
                          "epochs_trained": int(getattr(model, "epochs_trained", 0))}
    if model.loss is not None:
        config["compile"] = {"loss": model.loss.get_config(),
                             "metrics": _saved_metrics(model.metrics, model.metric_objects),
                             "optimizer": model.optimizer.get_config(),
                             "iterations": model.optimizer.iterations}
        if model.weighted_metrics:  # only then: a file without them reads in older tinycnn
            config["compile"]["weighted_metrics"] = _saved_metrics(
                model.weighted_metrics, model.weighted_metric_objects)
    return config


def _saved_metrics(given, made):
    """compile's metrics as the file holds them: names, and {"class", "config"} for metric
    objects (Model.check_saveable has refused what cannot be held)."""
    return [saved_form(entry, metric) for entry, metric in zip(given, made, strict=True)]


def _layer_specs(layers, version):
    """[{"class", "config", "trainable"}]; a NestedNetwork's config holds its own layers'
    (and, version 3, its graph)."""
    specs = []
    for layer in layers:
        config = layer.get_config()
        if isinstance(layer, NestedNetwork):  # its inner layers get "trainable" too
            config = {**config, "layers": _layer_specs(layer.network.layers, version)}
            if version >= 3:
                config["graph"] = _graph(layer.network)
        specs.append({"class": type(layer).__name__, "config": config,
                      "trainable": bool(getattr(layer, "trainable", True))})
    return specs


def _has_graph(network):
    """Whether ``network``, or a network used as one of its layers, is a functional one."""
    return network.is_functional or any(
        isinstance(layer, NestedNetwork) and _has_graph(layer.network)
        for layer in network.layers)


def _graph(network):
    """None for a stack (a Sequential), else the functional network's steps: which layer each
    calls (its index in network.layers) and which values it reads (0: the input, k: the
    output of step k-1), and the output, the last step's value."""
    if not network.is_functional:
        return None
    index = {id(layer): i for i, layer in enumerate(network.layers)}
    return {"steps": [{"layer": index[id(step.layer)], "inputs": list(step.inputs)}
                      for step in network.steps],
            "output": len(network.steps)}


def _rng_state(rng):
    state = rng.bit_generator.state
    if state["bit_generator"] != "PCG64":
        raise TypeError(f"save: model.training_rng must use PCG64 (np.random.default_rng), "
                        f"not {state['bit_generator']}")
    return state


# ---- writing a file all or nothing -------------------------------------------------------
def write_atomically(path, write):
    """Make ``path`` hold what ``write(file)`` writes, or stay as it was if that fails."""
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    remove_stale_temporaries(folder, name)
    temporary = os.path.join(folder, f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    kept_mode = _permission_bits(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)  # the umask applies, as for open()
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        if kept_mode is not None:
            os.chmod(temporary, kept_mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def remove_stale_temporaries(folder, name):
    """Remove the temporaries of saves to ``name`` whose process no longer exists."""
    pattern = re.compile(rf"\.{re.escape(name)}\.(\d+)\.[0-9a-f]{{8}}\.tmp")
    try:
        entries = os.listdir(folder)
    except OSError:
        return  # the save itself will say what is wrong with the folder
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match and not _process_exists(int(match[1])):
            with contextlib.suppress(FileNotFoundError):  # another save removed it first
                os.unlink(os.path.join(folder, entry))


def _process_exists(pid):
    if os.name != "posix":
        return True  # no safe check (os.kill would end the process on Windows): keep it
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only asked whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except OverflowError:
        return False  # not a process id at all
    return True


def _permission_bits(path):
    """The rwx bits of the file at ``path``, or None if there is none."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode) & 0o777
    except FileNotFoundError:
        return None


def _sync_folder(folder):
    """Flush the rename itself to disk, where the OS lets a folder be opened (POSIX)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some file systems refuse fsync on a folder
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
