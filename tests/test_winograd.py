"""Winograd F(2x2, 3x3) (tinycnn/kernels/winograd.py and Conv2D(algorithm=...)).

Tier 1: every Numba kernel equals its NumPy twin, and the whole convolution, forward and
backward, equals im2col's and the textbook loops' (float32 within float32 rounding, float64 to
1e-12), on shapes drawn by hypothesis: batch 1-3, channels 1-3, sizes 1-10, padding "valid",
"same" or 0-2 pixels. Tier 2: centred-difference gradient checks of Conv2D(algorithm=
"winograd") in float64. Then the layer's argument (its checks, its config, "auto"'s rule, a
seed's bits) and the float32 error of F(2x2, 3x3) and F(4x4, 3x3) against float64.
"""

import matplotlib
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_gradients import assert_small, away_from_kinks

import tinycnn as tc
from tinycnn.gradcheck import check_layer
from tinycnn.kernels import NUMBA, NUMPY
from tinycnn.kernels import winograd as wg
from tinycnn.kernels.im2col import WindowGeometry
from tinycnn.kernels.loops import conv2d_backward_loops, conv2d_forward_loops
from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D
from tinycnn.viz.winograd import plot_winograd_tile, winograd_tile_steps

matplotlib.use("Agg")

TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}
DTYPES = st.sampled_from([np.float32, np.float64])
PADDINGS = st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2))


@st.composite
def winograd_cases(draw):
    """(x, W, dz, geometry, padding) for a 3x3 stride-1 convolution with an output >= 1."""
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 10)), draw(st.integers(1, 10))
    padding, dtype = draw(PADDINGS), draw(DTYPES)
    geometry = WindowGeometry.of((h, w), (3, 3), (1, 1), padding)
    assume(geometry.out_h >= 1 and geometry.out_w >= 1)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((n, h, w, c)).astype(dtype)
    W = rng.standard_normal((3, 3, c, f)).astype(dtype)
    dz = rng.standard_normal((n * geometry.out_h * geometry.out_w, f)).astype(dtype)
    return x, W, dz, geometry, padding


def close(actual, expected, what):
    tol = TOLERANCE[actual.dtype.type]
    assert actual.dtype == expected.dtype, what
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol, err_msg=what)


def winograd_conv(kernels, x, W, dz, geometry):
    """z, dW and dx by Winograd, as Conv2D computes them, with ``kernels``."""
    tiles, tile_weights = kernels.winograd_inputs(x, *geometry), kernels.winograd_weights(W)
    z = kernels.winograd_outputs(tiles @ tile_weights, len(x), *geometry)
    dM = kernels.winograd_outputs_backward(dz, *geometry)
    dW = kernels.winograd_weights_backward(tiles.transpose(0, 2, 1) @ dM)
    dx = kernels.winograd_inputs_backward(dM @ tile_weights.transpose(0, 2, 1), x.shape,
                                          *geometry)
    return z, dW, dx


@settings(deadline=None, max_examples=60)
@given(case=winograd_cases())
def test_each_numba_kernel_equals_its_twin(case):
    x, W, dz, geometry, _ = case
    U = NUMBA.winograd_weights(W)
    close(U, NUMPY.winograd_weights(W), "weights")
    close(NUMBA.winograd_weights_backward(U), NUMPY.winograd_weights_backward(U),
          "weights_backward")
    V = NUMBA.winograd_inputs(x, *geometry)
    close(V, NUMPY.winograd_inputs(x, *geometry), "inputs")
    close(NUMBA.winograd_inputs_backward(V, x.shape, *geometry),
          NUMPY.winograd_inputs_backward(V, x.shape, *geometry), "inputs_backward")
    M = V @ U
    close(NUMBA.winograd_outputs(M, len(x), *geometry),
          NUMPY.winograd_outputs(M, len(x), *geometry), "outputs")
    close(NUMBA.winograd_outputs_backward(dz, *geometry),
          NUMPY.winograd_outputs_backward(dz, *geometry), "outputs_backward")


@settings(deadline=None, max_examples=60)
@given(case=winograd_cases())
def test_winograd_equals_im2col_and_the_loops_forward_and_backward(case):
    x, W, dz, geometry, padding = case
    cols = NUMBA.im2col(x, *geometry)
    z_im2col = cols @ W.reshape(-1, W.shape[3])
    dW_im2col = (cols.T @ dz).reshape(W.shape)
    dx_im2col = NUMBA.col2im(dz @ W.reshape(-1, W.shape[3]).T, x.shape, *geometry)
    for kernels in (NUMBA, NUMPY):
        z, dW, dx = winograd_conv(kernels, x, W, dz, geometry)
        close(z, z_im2col, f"{kernels.name} forward")
        close(dW, dW_im2col, f"{kernels.name} dW")
        close(dx, dx_im2col, f"{kernels.name} dx")
    if x.dtype == np.float64:  # the loops add in float64 whatever they get
        b = np.zeros(W.shape[3])
        out = conv2d_forward_loops(x, W, b, (1, 1), padding)
        dx_loops, dW_loops, _ = conv2d_backward_loops(x, W, dz.reshape(out.shape), (1, 1),
                                                      padding)
        close(z.reshape(out.shape), out, "loops forward")
        close(dW, dW_loops, "loops dW")
        close(dx, dx_loops, "loops dx")


