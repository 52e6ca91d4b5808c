"""The model file's description (a JSON config), checked key by key before anything is built.

The config decides which layers get built and how big their arrays are, so every key is
checked for its type and range here, and a key the format does not know is refused. Format
version 3 (version 1, what tinycnn wrote first, lacks the keys marked 2; version 2, what it
wrote before functional models, lacks those marked 3):

    format          "tinycnn-model"
    version         1, 2 or 3
    name            the model's name (str)
    seed            int >= 0
    input_shape     [H, W, C] (or another number of axes), ints >= 1
    dtype (2)       "float32" or "float64": the model's and every array's (version 1: float32)
    layers          [{"class": str, "config": {...}, "trainable" (2): bool}, ...], in the
                    order of model.layers; the config of a NestedNetwork (a model used as a
                    layer) is {"name", "input_shape", "dtype", "layers", "graph" (3)}, nested
                    at most MAX_NESTING deep
    graph (3)       null for a stack (a Sequential: layer i reads the output of layer i-1),
                    or a functional model's graph (see below)
    compile         null, or {"loss": {"name": ..., ...}, "metrics": [metric],
                    "weighted_metrics" (optional): [metric], "optimizer": {"name": ..., ...},
                    "iterations": int >= 0}; a metric is a name compile takes ("accuracy",
                    "mae", ...) or {"class": a class of tinycnn.metrics, "config": its
                    get_config()} (files before these held accuracy names only)
    training (2)    {"rng": model.training_rng.bit_generator.state (PCG64),
                     "epochs_trained": int >= 0}

A functional model's graph is the engine's list of steps (network.py), one per layer call:
    graph           {"steps": [{"layer": i, "inputs": [v, ...]}, ...], "output": v}
    steps[k]        calls layers[i] on the values v (one value; a merge layer, two or more),
                    and its output is value k + 1; value 0 is the model's input. A step reads
                    only values computed before it (0 to k), so there is no cycle. A layer
                    called by several steps is one layer, shared: its weights are stored once
    output          the model's output: the last step's value, len(steps)
    layers[0]       {"class": "InputLayer", "config": {"name": str, "shape": the
                    input_shape, "dtype": "float32" or "float64"}}: keras.Input's layer,
                    which no step calls; every other layer is called by some step, every
                    step's output is read by a later step (or is the output), and the layers
                    and steps are in the order keras.Model gives them (graph.order), so that
                    a file's layer indices are the rebuilt model's
Layer names must differ within a graph, as keras.Model requires.

A file is written in the oldest version that can describe its model: version 2 (no "graph"
keys at all) for a stack of layers, so that tinycnn from before functional models reads it
too, and version 3 when the model, or a model used as a layer in it, is a graph. In version
3 every network has its "graph" key, null for a stack.

A layer's own arguments are checked by its constructor (expected.py builds every layer); the
loss, metric and optimizer settings by theirs (which check their ranges) and by a round trip
through ``get_config``, so that "from_logits": "yes" cannot turn into True on the way; each
metric, too, by compile's check that it can read the loss's targets.
"""

import json
import math

from tinycnn import graph
from tinycnn.losses import LOSSES, loss_from_config
from tinycnn.metrics import METRIC_NAMES, SAVED_CLASSES, check_metrics, from_saved_form
from tinycnn.optimizers import OPTIMIZERS, optimizer_from_config
from tinycnn.saving.errors import ModelFileError

FORMAT = "tinycnn-model"
VERSION = 3  # the newest version, which this tinycnn reads and writes
STACK_VERSION = 2  # what a model with no graph is written as: older tinycnn reads it too
MAX_JSON_DEPTH = 64  # a model nested MAX_NESTING deep is about 30 levels of JSON
MAX_NESTING = 8
DTYPES = ("float32", "float64")
LARGEST_INT = 2**63  # iterations, epochs, input sizes: what NumPy's int64 can hold
MAX_THRESHOLDS = 100_000  # an AUC's num_thresholds (Keras's default: 200)

_TOP_KEYS = {1: {"format", "version", "name", "seed", "input_shape", "layers", "compile"},
             2: {"format", "version", "name", "seed", "input_shape", "dtype", "layers",
                 "compile", "training"}}
_TOP_KEYS[3] = _TOP_KEYS[2] | {"graph"}
_NESTED_KEYS = {1: {"name", "input_shape", "dtype", "layers"}}
_NESTED_KEYS[2] = _NESTED_KEYS[1]
_NESTED_KEYS[3] = _NESTED_KEYS[2] | {"graph"}
_INPUT_LAYER_KEYS = {"name", "shape", "dtype"}

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


def network_graph(network):
    """The graph of the model or NestedNetwork config ``network``, or None for a stack (and
    for every network of a version 1 or 2 file)."""
    return network.get("graph")


def model_dtype(config):
    """The dtype the model computes in: the file's, or float32 for version 1 (which did not
    record it)."""
    return config.get("dtype", "float32")


