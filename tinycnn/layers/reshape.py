"""Reshape: the same numbers in a new shape, as Keras's ``layers.Reshape``.

Forward:   out = x.reshape(N, *target_shape), in row-major order (C order, as Keras)
Backward:  dx = dout.reshape(N, *input_shape)
No copy, no weights. The sizes must match: prod(input_shape) = prod(target_shape). One size
of ``target_shape`` may be -1; it is then worked out from the input, as Keras and NumPy do:
(4, 4, 2) with target_shape (-1, 2) gives (16, 2).

Shapes:  x (N, *input_shape) -> out (N, *output_shape);  dout (N, *output_shape) -> dx like x
"""

import math
import numbers

from tinycnn.layers.base import Layer


def target_sizes(value):
    """target_shape as a tuple of sizes >= 1 with at most one -1, or a ValueError."""
    if not isinstance(value, (tuple, list)) or not value or not all(
            isinstance(size, numbers.Integral) and not isinstance(size, bool) for size in value):
        raise ValueError(f"Reshape target_shape: expected a tuple of ints, got {value!r}")
    sizes = tuple(int(size) for size in value)
    if any(size < 1 and size != -1 for size in sizes) or sizes.count(-1) > 1:
        raise ValueError(f"Reshape target_shape: expected sizes >= 1 and at most one unknown "
                         f"size (-1), got {value!r}")
    return sizes


class Reshape(Layer):
    """Reshape(target_shape): target_shape without the batch axis, one size may be -1."""

    def __init__(self, target_shape, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.target_shape = target_sizes(target_shape)

    def compute_output_shape(self, input_shape):
        size = math.prod(input_shape)
        known = math.prod(d for d in self.target_shape if d != -1)  # the sizes given
        if -1 not in self.target_shape:
            if known == size:
                return self.target_shape
            reason = f"it holds {known}"
        elif size % known == 0:
            return tuple(size // known if d == -1 else d for d in self.target_shape)
        else:
            reason = f"{size} is not a multiple of {known}"
        raise ValueError(f"{self}: the total size must be unchanged: input shape {input_shape} "
                         f"holds {size} values, target_shape {self.target_shape} cannot ({reason})")

    def forward(self, x, training=False):
        """x: (N, *input_shape) -> out: (N, *output_shape)."""
        self._check_input(x)
        self._cache = x.shape
        return x.reshape(x.shape[0], *self.output_shape)

    def backward(self, dout):
        """dout: (N, *output_shape) -> dx: (N, *input_shape)."""
        return dout.reshape(self._cached())

    def get_config(self):
        return {"name": self.name, "target_shape": list(self.target_shape)}

    def __repr__(self):
        return f"Reshape(name={self.name!r}, target_shape={self.target_shape})"
