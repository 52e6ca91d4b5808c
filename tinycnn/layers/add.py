"""Add: the element-wise sum of its inputs, as Keras's ``layers.Add``.

Forward:   out = x_0 + x_1 + ... + x_{k-1}
Backward:  dx_i = dout for every input (summed over the axes x_i was stretched along, if it
           was broadcast: see tinycnn/layers/merge.py)

Shapes:  x_i (N, ...) -> out (N, *output_shape), the inputs' shapes broadcast together
"""

from tinycnn.layers.merge import Merge


class Add(Merge):
    """Add(): the sum of k >= 2 inputs (a ResNet's shortcut joins its branch here)."""

    def _merge(self, xs):
        out = xs[0] + xs[1]
        for x in xs[2:]:
            out = out + x  # not +=: x may be larger than out where out was broadcast
        return out

    def _input_grads(self, dout, xs):
        return [dout] * len(xs)