# ---- the parts ---------------------------------------------------------------------------
def _layers(network, where, version, depth):
    """input_shape, layers and graph (version 3) of the model, or of a NestedNetwork's
    config, at ``where``."""
    shape = network["input_shape"]
    if not isinstance(shape, list) or not 1 <= len(shape) <= 8:
        raise _Invalid(f"{where}input_shape", f"expected a list of 1 to 8 sizes, got "
                       f"{_short(shape)}")
    for axis, size in enumerate(shape):
        _int(size, f"{where}input_shape[{axis}]", low=1)
    layers = network["layers"]
    if not isinstance(layers, list) or not layers:
        raise _Invalid(f"{where}layers", f"expected a non-empty list, got {_short(layers)}")
    is_graph = network_graph(network) is not None
    for index, spec in enumerate(layers):
        here = f"{where}layers[{index}]"
        _keys(spec, here, {"class", "config"} | ({"trainable"} if version >= 2 else set()))
        _string(spec["class"], f"{here}.class")
        if version >= 2 and not isinstance(spec["trainable"], bool):
            raise _Invalid(f"{here}.trainable", f"expected true or false, got "
                           f"{_short(spec['trainable'])}")
        layer_config = spec["config"]
        if spec["class"] == "InputLayer":
            if not (is_graph and index == 0):
                raise _Invalid(f"{here}.class", "an InputLayer can only be layers[0] of a "
                               "functional model (one with a graph)")
            _input_layer(layer_config, shape, here)
        elif spec["class"] == "NestedNetwork":
            if depth + 1 > MAX_NESTING:
                raise _Invalid(here, f"models used as layers nest more than {MAX_NESTING} deep")
            _keys(layer_config, f"{here}.config", _NESTED_KEYS[version])
            _choice(layer_config["dtype"], f"{here}.config.dtype", DTYPES)
            _layers(layer_config, f"{here}.config.", version, depth + 1)
        elif not isinstance(layer_config, dict):
            raise _Invalid(f"{here}.config", f"expected an object, got {_short(layer_config)}")
        elif "input_shape" in layer_config:  # it would build the layer before any check
            raise _Invalid(f"{here}.config.input_shape", "a layer's input shape is the "
                           "model's input_shape")
        if "name" in layer_config:
            _string(layer_config["name"], f"{here}.config.name")
    if is_graph:
        _graph(network, where)


def _input_layer(config, input_shape, where):
    """The InputLayer's config: its name, dtype, and the network's input_shape again."""
    _keys(config, f"{where}.config", _INPUT_LAYER_KEYS)
    _string(config["name"], f"{where}.config.name")
    _choice(config["dtype"], f"{where}.config.dtype", DTYPES)
    shape = config["shape"]
    if not isinstance(shape, list):
        raise _Invalid(f"{where}.config.shape", f"expected a list, got {_short(shape)}")
    for axis, size in enumerate(shape):
        _int(size, f"{where}.config.shape[{axis}]", low=1)
    if shape != input_shape:
        raise _Invalid(f"{where}.config.shape", f"expected the input_shape {input_shape}, got "
                       f"{_short(shape)}")


# ---- a functional model's graph ----------------------------------------------------------
def _graph(network, where):
    """The graph of ``network`` (its layers checked already): the keys' types, then that the
    steps are wired as keras.Model wires them (see the module docstring)."""
    layers, here = network["layers"], f"{where}graph"
    _keys(network["graph"], here, {"steps", "output"})
    steps = network["graph"]["steps"]
    if not isinstance(steps, list) or not steps:
        raise _Invalid(f"{here}.steps", f"expected a non-empty list, got {_short(steps)}")
    if layers[0]["class"] != "InputLayer":
        raise _Invalid(f"{where}layers[0]", "a functional model's first layer must be its "
                       f"InputLayer (keras.Input), got class {_short(layers[0]['class'])}")
    called, read = set(), set()
    for k, step in enumerate(steps):
        at = f"{here}.steps[{k}]"
        _keys(step, at, {"layer", "inputs"})
        index = step["layer"]
        if isinstance(index, bool) or not isinstance(index, int) or not 1 <= index < len(layers):
            raise _Invalid(f"{at}.layer", f"expected a layer index in [1, {len(layers)}) "
                           f"(layers[0], the InputLayer, is called by no step), got "
                           f"{_short(index)}")
        inputs = step["inputs"]
        if not isinstance(inputs, list) or not inputs:
            raise _Invalid(f"{at}.inputs", f"expected a non-empty list of values, got "
                           f"{_short(inputs)}")
        for j, value in enumerate(inputs):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= k:
                raise _Invalid(f"{at}.inputs[{j}]", f"value {_short(value)} is not computed "
                               f"before step {k}, which can read values 0 to {k} (0: the "
                               "model's input, v: the output of step v-1); a step that reads "
                               "ahead would make a cycle")
        called.add(index)
        read.update(inputs)
    output = network["graph"]["output"]
    _int(output, f"{here}.output")
    if output != len(steps):
        raise _Invalid(f"{here}.output", f"the model's output must be the last step's value, "
                       f"{len(steps)}, got {output}")
    for index in range(1, len(layers)):
        if index not in called:
            raise _Invalid(f"{where}layers[{index}]", f"{_layer_name(layers[index])} is "
                           "called by no step of the graph")
    for k in range(len(steps) - 1):
        if k + 1 not in read:
            raise _Invalid(f"{here}.steps[{k}]", f"its output (value {k + 1}) is read by no "
                           "later step, and is not the model's output")
    _distinct_names(layers, where)
    _keras_order(layers, steps, where)


