"""ELU: the exponential linear unit, as Keras's layers.ELU.

Forward:   out = x where x > 0, alpha * (e^x - 1) elsewhere
Backward:  dx = dout where out > 0, (out + alpha) * dout elsewhere
           (the derivative of alpha (e^x - 1) is alpha e^x = out + alpha; out > 0 exactly
           where x > 0, as alpha >= 0)
The formulas are activations.elu and elu_derivative, which Dense(..., activation="elu")
applies too (with alpha = 1).

Shapes: x, out, dout, dx: any (N, ...), all the same. No weights.
"""

from tinycnn.layers.activation import ActivationCache, non_negative
from tinycnn.layers.activations import elu, elu_derivative
from tinycnn.layers.base import Layer


class ELU(Layer):
    """ELU(alpha=1.0): the value out tends to far below 0 is -alpha; alpha >= 0 (Keras takes a
    negative one too, which bends the curve upwards: out > 0 would no longer mean x > 0)."""

    def __init__(self, alpha=1.0, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.alpha = non_negative(alpha, "ELU alpha")

    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        """x: (N, ...) -> out: the same shape."""
        self._check_input(x)
        out = elu(x, self.alpha)
        self._cache = ActivationCache(out=out)
        return out

    def backward(self, dout):
        """dout: (N, ...) -> dx: the same shape."""
        out = self._cached().out
        return dout * elu_derivative(out, self.alpha)

    def get_config(self):
        return {"name": self.name, "alpha": self.alpha}

    def __repr__(self):
        return f"ELU(name={self.name!r}, alpha={self.alpha})"
