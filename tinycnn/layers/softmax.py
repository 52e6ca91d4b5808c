"""Softmax as a layer of its own, over the last axis: probabilities that sum to 1.

    out_k = exp(x_k - max x) / sum_j exp(x_j - max x)
    dx = out * (dout - sum_k dout_k * out_k)
When it is the model's last layer and the loss is a cross-entropy, Sequential skips this
backward and uses the simpler, exact dL/dx = (out - onehot(y)) / N instead.
Shapes: x, out (N, K). No weights.
"""

from tinycnn.layers.activations import softmax, softmax_backward
from tinycnn.layers.base import Layer


class Softmax(Layer):
    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        """x: (N, K) -> out: (N, K), rows summing to 1."""
        self._check_input(x)
        out = softmax(x)
        self._cache = out if training else None
        return out

    def backward(self, dout):
        return softmax_backward(dout, self._cached())