def test_the_kernels_refuse_other_windows():
    x = np.zeros((1, 6, 6, 1))
    with pytest.raises(ValueError, match=r"3x3 kernel with strides 1.*\(2, 1\)"):
        NUMBA.winograd_inputs(x, 3, 3, 2, 1, 0, 0, 2, 4)
    with pytest.raises(ValueError, match=r"kernel \(5, 5\)"):
        NUMPY.winograd_weights(np.zeros((5, 5, 1, 1)))


@pytest.mark.parametrize("padding", ["valid", "same", 2])
@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("use_bias", [True, False])
def test_gradients_of_a_winograd_conv2d(padding, activation, use_bias):
    rng = np.random.default_rng(7)
    layer = Conv2D(3, 3, padding=padding, activation=activation, use_bias=use_bias,
                   algorithm="winograd").build((5, 6, 2), rng, np.float64)
    assert layer.uses_winograd
    x = rng.standard_normal((2, 5, 6, 2))
    dout = away_from_kinks(layer, x, rng) if activation == "relu" else None
    errors = check_layer(layer, x, dout=dout, seed=3)
    assert set(errors) == ({"x", "W", "b"} if use_bias else {"x", "W"})
    assert_small(errors, repr(layer))


@pytest.mark.parametrize("kernels", ["numba", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_winograd_layer_computes_what_an_im2col_layer_does(kernels, dtype):
    rng = np.random.default_rng(0)
    layers = [Conv2D(4, 3, padding="same", activation="relu", algorithm=algorithm)
              .build((7, 6, 3), np.random.default_rng(1), dtype).use_kernels(kernels)
              for algorithm in ("im2col", "winograd")]
    x = rng.standard_normal((2, 7, 6, 3)).astype(dtype)
    dout = rng.standard_normal((2, 7, 6, 4)).astype(dtype)
    outs = [layer.forward(x, training=True) for layer in layers]
    dxs = [layer.backward(dout) for layer in layers]
    close(outs[1], outs[0], "out")
    close(dxs[1], dxs[0], "dx")
    for key in ("W", "b"):
        close(layers[1].grads[key], layers[0].grads[key], key)
    layers[1].needs_input_grad = False  # a model's first layer: dW and db only
    assert layers[1].backward(dout) is None
    close(layers[1].grads["W"], layers[0].grads["W"], "W without dx")


def test_a_bad_algorithm_is_named():
    with pytest.raises(ValueError, match="'fast'.*im2col, winograd, auto|"
                                         "im2col, winograd, auto.*'fast'"):
        Conv2D(8, 3, algorithm="fast")


@pytest.mark.parametrize("kwargs", [{"kernel_size": 5}, {"kernel_size": (3, 1)},
                                    {"kernel_size": 3, "strides": 2},
                                    {"kernel_size": 3, "dilation_rate": 2}])
def test_winograd_is_refused_where_it_cannot_compute(kwargs):
    with pytest.raises(ValueError, match="algorithm='winograd' computes 3x3 kernels"):
        Conv2D(8, **kwargs, algorithm="winograd")
    layer = Conv2D(8, **kwargs, algorithm="auto").build((12, 12, 32))
    assert not layer.uses_winograd  # "auto" quietly keeps im2col there


def study_model(algorithm, seed=0):
    """The study's model, every Conv2D with ``algorithm``."""
    model = tc.Sequential([
        Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1), algorithm=algorithm),
        MaxPool2D(2),
        Conv2D(64, 3, activation="relu", algorithm=algorithm),
        MaxPool2D(2),
        Conv2D(128, 3, activation="relu", algorithm=algorithm),
        Flatten(),
        Dense(128, activation="relu"),
        Dense(10, activation="softmax"),
    ], seed=seed)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    return model


def test_auto_takes_winograd_for_conv2d_1_only():
    model = study_model("auto")
    model.build((28, 28, 1))
    chosen = {layer.name: layer.uses_winograd for layer in model.layers
              if isinstance(layer, Conv2D)}
    assert chosen == {"conv2d": False, "conv2d_1": True, "conv2d_2": False}


