"""Multiply: the element-wise product of its inputs, as Keras's ``layers.Multiply``.

Forward:   out = x_0 * x_1 * ... * x_{k-1}
Backward:  dx_i = dout * (the product of every input but x_i)
           (summed over the axes x_i was stretched along, if it was broadcast: see
           tinycnn/layers/merge.py). The product of the others is built from the products
           before and after x_i, never as out / x_i, which a zero in x_i would break.

Shapes:  x_i (N, ...) -> out (N, *output_shape), the inputs' shapes broadcast together
"""

from tinycnn.layers.merge import Merge


class Multiply(Merge):
    """Multiply(): the product of k >= 2 inputs (a gate: features times weights in [0, 1])."""

    def _merge(self, xs):
        out = xs[0] * xs[1]
        for x in xs[2:]:
            out = out * x  # not *=: x may be larger than out where out was broadcast
        return out

    def _input_grads(self, dout, xs):
        left = [dout]  # left[i] = dout * x_0 * ... * x_{i-1}
        for x in xs[:-1]:
            left.append(left[-1] * x)
        grads, right = [None] * len(xs), 1.0  # right = x_{i+1} * ... * x_{k-1}
        for i in range(len(xs) - 1, -1, -1):
            grads[i] = left[i] * right
            right = right * xs[i]
        return grads
