"""Tier 1: every Numba kernel equals its NumPy twin, and both equal the textbook loops.

Shapes are drawn by hypothesis: batch 1-3, channels 1-3, sizes 1-10, kernel (or pooling
window) 1-4, strides 1-3 down and across (each its own), padding "valid", "same" or 0-2 pixels
(pooling: "valid" or "same"). Copies (im2col, max-pool forward) must match exactly; sums whose
order differs between the kernel and its twin (col2im, average pooling, overlapping pooling
windows, matrix products) are compared with a tolerance fitted to the dtype.
"""

import inspect

import numpy as np
import pytest
from helpers import POOL_PADDINGS, conv_cases
from hypothesis import given
from hypothesis import strategies as st

from tinycnn.kernels import NUMBA, NUMPY
from tinycnn.kernels.im2col import WindowGeometry, conv_geometry, window_geometry
from tinycnn.kernels.loops import (
    avgpool_backward_loops,
    avgpool_forward_loops,
    conv2d_backward_loops,
    conv2d_forward_loops,
    maxpool_backward_loops,
    maxpool_forward_loops,
)
from tinycnn.layers import Conv2D

DTYPES = [np.float32, np.float64]
TOLERANCE = {np.float32: 1e-5, np.float64: 1e-12}
KERNEL_NAMES = {"im2col", "col2im", "maxpool_forward", "maxpool_backward", "avgpool_forward",
                "avgpool_backward", "bias_relu", "relu_backward", "column_sums", "adam_update",
                # Winograd's six, tested in tests/test_winograd.py
                "winograd_weights", "winograd_weights_backward", "winograd_inputs",
                "winograd_inputs_backward", "winograd_outputs", "winograd_outputs_backward"}


def close(actual, expected, dtype, what):
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol, err_msg=what)


def test_every_kernel_has_a_twin_and_is_tested_here():
    names = set(vars(NUMBA)) - {"name"}
    assert names == set(vars(NUMPY)) - {"name"}, "each Numba kernel needs a NumPy twin"
    assert names == KERNEL_NAMES, "a kernel was added or removed: test it in this file"


# The arrays each window kernel takes before the geometry.
WINDOW_KERNELS = {"im2col": ["x"], "col2im": ["dcols", "x_shape"], "maxpool_forward": ["x"],
                  "maxpool_backward": ["dout", "argmax", "x_shape"], "avgpool_forward": ["x"],
                  "avgpool_backward": ["dout", "x_shape"]}


@pytest.mark.parametrize("kernels", [NUMBA, NUMPY], ids=["numba", "numpy"])
def test_window_geometry_fields_are_the_kernels_arguments_in_order(kernels):
    """The layers call kernel(x, *layer.geometry): that passes each field to the parameter of
    the same name only while the names and their order agree."""
    for name, arrays in WINDOW_KERNELS.items():
        parameters = list(inspect.signature(getattr(kernels, name)).parameters)
        assert parameters == arrays + list(WindowGeometry._fields), name


@given(case=conv_cases())
def test_window_geometry_of_an_image_is_conv_geometry_on_each_axis(case):
    x_shape, kh, kw, strides, padding, rows, cols = case
    geometry = WindowGeometry.of(x_shape[1:], (kh, kw), strides, padding)
    assert (geometry.kh, geometry.kw) == (kh, kw)
    assert (geometry.stride_h, geometry.stride_w) == strides
    assert (geometry.out_h, geometry.pad_h) == rows == conv_geometry(x_shape[1], kh,
                                                                     strides[0], padding)
    assert (geometry.out_w, geometry.pad_w) == cols
    assert window_geometry(x_shape[1:], (kh, kw), strides, padding) == (rows, cols)


# ---- im2col / col2im -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(case=conv_cases(), seed=st.integers(0, 2**16))
def test_im2col_equals_twin(dtype, case, seed):
    x_shape, kh, kw, strides, _, (out_h, pad_h), (out_w, pad_w) = case
    x = np.random.default_rng(seed).standard_normal(x_shape).astype(dtype)
    args = (kh, kw, *strides, pad_h, pad_w, out_h, out_w)

    fast, slow = NUMBA.im2col(x, *args), NUMPY.im2col(x, *args)

    assert fast.shape == (x_shape[0] * out_h * out_w, kh * kw * x_shape[3])
    assert fast.dtype == dtype and slow.dtype == dtype
    np.testing.assert_array_equal(fast, slow)


