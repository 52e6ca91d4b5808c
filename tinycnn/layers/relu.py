"""ReLU as a layer of its own: out = max(x, 0), dx = dout * (out > 0). Any shape, no weights.

Conv2D and Dense can apply it themselves (``activation="relu"``), which saves a pass over memory;
this layer is for models written with separate activations.
"""

import numpy as np

from tinycnn.layers.base import Layer


class ReLU(Layer):
    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        """x: (N, ...) -> out: same shape."""
        self._check_input(x)
        out = np.maximum(x, 0)
        self._cache = out if training else None
        return out

    def backward(self, dout):
        out = self._cached()
        flat = out.reshape(-1, out.shape[-1])
        return self.kernels.relu_backward(dout.reshape(flat.shape), flat).reshape(out.shape)
