"""The pooling layers (MaxPool2D, AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D)
and Conv2D's Keras spellings: against references written here, independently of the package's
kernels and loops, and their errors for bad arguments and inputs.

The references follow Keras's documented arithmetic: "valid" keeps the windows inside the
image, out = (size - pool) // stride + 1; "same" gives out = ceil(size / stride) and pads
max((out - 1) * stride + pool - size, 0) pixels, half before (rounded down), the rest after;
padded pixels are ignored by both max and average pooling (TensorFlow divides by the number of
real pixels in each window).
"""

import math

import numpy as np
import pytest
from helpers import POOL_PADDINGS, conv_cases
from hypothesis import given
from hypothesis import strategies as st

from tinycnn.layers import Conv2D, MaxPool2D
from tinycnn.layers.averagepool2d import AveragePooling2D
from tinycnn.layers.global_pooling import GlobalAveragePooling2D, GlobalMaxPooling2D

SEEDS = st.integers(0, 2**16)


# ---- references: plain Python over window positions -------------------------------------
def keras_windows(size, pool, stride, padding):
    """[(first, last + 1)] of the real pixels of each window along one axis."""
    if padding == "valid":
        out, before = (size - pool) // stride + 1, 0
    else:
        out = math.ceil(size / stride)
        before = max((out - 1) * stride + pool - size, 0) // 2
    starts = [o * stride - before for o in range(out)]
    return [(max(s, 0), min(s + pool, size)) for s in starts]


def reference_pool(x, pool, strides, padding, kind):
    """(out, dx_of) for max or average pooling: out, and a function dout -> dx."""
    n, h, w, c = x.shape
    rows = keras_windows(h, pool[0], strides[0], padding)
    cols = keras_windows(w, pool[1], strides[1], padding)
    out = np.zeros((n, len(rows), len(cols), c))
    for oy, (top, bottom) in enumerate(rows):
        for ox, (left, right) in enumerate(cols):
            window = x[:, top:bottom, left:right, :]
            out[:, oy, ox, :] = window.max(axis=(1, 2)) if kind == "max" else window.mean(
                axis=(1, 2))

    def dx_of(dout):
        dx = np.zeros_like(x)
        for oy, (top, bottom) in enumerate(rows):
            for ox, (left, right) in enumerate(cols):
                window = x[:, top:bottom, left:right, :]
                if kind == "max":  # all the gradient to the (unique) largest pixel
                    weights = window == window.max(axis=(1, 2), keepdims=True)
                else:  # each of the window's `count` real pixels weighs 1 / count
                    weights = np.full(window.shape, 1.0 / ((bottom - top) * (right - left)))
                dx[:, top:bottom, left:right, :] += weights * dout[:, oy:oy + 1, ox:ox + 1, :]
        return dx

    return out, dx_of


def forward_backward(layer, x, dout_seed, training=True):
    out = layer.forward(x, training=training)
    dout = np.random.default_rng(dout_seed).standard_normal(out.shape)
    return out, dout, layer.backward(dout)


# ---- MaxPool2D and AveragePooling2D against the references ----------------------------------
@pytest.mark.parametrize("kernels", ["numba", "numpy"])
@pytest.mark.parametrize("layer_class, kind", [(MaxPool2D, "max"), (AveragePooling2D, "mean")])
@given(data=st.data(), seed=SEEDS)
def test_pooling_layers_equal_the_reference(layer_class, kind, kernels, data, seed):
    x_shape, kh, kw, strides, padding, _, _ = data.draw(conv_cases(padding=POOL_PADDINGS))
    rng = np.random.default_rng(seed)
    x = rng.permutation(np.prod(x_shape)).reshape(x_shape) * 0.1  # distinct: one max a window
    layer = layer_class((kh, kw), strides=strides, padding=padding).use_kernels(kernels)

    out, dout, dx = forward_backward(layer, x, seed)

    expected, dx_of = reference_pool(x, (kh, kw), strides, padding, kind)
    assert layer.output_shape == expected.shape[1:], repr(layer)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12, err_msg=repr(layer))
    np.testing.assert_allclose(dx, dx_of(dout), rtol=1e-12, atol=1e-12, err_msg=repr(layer))


