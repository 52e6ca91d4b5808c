"""SeparableConv2D: a depthwise convolution, then a 1x1 ("pointwise") convolution that mixes
the channels.

A Conv2D's filter looks across space and across channels at once. A separable convolution
splits that in two steps: each channel on its own over space (DepthwiseConv2D's math, without
its bias and activation), then every pixel's C*M values mixed into F outputs by a 1x1 kernel:
    mid[n, oy, ox, c*M + m] = sum_{ky, kx} x_pad[n, S_h*oy + R_h*ky, S_w*ox + R_w*kx, c]
                                                        * W_depthwise[ky, kx, c, m]
    z[n, oy, ox, f] = b[f] + sum_j mid[n, oy, ox, j] * W_pointwise[0, 0, j, f]
    out = activation(z)
KH*KW*C*M + C*M*F weights where a Conv2D has KH*KW*C*F. With mid as a matrix (rows, C*M):
    mid = depthwise_products(cols, W_depthwise)      (tinycnn/layers/depthwise_conv2d.py)
    z = mid @ P + b                                  P = W_pointwise.reshape(C*M, F)
Backward, given dz = dout through the activation's derivative:
    dP = mid.T @ dz        db = column sums of dz        dmid = dz @ P.T
    dW_depthwise, dcols = depthwise_products_backward(cols, W_depthwise, dmid)
    dx = col2im(dcols)
Output size as Conv2D's (tinycnn/layers/conv_windows.py); Keras takes strides and dilation
together here.

Shapes:  x (N, H, W, C) -> out (N, H_out, W_out, F)
         W_depthwise (KH, KW, C, M), W_pointwise (1, 1, C*M, F), b (F,)
         cols (N*H_out*W_out, KH*KW*C), mid (N*H_out*W_out, C*M), dz (N*H_out*W_out, F)
Keras's weights, in order: depthwise_kernel, pointwise_kernel, bias (params and grads hold
them under the same names, the bias as "b"); depthwise_constraint, pointwise_constraint and
bias_constraint project them after every optimizer step (tinycnn/layers/constraints.py).
"""

from typing import NamedTuple

import numpy as np

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
from tinycnn.layers.depthwise_conv2d import depthwise_products, depthwise_products_backward
from tinycnn.layers.shapes import (
    channels_last,
    dilation_pair,
    flag,
    padding_mode,
    positive_int,
    positive_pair,
)


class SeparableCache(NamedTuple):
    """What SeparableConv2D's forward keeps for backward (the last call's):

        cols      (N*H_out*W_out, KH*KW*C), every window as a row
        mid       (N*H_out*W_out, C*M), the depthwise step's output: dP = mid.T @ dz
        out       (N*H_out*W_out, F), after the activation, whose derivative backward reads
        x_shape   (N, H, W, C), the shape col2im gives dx
        z         before the activation, as out: only for the activations whose derivative
                  needs it (activations.NEEDS_INPUT), else None
    """

    cols: np.ndarray
    mid: np.ndarray
    out: np.ndarray
    x_shape: tuple
    z: np.ndarray = None