@pytest.mark.parametrize("dtype", DTYPES)
@given(case=conv_cases(), seed=st.integers(0, 2**16))
def test_col2im_equals_twin(dtype, case, seed):
    x_shape, kh, kw, strides, _, (out_h, pad_h), (out_w, pad_w) = case
    rows = x_shape[0] * out_h * out_w
    dcols = np.random.default_rng(seed).standard_normal((rows, kh * kw * x_shape[3]))
    dcols = dcols.astype(dtype)
    args = (x_shape, kh, kw, *strides, pad_h, pad_w, out_h, out_w)

    fast, slow = NUMBA.col2im(dcols, *args), NUMPY.col2im(dcols, *args)

    assert fast.shape == x_shape and fast.dtype == dtype and slow.dtype == dtype
    close(fast, slow, dtype, "col2im")


@pytest.mark.parametrize("kernels", [NUMBA, NUMPY], ids=["numba", "numpy"])
@given(case=conv_cases(), seed=st.integers(0, 2**16))
def test_col2im_is_the_adjoint_of_im2col(kernels, case, seed):
    """<im2col(x), d> == <x, col2im(d)> for every x and d: col2im is im2col transposed."""
    x_shape, kh, kw, strides, _, (out_h, pad_h), (out_w, pad_w) = case
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(x_shape)
    geometry = (kh, kw, *strides, pad_h, pad_w, out_h, out_w)
    cols = kernels.im2col(x, *geometry)
    d = rng.standard_normal(cols.shape)

    left = np.sum(cols * d)
    right = np.sum(x * kernels.col2im(d, x_shape, *geometry))

    assert left == pytest.approx(right, rel=1e-12, abs=1e-12)


# ---- max and average pooling ----------------------------------------------------------------
def pool_case(data, padding, dtype, rng):
    """x, (kh, kw), strides and the kernels' geometry arguments, for one drawn pooling case."""
    x_shape, kh, kw, strides, _, (out_h, pad_h), (out_w, pad_w) = data.draw(
        conv_cases(padding=st.just(padding)))
    x = rng.standard_normal(x_shape).astype(dtype)
    return x, (kh, kw), strides, (kh, kw, *strides, pad_h, pad_w, out_h, out_w)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_maxpool_equals_twin_and_loops(dtype, padding, data, seed):
    # Continuous random values: ties (where the loops and kernels might pick different
    # winners) have probability zero.
    rng = np.random.default_rng(seed)
    x, pool, strides, geometry = pool_case(data, padding, dtype, rng)
    x_shape = x.shape

    out, argmax = NUMBA.maxpool_forward(x, *geometry)
    out_twin, argmax_twin = NUMPY.maxpool_forward(x, *geometry)
    expected = maxpool_forward_loops(x, *pool, strides, padding)

    assert out.shape == expected.shape and out.dtype == dtype and out_twin.dtype == dtype
    np.testing.assert_array_equal(out, out_twin)
    np.testing.assert_array_equal(argmax, argmax_twin)
    np.testing.assert_array_equal(out, expected)

    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = NUMBA.maxpool_backward(dout, argmax, x_shape, *geometry)
    dx_twin = NUMPY.maxpool_backward(dout, argmax_twin, x_shape, *geometry)
    dx_loops = maxpool_backward_loops(x, dout, *pool, strides, padding)
    assert dx.shape == x_shape and dx.dtype == dtype and dx_twin.dtype == dtype
    close(dx, dx_twin, dtype, "maxpool_backward vs twin")
    close(dx, dx_loops, dtype, "maxpool_backward vs loops")


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("dtype", DTYPES)
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_avgpool_equals_twin_and_loops(dtype, padding, data, seed):
    rng = np.random.default_rng(seed)
    x, pool, strides, geometry = pool_case(data, padding, dtype, rng)
    x_shape = x.shape

    out = NUMBA.avgpool_forward(x, *geometry)
    out_twin = NUMPY.avgpool_forward(x, *geometry)
    expected = avgpool_forward_loops(x, *pool, strides, padding)

    assert out.shape == expected.shape and out.dtype == dtype and out_twin.dtype == dtype
    close(out, out_twin, dtype, "avgpool_forward vs twin")
    close(out, expected, dtype, "avgpool_forward vs loops")

    dout = rng.standard_normal(out.shape).astype(dtype)
    dx = NUMBA.avgpool_backward(dout, x_shape, *geometry)
    dx_twin = NUMPY.avgpool_backward(dout, x_shape, *geometry)
    dx_loops = avgpool_backward_loops(x_shape, dout, *pool, strides, padding)
    assert dx.shape == x_shape and dx.dtype == dtype and dx_twin.dtype == dtype
    close(dx, dx_twin, dtype, "avgpool_backward vs twin")
    close(dx, dx_loops, dtype, "avgpool_backward vs loops")


