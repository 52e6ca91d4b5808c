"""Which arrays a model file must hold, worked out from its config before any is read.

Each member of the file is checked against what its config implies (name, shape, dtype)
before a byte of it is read. The shapes come from the layers themselves: each layer is built
on its own, what it holds is noted, and its arrays are thrown away. Building draws the initial
weights, so a hostile config (input_shape [100000, 100000, 3] in a 2 KB file) could ask for
gigabytes; two limits stop that before the memory is taken:
  * the budget: tinycnn stores arrays uncompressed, so a file of S bytes holds at most S bytes
    of them. Every random draw is checked against what is left of S before it is made (layers
    draw their weights with ``rng.<method>(..., size=shape)``; a layer's draws may come to
    REDRAW_ALLOWANCE times what is left, for the redraws of a truncated normal), and each
    layer's arrays are counted after it.
  * the longest axis: max(S / itemsize, MIN_LONGEST_AXIS). The arrays a layer makes without
    drawing (a bias, BatchNorm's vectors) are one axis of its input or output long, so every
    layer's output shape is checked before it is built.
The shapes flow as the model's engine moves values: in a stack from each layer to the next,
in a functional model along its graph's steps (value 0 the input, value k step k-1's output),
each layer built on its first call; a shared layer is built, and its arrays counted, once.
Keys: "params/<layer index>/<name>" and "state/<layer index>/<name>", as the layer dicts (the
index in model.layers: a functional model's layer 0 is its InputLayer, which holds none); the
arrays of a NestedNetwork's inner layer j are "<j>/<name>" within its index, as NestedNetwork
gathers them. "optimizer/<slot>/<layer index>/<name>" is one per parameter and slot.
"""

import inspect
import math
from typing import NamedTuple

import numpy as np

from tinycnn.optimizers import OPTIMIZERS
from tinycnn.saving.config import model_dtype, network_graph
from tinycnn.saving.errors import ModelFileError
from tinycnn.saving.rebuild import new_layer

MIN_LONGEST_AXIS = 2**20  # an axis of a million values: any real image or layer fits
# A truncated normal (HeNormal, GlorotNormal, LecunNormal) draws again the 4.6% of its values
# beyond 2 stddev, so a layer's draws add up to a little more than the arrays it keeps.
REDRAW_ALLOWANCE = 1.25


class ArraySpec(NamedTuple):
    """One array a model file must hold."""

    shape: tuple
    dtypes: tuple  # the dtypes it may have: one (version 1: float32 or float64, unrecorded)
    layer: str  # the layer's name, for messages


def expected_arrays(config, classes, file_size, path):
    """{member: ArraySpec} for every params and state array of the model ``config``
    describes, without building the model; ``file_size`` in bytes bounds them (see above)."""
    dtypes = file_dtypes(config)
    budget = _Budget(file_size, dtypes[0], path)
    shape = tuple(config["input_shape"])
    budget.check_axes(shape, "the model's input_shape")
    arrays, _ = _network_arrays(config, shape, dtypes, classes, budget, "")
    return {f"{kind}/{key}": value for (kind, key), value in arrays.items()}


def file_dtypes(config):
    """The dtypes the file's arrays may have: the model's; version 1 files did not record it,
    and load as float32 (as they always did) from float32 or float64 arrays."""
    dtypes = (np.dtype(model_dtype(config)),)
    return dtypes + (np.dtype("float64"),) if config["version"] == 1 else dtypes


def optimizer_arrays(config, expected):
    """{member: ArraySpec} for the optimizer state the file may hold: for each parameter, one
    array of its shape per slot of the optimizer (none before its first step)."""
    if config["compile"] is None:
        return {}
    slots = OPTIMIZERS[config["compile"]["optimizer"]["name"]].slots
    return {f"optimizer/{slot}/{name.removeprefix('params/')}": spec
            for name, spec in expected.items() if name.startswith("params/") for slot in slots}


def _network_arrays(network, input_shape, dtypes, classes, budget, where):
    """({(kind, "<layer index>/<name>"): ArraySpec}, output shape) of a model, or of a
    NestedNetwork's config, on ``input_shape``: its steps followed in order, each value's shape
    worked out from those it reads. A stack's steps are its layers, each reading the one
    before; a graph's come from the file (config.py has checked their wiring). Each layer is
    built on its first call; a shared layer's later calls must give it the same shapes."""
    layers, graph = network["layers"], network_graph(network)
    if graph is None:
        steps = [{"layer": index, "inputs": [index]} for index in range(len(layers))]
    else:
        steps = graph["steps"]
    shapes = [input_shape]  # shapes[v]: the shape of value v (0: the input)
    first_calls, arrays = {}, {}  # layer index: (its input shapes, output shape, step)
    for k, step in enumerate(steps):
        index, inputs = step["layer"], [shapes[value] for value in step["inputs"]]
        if index not in first_calls:
            called_by = None if graph is None else f"step {k} (values {step['inputs']})"
            layer_arrays, output_shape = _layer_arrays(
                layers[index], inputs, dtypes, classes, budget, f"{where}layer {index}",
                called_by)
            arrays.update({(kind, f"{index}/{key}"): value
                           for (kind, key), value in layer_arrays.items()})
            first_calls[index] = inputs, output_shape, k
        elif inputs != first_calls[index][0]:
            first_inputs, _, first_step = first_calls[index]
            raise ModelFileError(
                f"{budget.path!r}: {where}step {k} calls layer {index} on inputs of shape "
                f"{_shapes(inputs)}, but step {first_step} called it on {_shapes(first_inputs)}: "
                "a layer used twice shares its weights, so it takes inputs of one shape")
        shapes.append(first_calls[index][1])
    return arrays, shapes[-1]


