"""Dilated convolutions, DepthwiseConv2D, SeparableConv2D and Conv2DTranspose (issue 19).

The three tiers, as for the other layers:
    kernels    the dilated im2col and col2im equal their NumPy twins (and, undilated, the plain
               kernels), col2im is im2col's adjoint, and both give the textbook loops'
               convolution; each layer equals its textbook loops
    gradients  check_layer in float64 on each layer and on a dilated Conv2D
    end to end one training step and a save and load in a Sequential
and, against real Keras 3.15.1 (tests/data/conv_variants_keras.json, written by
tests/data/conv_variants_make.py, in float64): each layer's output on the same weights, and a
small model's weights after one SGD step. Then the arguments each layer refuses, and the im2col
frames of a dilated window.
"""

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from helpers import PADDINGS, POOL_PADDINGS, conv_cases  # noqa: E402
from hypothesis import assume, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import tinycnn as tc  # noqa: E402
from tinycnn.explain.im2col_frames import col2im_frames, im2col_frames  # noqa: E402
from tinycnn.gradcheck import check_layer  # noqa: E402
from tinycnn.kernels import NUMBA, NUMPY  # noqa: E402
from tinycnn.kernels.im2col import WindowGeometry  # noqa: E402
from tinycnn.kernels.loops import (  # noqa: E402
    conv2d_backward_loops,
    conv2d_forward_loops,
    conv2d_transpose_forward_loops,
    depthwise_conv2d_forward_loops,
)
from tinycnn.layers import Dense, Flatten  # noqa: E402
from tinycnn.layers.conv2d import Conv2D  # noqa: E402
from tinycnn.layers.conv2d_transpose import Conv2DTranspose  # noqa: E402
from tinycnn.layers.conv_windows import DILATED  # noqa: E402
from tinycnn.layers.depthwise_conv2d import DepthwiseConv2D  # noqa: E402
from tinycnn.layers.separable_conv2d import SeparableConv2D  # noqa: E402
from tinycnn.viz.im2col_animation import make_im2col_animation  # noqa: E402

CLASSES = {cls.__name__: cls for cls in (Conv2D, DepthwiseConv2D, SeparableConv2D,
                                         Conv2DTranspose)}
KERNEL_SETS = pytest.mark.parametrize("kernels", [NUMBA, NUMPY], ids=["numba", "numpy"])
REFERENCE = json.loads((Path(__file__).parent / "data" / "conv_variants_keras.json").read_text())
GRADIENT_TOLERANCE = 1e-6


@st.composite
def dilated_cases(draw, padding=PADDINGS):
    """conv_cases' shapes with a dilation rate 1-3 on each axis: (x_shape, WindowGeometry,
    (R_h, R_w), strides, padding), the geometry worked out for the dilated kernel. With
    ``padding=POOL_PADDINGS``, "valid" or "same" only, what the new layers take."""
    x_shape, kh, kw, strides, pad, _, _ = draw(conv_cases(padding=padding))
    dilation = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    geometry = WindowGeometry.of(x_shape[1:], (kh, kw), strides, pad, dilation)
    assume(geometry.out_h >= 1 and geometry.out_w >= 1)
    return x_shape, geometry, dilation, strides, pad


def close(actual, expected, what, tolerance=1e-12):
    np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance, err_msg=what)


def built(layer, x_shape, rng, dtype=np.float64):
    """``layer`` built for x_shape in float64, every bias set non-zero (so it is checked)."""
    layer.build(x_shape[1:], rng, dtype)
    if "b" in layer.params:
        layer.params["b"][...] = rng.standard_normal(layer.params["b"].shape)
    return layer


# ---- tier 1: kernels and textbook loops ------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(case=dilated_cases(), seed=st.integers(0, 2**16))
def test_dilated_im2col_and_col2im_equal_their_twins(dtype, case, seed):
    x_shape, geometry, dilation, _, _ = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape).astype(dtype)
    fast = DILATED["numba"].im2col(x, *geometry, *dilation)
    np.testing.assert_array_equal(fast, DILATED["numpy"].im2col(x, *geometry, *dilation))
    assert fast.dtype == dtype and fast.shape == (
        x_shape[0] * geometry.out_h * geometry.out_w, geometry.kh * geometry.kw * x_shape[3])

    dcols = rng.standard_normal(fast.shape).astype(dtype)
    dx = DILATED["numba"].col2im(dcols, x_shape, *geometry, *dilation)
    assert dx.dtype == dtype and dx.shape == x_shape
    close(dx, DILATED["numpy"].col2im(dcols, x_shape, *geometry, *dilation), "col2im",
          tolerance=1e-5 if dtype == np.float32 else 1e-12)


