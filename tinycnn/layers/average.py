"""Average: the element-wise mean of its inputs, as Keras's ``layers.Average``.

Forward:   out = (x_0 + x_1 + ... + x_{k-1}) / k
Backward:  dx_i = dout / k for every input (summed over the axes x_i was stretched along, if
           it was broadcast: see tinycnn/layers/merge.py)

Shapes:  x_i (N, ...) -> out (N, *output_shape), the inputs' shapes broadcast together
"""

from tinycnn.layers.merge import Merge


class Average(Merge):
    """Average(): the mean of k >= 2 inputs (an ensemble of models' outputs, say)."""

    def _merge(self, xs):
        out = xs[0] + xs[1]
        for x in xs[2:]:
            out = out + x  # not +=: x may be larger than out where out was broadcast
        return out / len(xs)

    def _input_grads(self, dout, xs):
        return [dout / len(xs)] * len(xs)