def test_average_pooling_same_divides_by_the_real_pixels():
    """A 3x3 image, 2x2 pool, strides 2, "same": out 2x2, the one padded row and column go after,
    so the windows hold 4, 2, 2 and 1 real pixels (Keras gives these numbers)."""
    x = np.arange(9.0).reshape(1, 3, 3, 1)  # [[0 1 2] [3 4 5] [6 7 8]]
    layer = AveragePooling2D(2, padding="same")

    out = layer.forward(x)

    expected = [[(0 + 1 + 3 + 4) / 4, (2 + 5) / 2], [(6 + 7) / 2, 8 / 1]]
    np.testing.assert_array_equal(out[0, :, :, 0], expected)
    dx = layer.backward(np.ones((1, 2, 2, 1)))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1 / 4, 1 / 4, 1 / 2],
                                                   [1 / 4, 1 / 4, 1 / 2],
                                                   [1 / 2, 1 / 2, 1]])


def test_max_pooling_same_never_picks_the_padding():
    x = -np.arange(1.0, 10.0).reshape(1, 3, 3, 1)  # all negative: a padded 0 would win
    out = MaxPool2D(2, padding="SAME").forward(x)
    np.testing.assert_array_equal(out[0, :, :, 0], [[-1, -3], [-7, -9]])


def test_non_square_pool_strides_by_its_own_size():
    layer = MaxPool2D((2, 3))
    assert layer.strides == (2, 3)
    layer.build((4, 9, 1))
    assert layer.output_shape == (2, 3, 1)


# ---- global pooling -------------------------------------------------------------------------
@given(n=st.integers(1, 3), h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 3),
       seed=SEEDS)
def test_global_average_pooling_is_the_mean_and_spreads_its_gradient(n, h, w, c, seed):
    x = np.random.default_rng(seed).standard_normal((n, h, w, c))
    out, dout, dx = forward_backward(GlobalAveragePooling2D(), x, seed)
    np.testing.assert_allclose(out, x.mean(axis=(1, 2)), rtol=1e-12, atol=1e-12)
    # d mean / d x[n, y, x, c] = 1 / (H*W) for every pixel of that image and channel.
    expected = np.broadcast_to(dout[:, None, None, :] / (h * w), x.shape)
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=1e-12)


@given(n=st.integers(1, 3), h=st.integers(1, 6), w=st.integers(1, 6), c=st.integers(1, 3),
       seed=SEEDS)
def test_global_max_pooling_is_the_max_and_routes_its_gradient(n, h, w, c, seed):
    x = np.random.default_rng(seed).permutation(n * h * w * c).reshape(n, h, w, c) * 0.1
    out, dout, dx = forward_backward(GlobalMaxPooling2D(), x, seed)
    np.testing.assert_array_equal(out, x.max(axis=(1, 2)))
    is_max = x == x.max(axis=(1, 2), keepdims=True)  # exactly one pixel per image and channel
    np.testing.assert_array_equal(dx, is_max * dout[:, None, None, :])


def test_global_max_pooling_ties_go_to_the_first_pixel():
    layer = GlobalMaxPooling2D()
    layer.forward(np.ones((1, 2, 2, 1)))
    dx = layer.backward(np.array([[5.0]]))
    np.testing.assert_array_equal(dx[0, :, :, 0], [[5, 0], [0, 0]])


# ---- backward works after an inference forward too ------------------------------------------
@pytest.mark.parametrize("make_layer, x_shape", [
    (lambda: MaxPool2D(2, strides=(1, 2), padding="same"), (2, 5, 4, 3)),
    (lambda: AveragePooling2D((3, 2), strides=1, padding="same"), (2, 5, 4, 3)),
    (lambda: GlobalAveragePooling2D(), (2, 5, 4, 3)),
    (lambda: GlobalMaxPooling2D(), (2, 5, 4, 3)),
    (lambda: Conv2D(2, 3, strides=(2, 1), padding="same", activation="relu"), (2, 5, 4, 3)),
])
def test_backward_after_inference_forward_equals_after_training_forward(make_layer, x_shape):
    x = np.random.default_rng(0).permutation(np.prod(x_shape)).reshape(x_shape) * 0.1
    layer = make_layer().build(x_shape[1:], np.random.default_rng(1), np.float64)

    out_train, _, dx_train = forward_backward(layer, x, 2, training=True)
    grads_train = {name: g.copy() for name, g in layer.grads.items()}
    out_infer, _, dx_infer = forward_backward(layer, x, 2, training=False)

    np.testing.assert_array_equal(out_infer, out_train)
    np.testing.assert_array_equal(dx_infer, dx_train)
    for name, g in layer.grads.items():
        np.testing.assert_array_equal(g, grads_train[name], err_msg=name)


