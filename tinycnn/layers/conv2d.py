"""Conv2D: a 2-D convolution (strictly, a cross-correlation, as in every framework).

Forward, for every image n, output pixel (oy, ox) and filter f:
    z[n, oy, ox, f] = b[f] + sum_{ky, kx, c} x_pad[n, S*oy + ky, S*ox + kx, c] * W[ky, kx, c, f]
    out = activation(z)
im2col lays every window out as one row of ``cols``, so the whole layer is one matrix multiply:
    z = cols @ W_mat + b        with W_mat = W.reshape(KH*KW*C_in, F)
Backward, given dout = dL/dout and dz = dout through the activation's derivative:
    dW_mat = cols.T @ dz        db = dz summed over all rows
    dcols = dz @ W_mat.T        dx = col2im(dcols)   (adds overlapping windows back together)
Output size: H_out = (H + 2P - KH) // S + 1 for P pixels of padding; "valid" is P = 0, "same"
gives H_out = ceil(H / S) (see ``tinycnn.kernels.im2col.conv_geometry``).

Shapes:  x (N, H, W, C_in) -> out (N, H_out, W_out, F)
         W (KH, KW, C_in, F), b (F,), cols (N*H_out*W_out, KH*KW*C_in), dz (N*H_out*W_out, F)
"""

import numpy as np

from tinycnn.kernels.im2col import conv_geometry
from tinycnn.layers.activations import (
    activation_backward,
    add_bias_and_activate,
    check_activation,
)
from tinycnn.layers.base import Layer
from tinycnn.layers.initializers import glorot_uniform
from tinycnn.layers.shapes import positive_int, positive_pair


class Conv2D(Layer):
    """Conv2D(filters, kernel_size, stride=1, padding="valid", activation=None).

    kernel_size and stride are an int or a pair (height, width); stride may be an int only.
    padding: "valid", "same" or a number of zero pixels added on every side.
    """

    def __init__(self, filters, kernel_size, stride=1, padding="valid", activation=None,
                 name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.filters = positive_int(filters, "Conv2D filters")
        self.kernel_size = positive_pair(kernel_size, "Conv2D kernel_size")
        self.stride = positive_int(stride, "Conv2D stride")
        if padding not in ("valid", "same") and not (
            isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0
        ):
            raise ValueError(
                f"Conv2D padding: expected 'valid', 'same' or an int >= 0, got {padding!r}"
            )
        self.padding = padding
        self.activation = check_activation(activation, "Conv2D")

    def _geometry(self, input_shape):
        """((out_h, pad_h), (out_w, pad_w)) for an input (H, W, C_in)."""
        (kh, kw), h, w = self.kernel_size, input_shape[0], input_shape[1]
        return (conv_geometry(h, kh, self.stride, self.padding),
                conv_geometry(w, kw, self.stride, self.padding))

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        (out_h, _), (out_w, _) = self._geometry(input_shape)
        if out_h < 1 or out_w < 1:
            raise ValueError(
                f"{self}: kernel {self.kernel_size} with padding {self.padding!r} and stride "
                f"{self.stride} is larger than the padded input {input_shape[:2]}"
            )
        return (out_h, out_w, self.filters)

    def _create_params(self, input_shape, rng, dtype):
        shape = (*self.kernel_size, input_shape[2], self.filters)
        return {"W": glorot_uniform(shape, rng, dtype), "b": np.zeros(self.filters, dtype)}

    def forward(self, x, training=False):
        """x: (N, H, W, C_in) -> out: (N, H_out, W_out, F)."""
        self._check_input(x)
        (kh, kw), n = self.kernel_size, x.shape[0]
        (out_h, pad_h), (out_w, pad_w) = self._geometry(self.input_shape)
        W, b = self.params["W"], self.params["b"]
        cols = self.kernels.im2col(x, kh, kw, self.stride, pad_h, pad_w, out_h, out_w)
        z = cols @ W.reshape(-1, self.filters)
        out = add_bias_and_activate(z, b, self.activation, self.kernels)
        self._cache = (cols, out, x.shape) if training else None
        return out.reshape(n, out_h, out_w, self.filters)

    def backward(self, dout):
        """dout: (N, H_out, W_out, F) -> dx: (N, H, W, C_in); fills grads "W" (KH, KW, C_in, F)
        and "b" (F,)."""
        _, out, _ = self._cached()
        dout = dout.reshape(out.shape)
        return self.backward_from_preactivation(
            activation_backward(dout, out, self.activation, self.kernels)
        )

    def backward_from_preactivation(self, dz):
        """Backward from dz = dL/dz (before the activation): (N*H_out*W_out, F) or 4-D."""
        cols, _, x_shape = self._cached()
        (kh, kw) = self.kernel_size
        (out_h, pad_h), (out_w, pad_w) = self._geometry(self.input_shape)
        W = self.params["W"]
        dz = dz.reshape(-1, self.filters)
        self.grads["W"] = (cols.T @ dz).reshape(W.shape)
        self.grads["b"] = self.kernels.bias_grad(dz)
        if not self.needs_input_grad:
            return None
        dcols = dz @ W.reshape(-1, self.filters).T
        return self.kernels.col2im(dcols, x_shape, kh, kw, self.stride, pad_h, pad_w, out_h, out_w)

    def get_config(self):
        return {"name": self.name, "filters": self.filters, "kernel_size": list(self.kernel_size),
                "stride": self.stride, "padding": self.padding, "activation": self.activation}

    def __repr__(self):
        return (f"Conv2D(name={self.name!r}, filters={self.filters}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding!r}, activation={self.activation!r})")
