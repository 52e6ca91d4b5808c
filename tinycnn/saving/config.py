"""The model file's description (a JSON config), checked key by key before anything is built.

The config decides which layers get built and how big their arrays are, so every key is
checked for its type and range here, and a key the format does not know is refused. Format
version 2 (version 1, what tinycnn wrote before, lacks the keys marked 2):

    format          "tinycnn-model"
    version         1 or 2
    name            the model's name (str)
    seed            int >= 0
    input_shape     [H, W, C] (or another number of axes), ints >= 1
    dtype (2)       "float32" or "float64": the model's and every array's (version 1: float32)
    layers          [{"class": str, "config": {...}, "trainable" (2): bool}, ...]; the config
                    of a NestedNetwork (a model used as a layer) is {"name", "input_shape",
                    "dtype", "layers"}, nested at most MAX_NESTING deep
    compile         null, or {"loss": {"name": ..., ...}, "metrics": [str], "optimizer":
                    {"name": ..., ...}, "iterations": int >= 0}
    training (2)    {"rng": model.training_rng.bit_generator.state (PCG64),
                     "epochs_trained": int >= 0}

A layer's own arguments are checked by its constructor (expected.py builds every layer); the
loss and optimizer settings by theirs (which check their ranges) and by a round trip through
``get_config``, so that "from_logits": "yes" cannot turn into True on the way.
"""

import json
import math

from tinycnn.losses import LOSSES, loss_from_config
from tinycnn.metrics import ACCURACY_NAMES
from tinycnn.optimizers import OPTIMIZERS, optimizer_from_config
from tinycnn.saving.errors import ModelFileError

FORMAT = "tinycnn-model"
VERSION = 2
MAX_JSON_DEPTH = 64  # a model nested MAX_NESTING deep is about 30 levels of JSON
MAX_NESTING = 8
DTYPES = ("float32", "float64")
LARGEST_INT = 2**63  # iterations, epochs, input sizes: what NumPy's int64 can hold

_TOP_KEYS = {1: {"format", "version", "name", "seed", "input_shape", "layers", "compile"},
             2: {"format", "version", "name", "seed", "input_shape", "dtype", "layers",
                 "compile", "training"}}

class _Invalid(Exception):
    """A key of the config that is missing or has the wrong type or value."""

    def __init__(self, where, problem):
        super().__init__(f"{where}: {problem}")


def parse_config(text, path):
    """The JSON ``text`` of the file's config, parsed, or a ModelFileError. Numbers must be
    finite (no NaN, no Infinity, no 1e999), and nesting at most MAX_JSON_DEPTH deep."""
    try:
        config = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError as error:
        raise ModelFileError(f"{path!r}: its model description is nested too deeply for JSON "
                             "to read") from error
    except ValueError as error:  # json.JSONDecodeError, a too long int, NaN
        raise ModelFileError(f"{path!r}: its model description is damaged: {error}") from error
    if _depth(config) > MAX_JSON_DEPTH:
        raise ModelFileError(f"{path!r}: its model description is nested more than "
                             f"{MAX_JSON_DEPTH} levels deep")
    return config


def _refuse_constant(name):
    raise ValueError(f"{name} is not a number a model file may hold")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a number a model file may hold")
    return value


def _depth(value):
    """How deeply lists and dicts nest in ``value`` (with a stack, not recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in
                         (value.values() if isinstance(value, dict) else value))
    return deepest


def check_config(config, path):
    """``config`` if every key has its type and range, else a ModelFileError naming the key."""
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ModelFileError(f"{path!r}: not a tinycnn model description (no format "
                             f"{FORMAT!r})")
    version = config.get("version")
    if type(version) is not int or version not in _TOP_KEYS:
        raise ModelFileError(f"{path!r}: unsupported format {FORMAT!r} version "
                             f"{_short(version)}; this tinycnn reads versions 1 to {VERSION}")
    try:
        _keys(config, "the config", _TOP_KEYS[version], optional={"dtype"})
        _string(config["name"], "name")
        _int(config["seed"], "seed", high=2**128)
        if "dtype" in config:
            _choice(config["dtype"], "dtype", DTYPES)
        _layers(config, "", version, depth=0)
        _compile(config["compile"])
        if version >= 2:
            _training(config["training"])
    except _Invalid as error:
        raise ModelFileError(f"{path!r}: its model description is invalid: {error}") from None
    return config


def model_dtype(config):
    """The dtype the model computes in: the file's, or float32 for version 1 (which did not
    record it)."""
    return config.get("dtype", "float32")


# ---- the parts ---------------------------------------------------------------------------
def _layers(network, where, version, depth):
    """input_shape and layers of the model, or of a NestedNetwork's config, at ``where``."""
    shape = network["input_shape"]
    if not isinstance(shape, list) or not 1 <= len(shape) <= 8:
        raise _Invalid(f"{where}input_shape", f"expected a list of 1 to 8 sizes, got "
                       f"{_short(shape)}")
    for axis, size in enumerate(shape):
        _int(size, f"{where}input_shape[{axis}]", low=1)
    layers = network["layers"]
    if not isinstance(layers, list) or not layers:
        raise _Invalid(f"{where}layers", f"expected a non-empty list, got {_short(layers)}")
    for index, spec in enumerate(layers):
        here = f"{where}layers[{index}]"
        _keys(spec, here, {"class", "config"} | ({"trainable"} if version >= 2 else set()))
        _string(spec["class"], f"{here}.class")
        if version >= 2 and not isinstance(spec["trainable"], bool):
            raise _Invalid(f"{here}.trainable", f"expected true or false, got "
                           f"{_short(spec['trainable'])}")
        layer_config = spec["config"]
        if spec["class"] == "NestedNetwork":
            if depth + 1 > MAX_NESTING:
                raise _Invalid(here, f"models used as layers nest more than {MAX_NESTING} deep")
            _keys(layer_config, f"{here}.config", {"name", "input_shape", "dtype", "layers"})
            _choice(layer_config["dtype"], f"{here}.config.dtype", DTYPES)
            _layers(layer_config, f"{here}.config.", version, depth + 1)
        elif not isinstance(layer_config, dict):
            raise _Invalid(f"{here}.config", f"expected an object, got {_short(layer_config)}")
        elif "input_shape" in layer_config:  # it would build the layer before any check
            raise _Invalid(f"{here}.config.input_shape", "a layer's input shape is the "
                           "model's input_shape")
        if "name" in layer_config:
            _string(layer_config["name"], f"{here}.config.name")


