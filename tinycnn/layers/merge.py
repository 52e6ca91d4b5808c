"""Merge: what the layers with several inputs share (Add, Subtract, Multiply, Average, Maximum,
Concatenate), as Keras's ``Merge`` base class.

A merge layer takes a list of k >= 2 inputs x_0 ... x_{k-1} and gives one output. Its
contract, for the graph engine that wires it (each list in input order):
    build(input_shapes, rng, dtype, input_names=None)   a list of shapes, no batch axis
    compute_output_shape(input_shapes) -> one shape
    forward([x_0, ..., x_{k-1}]) -> out                  each x_i (N, *input_shapes[i])
    backward(dout) -> [dx_0, ..., dx_{k-1}]              each dx_i the shape of x_i
A dx_i may be dout itself or a view of it (Add gives every input dout): add gradients into a
new array, never into one a backward returned.

Element-wise merges broadcast as Keras's ``_compute_elemwise_op_output_shape`` does: shapes
are lined up at their last axes, and on each axis the sizes must be equal or one of them 1,
which is stretched. A shorter shape gets axes of size 1 just after the batch axis (Keras's
``expand_dims(x, axis=1)``): x_0 (N, 4, 3) and x_1 (N, 3) give out (N, 4, 3).
    x_0 (N, 4, 3), x_1 (N, 1, 3)  ->  out (N, 4, 3)
    x_0 (N, 4, 3), x_1 (N, 5, 3)  ->  ValueError naming inputs 0 and 1 and both shapes
The gradient of a stretched input adds up what each of its copies received:
    dx_i = dL/d(stretched x_i) summed over the axes x_i was stretched along  (``unbroadcast``)

Shapes:  x_i (N, *input_shapes[i]) -> out (N, *output_shape);  dx_i like x_i
"""

import numpy as np

from tinycnn.layers.base import Layer


def broadcast_shape(shape_a, shape_b):
    """The shape of an element-wise operation on inputs of shapes ``shape_a`` and ``shape_b``
    (no batch axis), lined up at their last axes; None if they do not fit together."""
    if len(shape_a) < len(shape_b):
        shape_a, shape_b = shape_b, shape_a
    lead = len(shape_a) - len(shape_b)
    output = list(shape_a[:lead])
    for size_a, size_b in zip(shape_a[lead:], shape_b, strict=True):
        if size_a != size_b and 1 not in (size_a, size_b):
            return None
        output.append(max(size_a, size_b))  # equal sizes, or a 1 stretched to the other
    return tuple(output)


def unbroadcast(grad, shape):
    """grad: (N, *out), the gradient of an input of ``shape`` (N, ...) stretched to out ->
    summed over the stretched axes and the axes added before them, back to ``shape``."""
    added = grad.ndim - len(shape)  # axes of size 1 put in after the batch axis
    lined_up = (shape[0],) + (1,) * added + tuple(shape[1:])
    stretched = tuple(axis for axis, (size, full)
                      in enumerate(zip(lined_up, grad.shape, strict=True))
                      if size == 1 and full != 1)
    if stretched:  # added up in float64: a long float32 sum loses digits
        grad = grad.sum(axis=stretched, keepdims=True, dtype=np.float64).astype(grad.dtype)
    return grad.reshape(shape)


class Merge(Layer):
    """Base class. Subclasses give ``_merge(xs) -> out`` and ``_input_grads(dout, xs) ->
    [dx_i]`` on inputs lined up to the output's rank; this class checks the inputs, lines them
    up, keeps them for backward and sums the gradients of stretched inputs."""

    takes_list = True
    num_inputs = None  # None: any number from 2 up (Subtract: exactly 2)

    def __init__(self, name=None):
        super().__init__(name=name)
        self.input_names = None  # what produced each input, for messages (the graph engine)

    # ---- shapes ---------------------------------------------------------------------------
    def build(self, input_shapes, rng=None, dtype=np.float32, input_names=None):
        """input_shapes: one shape per input (no batch axis). input_names: optional, one per
        input (the layers that produce them), named in shape errors."""
        self.input_names = None if input_names is None else [str(n) for n in input_names]
        self._shape_list(input_shapes)
        if self.input_names is not None and len(self.input_names) != len(input_shapes):
            raise ValueError(f"{self}: got {len(self.input_names)} input names for "
                             f"{len(input_shapes)} inputs")
        return super().build(input_shapes, rng, dtype)

    def compute_output_shape(self, input_shapes):
        """The element-wise rule (module docstring), input by input from the left."""
        shapes = self._shape_list(input_shapes)
        output = shapes[0]
        for i, shape in enumerate(shapes[1:], start=1):
            merged = broadcast_shape(output, shape)
            if merged is None:  # some earlier input has a size this one cannot meet
                j = next(j for j in range(i) if broadcast_shape(shapes[j], shape) is None)
                raise ValueError(
                    f"{self}: inputs have incompatible shapes: {self._input(j)} has shape "
                    f"{shapes[j]} and {self._input(i)} has shape {shape}; an element-wise merge "
                    "needs, on each axis counted from the last, equal sizes or a size of 1")
            output = merged
        return output

    def _shape_list(self, input_shapes):
        """input_shapes as a list of tuples, or Keras's error: not a list, too few inputs."""
        kind = type(self).__name__
        if not (isinstance(input_shapes, (list, tuple))
                and all(isinstance(shape, (list, tuple)) for shape in input_shapes)):
            raise ValueError(f"{self}: a merge layer should be called on a list of inputs; got "
                             f"input_shape={input_shapes!r} (not a list of shapes). It takes "
                             "several inputs, so it cannot follow one layer in a Sequential")
        count = len(input_shapes)
        if self.num_inputs is not None and count != self.num_inputs:
            raise ValueError(f"{self}: a {kind} layer should be called on exactly "
                             f"{self.num_inputs} inputs, got {count}: {list(input_shapes)}")
        if count < 2:
            raise ValueError(f"{self}: a merge layer should be called on a list of at least 2 "
                             f"inputs, got {count}: {list(input_shapes)}")
        return [tuple(int(d) for d in shape) for shape in input_shapes]

    def _input(self, i):
        """'input 1', or "input 1 (from 'conv2d_1')" once the engine has named it."""
        if self.input_names is None:
            return f"input {i}"
        return f"input {i} (from {self.input_names[i]!r})"

    # ---- forward and backward -------------------------------------------------------------
    def forward(self, xs, training=False):
        """xs: a list of k arrays (N, *input_shapes[i]) -> out: (N, *output_shape)."""
        self._check_input(xs)
        rank = 1 + len(self.output_shape)
        # Keras's expand_dims(x, axis=1) until every input has the output's rank
        xs = [x.reshape(x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) for x in xs]
        self._cache = xs
        return self._merge(xs)

    def backward(self, dout):
        """dout: (N, *output_shape) -> [dx_0, ..., dx_{k-1}], each (N, *input_shapes[i])."""
        xs = self._cached()
        grads = self._input_grads(dout, xs)
        return [unbroadcast(grad, (dout.shape[0], *shape))
                for grad, shape in zip(grads, self.input_shape, strict=True)]

    def _merge(self, xs):
        raise NotImplementedError

    def _input_grads(self, dout, xs):
        raise NotImplementedError