def test_a_seed_gives_the_same_bits_and_winograd_trains_like_im2col():
    rng = np.random.default_rng(0)
    x = rng.random((16, 28, 28, 1), dtype=np.float32)
    y = rng.integers(0, 10, 16)
    weights = {}
    for run, algorithm in enumerate(["auto", "auto", "im2col"]):
        model = study_model(algorithm)
        for _ in range(3):
            model.train_on_batch(x, y)
        weights[run] = [w.copy() for w in model.get_weights()]
    for a, b in zip(weights[0], weights[1], strict=True):
        np.testing.assert_array_equal(a, b)  # "auto", twice: the same bits
    for a, b in zip(weights[0], weights[2], strict=True):  # and near im2col's after 3 steps
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-4)


def test_the_config_names_the_algorithm_only_when_not_the_default(tmp_path):
    assert "algorithm" not in Conv2D(8, 3).get_config()
    assert Conv2D(8, 3, algorithm="auto").get_config()["algorithm"] == "auto"
    assert "algorithm='winograd'" in repr(Conv2D(8, 3, algorithm="winograd"))
    model = study_model("winograd")
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    model.train_on_batch(x, np.arange(4))
    model.save(tmp_path / "model.tinycnn")
    loaded = tc.load_model(tmp_path / "model.tinycnn")
    assert [layer.algorithm for layer in loaded.layers if isinstance(layer, Conv2D)] == \
        ["winograd"] * 3
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def relative_error(actual, expected):
    return float(np.linalg.norm(actual - expected) / np.linalg.norm(expected))


def float32_errors(transform):
    """Relative errors against float64 of a float32 conv2d_1 (batch 8, 13x13x32 -> 11x11x64):
    {"forward", "dW", "dx"}, by Winograd with ``transform`` (the NumPy twins, any tile)."""
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((8, 13, 13, 32)), 0)  # like a ReLU's output
    W = rng.uniform(-0.07, 0.07, (3, 3, 32, 64))  # glorot_uniform's range
    dz = rng.standard_normal((8 * 11 * 11, 64)) * 1e-3
    geometry = WindowGeometry.of((13, 13), (3, 3), (1, 1), "valid")
    cols = NUMPY.im2col(x, *geometry)
    exact = {"forward": cols @ W.reshape(-1, 64), "dW": (cols.T @ dz).reshape(W.shape),
             "dx": NUMPY.col2im(dz @ W.reshape(-1, 64).T, x.shape, *geometry)}
    x, W, dz = x.astype(np.float32), W.astype(np.float32), dz.astype(np.float32)
    if transform is None:  # im2col in float32
        cols = NUMBA.im2col(x, *geometry)
        found = {"forward": cols @ W.reshape(-1, 64), "dW": (cols.T @ dz).reshape(W.shape),
                 "dx": NUMBA.col2im(dz @ W.reshape(-1, 64).T, x.shape, *geometry)}
    else:
        V = wg.winograd_inputs_reference(x, *geometry, transform=transform)
        U = wg.winograd_weights_reference(W, transform)
        dM = wg.winograd_outputs_backward_reference(dz, *geometry, transform=transform)
        found = {"forward": wg.winograd_outputs_reference(V @ U, 8, *geometry,
                                                          transform=transform),
                 "dW": wg.winograd_weights_backward_reference(V.transpose(0, 2, 1) @ dM,
                                                              transform),
                 "dx": wg.winograd_inputs_backward_reference(dM @ U.transpose(0, 2, 1),
                                                             x.shape, *geometry,
                                                             transform=transform)}
    return {key: relative_error(found[key], exact[key]) for key in exact}


def test_float32_error_of_f2x2_stays_next_to_im2col_and_f4x4_grows():
    """The figures of docs/engine/winograd.md. F(2x2, 3x3) is within 2x of im2col's error;
    F(4x4, 3x3) is several times worse (still below 1e-5), which is why the layer does not
    use it."""
    im2col, f23, f43 = float32_errors(None), float32_errors(wg.F23), float32_errors(wg.F43)
    for key in im2col:
        assert f23[key] < 2 * im2col[key] + 1e-7, (key, im2col, f23)
        assert f23[key] < f43[key] < 1e-5, (key, f23, f43)


def test_the_tile_picture_shows_the_kernels_numbers(tmp_path):
    steps = winograd_tile_steps()
    np.testing.assert_allclose(steps["Y"], steps["direct"])
    np.testing.assert_allclose(steps["M"], steps["U"] * steps["V"])
    fig = plot_winograd_tile(path=tmp_path / "tile.png")
    assert (tmp_path / "tile.png").stat().st_size > 0
    assert "16 multiplies instead of 36" in fig._suptitle.get_text()
    with pytest.raises(ValueError, match="4x4 tile and a 3x3 kernel"):
        winograd_tile_steps(np.zeros((3, 3)))
