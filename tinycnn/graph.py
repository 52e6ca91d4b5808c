"""The functional API's graph: symbolic tensors, the layer calls that join them, their order.

    inputs = keras.Input(shape=(28, 28, 1))      a symbolic tensor: a shape, no numbers
    x = Conv2D(16, 3, padding="same")(inputs)    calling a layer on one records a Node
    y = Add()([x, Conv2D(16, 3, padding="same")(x)])
    model = keras.Model(inputs, y)               walks back from y and puts the calls in order

Writing the graph computes nothing: a call only works out its output shape
(``compute_output_shape``), so that a mismatch is reported on the line that made it, naming
the layers and the shapes. ``keras.Model`` then orders the calls as Keras does (``order``
below), builds every layer from the model's seed in that order, and hands the engine one step
per call (network.py: forward in order, backward in reverse).

Shapes here are Keras's, with the batch axis: a KerasTensor's ``shape`` is (None, H, W, C).
"""

import numpy as np

from tinycnn.layers.base import Layer


class KerasTensor:
    """A symbolic tensor: the shape of what a layer call will give, and which call gives it
    (``layer`` and ``node_index``, Keras's ``_keras_history``). It holds no numbers."""

    def __init__(self, shape, dtype, layer, node_index):
        self.shape = (None, *shape)
        self.dtype = np.dtype(dtype).name
        self.layer, self.node_index = layer, node_index

    @property
    def node(self):
        return inbound_nodes(self.layer)[self.node_index]

    @property
    def name(self):
        return f"{self.layer.name}[{self.node_index}][0]"

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.layer.name}>"

    def _no_ops(self, *_):
        raise TypeError(
            "tinycnn's symbolic tensors support no operators (+, -, *, [...]): use the "
            "layers, keras.layers.Add()([a, b]), Subtract, Multiply, Reshape...")

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _no_ops
    __matmul__ = __neg__ = __getitem__ = _no_ops

    def __array__(self, *_, **__):
        raise TypeError(f"{self!r} is symbolic, it has no values: build a model with "
                        "keras.Model(inputs, outputs) and call it on arrays")


class InputLayer(Layer):
    """The graph's entry, what ``keras.Input`` makes: no weights, and its output is the model's
    input. It is ``model.layers[0]`` of a functional model, as in Keras."""

    def __init__(self, shape, name=None, dtype="float32"):
        super().__init__(name=name, input_shape=shape)
        self.dtype = np.dtype(dtype)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def forward(self, x, training=False):
        self._check_input(x)
        return x

    def backward(self, dout):
        return dout

    def get_config(self):
        return {"name": self.name, "shape": list(self.declared_input_shape),
                "dtype": self.dtype.name}


class Node:
    """One call of a layer on symbolic tensors: ``inputs`` (KerasTensors) -> ``output``."""

    def __init__(self, layer, inputs, output_shape, dtype):
        nodes = inbound_nodes(layer)
        self.layer, self.inputs = layer, list(inputs)
        self.output = KerasTensor(output_shape, dtype, layer, len(nodes))
        nodes.append(self)

    @property
    def parents(self):
        return [tensor.node for tensor in self.inputs]


def inbound_nodes(layer):
    """The calls of ``layer`` on symbolic tensors so far (Keras's ``layer._inbound_nodes``)."""
    return layer.__dict__.setdefault("_inbound_nodes", [])


def Input(shape=None, batch_size=None, dtype=None, batch_shape=None,  # noqa: N802 (Keras's)
          name=None, **unsupported):
    """keras.Input(shape=(28, 28, 1)): a symbolic tensor to call layers on (the functional
    API), or to open a Sequential with. ``shape`` has no batch axis; ``batch_shape`` has it,
    as None. dtype: float32 (default) or float64."""
    if unsupported:
        raise TypeError(f"keras.Input: tinycnn does not support the argument(s) "
                        f"{', '.join(sorted(unsupported))}")
    if batch_size is not None:
        raise ValueError(f"keras.Input: batch_size={batch_size!r}: tinycnn's models take any "
                         "batch size; leave it out")
    if batch_shape is not None:
        if shape is not None:
            raise ValueError("keras.Input: give shape or batch_shape, not both")
        if batch_shape[0] is not None:
            raise ValueError(f"keras.Input: batch_shape={tuple(batch_shape)}: the batch axis "
                             "must be None in tinycnn (models take any batch size)")
        shape = batch_shape[1:]
    if shape is None:
        raise ValueError("keras.Input: give the input's shape, e.g. shape=(28, 28, 1)")
    if any(d is None for d in shape):
        raise ValueError(f"keras.Input: shape={tuple(shape)}: every size must be known in "
                         "tinycnn (no None)")
    dtype = np.dtype(dtype or "float32")
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"keras.Input: dtype {dtype.name}: tinycnn computes in float32 or "
                        "float64")
    layer = InputLayer(shape, name=name, dtype=dtype)
    layer.build(layer.declared_input_shape, dtype=dtype)
    return Node(layer, [], layer.output_shape, dtype).output