def _compile(settings):
    if settings is None:
        return
    _keys(settings, "compile", {"loss", "metrics", "optimizer", "iterations"})
    loss = settings["loss"]
    if isinstance(loss, str):  # version 1 files may name the loss only
        _choice(loss, "compile.loss", sorted(LOSSES))
    else:
        _settings(loss, "compile.loss", LOSSES, loss_from_config)
    metrics = settings["metrics"]
    if not isinstance(metrics, list):
        raise _Invalid("compile.metrics", f"expected a list, got {_short(metrics)}")
    for index, metric in enumerate(metrics):
        _choice(metric, f"compile.metrics[{index}]", sorted(ACCURACY_NAMES))
    _settings(settings["optimizer"], "compile.optimizer", OPTIMIZERS, optimizer_from_config)
    _int(settings["iterations"], "compile.iterations")


def _settings(settings, where, registry, from_config):
    """A loss's or an optimizer's {"name": ..., setting: value}: a known name, values its
    constructor takes (it checks their ranges), and each value exactly what the object built
    from them gives back."""
    if not isinstance(settings, dict):
        raise _Invalid(where, f"expected an object, got {_short(settings)}")
    _choice(settings.get("name"), f"{where}.name", sorted(registry))
    try:
        rebuilt = from_config(settings).get_config()
    except (ValueError, TypeError) as error:
        raise _Invalid(where, str(error)) from None
    for key, value in settings.items():
        if key not in rebuilt or type(rebuilt[key]) is not type(value) or rebuilt[key] != value:
            raise _Invalid(f"{where}.{key}", f"{_short(value)} is not a value it takes")


def _training(training):
    _keys(training, "training", {"rng", "epochs_trained"})
    _int(training["epochs_trained"], "training.epochs_trained")
    rng = training["rng"]
    _keys(rng, "training.rng", {"bit_generator", "state", "has_uint32", "uinteger"})
    _choice(rng["bit_generator"], "training.rng.bit_generator", ["PCG64"])
    _keys(rng["state"], "training.rng.state", {"state", "inc"})
    _int(rng["state"]["state"], "training.rng.state.state", high=2**128)
    _int(rng["state"]["inc"], "training.rng.state.inc", high=2**128)
    if rng["state"]["inc"] % 2 == 0:  # PCG64 always keeps an odd increment
        raise _Invalid("training.rng.state.inc", "expected an odd number")
    _int(rng["has_uint32"], "training.rng.has_uint32", high=2)
    _int(rng["uinteger"], "training.rng.uinteger", high=2**32)


# ---- single values -----------------------------------------------------------------------
def _keys(mapping, where, required, optional=frozenset()):
    if not isinstance(mapping, dict):
        raise _Invalid(where, f"expected an object, got {_short(mapping)}")
    missing = sorted(set(required) - mapping.keys())
    unknown = sorted(mapping.keys() - set(required) - set(optional))
    if missing:
        raise _Invalid(where, f"missing {missing}")
    if unknown:
        raise _Invalid(where, f"unknown keys {_short(unknown)}")


def _int(value, where, low=0, high=LARGEST_INT):
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value < high:
        limit = f"2**{high.bit_length() - 1}" if high > 2**16 else high
        raise _Invalid(where, f"expected an int in [{low}, {limit}), got {_short(value)}")


def _string(value, where):
    if not isinstance(value, str):
        raise _Invalid(where, f"expected a string, got {_short(value)}")


def _choice(value, where, choices):
    if not isinstance(value, str) or value not in choices:
        raise _Invalid(where, f"expected one of {list(choices)}, got {_short(value)}")


def _short(value):
    """repr(value), cut to a length an error message can carry."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
