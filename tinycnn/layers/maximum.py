"""Maximum: the element-wise largest of its inputs, as Keras's ``layers.Maximum``.

Forward:   out = max(x_0, x_1, ..., x_{k-1}), element by element
Backward:  dx_i = dout where x_i holds the maximum, 0 elsewhere. Where several inputs tie, the
           earliest of them takes all of dout: Keras computes max(max(x_0, x_1), x_2) ...,
           and TensorFlow's gradient of max(a, b) goes to a when a == b. (Summed over the
           axes x_i was stretched along, if it was broadcast: see tinycnn/layers/merge.py.)

Shapes:  x_i (N, ...) -> out (N, *output_shape), the inputs' shapes broadcast together;
         winner (N, *output_shape): the index i of the input that holds the maximum
"""

import numpy as np

from tinycnn.layers.merge import Merge


class Maximum(Merge):
    """Maximum(): the largest of k >= 2 inputs, element by element."""

    def _merge(self, xs):
        out = np.maximum(xs[0], xs[1])
        for x in xs[2:]:
            out = np.maximum(out, x)
        return out

    def _input_grads(self, dout, xs):
        winner = np.stack(np.broadcast_arrays(*xs)).argmax(axis=0)  # the first max wins ties
        zero = np.zeros((), dout.dtype)
        return [np.where(winner == i, dout, zero) for i in range(len(xs))]
