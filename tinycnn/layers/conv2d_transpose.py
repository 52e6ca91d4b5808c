"""Conv2DTranspose: the transposed convolution, which grows images: every input pixel stamps
the kernel, times its value, onto the output, S_h rows and S_w columns from its neighbour's.

    out_pad[n, S_h*iy + R_h*ky, S_w*ix + R_w*kx, f] += x[n, iy, ix, c] * W[ky, kx, f, c]
    z = out_pad with the padding cropped, + b        out = activation(z)
It is a convolution read backwards. Take the convolution that maps an image of our output's
size (H_out, W_out, F) down to our input's size (H, W, C), with the same kernel size, strides,
padding and dilation: its dL/dx, col2im(dz @ W_mat.T) in Conv2D's backward, is this layer's
forward, and its forward (im2col, then a matrix multiply) is this layer's backward:
    forward:   dcols = x_rows @ W_mat.T      z = col2im(dcols) + b
    backward:  dz = dout through the activation's derivative,   db = column sums of dz
               dz_cols = im2col(dz)          dW_mat = dz_cols.T @ x_rows
               dx_rows = dz_cols @ W_mat
with x_rows = x.reshape(N*H*W, C), W_mat = W.reshape(KH*KW*F, C), and the windows
(``layer.geometry``) those of that convolution on (H_out, W_out).
Output size, as Keras computes it, with K = R_h*(KH - 1) + 1 the kernel's span (W_out likewise):
    "valid":  H_out = (H - 1)*S_h + K + output_padding   (default max(S_h - K, 0))
    "same":   H_out = H*S_h, or (H - 1)*S_h + K % 2 + output_padding when that is given
output_padding (an int or a pair, each below its stride) picks among the output sizes that the
convolution maps back to (H, W); a size it does not map back is refused, as TensorFlow does.

Shapes:  x (N, H, W, C) -> out (N, H_out, W_out, F)
         W (KH, KW, F, C), b (F,), dcols and dz_cols (N*H*W, KH*KW*F)
Keras's weights, in order: kernel (W), bias (b).
"""

import numbers
from typing import NamedTuple

import numpy as np

from tinycnn.kernels.im2col import dilated_span
from tinycnn.layers import constraints, initializers
from tinycnn.layers.activations import (
    activate,
    activation_backward,
    add_bias_and_activate,
    check_activation,
    input_to_keep,
)
from tinycnn.layers.base import Layer
from tinycnn.layers.conv_windows import col2im, conv_geometry_of, im2col
from tinycnn.layers.regularizers import penalties, penalty_config
from tinycnn.layers.shapes import (
    channels_last,
    dilation_pair,
    flag,
    padding_mode,
    positive_int,
    positive_pair,
)


def transposed_size(size, kernel, stride, padding, output_padding, dilation):
    """The output length along one axis, as Keras's conv_transpose (output_padding or None)."""
    span = dilated_span(kernel, dilation)
    if padding == "valid":
        extra = max(stride - span, 0) if output_padding is None else output_padding
        return (size - 1) * stride + span + extra
    if output_padding is None:
        return size * stride
    return (size - 1) * stride + span % 2 + output_padding


class TransposeCache(NamedTuple):
    """What Conv2DTranspose's forward keeps for backward (the last call's):

        x_rows    (N*H*W, C), the input, one pixel a row: dW_mat = dz_cols.T @ x_rows
        out       (N*H_out*W_out, F), after the activation, whose derivative backward reads
        x_shape   (N, H, W, C), the shape dx takes
        z         before the activation, as out: only for the activations whose derivative
                  needs it (activations.NEEDS_INPUT), else None
    """

    x_rows: np.ndarray
    out: np.ndarray
    x_shape: tuple
    z: np.ndarray = None