@pytest.mark.parametrize("kernels", [NUMBA, NUMPY], ids=["numba", "numpy"])
@given(data=st.data(), padding=POOL_PADDINGS, seed=st.integers(0, 2**16))
def test_avgpool_backward_is_the_adjoint_of_its_forward(kernels, data, padding, seed):
    """Average pooling is linear: <avgpool(x), d> == <x, avgpool_backward(d)>."""
    rng = np.random.default_rng(seed)
    x, _, _, geometry = pool_case(data, padding, np.float64, rng)
    x_shape = x.shape
    out = kernels.avgpool_forward(x, *geometry)
    d = rng.standard_normal(out.shape)

    left = np.sum(out * d)
    right = np.sum(x * kernels.avgpool_backward(d, x_shape, *geometry))

    assert left == pytest.approx(right, rel=1e-12, abs=1e-12)


def test_same_padding_never_wins_a_max_nor_counts_in_a_mean():
    """All-negative pixels: a padded 0 would win every edge window's max; all-ones pixels: a
    padded 0 counted in the mean would make the edge windows' means smaller than 1."""
    x = -np.arange(1.0, 26.0).reshape(1, 5, 5, 1)
    # 3x3 windows, strides (2, 2), "same": out 3x3, one padded pixel before each axis.
    geometry = (3, 3, 2, 2, 1, 1, 3, 3)
    for kernels in (NUMBA, NUMPY):
        out, argmax = kernels.maxpool_forward(x, *geometry)
        # Window (0, 0) covers pixels (0..1, 0..1): -1 is the largest, at offset (1, 1) = 4.
        assert out[0, 0, 0, 0] == -1.0 and argmax[0, 0, 0, 0] == 4, kernels.name
        assert (out < 0).all(), kernels.name
        means = kernels.avgpool_forward(np.ones_like(x), *geometry)
        np.testing.assert_array_equal(means, np.ones((1, 3, 3, 1)), err_msg=kernels.name)


def test_maxpool_ties_go_to_the_first_pixel_in_both_kernels():
    x = np.zeros((1, 2, 2, 1))
    geometry = (2, 2, 2, 2, 0, 0, 1, 1)
    for kernels in (NUMBA, NUMPY):
        out, argmax = kernels.maxpool_forward(x, *geometry)
        dx = kernels.maxpool_backward(np.ones_like(out), argmax, x.shape, *geometry)
        assert argmax.ravel().tolist() == [0], kernels.name
        np.testing.assert_array_equal(dx[0, :, :, 0], [[1, 0], [0, 0]])


