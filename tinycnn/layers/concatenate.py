"""Concatenate: the inputs side by side along one axis, as Keras's ``layers.Concatenate``.

Forward:   out = [x_0 | x_1 | ... | x_{k-1}] along the axis: with A_i the size of x_i along it
           and o_i = A_0 + ... + A_{i-1}, out's slice [o_i, o_i + A_i) along the axis is x_i
Backward:  dx_i = dout's slice [o_i, o_i + A_i) along the axis
The shapes must be equal on every other axis (nothing is broadcast). ``axis`` counts as in
Keras, the batch axis included: -1 (the default) is the last axis, the channels of images;
1 is the first axis after the batch axis. Axis 0, the batch axis itself, is refused.

Shapes:  x_i (N, ..., A_i, ...) -> out (N, ..., A_0 + ... + A_{k-1}, ...)
"""

import numbers

import numpy as np

from tinycnn.layers.merge import Merge


class Concatenate(Merge):
    """Concatenate(axis=-1): k >= 2 inputs joined along ``axis`` (Inception's branches, a
    U-Net's skip connections)."""

    def __init__(self, axis=-1, name=None):
        super().__init__(name=name)
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise ValueError(f"Concatenate axis: expected an int, got {axis!r}")
        self.axis = int(axis)

    def compute_output_shape(self, input_shapes):
        shapes = self._shape_list(input_shapes)
        first = shapes[0]
        axis = self._shape_axis(len(first))
        rest = first[:axis] + first[axis + 1:]  # every axis but the concatenation axis
        for i, shape in enumerate(shapes[1:], start=1):
            if len(shape) != len(first) or shape[:axis] + shape[axis + 1:] != rest:
                raise ValueError(
                    f"{self}: a Concatenate layer requires inputs with matching shapes except "
                    f"for the concatenation axis ({self.axis}): {self._input(0)} has shape "
                    f"{first} and {self._input(i)} has shape {shape}")
        output = list(first)
        output[axis] = sum(shape[axis] for shape in shapes)
        return tuple(output)

    def _shape_axis(self, rank):
        """The axis as an index into a shape of ``rank`` axes without the batch axis."""
        if not -(rank + 1) <= self.axis <= rank:
            raise ValueError(f"{self}: axis {self.axis} is out of range for inputs of "
                             f"{rank + 1} axes (the batch axis and {rank} more)")
        if self.axis % (rank + 1) == 0:
            raise ValueError(f"{self}: axis {self.axis} is the batch axis; concatenate along "
                             "an axis of the examples (-1, the default, is the last)")
        return self.axis % (rank + 1) - 1

    def _merge(self, xs):
        return np.concatenate(xs, axis=self._shape_axis(len(self.output_shape)) + 1)

    def _input_grads(self, dout, xs):
        axis = self._shape_axis(len(self.output_shape))
        ends = np.cumsum([shape[axis] for shape in self.input_shape])
        return np.split(dout, ends[:-1], axis=axis + 1)  # views of dout, one per input

    def get_config(self):
        return {"name": self.name, "axis": self.axis}

    def __repr__(self):
        return f"Concatenate(name={self.name!r}, axis={self.axis})"
