"""LeakyReLU: a ReLU that lets a small slope through below 0, as Keras's layers.LeakyReLU.

Forward:   out = x where x > 0, negative_slope * x elsewhere
Backward:  dx = dout where out > 0, negative_slope * dout elsewhere
           (out > 0 exactly where x > 0, as negative_slope >= 0)
The formulas are activations.leaky_relu and leaky_relu_derivative, which
Dense(..., activation="leaky_relu") applies too, with the function's default slope 0.2; this
layer's default is Keras's layer's, 0.3.

Shapes: x, out, dout, dx: any (N, ...), all the same. No weights.
"""

from tinycnn.layers.activation import ActivationCache, non_negative
from tinycnn.layers.activations import leaky_relu, leaky_relu_derivative
from tinycnn.layers.base import Layer


class LeakyReLU(Layer):
    """LeakyReLU(negative_slope=0.3), a number >= 0. ``alpha`` is its older name (Keras 2's),
    still accepted, as Keras 3 does."""

    def __init__(self, negative_slope=0.3, name=None, input_shape=None, alpha=None):
        super().__init__(name=name, input_shape=input_shape)
        if alpha is not None:
            negative_slope = alpha
        self.negative_slope = non_negative(negative_slope, "LeakyReLU negative_slope")

    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        """x: (N, ...) -> out: the same shape."""
        self._check_input(x)
        out = leaky_relu(x, self.negative_slope)
        self._cache = ActivationCache(out=out)
        return out

    def backward(self, dout):
        """dout: (N, ...) -> dx: the same shape."""
        out = self._cached().out
        return dout * leaky_relu_derivative(out, self.negative_slope)

    def get_config(self):
        return {"name": self.name, "negative_slope": self.negative_slope}

    def __repr__(self):
        return f"LeakyReLU(name={self.name!r}, negative_slope={self.negative_slope})"