def _layer_arrays(spec, input_shapes, dtypes, classes, budget, where, called_by):
    """({(kind, key): ArraySpec}, output shape) of the layer ``spec`` on ``input_shapes`` (one
    per value its call reads). ``called_by``: the graph step that calls it first, whose
    number of values the layer must take; None in a stack (one value, the layer before's)."""
    if called_by is not None and spec["class"] == "NestedNetwork" and len(input_shapes) != 1:
        raise ModelFileError(f"{budget.path!r}: {called_by} calls {where} (model "
                             f"{spec['config']['name']!r}) on {len(input_shapes)} values; a "
                             "model used as a layer takes one input")
    if spec["class"] == "NestedNetwork":
        return _nested_arrays(spec["config"], input_shapes[0], classes, budget, where)
    layer = new_layer(spec, classes, budget.path, where)
    where = f"{where} ({type(layer).__name__} {layer.name!r})"
    if called_by is not None and layer.takes_list != (len(input_shapes) > 1):
        takes = "a list of 2 or more inputs" if layer.takes_list else "one input"
        count = f"{len(input_shapes)} value{'s' if len(input_shapes) > 1 else ''}"
        raise ModelFileError(f"{budget.path!r}: {called_by} calls {where} on {count}; it "
                             f"takes {takes}")
    input_shape = input_shapes if layer.takes_list and called_by is not None else input_shapes[0]
    try:
        output_shape = tuple(layer.compute_output_shape(input_shape))
    except (ValueError, TypeError) as error:
        raise ModelFileError(f"{budget.path!r}: {where} cannot take input of shape "
                             f"{_shapes(input_shapes)}: {error}") from error
    budget.check_axes(output_shape, f"{where}'s output")
    try:
        layer.build(input_shape, _BudgetedGenerator(budget, dtypes[0].itemsize), dtypes[0])
    except _OverBudget as over:
        budget.refuse(over.nbytes, where)
    except (ValueError, TypeError) as error:
        raise ModelFileError(f"{budget.path!r}: {where} cannot be built for input of shape "
                             f"{_shapes(input_shapes)}: {error}") from error
    arrays = {(kind, key): ArraySpec(value.shape, dtypes, layer.name)
              for kind in ("params", "state") for key, value in getattr(layer, kind).items()}
    budget.spend(sum(value.nbytes for value in (*layer.params.values(),
                                                *layer.state.values())), where)
    layer.unbuild()
    return arrays, output_shape


def _nested_arrays(inner, input_shape, classes, budget, where):
    """The same for a NestedNetwork: its inner layers' arrays, keyed "<j>/<name>"."""
    if input_shape != tuple(inner["input_shape"]):
        raise ModelFileError(f"{budget.path!r}: {where} (model {inner['name']!r}) takes "
                             f"inputs of shape {tuple(inner['input_shape'])}, but gets "
                             f"{input_shape}")
    dtypes = (np.dtype(inner["dtype"]),)
    return _network_arrays(inner, input_shape, dtypes, classes, budget, f"{where}, inner ")


def _shapes(shapes):
    """One shape as "(4, 4, 1)", several as "[(4, 4, 1), (4,)]", for messages."""
    return str(shapes[0]) if len(shapes) == 1 else str(list(shapes))


class _Budget:
    """What is left of the file's bytes for the arrays still to come."""

    def __init__(self, file_size, dtype, path):
        self.file_size, self.left, self.path = file_size, file_size, path
        self.longest_axis = max(file_size // dtype.itemsize, MIN_LONGEST_AXIS)

    def spend(self, nbytes, where):
        if nbytes > self.left:
            self.refuse(nbytes, where)
        self.left -= nbytes

    def refuse(self, nbytes, where):
        raise ModelFileError(
            f"{self.path!r}: {where} would hold {nbytes:,} bytes of arrays, more than is left "
            f"({self.left:,}) of the file's {self.file_size:,} bytes: its description asks for "
            "a larger model than the file holds")

    def check_axes(self, shape, what):
        if any(size > self.longest_axis for size in shape):
            raise ModelFileError(
                f"{self.path!r}: {what} has shape {shape}, an axis longer than "
                f"{self.longest_axis:,} values: more than a file of {self.file_size:,} bytes "
                "can describe")


class _OverBudget(Exception):
    def __init__(self, nbytes):
        super().__init__(nbytes)
        self.nbytes = nbytes


class _BudgetedGenerator:
    """Stands in for the random generator while a layer is built on its own: a draw that would
    take the layer's draws past what the budget has left raises _OverBudget before any memory
    is taken."""

    def __init__(self, budget, itemsize):
        self._budget, self._itemsize, self._drawn = budget, itemsize, 0
        self._rng = np.random.default_rng(0)  # the values are thrown away

    def __getattr__(self, name):
        method = getattr(self._rng, name)
        try:
            signature = inspect.signature(method)
        except (TypeError, ValueError):  # not a method, or one without a signature
            return method
        if "size" not in signature.parameters:
            return method

        def draw(*args, **kwargs):
            size = signature.bind(*args, **kwargs).arguments.get("size")
            self._drawn += _count(size) * self._itemsize
            if self._drawn > self._budget.left * REDRAW_ALLOWANCE:
                raise _OverBudget(self._drawn)
            return method(*args, **kwargs)

        return draw


def _count(size):
    """How many values a draw of ``size`` (None, an int or a tuple of ints) makes."""
    if size is None:
        return 1
    if isinstance(size, tuple | list):
        return math.prod(int(axis) for axis in size)
    return int(size)