class Conv2DTranspose(Layer):
    """Conv2DTranspose(filters, kernel_size, strides=1, padding="valid", output_padding=None,
    data_format=None, dilation_rate=1, activation=None, use_bias=True,
    kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
    bias_regularizer=None, kernel_constraint=None, bias_constraint=None), as in Keras.

    kernel_size, strides and dilation_rate: an int or a pair (height, width), strides and
    dilation_rate not both above 1 (as in Keras); padding "valid" or "same"; output_padding
    None or an int or a pair, each at least 0 and below its stride; data_format None or
    "channels_last" only. The initializers, regularizers and constraints as Conv2D's.
    """

    # Keras's constraint argument for each param key (layers/constraints.py: attach)
    constraint_arguments = {"W": "kernel_constraint", "b": "bias_constraint"}

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.filters = positive_int(filters, "Conv2DTranspose filters")
        self.kernel_size = positive_pair(kernel_size, "Conv2DTranspose kernel_size")
        self.strides = positive_pair(strides, "Conv2DTranspose strides")
        self.padding = padding_mode(padding, "Conv2DTranspose padding", allow_int=False)
        self.output_padding = _output_padding(output_padding, self.strides)
        channels_last(data_format, "Conv2DTranspose")
        self.dilation_rate = dilation_pair(dilation_rate, self.strides, "Conv2DTranspose")
        self.activation = check_activation(activation, "Conv2DTranspose")
        self.use_bias = flag(use_bias, "Conv2DTranspose use_bias")
        self.kernel_initializer = initializers.get(kernel_initializer,
                                                   "Conv2DTranspose kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer,
                                                 "Conv2DTranspose bias_initializer")
        self.regularizers = penalties(kernel_regularizer, bias_regularizer, "Conv2DTranspose")
        self.constraints = constraints.attach(self, kernel_constraint=kernel_constraint,
                                              bias_constraint=bias_constraint)
        self.geometry = None  # the windows of the convolution it transposes, once built

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        (height, width), (kh, kw) = input_shape[:2], self.kernel_size
        (stride_h, stride_w), (dilation_h, dilation_w) = self.strides, self.dilation_rate
        extra_h, extra_w = self.output_padding or (None, None)
        out_h = transposed_size(height, kh, stride_h, self.padding, extra_h, dilation_h)
        out_w = transposed_size(width, kw, stride_w, self.padding, extra_w, dilation_w)
        geometry = conv_geometry_of(self, (out_h, out_w, self.filters))
        if (geometry.out_h, geometry.out_w) != input_shape[:2]:
            raise ValueError(
                f"{self}: output size {(out_h, out_w)} does not convolve back to the input "
                f"size {input_shape[:2]} (padding {self.padding!r}, strides {self.strides}, "
                f"output_padding {self.output_padding}); choose another output_padding")
        return (out_h, out_w, self.filters)

    def build(self, input_shape, rng=None, dtype=np.float32):
        """Create W (and b), and work out the windows of the convolution it transposes."""
        super().build(input_shape, rng, dtype)
        self.geometry = conv_geometry_of(self, self.output_shape)
        return self

    def _create_params(self, input_shape, rng, dtype):
        shape = (*self.kernel_size, self.filters, input_shape[2])
        params = {"W": self.kernel_initializer(shape, rng, dtype)}
        if self.use_bias:
            params["b"] = self.bias_initializer((self.filters,), rng, dtype)
        return params

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, H_out, W_out, F)."""
        self._check_input(x)
        W = self.params["W"]
        x_rows = x.reshape(-1, x.shape[3])
        dcols = x_rows @ W.reshape(-1, x.shape[3]).T
        out_shape = (len(x), *self.output_shape)
        z = col2im(self.kernels, dcols, out_shape, self.geometry, self.dilation_rate)
        z = z.reshape(-1, self.filters)
        if self.use_bias:
            out = add_bias_and_activate(z, self.params["b"], self.activation, self.kernels)
        else:
            out = activate(z, self.activation)
        self._cache = TransposeCache(x_rows=x_rows, out=out, x_shape=x.shape,
                                     z=input_to_keep(z, self.activation))
        return out.reshape(out_shape)

    def backward(self, dout):
        """dout: (N, H_out, W_out, F) -> dx: (N, H, W, C); fills grads "W" (KH, KW, F, C) and
        "b" (F,) (if use_bias)."""
        cache, W = self._cached(), self.params["W"]
        dz = activation_backward(dout.reshape(cache.out.shape), cache.out, self.activation,
                                 self.kernels, z=cache.z)
        if self.use_bias:
            self.grads["b"] = self.kernels.column_sums(dz)
        dz_images = dz.reshape(cache.x_shape[0], *self.output_shape)
        dz_cols = im2col(self.kernels, dz_images, self.geometry, self.dilation_rate)
        self.grads["W"] = (dz_cols.T @ cache.x_rows).reshape(W.shape)
        if not self.needs_input_grad:
            return None
        return (dz_cols @ W.reshape(-1, cache.x_shape[3])).reshape(cache.x_shape)

    def multiply_adds(self):
        """One image's multiply-adds: each input value times the KH*KW*F weights it stamps."""
        height, width, channels = self.input_shape
        return height * width * channels * self.kernel_size[0] * self.kernel_size[1] * self.filters

    def get_config(self):
        output_padding = None if self.output_padding is None else list(self.output_padding)
        return {"name": self.name, "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "output_padding": output_padding, "dilation_rate": list(self.dilation_rate),
                "activation": self.activation, "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                **penalty_config(self.regularizers), **constraints.constraint_config(self)}

    def __repr__(self):
        return (f"Conv2DTranspose(name={self.name!r}, filters={self.filters}, "
                f"kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, output_padding={self.output_padding}, "
                f"dilation_rate={self.dilation_rate}, activation={self.activation!r}"
                f"{'' if self.use_bias else ', use_bias=False'})")


def _output_padding(value, strides):
    """None, or an int or a pair as a pair of ints, each >= 0 and below its stride (Keras)."""
    if value is None:
        return None
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2 or not all(
            isinstance(v, numbers.Integral) and not isinstance(v, bool) and 0 <= v < stride
            for v, stride in zip(pair, strides, strict=True)):
        raise ValueError(f"Conv2DTranspose output_padding: expected None, or an int or a pair "
                         f"(height, width) each >= 0 and below its stride {strides}, "
                         f"got {value!r}")
    return tuple(int(v) for v in pair)