class SeparableConv2D(Layer):
    """SeparableConv2D(filters, kernel_size, strides=1, padding="valid", data_format=None,
    dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
    depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
    bias_initializer="zeros", depthwise_constraint=None, pointwise_constraint=None,
    bias_constraint=None), as in Keras.

    kernel_size, strides and dilation_rate: an int or a pair (height, width); padding "valid"
    or "same"; data_format None or "channels_last" only. The initializers and constraints as
    Conv2D's.
    """

    # Keras's constraint argument for each param key (layers/constraints.py: attach)
    constraint_arguments = {"depthwise_kernel": "depthwise_constraint",
                            "pointwise_kernel": "pointwise_constraint", "b": "bias_constraint"}

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_constraint=None, pointwise_constraint=None,
                 bias_constraint=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.filters = positive_int(filters, "SeparableConv2D filters")
        self.kernel_size = positive_pair(kernel_size, "SeparableConv2D kernel_size")
        self.strides = positive_pair(strides, "SeparableConv2D strides")
        self.padding = padding_mode(padding, "SeparableConv2D padding", allow_int=False)
        channels_last(data_format, "SeparableConv2D")
        self.dilation_rate = dilation_pair(dilation_rate, self.strides, "SeparableConv2D",
                                           with_strides=True)
        self.depth_multiplier = positive_int(depth_multiplier, "SeparableConv2D depth_multiplier")
        self.activation = check_activation(activation, "SeparableConv2D")
        self.use_bias = flag(use_bias, "SeparableConv2D use_bias")
        self.depthwise_initializer = initializers.get(depthwise_initializer,
                                                      "SeparableConv2D depthwise_initializer")
        self.pointwise_initializer = initializers.get(pointwise_initializer,
                                                      "SeparableConv2D pointwise_initializer")
        self.bias_initializer = initializers.get(bias_initializer,
                                                 "SeparableConv2D bias_initializer")
        self.constraints = constraints.attach(self, depthwise_constraint=depthwise_constraint,
                                              pointwise_constraint=pointwise_constraint,
                                              bias_constraint=bias_constraint)
        self.geometry = None  # a WindowGeometry, once build knows the input's size

    def compute_output_shape(self, input_shape):
        geometry = conv_geometry_of(self, input_shape)
        return (geometry.out_h, geometry.out_w, self.filters)

    def build(self, input_shape, rng=None, dtype=np.float32):
        """Create the two kernels (and b), and work out where the windows go, once:
        ``self.geometry``."""
        super().build(input_shape, rng, dtype)
        self.geometry = conv_geometry_of(self, self.input_shape)
        return self

    def _create_params(self, input_shape, rng, dtype):
        channels = input_shape[2]
        depthwise_shape = (*self.kernel_size, channels, self.depth_multiplier)
        pointwise_shape = (1, 1, channels * self.depth_multiplier, self.filters)
        params = {"depthwise_kernel": self.depthwise_initializer(depthwise_shape, rng, dtype),
                  "pointwise_kernel": self.pointwise_initializer(pointwise_shape, rng, dtype)}
        if self.use_bias:
            params["b"] = self.bias_initializer((self.filters,), rng, dtype)
        return params

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, H_out, W_out, F)."""
        self._check_input(x)
        cols = im2col(self.kernels, x, self.geometry, self.dilation_rate)
        mid = depthwise_products(cols, self.params["depthwise_kernel"])
        z = mid @ self.params["pointwise_kernel"].reshape(-1, self.filters)
        if self.use_bias:
            out = add_bias_and_activate(z, self.params["b"], self.activation, self.kernels)
        else:
            out = activate(z, self.activation)
        self._cache = SeparableCache(cols=cols, mid=mid, out=out, x_shape=x.shape,
                                     z=input_to_keep(z, self.activation))
        return out.reshape(len(x), *self.output_shape)

    def backward(self, dout):
        """dout: (N, H_out, W_out, F) -> dx: (N, H, W, C); fills grads "depthwise_kernel"
        (KH, KW, C, M), "pointwise_kernel" (1, 1, C*M, F) and "b" (F,) (if use_bias)."""
        cache = self._cached()
        pointwise = self.params["pointwise_kernel"]
        dz = activation_backward(dout.reshape(cache.out.shape), cache.out, self.activation,
                                 self.kernels, z=cache.z)
        self.grads["pointwise_kernel"] = (cache.mid.T @ dz).reshape(pointwise.shape)
        if self.use_bias:
            self.grads["b"] = self.kernels.column_sums(dz)
        dmid = dz @ pointwise.reshape(-1, self.filters).T
        self.grads["depthwise_kernel"], dcols = depthwise_products_backward(
            cache.cols, self.params["depthwise_kernel"], dmid)
        if not self.needs_input_grad:
            return None
        return col2im(self.kernels, dcols, cache.x_shape, self.geometry, self.dilation_rate)

    @property
    def depthwise_kernel(self):
        return self.params["depthwise_kernel"]

    @property
    def pointwise_kernel(self):
        return self.params["pointwise_kernel"]

    @property
    def bias(self):
        """params["b"], or None for a layer made with use_bias=False (as in Keras)."""
        return self.params.get("b")

    def multiply_adds(self):
        """One image's multiply-adds: the depthwise step's, then C*M for each output value."""
        out_h, out_w, _ = self.output_shape
        mid_channels = self.input_shape[2] * self.depth_multiplier
        kernel_taps = self.kernel_size[0] * self.kernel_size[1]
        return out_h * out_w * mid_channels * (kernel_taps + self.filters)

    def get_config(self):
        return {"name": self.name, "filters": self.filters, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "dilation_rate": list(self.dilation_rate),
                "depth_multiplier": self.depth_multiplier, "activation": self.activation,
                "use_bias": self.use_bias,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                **constraints.constraint_config(self)}

    def __repr__(self):
        return (f"SeparableConv2D(name={self.name!r}, filters={self.filters}, "
                f"kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}, dilation_rate={self.dilation_rate}, "
                f"depth_multiplier={self.depth_multiplier}, activation={self.activation!r}"
                f"{'' if self.use_bias else ', use_bias=False'})")