def _distinct_names(layers, where):
    first = {}
    for index, spec in enumerate(layers):
        name = spec["config"].get("name")
        if name is not None and first.setdefault(name, index) != index:
            raise _Invalid(f"{where}layers[{index}].config.name", f"{name!r} is the name of "
                           f"layers[{first[name]}] too; a functional model's layers need "
                           "names of their own")


class _StandIn:
    """A layer's place in the graph, for graph.order: a name and nothing to build."""

    def __init__(self, spec):
        self.name = _layer_name(spec)


def _keras_order(layers, steps, where):
    """The file's layers and steps must be in the order keras.Model gives this graph
    (graph.order, run here on stand-ins for the layers): the rebuilt model's layers then have
    the file's indices, which name the arrays."""
    stand_ins = [_StandIn(spec) for spec in layers]
    values = [graph.Node(stand_ins[0], [], (), "float32").output]
    for step in steps:
        inputs = [values[value] for value in step["inputs"]]
        values.append(graph.Node(stand_ins[step["layer"]], inputs, (), "float32").output)
    try:
        ordered, nodes = graph.order(values[0], values[-1])
    except RecursionError:  # graph.order walks the graph recursively, as keras.Model does
        raise _Invalid(f"{where}graph.steps", "the steps chain too deep for keras.Model to "
                       "order them") from None
    for index, (layer, stand_in) in enumerate(zip(ordered, stand_ins, strict=True)):
        if layer is not stand_in:
            raise _Invalid(f"{where}layers[{index}]", f"keras.Model puts {layer.name} here, "
                           f"not {stand_in.name}: the layers are out of order")
    for k, (node, value) in enumerate(zip(nodes[1:], values[1:], strict=True)):
        if node.output is not value:
            raise _Invalid(f"{where}graph.steps[{k}]", "keras.Model runs another step here: "
                           "the steps are out of order")


def _layer_name(spec):
    """"layer 'dense' (Dense)" for messages, from a checked layer spec."""
    return f"layer {_short(spec['config'].get('name'))} ({spec['class'][:60]})"


def _compile(settings):
    if settings is None:
        return
    _keys(settings, "compile", {"loss", "metrics", "optimizer", "iterations"},
          optional={"weighted_metrics"})
    loss = settings["loss"]
    if isinstance(loss, str):  # version 1 files may name the loss only
        _choice(loss, "compile.loss", sorted(LOSSES))
    else:
        _settings(loss, "compile.loss", LOSSES, loss_from_config)
    targets = loss_from_config(loss).targets
    for key in ("metrics", "weighted_metrics"):
        metrics = settings.get(key, [])
        if not isinstance(metrics, list):
            raise _Invalid(f"compile.{key}", f"expected a list, got {_short(metrics)}")
        for index, metric in enumerate(metrics):
            _metric(metric, f"compile.{key}[{index}]", targets)
    _settings(settings["optimizer"], "compile.optimizer", OPTIMIZERS, optimizer_from_config)
    _int(settings["iterations"], "compile.iterations")


def _metric(entry, where, targets):
    """One of compile's metrics: a name compile takes, or {"class", "config"} of a metric
    class whose constructor takes the config (round trip as for a loss); either one able to
    read the loss's ``targets``."""
    if isinstance(entry, str):
        _choice(entry, where, METRIC_NAMES)
    else:
        _keys(entry, where, {"class", "config"})
        _choice(entry["class"], f"{where}.class", sorted(SAVED_CLASSES))
        config = entry["config"]
        if not isinstance(config, dict):
            raise _Invalid(f"{where}.config", f"expected an object, got {_short(config)}")
        if "num_thresholds" in config:  # AUC keeps that many counts: bound it before it does
            _int(config["num_thresholds"], f"{where}.config.num_thresholds", low=2,
                 high=MAX_THRESHOLDS + 1)
        try:
            rebuilt = from_saved_form(entry).get_config()
        except (ValueError, TypeError) as error:
            raise _Invalid(f"{where}.config", str(error)) from None
        _same_values(config, rebuilt, f"{where}.config")
    try:
        check_metrics([from_saved_form(entry)], targets)
    except (ValueError, TypeError) as error:
        raise _Invalid(where, str(error)) from None


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
    _same_values(settings, rebuilt, where)


def _same_values(settings, rebuilt, where):
    """Each of the file's settings is exactly what the object built from them gives back."""
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