def call(layer, inputs):
    """``layer(inputs)`` on KerasTensors: check the shapes, record the call, return its
    output (a KerasTensor). Nothing is built or computed here."""
    several = isinstance(inputs, (list, tuple))
    tensors = list(inputs) if several else [inputs]
    if not all(isinstance(tensor, KerasTensor) for tensor in tensors):
        raise TypeError(f"{describe(layer)}: called on a mix of symbolic tensors and "
                        f"{sorted({type(t).__name__ for t in tensors})}; call it on "
                        "KerasTensors (from keras.Input) or on arrays, not both")
    if several != layer.takes_list:
        want = "a list of tensors" if layer.takes_list else "one tensor"
        raise TypeError(f"{describe(layer)} takes {want}, got "
                        f"{'a list of ' + str(len(tensors)) if several else 'one tensor'}")
    shapes = [tensor.shape[1:] for tensor in tensors]
    if len({tensor.dtype for tensor in tensors}) > 1:
        raise TypeError(f"{describe(layer)}: inputs of different dtypes "
                        f"{[tensor.dtype for tensor in tensors]}")
    earlier = _called_on(layer)
    if earlier is not None and earlier != shapes:
        raise ValueError(
            f"{describe(layer)} is called on {_describe_inputs(tensors)}, but it was built or "
            f"called before on inputs of shape {', '.join(map(str, earlier))}: a layer used "
            "twice shares its weights, so it takes inputs of one shape")
    if layer.takes_list and hasattr(layer, "input_names"):
        layer.input_names = [tensor.layer.name or type(tensor.layer).__name__
                             for tensor in tensors]
    try:
        output_shape = layer.compute_output_shape(shapes if several else shapes[0])
    except ValueError as error:
        raise ValueError(f"{describe(layer)} called on {_describe_inputs(tensors)}: "
                         f"{error}") from None
    return Node(layer, tensors, output_shape, tensors[0].dtype).output


def _called_on(layer):
    """The input shapes (no batch axis) the layer is built for or was called on, or None."""
    if layer.built:
        shape = layer.input_shape
        return [tuple(s) for s in shape] if layer.takes_list else [tuple(shape)]
    nodes = inbound_nodes(layer)
    return [tensor.shape[1:] for tensor in nodes[0].inputs] if nodes else None


def describe(layer):
    """'layer conv2d (Conv2D)', or 'a Conv2D layer' before the model names it."""
    kind = type(layer).__name__
    return f"layer {layer.name!r} ({kind})" if layer.name else f"a {kind} layer"


def _describe_inputs(tensors):
    return ", ".join(f"the output of {describe(tensor.layer)}, shape {tensor.shape}"
                     for tensor in tensors)


def order(input_tensor, output_tensor):
    """Every call the output depends on, as Keras's ``map_graph`` orders them:
    returns (layers, nodes), both deepest first.

    A node's depth is its distance from the output: the output's node is at 0, and a node is
    one deeper than the deepest node that reads it; a layer called more than once takes its
    deepest call's depth. ``layers`` (``model.layers``: the InputLayer first) are sorted by
    depth, ties in the order a depth-first walk from the output first meets them; ``nodes``
    (what the engine runs) by depth, ties in the order that walk finishes them. Every node
    comes after the nodes it reads, and the output's node is the last."""
    finished, walk, first_seen = set(), [], {}

    def visit(tensor, path):
        node = tensor.node
        if node in finished:
            return
        if node in path:
            raise ValueError(f"the graph has a cycle through {describe(node.layer)}")
        first_seen.setdefault(node.layer, len(first_seen))
        for parent in node.inputs:
            visit(parent, path | {node})
        finished.add(node)
        walk.append(node)

    visit(output_tensor, frozenset())
    node_depth, layer_depth = {}, {}
    for node in reversed(walk):  # from the output back to the inputs
        depth = max(node_depth.setdefault(node, 0), layer_depth.get(node.layer, 0))
        layer_depth[node.layer] = node_depth[node] = depth
        for parent in node.parents:
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    entry = input_tensor.node
    for node in walk:
        if not node.inputs and node is not entry:
            raise ValueError(
                f"graph disconnected: the output depends on {describe(node.layer)}, an input "
                f"that is not the model's input {describe(entry.layer)}")
    if entry not in finished:
        raise ValueError(f"graph disconnected: the output does not depend on the model's "
                         f"input {describe(entry.layer)}")
    layers = sorted(layer_depth, key=lambda layer: (-layer_depth[layer], first_seen[layer]))
    position = {node: i for i, node in enumerate(walk)}
    nodes = sorted(walk, key=lambda node: (-node_depth[node], position[node]))
    return layers, nodes
