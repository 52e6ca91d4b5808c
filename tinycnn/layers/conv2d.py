"""Conv2D: a 2-D convolution (strictly, a cross-correlation, as in every framework).

Forward, for every image n, output pixel (oy, ox) and filter f:
    z[n, oy, ox, f] = b[f] + sum_{ky, kx, c} x_pad[n, S_h*oy + R_h*ky, S_w*ox + R_w*kx, c]
                                                * W[ky, kx, c, f]
    out = activation(z)
(R_h, R_w) is the dilation rate, (1, 1) unless given: the step between the kernel's taps
(tinycnn/layers/conv_windows.py). Keras refuses it above 1 with strides above 1; so do we.
im2col lays every window out as one row of ``cols``, so the whole layer is one matrix multiply:
    z = cols @ W_mat + b        with W_mat = W.reshape(KH*KW*C_in, F)
Backward, given dout = dL/dout and dz = dout through the activation's derivative:
    dW_mat = cols.T @ dz        db = column_sums(dz), dz summed over all rows
    dcols = dz @ W_mat.T        dx = col2im(dcols)   (adds overlapping windows back together)
With use_bias=False there is no b (z = cols @ W_mat; params and grads hold W only). W starts
as kernel_initializer draws it, b as bias_initializer makes it (tinycnn/layers/initializers.py);
kernel_constraint and bias_constraint project them after every optimizer step
(tinycnn/layers/constraints.py).
Output size: H_out = (H + 2P - R_h*(KH - 1) - 1) // S_h + 1 for P pixels of padding ((H + 2P -
KH) // S_h + 1 undilated); "valid" is P = 0, "same" gives H_out = ceil(H / S_h) (see
``tinycnn.kernels.im2col.conv_geometry``); W_out likewise with S_w and R_w. The strides
(S_h, S_w) are the steps between windows down the rows and across the columns.

Shapes:  x (N, H, W, C_in) -> out (N, H_out, W_out, F)
         W (KH, KW, C_in, F), b (F,), cols (N*H_out*W_out, KH*KW*C_in), dz (N*H_out*W_out, F)
Where the windows go (KH, KW, S_h, S_w, the padding before the first row and column, H_out,
W_out) is worked out once, in build: ``layer.geometry``, a ``WindowGeometry`` whose fields are
the kernels' arguments by name and in order, so forward calls ``im2col(x, *geometry)`` and
backward ``col2im(dcols, x_shape, *geometry)`` (through conv_windows.py, which adds the
dilation rate when there is one).

algorithm="winograd" computes the same z with Winograd's F(2x2, 3x3) instead (3x3 kernels,
strides 1, no dilation; tinycnn/kernels/winograd.py): 16 matrix multiplies over the channels,
one per position of a 4x4 tile, with 2.25x fewer multiplies in all:
    U = G W G^T (16, C_in, F)    V = B^T x B (16, T, C_in)    z = A^T (V @ U) A
    dM = A dz A^T (16, T, F)     dW = G^T (V^T @ dM) G        dx = B (dM @ U^T) B^T
"auto" picks one of the two in build, from the shapes alone (``WINOGRAD_MIN_CHANNELS``).
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
from tinycnn.layers.regularizers import penalties, penalty_config
from tinycnn.layers.shapes import (
    channels_last,
    dilation_pair,
    flag,
    padding_mode,
    positive_int,
    positive_pair,
    strides_or_alias,
)

ALGORITHMS = ("im2col", "winograd", "auto")
# "auto" takes Winograd for a 3x3, stride-1, undilated layer with at least this many input
# channels and an output of at least WINOGRAD_MIN_SIZE x WINOGRAD_MIN_SIZE pixels; im2col
# otherwise. Measured on the study's model (docs/engine/winograd.md): with one input channel
# the 16 multiplies have nothing to add up (conv2d), and a 3x3 output (conv2d_2) wastes 7 of
# the 16 outputs of its 2x2 tiles.
WINOGRAD_MIN_CHANNELS = 16
WINOGRAD_MIN_SIZE = 8


class Conv2DCache(NamedTuple):
    """What Conv2D's forward keeps for backward (the last call's):

        cols      (N*H_out*W_out, KH*KW*C_in), every window as a row: dW = cols.T @ dz
                  (None with Winograd, which keeps tiles and tile_weights instead)
        out       (N*H_out*W_out, F), after the activation, whose derivative backward reads
        x_shape   (N, H, W, C_in), the shape col2im gives dx
        z         (N*H_out*W_out, F), before the activation: only for the activations whose
                  derivative needs it (activations.NEEDS_INPUT), else None
        tiles     Winograd only: V = B^T x B, (16, T, C_in): dW = G^T (V^T @ dM) G
        tile_weights  Winograd only: U = G W G^T, (16, C_in, F): dx = B (dM @ U^T) B^T
    """

    cols: np.ndarray
    out: np.ndarray
    x_shape: tuple
    z: np.ndarray = None
    tiles: np.ndarray = None
    tile_weights: np.ndarray = None


def winograd_fits(kernel_size, strides, dilation_rate):
    """Whether Winograd F(2x2, 3x3) can compute this convolution: 3x3, strides 1, no dilation."""
    return kernel_size == (3, 3) and strides == (1, 1) and dilation_rate == (1, 1)


def choose_algorithm(algorithm, layer, geometry, input_shape):
    """"im2col" or "winograd" for ``layer`` on images ``input_shape`` (H, W, C_in): the
    layer's own choice, or for "auto" the fixed rule above (shapes only, so a seed gives the
    same bits on the same machine)."""
    if algorithm != "auto":
        return algorithm
    fits = winograd_fits(layer.kernel_size, layer.strides, layer.dilation_rate)
    big = min(geometry.out_h, geometry.out_w) >= WINOGRAD_MIN_SIZE
    return "winograd" if fits and big and input_shape[2] >= WINOGRAD_MIN_CHANNELS else "im2col"


class Conv2D(Layer):
    """Conv2D(filters, kernel_size, strides=1, padding="valid", activation=None, use_bias=True,
    kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
    bias_regularizer=None, dilation_rate=1, kernel_constraint=None, bias_constraint=None), as
    in Keras, and algorithm="im2col" (tinycnn's own: "im2col", "winograd" or "auto", see the
    module docstring; every choice computes the same convolution, up to rounding).

    kernel_size, strides and dilation_rate are an int or a pair (height, width); ``stride`` is
    an older name for ``strides``, still accepted. padding: "valid" or "same" (any case), or a
    number of zero pixels added on every side. The initializers: a name or an object of
    tinycnn.layers.initializers (``keras.initializers``); the regularizers: of
    tinycnn.layers.regularizers (``keras.regularizers``); the constraints: of
    tinycnn.layers.constraints (``keras.constraints``). Keras's data_format and groups take
    their defaults only (None or "channels_last", and 1).
    """

    # Keras's constraint argument for each param key (layers/constraints.py: attach)
    constraint_arguments = {"W": "kernel_constraint", "b": "bias_constraint"}

    def __init__(self, filters, kernel_size, strides=1, padding="valid", activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, dilation_rate=1,
                 data_format=None, groups=1, kernel_constraint=None, bias_constraint=None,
                 name=None, input_shape=None, stride=None, algorithm="im2col"):
        super().__init__(name=name, input_shape=input_shape)
        self.filters = positive_int(filters, "Conv2D filters")
        self.kernel_size = positive_pair(kernel_size, "Conv2D kernel_size")
        strides = strides_or_alias(strides, stride, "Conv2D", default=1)
        self.strides = positive_pair(strides, "Conv2D strides")
        self.padding = padding_mode(padding, "Conv2D padding")
        self.dilation_rate = dilation_pair(dilation_rate, self.strides, "Conv2D")
        channels_last(data_format, "Conv2D")
        if groups != 1:
            raise ValueError(f"Conv2D groups: only groups=1 is supported (a grouped convolution "
                             f"is not implemented), got {groups!r}")
        self.activation = check_activation(activation, "Conv2D")
        self.use_bias = flag(use_bias, "Conv2D use_bias")
        self.kernel_initializer = initializers.get(kernel_initializer,
                                                   "Conv2D kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, "Conv2D bias_initializer")
        self.regularizers = penalties(kernel_regularizer, bias_regularizer, "Conv2D")
        self.constraints = constraints.attach(self, kernel_constraint=kernel_constraint,
                                              bias_constraint=bias_constraint)
        if algorithm not in ALGORITHMS:
            raise ValueError(f"Conv2D algorithm: expected one of {', '.join(ALGORITHMS)}, got "
                             f"{algorithm!r}")
        if algorithm == "winograd" and not winograd_fits(self.kernel_size, self.strides,
                                                         self.dilation_rate):
            raise ValueError(f"Conv2D algorithm='winograd' computes 3x3 kernels with strides 1 "
                             f"and no dilation only, got kernel_size {self.kernel_size}, "
                             f"strides {self.strides}, dilation_rate {self.dilation_rate}: "
                             f"use 'im2col' or 'auto'")
        self.algorithm = algorithm
        self.geometry = None  # a WindowGeometry, once build knows the input's size
        self.uses_winograd = False  # decided in build ("auto" needs the input's size)

    def compute_output_shape(self, input_shape):
        geometry = conv_geometry_of(self, input_shape)
        return (geometry.out_h, geometry.out_w, self.filters)

    def build(self, input_shape, rng=None, dtype=np.float32):
        """Create W (and b, if use_bias), and work out where the windows go, once:
        ``self.geometry``."""
        super().build(input_shape, rng, dtype)
        self.geometry = conv_geometry_of(self, self.input_shape)
        chosen = choose_algorithm(self.algorithm, self, self.geometry, self.input_shape)
        self.uses_winograd = chosen == "winograd"
        return self

    def _create_params(self, input_shape, rng, dtype):
        shape = (*self.kernel_size, input_shape[2], self.filters)
        params = {"W": self.kernel_initializer(shape, rng, dtype)}
        if self.use_bias:
            params["b"] = self.bias_initializer((self.filters,), rng, dtype)
        return params

    def forward(self, x, training=False):
        """x: (N, H, W, C_in) -> out: (N, H_out, W_out, F)."""
        self._check_input(x)
        geometry, W, kernels = self.geometry, self.params["W"], self.kernels
        cols = tiles = tile_weights = None
        if self.uses_winograd:
            tiles, tile_weights = kernels.winograd_inputs(x, *geometry), kernels.winograd_weights(W)
            z = kernels.winograd_outputs(tiles @ tile_weights, len(x), *geometry)
        else:
            cols = im2col(kernels, x, geometry, self.dilation_rate)
            z = cols @ W.reshape(-1, self.filters)
        if self.use_bias:
            out = add_bias_and_activate(z, self.params["b"], self.activation, self.kernels)
        else:
            out = activate(z, self.activation)
        self._cache = Conv2DCache(cols=cols, out=out, x_shape=x.shape,
                                  z=input_to_keep(z, self.activation), tiles=tiles,
                                  tile_weights=tile_weights)
        return out.reshape(len(x), geometry.out_h, geometry.out_w, self.filters)

    def backward(self, dout):
        """dout: (N, H_out, W_out, F) -> dx: (N, H, W, C_in); fills grads "W" (KH, KW, C_in, F)
        and "b" (F,) (if use_bias)."""
        cache = self._cached()
        dout = dout.reshape(cache.out.shape)
        return self.backward_from_preactivation(
            activation_backward(dout, cache.out, self.activation, self.kernels, z=cache.z)
        )

    def backward_from_preactivation(self, dz):
        """Backward from dz = dL/dz (before the activation): (N*H_out*W_out, F) or 4-D."""
        cache, W = self._cached(), self.params["W"]
        dz = dz.reshape(-1, self.filters)
        if self.uses_winograd:
            return self._winograd_backward(cache, dz)
        self.grads["W"] = (cache.cols.T @ dz).reshape(W.shape)
        if self.use_bias:
            self.grads["b"] = self.kernels.column_sums(dz)
        if not self.needs_input_grad:
            return None
        dcols = dz @ W.reshape(-1, self.filters).T
        return col2im(self.kernels, dcols, cache.x_shape, self.geometry, self.dilation_rate)

    def _winograd_backward(self, cache, dz):
        """dW, db and dx through Winograd's transforms (each step's adjoint, in reverse)."""
        kernels, geometry = self.kernels, self.geometry
        dM = kernels.winograd_outputs_backward(dz, *geometry)  # (16, T, F)
        self.grads["W"] = kernels.winograd_weights_backward(cache.tiles.transpose(0, 2, 1) @ dM)
        if self.use_bias:
            self.grads["b"] = kernels.column_sums(dz)
        if not self.needs_input_grad:
            return None
        dtiles = dM @ cache.tile_weights.transpose(0, 2, 1)  # (16, T, C_in)
        return kernels.winograd_inputs_backward(dtiles, cache.x_shape, *geometry)

    def get_config(self):
        config = {"name": self.name, "filters": self.filters,
                  "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                  "padding": self.padding, "activation": self.activation,
                  "use_bias": self.use_bias,
                  "kernel_initializer": initializers.serialize(self.kernel_initializer),
                  "bias_initializer": initializers.serialize(self.bias_initializer),
                  **penalty_config(self.regularizers), **constraints.constraint_config(self)}
        if self.dilation_rate != (1, 1):  # only then: other models' files stay as they were
            config["dilation_rate"] = list(self.dilation_rate)
        if self.algorithm != "im2col":  # likewise
            config["algorithm"] = self.algorithm
        return config

    def __repr__(self):
        dilated = "" if self.dilation_rate == (1, 1) else f", dilation_rate={self.dilation_rate}"
        if self.algorithm != "im2col":
            dilated += f", algorithm={self.algorithm!r}"
        return (f"Conv2D(name={self.name!r}, filters={self.filters}, "
                f"kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}{dilated}, activation={self.activation!r}"
                f"{'' if self.use_bias else ', use_bias=False'})")
