"""DepthwiseConv2D: every input channel convolved on its own, by M filters of its own.

Conv2D mixes every input channel into every output channel; a depthwise convolution keeps
them apart. Channel c meets only its own M = depth_multiplier filters W[:, :, c, m], and gives
M output channels:
    z[n, oy, ox, c*M + m] = b[c*M + m]
                  + sum_{ky, kx} x_pad[n, S_h*oy + R_h*ky, S_w*ox + R_w*kx, c] * W[ky, kx, c, m]
    out = activation(z)
That is KH*KW*C*M weights where a Conv2D has KH*KW*C*F (MobileNet's building block, and the
first half of SeparableConv2D). (R_h, R_w) is the dilation rate, as in Conv2D; Keras takes it
together with strides here.
im2col gives every window as a row of cols; viewed as ``patches`` (rows, KH*KW, C), every
channel is a small matrix multiply of its own (one einsum, ``depthwise_products``):
    z[r, c, m] = sum_k patches[r, k, c] * W_taps[k, c, m]        W_taps = W.reshape(KH*KW, C, M)
Backward, given dz = dout through the activation's derivative, as (rows, C, M):
    dW_taps[k, c, m]  = sum_r patches[r, k, c] * dz[r, c, m]     db = column sums of dz
    dpatches[r, k, c] = sum_m dz[r, c, m] * W_taps[k, c, m]      dx = col2im(dpatches)
Output size as Conv2D's (tinycnn/layers/conv_windows.py), with C*M channels.

Shapes:  x (N, H, W, C) -> out (N, H_out, W_out, C*M)
         W (KH, KW, C, M), b (C*M,), cols (N*H_out*W_out, KH*KW*C), dz (N*H_out*W_out, C*M)
Keras's weights, in order: kernel (W), bias (b); depthwise_constraint and bias_constraint
project them after every optimizer step (tinycnn/layers/constraints.py).
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
from tinycnn.layers.shapes import (
    channels_last,
    dilation_pair,
    flag,
    padding_mode,
    positive_int,
    positive_pair,
)


def depthwise_products(cols, W):
    """cols (rows, KH*KW*C), W (KH, KW, C, M) -> z (rows, C*M): each channel's taps times its
    own M filters, summed over the taps only."""
    kh, kw, channels, multiplier = W.shape
    patches = cols.reshape(len(cols), kh * kw, channels)
    z = np.einsum("rkc,kcm->rcm", patches, W.reshape(kh * kw, channels, multiplier))
    return z.reshape(len(cols), channels * multiplier)


def depthwise_products_backward(cols, W, dz):
    """The gradients of depthwise_products for dz (rows, C*M): (dW (KH, KW, C, M), dcols
    (rows, KH*KW*C))."""
    kh, kw, channels, multiplier = W.shape
    patches = cols.reshape(len(cols), kh * kw, channels)
    dz = dz.reshape(len(cols), channels, multiplier)
    dW = np.einsum("rkc,rcm->kcm", patches, dz).reshape(W.shape)
    dpatches = np.einsum("rcm,kcm->rkc", dz, W.reshape(kh * kw, channels, multiplier))
    return dW, dpatches.reshape(cols.shape)


class DepthwiseCache(NamedTuple):
    """What DepthwiseConv2D's forward keeps for backward (the last call's):

        cols      (N*H_out*W_out, KH*KW*C), every window as a row
        out       (N*H_out*W_out, C*M), after the activation, whose derivative backward reads
        x_shape   (N, H, W, C), the shape col2im gives dx
        z         before the activation, as out: only for the activations whose derivative
                  needs it (activations.NEEDS_INPUT), else None
    """

    cols: np.ndarray
    out: np.ndarray
    x_shape: tuple
    z: np.ndarray = None


class DepthwiseConv2D(Layer):
    """DepthwiseConv2D(kernel_size, strides=1, padding="valid", depth_multiplier=1,
    data_format=None, dilation_rate=1, activation=None, use_bias=True,
    depthwise_initializer="glorot_uniform", bias_initializer="zeros",
    depthwise_constraint=None, bias_constraint=None), as in Keras.

    kernel_size, strides and dilation_rate: an int or a pair (height, width); padding "valid"
    or "same"; data_format None or "channels_last" only. The initializers and constraints as
    Conv2D's.
    """

    # Keras's constraint argument for each param key (layers/constraints.py: attach)
    constraint_arguments = {"W": "depthwise_constraint", "b": "bias_constraint"}

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_constraint=None, bias_constraint=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        self.kernel_size = positive_pair(kernel_size, "DepthwiseConv2D kernel_size")
        self.strides = positive_pair(strides, "DepthwiseConv2D strides")
        self.padding = padding_mode(padding, "DepthwiseConv2D padding", allow_int=False)
        self.depth_multiplier = positive_int(depth_multiplier, "DepthwiseConv2D depth_multiplier")
        channels_last(data_format, "DepthwiseConv2D")
        self.dilation_rate = dilation_pair(dilation_rate, self.strides, "DepthwiseConv2D",
                                           with_strides=True)
        self.activation = check_activation(activation, "DepthwiseConv2D")
        self.use_bias = flag(use_bias, "DepthwiseConv2D use_bias")
        self.depthwise_initializer = initializers.get(depthwise_initializer,
                                                      "DepthwiseConv2D depthwise_initializer")
        self.bias_initializer = initializers.get(bias_initializer,
                                                 "DepthwiseConv2D bias_initializer")
        self.constraints = constraints.attach(self, depthwise_constraint=depthwise_constraint,
                                              bias_constraint=bias_constraint)
        self.geometry = None  # a WindowGeometry, once build knows the input's size

    def compute_output_shape(self, input_shape):
        geometry = conv_geometry_of(self, input_shape)
        return (geometry.out_h, geometry.out_w, input_shape[2] * self.depth_multiplier)

    def build(self, input_shape, rng=None, dtype=np.float32):
        """Create W (and b), and work out where the windows go, once: ``self.geometry``."""
        super().build(input_shape, rng, dtype)
        self.geometry = conv_geometry_of(self, self.input_shape)
        return self

    def _create_params(self, input_shape, rng, dtype):
        channels = input_shape[2]
        shape = (*self.kernel_size, channels, self.depth_multiplier)
        params = {"W": self.depthwise_initializer(shape, rng, dtype)}
        if self.use_bias:
            params["b"] = self.bias_initializer((channels * self.depth_multiplier,), rng, dtype)
        return params

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: (N, H_out, W_out, C*M)."""
        self._check_input(x)
        geometry = self.geometry
        cols = im2col(self.kernels, x, geometry, self.dilation_rate)
        z = depthwise_products(cols, self.params["W"])
        if self.use_bias:
            out = add_bias_and_activate(z, self.params["b"], self.activation, self.kernels)
        else:
            out = activate(z, self.activation)
        self._cache = DepthwiseCache(cols=cols, out=out, x_shape=x.shape,
                                     z=input_to_keep(z, self.activation))
        return out.reshape(len(x), *self.output_shape)

    def backward(self, dout):
        """dout: (N, H_out, W_out, C*M) -> dx: (N, H, W, C); fills grads "W" (KH, KW, C, M)
        and "b" (C*M,) (if use_bias)."""
        cache = self._cached()
        dz = activation_backward(dout.reshape(cache.out.shape), cache.out, self.activation,
                                 self.kernels, z=cache.z)
        self.grads["W"], dcols = depthwise_products_backward(cache.cols, self.params["W"], dz)
        if self.use_bias:
            self.grads["b"] = self.kernels.column_sums(dz)
        if not self.needs_input_grad:
            return None
        return col2im(self.kernels, dcols, cache.x_shape, self.geometry, self.dilation_rate)

    def multiply_adds(self):
        """One image's multiply-adds: KH*KW for each of the H_out*W_out*C*M outputs."""
        out_h, out_w, channels_out = self.output_shape
        return out_h * out_w * channels_out * self.kernel_size[0] * self.kernel_size[1]

    def get_config(self):
        return {"name": self.name, "kernel_size": list(self.kernel_size),
                "strides": list(self.strides), "padding": self.padding,
                "depth_multiplier": self.depth_multiplier,
                "dilation_rate": list(self.dilation_rate), "activation": self.activation,
                "use_bias": self.use_bias,
                "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                **constraints.constraint_config(self)}

    def __repr__(self):
        return (f"DepthwiseConv2D(name={self.name!r}, kernel_size={self.kernel_size}, "
                f"strides={self.strides}, padding={self.padding!r}, "
                f"depth_multiplier={self.depth_multiplier}, "
                f"dilation_rate={self.dilation_rate}, activation={self.activation!r}"
                f"{'' if self.use_bias else ', use_bias=False'})")