# ---- bias + ReLU ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(rows=st.integers(1, 50), features=st.integers(1, 10), seed=st.integers(0, 2**16))
def test_bias_relu_and_its_gradient_equal_twins(dtype, rows, features, seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((rows, features)).astype(dtype)
    b = rng.standard_normal(features).astype(dtype)

    out_twin = NUMPY.bias_relu(z.copy(), b)
    out = NUMBA.bias_relu(z.copy(), b)  # works in place on its argument

    assert out.dtype == dtype
    np.testing.assert_array_equal(out, out_twin)
    np.testing.assert_array_equal(out_twin, np.maximum(z + b, 0))

    dout = rng.standard_normal((rows, features)).astype(dtype)
    np.testing.assert_array_equal(NUMBA.relu_backward(dout, out),
                                  NUMPY.relu_backward(dout, out_twin))
    np.testing.assert_array_equal(NUMBA.relu_backward(dout, out), np.where(out > 0, dout, 0))


@pytest.mark.parametrize("dtype", DTYPES)
@given(rows=st.integers(1, 300), features=st.integers(1, 10), seed=st.integers(0, 2**16))
def test_column_sums_equals_twin(dtype, rows, features, seed):
    a = np.random.default_rng(seed).standard_normal((rows, features)).astype(dtype)
    fast, slow = NUMBA.column_sums(a), NUMPY.column_sums(a)
    assert fast.shape == (features,) and fast.dtype == dtype
    close(fast, slow, dtype, "column_sums")
    close(fast, a.sum(axis=0), dtype, "column_sums")


@pytest.mark.parametrize("kernels", [NUMBA, NUMPY], ids=["numba", "numpy"])
def test_column_sums_round_a_float32_sum_once(kernels):
    """21,632 rows (conv1 at batch 32) with mean 3: added one by one in float32 the column sums
    were off by up to ~5e-6 of the sum (seed 0); added in float64 and rounded once to float32,
    by at most half a float32 ulp (6e-8)."""
    a = np.random.default_rng(0).normal(3.0, 0.5, size=(21_632, 4)).astype(np.float32)
    exact = a.sum(axis=0, dtype=np.float64)
    sums = kernels.column_sums(a)
    assert sums.dtype == np.float32
    np.testing.assert_array_less(np.abs(sums - exact) / exact, 2**-24)


# ---- the Adam update -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4), seed=st.integers(0, 2**16),
       step_size=st.floats(1e-5, 0.1), beta_1=st.floats(0.0, 0.99), beta_2=st.floats(0.9, 0.9999))
def test_adam_update_equals_twin(dtype, shape, seed, step_size, beta_1, beta_2):
    rng = np.random.default_rng(seed)
    p, g, m = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    v = rng.random(shape).astype(dtype)  # second moments are never negative
    fast = [a.copy() for a in (p, g, m, v)]
    slow = [a.copy() for a in (p, g, m, v)]

    NUMBA.adam_update(*fast, step_size, beta_1, beta_2, 1e-7)
    NUMPY.adam_update(*slow, step_size, beta_1, beta_2, 1e-7)

    for name, a, b in zip("pgmv", fast, slow, strict=True):
        assert a.dtype == dtype, name
        close(a, b, dtype, f"adam_update {name}")  # p, m, v are updated in place
    np.testing.assert_array_equal(fast[1], g)  # the gradient is left alone
    assert not np.array_equal(fast[0], p)