# ---- Keras spellings ----------------------------------------------------------------------
@pytest.mark.parametrize("layer", [
    Conv2D(4, (3, 2), strides=(2, 1), padding="Same"),
    Conv2D(4, 3, stride=2, padding=1),
    MaxPool2D((2, 3), strides=[1, 2], padding="VALID"),
    MaxPool2D(3, stride=2),
    AveragePooling2D(2, padding="same"),
])
def test_config_rebuilds_the_same_layer(layer):
    config = layer.get_config()
    assert isinstance(config["strides"], list) and len(config["strides"]) == 2
    as_saved = {key: tuple(v) if isinstance(v, list) else v for key, v in config.items()}
    assert type(layer)(**as_saved).get_config() == config
    assert type(layer)(**config).get_config() == config
    assert f"strides={layer.strides}" in repr(layer)


def test_stride_is_an_alias_of_strides():
    assert Conv2D(2, 3, stride=2).strides == (2, 2)
    assert Conv2D(2, 3, strides=2, stride=2).strides == (2, 2)
    assert MaxPool2D(2, stride=1).strides == (1, 1)
    assert MaxPool2D(2, strides=(1, 1), stride=1).strides == (1, 1)
    assert Conv2D(2, 3, padding="SAME").padding == "same"
    # Model files saved before strides existed hold {"stride": S}: they still load.
    old_config = {"name": "max_pool2d", "pool_size": (2, 2), "stride": 1}
    assert MaxPool2D(**old_config).get_config()["strides"] == [1, 1]


# ---- errors: the layer or argument, what was expected, what was given ------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: MaxPool2D(0), r"MaxPool2D pool_size: expected a positive int, got 0"),
    (lambda: AveragePooling2D((2, 2, 2)),
     r"AveragePooling2D pool_size: expected an int or a pair \(height, width\), got \(2, 2, 2\)"),
    (lambda: AveragePooling2D(2.5), r"AveragePooling2D pool_size: .*got 2\.5"),
    (lambda: MaxPool2D(2, strides=(1, 0)), r"MaxPool2D strides: expected a positive int, got 0"),
    (lambda: AveragePooling2D(2, strides="2"),
     r"AveragePooling2D strides: expected an int or a pair \(height, width\), got '2'"),
    (lambda: MaxPool2D(2, stride=0), r"MaxPool2D stride: expected a positive int, got 0"),
    (lambda: MaxPool2D(2, padding="full"),
     r"MaxPool2D padding: expected 'valid' or 'same', got 'full'"),
    (lambda: AveragePooling2D(2, padding=1),
     r"AveragePooling2D padding: expected 'valid' or 'same', got 1"),
    (lambda: Conv2D(2, 3, padding="causal"),
     r"Conv2D padding: expected 'valid', 'same' or an int >= 0, got 'causal'"),
    (lambda: Conv2D(2, 3, strides=(1, 2, 3)),
     r"Conv2D strides: expected an int or a pair \(height, width\), got \(1, 2, 3\)"),
    (lambda: Conv2D(2, 3, strides=2, stride=3),
     r"Conv2D: expected strides or its older name stride, not both, got strides=2 and stride=3"),
    (lambda: MaxPool2D(2, strides=(1, 2), stride=2),
     r"MaxPool2D: expected strides or its older name stride, not both, "
     r"got strides=\(1, 2\) and stride=2"),
])
def test_bad_arguments_are_refused_with_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("layer, input_shape, message", [
    (MaxPool2D(4, name="p"), (3, 5, 2),
     r"MaxPool2D\(name='p'.*\): pool \(4, 4\) is larger than the input \(3, 5\)"),
    (AveragePooling2D((1, 6)), (3, 5, 2), r"pool \(1, 6\) is larger than the input \(3, 5\)"),
    (MaxPool2D(2), (5,), r"MaxPool2D\(.*\): expects images \(H, W, C\), got input shape \(5,\)"),
    (AveragePooling2D(2), (4, 4), r"expects images \(H, W, C\), got input shape \(4, 4\)"),
    (GlobalAveragePooling2D(), (6,),
     r"GlobalAveragePooling2D\(.*\): expects images \(H, W, C\), got input shape \(6,\)"),
    (GlobalMaxPooling2D(name="g"), (2, 3, 4, 5),
     r"GlobalMaxPooling2D\(name='g'\): expects images \(H, W, C\), got input shape "
     r"\(2, 3, 4, 5\)"),
])
def test_inputs_a_layer_cannot_take_are_refused(layer, input_shape, message):
    with pytest.raises(ValueError, match=message):
        layer.forward(np.zeros((2, *input_shape)))


def test_same_padding_fits_any_input():
    layer = AveragePooling2D(4, padding="same")
    out = layer.forward(np.ones((1, 1, 1, 1)))
    assert out.shape == (1, 1, 1, 1) and out[0, 0, 0, 0] == 1.0