@given(case=conv_cases(), seed=st.integers(0, 2**16))
def test_with_dilation_1_the_dilated_kernels_are_the_plain_ones(case, seed):
    x_shape, kh, kw, strides, _, (out_h, pad_h), (out_w, pad_w) = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    geometry = (kh, kw, *strides, pad_h, pad_w, out_h, out_w)
    cols = NUMBA.im2col(x, *geometry)
    np.testing.assert_array_equal(DILATED["numba"].im2col(x, *geometry, 1, 1), cols)
    dcols = rng.standard_normal(cols.shape)
    close(DILATED["numba"].col2im(dcols, x_shape, *geometry, 1, 1),
          NUMBA.col2im(dcols, x_shape, *geometry), "col2im")


@pytest.mark.parametrize("name", ["numba", "numpy"])
@given(case=dilated_cases(), seed=st.integers(0, 2**16))
def test_dilated_col2im_is_the_adjoint_of_im2col(name, case, seed):
    """<im2col(x), d> == <x, col2im(d)>: col2im is im2col transposed, dilated too."""
    x_shape, geometry, dilation, _, _ = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    cols = DILATED[name].im2col(x, *geometry, *dilation)
    d = rng.standard_normal(cols.shape)
    right = np.sum(x * DILATED[name].col2im(d, x_shape, *geometry, *dilation))
    assert np.sum(cols * d) == pytest.approx(right, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("name", ["numba", "numpy"])
@given(case=dilated_cases(), filters=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_a_dilated_convolution_through_im2col_is_the_textbook_one(name, case, filters, seed):
    """Forward z = cols @ W + b, backward dW = cols.T @ dz and dx = col2im(dz @ W.T), against
    the loops: strides and dilation together here (DepthwiseConv2D takes both)."""
    x_shape, geometry, dilation, strides, padding = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    W = rng.standard_normal((geometry.kh, geometry.kw, x_shape[3], filters))
    b = rng.standard_normal(filters)
    cols = DILATED[name].im2col(x, *geometry, *dilation)
    out = (cols @ W.reshape(-1, filters) + b).reshape(x_shape[0], geometry.out_h,
                                                      geometry.out_w, filters)
    close(out, conv2d_forward_loops(x, W, b, strides, padding, dilation), "forward")

    dout = rng.standard_normal(out.shape)
    dz = dout.reshape(-1, filters)
    dx = DILATED[name].col2im(dz @ W.reshape(-1, filters).T, x_shape, *geometry, *dilation)
    dx_loops, dW_loops, db_loops = conv2d_backward_loops(x, W, dout, strides, padding, dilation)
    close(dx, dx_loops, "dx")
    close((cols.T @ dz).reshape(W.shape), dW_loops, "dW")
    close(dz.sum(axis=0), db_loops, "db")


@given(case=dilated_cases(POOL_PADDINGS), multiplier=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_depthwise_and_separable_layers_equal_the_textbook_loops(case, multiplier, seed):
    x_shape, geometry, dilation, strides, padding = case
    kernel = (geometry.kh, geometry.kw)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    depthwise = built(DepthwiseConv2D(kernel, strides, padding, multiplier,
                                      dilation_rate=dilation), x_shape, rng)
    mid = depthwise_conv2d_forward_loops(x, *depthwise.params.values(), strides, padding,
                                         dilation)
    close(depthwise.forward(x), mid, "DepthwiseConv2D")

    separable = built(SeparableConv2D(2, kernel, strides, padding, dilation_rate=dilation,
                                      depth_multiplier=multiplier), x_shape, rng)
    separable.params["depthwise_kernel"][...] = depthwise.params["W"]
    # The pointwise step is a 1x1 convolution of the depthwise step's output (without its bias).
    mid = mid - depthwise.params["b"]
    expected = conv2d_forward_loops(mid, separable.params["pointwise_kernel"],
                                    separable.params["b"], (1, 1), "valid")
    close(separable.forward(x), expected, "SeparableConv2D")


@given(case=dilated_cases(POOL_PADDINGS), filters=st.integers(1, 3),
       seed=st.integers(0, 2**16))
def test_conv2d_transpose_equals_the_textbook_loops(case, filters, seed):
    x_shape, geometry, dilation, strides, padding = case
    kernel = (geometry.kh, geometry.kw)
    if max(dilation) > 1:  # Keras's rule for Conv2DTranspose: not both above 1
        strides = (1, 1)
    rng = np.random.default_rng(seed)
    layer = built(Conv2DTranspose(filters, kernel, strides, padding, dilation_rate=dilation),
                  x_shape, rng)
    x = rng.standard_normal(x_shape)
    expected = conv2d_transpose_forward_loops(x, *layer.params.values(), layer.output_shape[:2],
                                              strides, padding, dilation)
    close(layer.forward(x), expected, "Conv2DTranspose")


# ---- tier 2: gradients -------------------------------------------------------------------------
GRADIENT_CASES = {
    "conv2d_dilated_same": (lambda: Conv2D(2, 3, padding="same", dilation_rate=(2, 1)),
                            (2, 6, 5, 2)),
    "conv2d_dilated_int_padding": (lambda: Conv2D(3, (2, 3), padding=1, dilation_rate=2,
                                                  activation="tanh"), (2, 5, 6, 1)),
    "depthwise": (lambda: DepthwiseConv2D(2, depth_multiplier=2, activation="sigmoid"),
                  (2, 4, 5, 2)),
    "depthwise_strided_dilated": (lambda: DepthwiseConv2D(2, strides=2, padding="same",
                                                          dilation_rate=2), (2, 7, 6, 2)),
    "separable": (lambda: SeparableConv2D(3, 2, depth_multiplier=2, activation="tanh"),
                  (2, 4, 4, 2)),
    "separable_strided_same_no_bias": (lambda: SeparableConv2D(
        2, 3, strides=(2, 1), padding="same", dilation_rate=(1, 2), use_bias=False),
        (2, 5, 5, 2)),
    "transpose": (lambda: Conv2DTranspose(2, 3, activation="sigmoid"), (2, 3, 4, 2)),
    "transpose_strided_same": (lambda: Conv2DTranspose(2, (3, 2), strides=(2, 3),
                                                       padding="same"), (2, 3, 2, 2)),
    "transpose_output_padding": (lambda: Conv2DTranspose(1, 2, strides=3, output_padding=1),
                                 (2, 2, 3, 2)),
    "transpose_dilated_no_bias": (lambda: Conv2DTranspose(2, 2, dilation_rate=(2, 3),
                                                          use_bias=False), (2, 3, 3, 2)),
}


@KERNEL_SETS
@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_gradients(case, kernels):
    make, x_shape = GRADIENT_CASES[case]
    rng = np.random.default_rng(0)
    layer = built(make().use_kernels(kernels.name), x_shape, rng)
    errors = check_layer(layer, rng.standard_normal(x_shape))
    assert max(errors.values()) < GRADIENT_TOLERANCE, f"{layer}: relative errors {errors}"


@given(case=dilated_cases(), filters=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_dilated_conv2d_gradients_on_drawn_shapes(case, filters, seed):
    x_shape, geometry, dilation, _, padding = case
    rng = np.random.default_rng(seed)
    layer = built(Conv2D(filters, (geometry.kh, geometry.kw), padding=padding,
                         dilation_rate=dilation), x_shape, rng)
    errors = check_layer(layer, rng.standard_normal(x_shape), seed=seed)
    assert max(errors.values()) < GRADIENT_TOLERANCE, f"{layer}: relative errors {errors}"


# ---- against Keras -----------------------------------------------------------------------------
KERAS_NAMES = {"W": "kernel", "b": "bias", "depthwise_kernel": "depthwise_kernel",
               "pointwise_kernel": "pointwise_kernel"}


@KERNEL_SETS
@pytest.mark.parametrize("case", sorted(REFERENCE["layers"]))
def test_each_layer_computes_what_keras_computes_on_its_weights(case, kernels):
    expected = REFERENCE["layers"][case]
    x = np.array(expected["x"], expected["dtype"])
    layer = CLASSES[expected["class"]](**expected["arguments"]).use_kernels(kernels.name)
    layer.build(x.shape[1:], dtype=x.dtype)
    # Keras's weights load in Keras's order, under Keras's names.
    assert [KERAS_NAMES[key] for key in layer.params] == expected["weight_names"]
    layer.set_weights([np.array(w) for w in expected["weights"]])
    tolerance = 1e-5 if expected["dtype"] == "float32" else 1e-12
    close(layer.forward(x), expected["out"], case, tolerance)


def sgd_step_model():
    """The model of conv_variants_make.py's SGD step, in float64."""
    return tc.Sequential([
        SeparableConv2D(3, 3, padding="same", depth_multiplier=2, activation="relu",
                        input_shape=(6, 6, 2)),
        DepthwiseConv2D(2, strides=2, dilation_rate=2, padding="same"),
        Conv2DTranspose(2, 3, strides=2, padding="same", activation="tanh"),
        Conv2D(2, 3, dilation_rate=2, activation="relu"),
        Flatten(),
        Dense(3, activation="softmax"),
    ], dtype="float64")


def test_one_sgd_step_of_a_small_model_gives_the_weights_keras_gives():
    step = REFERENCE["sgd_step"]
    model = sgd_step_model()
    model.set_weights([np.array(w) for w in step["initial"]])
    model.compile(optimizer=tc.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    loss = model.train_on_batch(np.array(step["x"]), np.array(step["y"]))
    assert loss == pytest.approx(step["loss"], rel=1e-12)
    for i, (ours, theirs) in enumerate(zip(model.get_weights(), step["weights"], strict=True)):
        close(ours, theirs, f"weights[{i}]")


# ---- end to end ---------------------------------------------------------------------------------
def test_a_sequential_with_every_variant_trains_and_saves_and_loads(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((16, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    model = tc.Sequential([
        Conv2D(4, 3, padding="same", dilation_rate=2, activation="relu", input_shape=(8, 8, 1)),
        DepthwiseConv2D(3, depth_multiplier=2, activation="relu"),
        SeparableConv2D(4, 2, strides=2, activation="relu"),
        Conv2DTranspose(3, 2, strides=2, padding="same"),
        Flatten(),
        Dense(3, activation="softmax"),
    ], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = model.get_weights()
    losses = [model.train_on_batch(x, y) for _ in range(5)]
    assert all(np.isfinite(losses)) and losses[-1] < losses[0]
    for old, new in zip(before, model.get_weights(), strict=True):
        assert not np.array_equal(old, new)  # every weight array took part

    model.save(tmp_path / "variants.npz")
    loaded = tc.load_model(tmp_path / "variants.npz", custom_objects=CLASSES)
    assert [layer.get_config() for layer in loaded.layers] == [
        layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


# ---- multiply-adds (summary(costs=True)) -----------------------------------------------------
class Counting:
    """A weight that counts the multiplications it takes part in (every product of a
    convolution has one weight in it, padding or not)."""

    products = 0

    def __init__(self, value):
        self.value = value

    def __mul__(self, other):
        Counting.products += 1
        return self.value * other

    __rmul__ = __mul__


def products(loops, W):
    """How many multiplications ``loops(W)`` takes, W made of Countings."""
    Counting.products = 0
    loops(np.array([Counting(value) for value in W.ravel()], object).reshape(W.shape))
    return Counting.products


def test_multiply_adds_are_the_textbook_loops_products():
    """layer.multiply_adds() (summary(costs=True), tinycnn.explain.layer_costs) counts what the
    loops multiply."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 6, 5, 2))
    depthwise = built(DepthwiseConv2D(3, 2, "same", 3, dilation_rate=(1, 2)), x.shape, rng)
    W, b = depthwise.params.values()
    count = products(lambda W: depthwise_conv2d_forward_loops(x, W, b, (2, 2), "same", (1, 2)), W)
    assert depthwise.multiply_adds() == count == 3 * 3 * 6 * 9

    separable = built(SeparableConv2D(4, 2, depth_multiplier=3), x.shape, rng)
    depthwise_kernel, pointwise_kernel, b = separable.params.values()
    no_bias = np.zeros(6)
    mid = depthwise_conv2d_forward_loops(x, depthwise_kernel, no_bias, (1, 1), "valid")
    count = (products(lambda W: depthwise_conv2d_forward_loops(x, W, no_bias, (1, 1), "valid"),
                      depthwise_kernel)
             + products(lambda W: conv2d_forward_loops(mid, W, b, (1, 1), "valid"),
                        pointwise_kernel))
    assert separable.multiply_adds() == count == 5 * 4 * 6 * (4 + 4)

    transpose = built(Conv2DTranspose(3, (3, 2), strides=2, padding="same"), x.shape, rng)
    W, b = transpose.params.values()
    count = products(lambda W: conv2d_transpose_forward_loops(
        x, W, b, transpose.output_shape[:2], (2, 2), "same"), W)
    assert transpose.multiply_adds() == count == 6 * 5 * 2 * 6 * 3


# ---- configs -----------------------------------------------------------------------------------
def test_an_undilated_conv2d_writes_the_config_it_always_wrote():
    assert "dilation_rate" not in Conv2D(2, 3).get_config()
    assert Conv2D(2, 3, dilation_rate=2).get_config()["dilation_rate"] == [2, 2]


@pytest.mark.parametrize("layer", [
    Conv2D(2, (2, 3), dilation_rate=(1, 2), activation="tanh", name="dilated"),
    DepthwiseConv2D((3, 1), 2, "same", 3, dilation_rate=2, use_bias=False,
                    depthwise_initializer="he_normal"),
    SeparableConv2D(4, 3, strides=2, depth_multiplier=2, activation="relu",
                    pointwise_initializer="zeros", bias_initializer="ones"),
    Conv2DTranspose(3, 2, strides=(2, 3), padding="same", output_padding=(1, 0),
                    kernel_regularizer="l2"),
], ids=lambda layer: type(layer).__name__)
def test_get_config_rebuilds_the_layer(layer):
    config = json.loads(json.dumps(layer.get_config()))
    twin = type(layer)(**config)
    assert twin.get_config() == config and repr(twin) == repr(layer)


# ---- what the layers refuse ---------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: Conv2D(2, 3, strides=2, dilation_rate=2),
     r"strides > 1 together with dilation_rate > 1 is not supported"),
    (lambda: Conv2DTranspose(2, 3, strides=(1, 2), dilation_rate=(2, 1)),
     r"strides > 1 together with dilation_rate > 1"),
    (lambda: Conv2D(2, 3, dilation_rate=0), r"Conv2D dilation_rate: expected a positive int"),
    (lambda: Conv2D(2, 3, groups=2), r"Conv2D groups: only groups=1"),
    (lambda: Conv2D(2, 3, data_format="channels_first"), r"Conv2D data_format"),
    (lambda: DepthwiseConv2D(3, data_format="channels_first"), r"DepthwiseConv2D data_format"),
    (lambda: SeparableConv2D(2, 3, data_format="channels_first"),
     r"SeparableConv2D data_format"),
    (lambda: Conv2DTranspose(2, 3, data_format="channels_first"),
     r"Conv2DTranspose data_format"),
    (lambda: DepthwiseConv2D(3, depth_multiplier=0), r"DepthwiseConv2D depth_multiplier"),
    (lambda: SeparableConv2D(0, 3), r"SeparableConv2D filters"),
    (lambda: DepthwiseConv2D(3, padding=1), r"DepthwiseConv2D padding: expected 'valid' or"),
    (lambda: Conv2DTranspose(2, 3, strides=2, output_padding=2),
     r"output_padding: expected None, or an int or a pair .* below its stride \(2, 2\)"),
    (lambda: Conv2DTranspose(2, 3, output_padding=(0, -1)), r"output_padding"),
    (lambda: SeparableConv2D(2, 3, activation="nope"), r"SeparableConv2D: unknown activation"),
])
def test_bad_arguments_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_arguments_keras_has_and_tinycnn_does_not_are_refused_by_name():
    with pytest.raises(TypeError, match="depthwise_regularizer"):
        DepthwiseConv2D(3, depthwise_regularizer="l2")


@pytest.mark.parametrize("layer, input_shape, message", [
    (Conv2D(1, 3, dilation_rate=3, name="wide"), (6, 9, 1),
     r"kernel \(3, 3\) dilated \(3, 3\) with padding 'valid' and strides \(1, 1\) is larger "
     r"than the padded input \(6, 9\)"),
    (DepthwiseConv2D(4), (3, 5, 2), r"kernel \(4, 4\) with padding 'valid'"),
    # A "same" output of 2*3 - 2 = 4 pixels convolves back to 2, not 3: TensorFlow refuses it too
    (Conv2DTranspose(1, 2, strides=2, padding="same", output_padding=0), (3, 3, 1),
     r"output size \(4, 4\) does not convolve back to the input size \(3, 3\)"),
    (SeparableConv2D(1, 2), (4, 4), r"expects images \(H, W, C\)"),
])
def test_inputs_that_do_not_fit_are_refused_naming_the_sizes(layer, input_shape, message):
    with pytest.raises(ValueError, match=message):
        layer.build(input_shape)


def test_backward_before_forward_is_a_clear_error():
    layer = SeparableConv2D(2, 3).build((5, 5, 1))
    with pytest.raises(RuntimeError, match="needs a forward"):
        layer.backward(np.ones((1, 3, 3, 2), np.float32))


# ---- im2col frames of a dilated window -----------------------------------------------------------
@given(case=dilated_cases())
def test_a_dilated_frames_cells_are_the_dilation_apart(case):
    x_shape, geometry, dilation, strides, padding = case
    size, kernel = x_shape[1:3], (geometry.kh, geometry.kw)
    frames = im2col_frames(size, kernel, strides, padding, dilation)
    windows = frames.windows
    index = windows.padded_index
    assert len(frames.rows) == geometry.out_h * geometry.out_w
    for frame, row in enumerate(frames.rows):
        taps = windows.taps(frame).reshape(*kernel, 2)
        np.testing.assert_array_equal(np.diff(taps[:, :, 0], axis=0), dilation[0])
        np.testing.assert_array_equal(np.diff(taps[:, :, 1], axis=1), dilation[1])
        np.testing.assert_array_equal(taps[0, 0], windows.corners[frame])
        # The cells the frame draws are the pixels its row of cols copied, in order.
        np.testing.assert_array_equal(index[windows.cells(frame)].ravel(), row)
        np.testing.assert_array_equal(index[tuple(windows.taps(frame).T)], row)


@given(case=dilated_cases())
def test_dilated_col2im_frames_end_where_col2im_ends(case):
    x_shape, geometry, dilation, strides, padding = case
    size = x_shape[1:3]
    frames = col2im_frames(size, (geometry.kh, geometry.kw), strides, padding,
                           dilation_rate=dilation)
    dcols = np.ones((len(frames.sums), geometry.kh * geometry.kw), np.float32)
    twin = DILATED["numpy"].col2im(dcols, (1, *size, 1), *geometry, *dilation)
    np.testing.assert_array_equal(frames.sums[-1], twin[0, :, :, 0])


def test_the_im2col_animation_outlines_each_cell_of_a_dilated_window():
    anim = make_im2col_animation((6, 6), 2, dilation_rate=(2, 3))
    grid = plt.gcf().axes[0]  # the padded input
    frames = im2col_frames((6, 6), 2, dilation_rate=(2, 3))
    outlined = sorted((round(patch.get_y() + 0.5), round(patch.get_x() + 0.5))
                      for patch in grid.patches[1:])  # patches[0]: the window's span
    assert outlined == sorted(map(tuple, frames.windows.taps(0))) == [(0, 0), (0, 3), (2, 0),
                                                                      (2, 3)]
    assert "dilation (2, 3)" in plt.gcf().texts[0].get_text()
    assert anim.to_jshtml().count("frames[") >= len(frames.rows)
    plt.close("all")