# ---- any memory layout -----------------------------------------------------------------------
def test_kernels_accept_non_contiguous_arrays():
    """Views (a transposed or strided array) give the same answer as contiguous copies."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 7, 3, 8)).transpose(0, 3, 1, 2)[:, ::2]  # (2, 4, 7, 3)
    assert not x.flags.c_contiguous
    contiguous = np.ascontiguousarray(x)
    geometry = WindowGeometry(kh=3, kw=2, stride_h=1, stride_w=1, pad_h=1, pad_w=0, out_h=4,
                              out_w=6)
    pooling = WindowGeometry(kh=2, kw=2, stride_h=1, stride_w=2, pad_h=0, pad_w=0, out_h=3,
                             out_w=3)
    for kernels in (NUMBA, NUMPY):
        cols = kernels.im2col(x, *geometry)
        np.testing.assert_array_equal(cols, NUMPY.im2col(contiguous, *geometry))
        dcols = rng.standard_normal((cols.shape[1], cols.shape[0])).T  # a transposed view
        np.testing.assert_allclose(kernels.col2im(dcols, x.shape, *geometry),
                                   NUMPY.col2im(np.ascontiguousarray(dcols), x.shape,
                                                *geometry), rtol=1e-12, atol=1e-12)
        out, argmax = kernels.maxpool_forward(x, *pooling)
        expected_out, expected_argmax = NUMPY.maxpool_forward(contiguous, *pooling)
        np.testing.assert_array_equal(out, expected_out)
        np.testing.assert_array_equal(argmax, expected_argmax)
        dout = rng.standard_normal(out.shape[::-1]).T  # reversed axes: not contiguous
        contiguous_dout = np.ascontiguousarray(dout)
        np.testing.assert_allclose(
            kernels.maxpool_backward(dout, argmax, x.shape, *pooling),
            NUMPY.maxpool_backward(contiguous_dout, expected_argmax, x.shape, *pooling),
            rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(kernels.avgpool_forward(x, *pooling),
                                   NUMPY.avgpool_forward(contiguous, *pooling),
                                   rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(kernels.avgpool_backward(dout, x.shape, *pooling),
                                   NUMPY.avgpool_backward(contiguous_dout, x.shape, *pooling),
                                   rtol=1e-12, atol=1e-12)


# ---- convolution as im2col + one matrix multiply, against the nested loops ---------------
@pytest.mark.parametrize("kernels", [NUMBA, NUMPY], ids=["numba", "numpy"])
@pytest.mark.parametrize("padding_mode", ["valid", "same", "int"])
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_conv2d_layer_equals_loops(kernels, padding_mode, data, seed):
    padding = {"valid": st.just("valid"), "same": st.just("same"),
               "int": st.integers(0, 2)}[padding_mode]
    x_shape, kh, kw, strides, pad, _, _ = data.draw(conv_cases(padding=padding))
    filters = data.draw(st.integers(1, 3))
    rng = np.random.default_rng(seed)
    layer = Conv2D(filters, (kh, kw), strides=strides, padding=pad).use_kernels(kernels.name)
    layer.build(x_shape[1:], rng, np.float64)
    layer.params["b"][...] = rng.standard_normal(filters)
    x = rng.standard_normal(x_shape)
    W, b = layer.params["W"], layer.params["b"]

    out = layer.forward(x, training=True)
    expected = conv2d_forward_loops(x, W, b, strides, pad)
    assert out.shape == expected.shape == (x_shape[0], *layer.output_shape)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)

    dout = rng.standard_normal(out.shape)
    dx = layer.backward(dout)
    dx_loops, dW_loops, db_loops = conv2d_backward_loops(x, W, dout, strides, pad)
    np.testing.assert_allclose(dx, dx_loops, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], dW_loops, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], db_loops, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "size, kernel, stride, padding, expected",
    [
        (28, 3, 1, "valid", (26, 0)),
        (28, 3, 1, "same", (28, 1)),
        (28, 3, 2, "same", (14, 0)),  # total padding 1, the extra pixel goes after (as Keras)
        (5, 4, 1, "same", (5, 1)),  # total padding 3: 1 before, 2 after
        (7, 3, 2, 1, (4, 1)),
        (2, 3, 1, "valid", (0, 0)),
    ],
)
def test_conv_geometry_matches_keras(size, kernel, stride, padding, expected):
    assert conv_geometry(size, kernel, stride, padding) == expected


def test_nan_passes_through_bias_relu_in_both_kernels():
    """A NaN must not be hidden as a 0 by one kernel while its twin keeps it."""
    z = np.array([[np.nan, -1.0, 2.0]], np.float32)
    b = np.zeros(3, np.float32)
    for kernels in (NUMBA, NUMPY):
        out = kernels.bias_relu(z.copy(), b)
        assert np.isnan(out[0, 0]), kernels.name
        np.testing.assert_array_equal(out[0, 1:], [0.0, 2.0])


def test_large_pooling_windows_route_the_gradient_to_the_winner():
    """Windows of 128 pixels or more must not overflow the stored argmax (12x12 = 144)."""
    x = np.zeros((1, 12, 12, 1))
    x[0, 11, 10, 0] = 1.0  # flat offset 11*12 + 10 = 142 inside the window
    for kernels in (NUMBA, NUMPY):
        out, argmax = kernels.maxpool_forward(x, 12, 12, 12, 12, 0, 0, 1, 1)
        dx = kernels.maxpool_backward(np.full_like(out, 3.0), argmax, x.shape, 12, 12, 12, 12,
                                      0, 0, 1, 1)
        assert argmax.ravel().tolist() == [142], kernels.name
        assert dx[0, 11, 10, 0] == 3.0 and dx.sum() == 3.0, kernels.name


def test_adam_update_refuses_a_parameter_it_cannot_update_in_place():
    p = np.zeros((4, 4), np.float32).T[::2]  # a strided view: reshape(-1) would copy it
    with pytest.raises(ValueError, match="p must be C-contiguous"):
        NUMBA.adam_update(p, np.ones_like(p), np.zeros((2, 4), np.float32),
                          np.zeros((2, 4), np.float32), 1e-3, 0.9, 0.999, 1e-7)
