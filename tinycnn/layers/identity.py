"""Identity: out = x, as Keras's layers.Identity; a placeholder where a layer may go.

Forward:   out = x (the very array: nothing is computed, and nothing writes into it)
Backward:  dx = dout

Shapes: x, out, dout, dx: any (N, ...), all the same. No weights.
"""

from tinycnn.layers.base import Layer


class Identity(Layer):
    """Identity(): passes its input on unchanged."""

    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        """x: (N, ...) -> out: x itself."""
        self._check_input(x)
        self._cache = x.shape
        return x

    def backward(self, dout):
        """dout: (N, ...) -> dx: dout itself."""
        self._cached()
        return dout
