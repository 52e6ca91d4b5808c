"""Subtract: the first input minus the second, as Keras's ``layers.Subtract``.

Forward:   out = x_0 - x_1
Backward:  dx_0 = dout,  dx_1 = -dout  (each summed over its stretched axes, if it was
           broadcast: see tinycnn/layers/merge.py)

Shapes:  x_0, x_1 (N, ...) -> out (N, *output_shape), the two shapes broadcast together
"""

from tinycnn.layers.merge import Merge


class Subtract(Merge):
    """Subtract(): x_0 - x_1, for exactly two inputs."""

    num_inputs = 2

    def _merge(self, xs):
        return xs[0] - xs[1]

    def _input_grads(self, dout, xs):
        return [dout, -dout]
