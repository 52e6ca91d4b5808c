"""Keras's activations and the layers of issue 19 (items 3 and 4, in part): LeakyReLU, ELU,
PReLU, ReLU's arguments, UpSampling2D, Cropping2D, SpatialDropout2D, LayerNormalization,
Rescaling and Identity; the activation names for Dense, Conv2D and Activation, and the
keras.activations functions on arrays (tinycnn/layers/activation_functions.py).

- every activation and every layer: centred-difference gradient checks in float64
  (tinycnn.gradcheck.check_layer), inputs kept off the kinks of the piecewise ones;
- what real Keras 3.15.1 computes (tests/data/activation_shape_parity.json, written by
  tests/data/activation_shape_make_parity.py): outputs, dL/dx and dL/dweights, the weights
  moved over in Keras's order with set_weights;
- each layer and activation in a Sequential: one training step, save, load (the new classes
  passed as custom_objects), the same predictions;
- bad arguments refused, naming the layer and the argument.
The inputs given to forward are read-only, so a layer that writes into its input fails at once.
"""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinycnn as tc
from tinycnn.gradcheck import check_layer
from tinycnn.layers import (
    LAYER_CLASSES,
    Activation,
    Conv2D,
    Dense,
    Flatten,
    ReLU,
    Tanh,
    ZeroPadding2D,
)
from tinycnn.layers import activation_functions as keras_activations
from tinycnn.layers.activations import ACTIVATIONS, NEEDS_INPUT
from tinycnn.layers.cropping2d import Cropping2D
from tinycnn.layers.elu import ELU
from tinycnn.layers.identity import Identity
from tinycnn.layers.layer_normalization import LayerNormalization
from tinycnn.layers.leaky_relu import LeakyReLU
from tinycnn.layers.prelu import PReLU
from tinycnn.layers.rescaling import Rescaling
from tinycnn.layers.spatial_dropout2d import SpatialDropout2D
from tinycnn.layers.upsampling2d import UpSampling2D

TOLERANCE = 1e-7
SEEDS = st.integers(0, 2**16)
NEW_LAYERS = {cls.__name__: cls for cls in (
    LeakyReLU, ELU, PReLU, UpSampling2D, Cropping2D, SpatialDropout2D, LayerNormalization,
    Rescaling, Identity)}
CLASSES = {**NEW_LAYERS, "ReLU": ReLU, "Dense": Dense, "Conv2D": Conv2D}
NAMES = [name or "linear" for name in ACTIVATIONS]
REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "activation_shape_parity.json").read_text())
KERAS_NAMES = {"kernel": "W", "bias": "b"}  # Keras's weight names that tinycnn spells otherwise
# Where the piecewise functions bend (and ReLU's thresholds and bounds in the cases below):
# a centred difference across one measures neither side's slope.
KINKS = np.array([-3, -1, -0.5, 0, 0.3, 0.5, 1, 1.5, 2, 3, 6])
# Keras matches tinycnn to float64 rounding (1e-12) but in the cases TensorFlow computes less
# exactly: it keeps leaky_relu's slope as a float32 attribute (0.2 is 0.2000000029...); its
# float64 gelu kernel is off by up to 3e-9 (its own formula, x erfc(-x / sqrt 2) / 2, agrees
# with ours to 1e-17); and it resizes images in float32, even float64 ones.
SLOPE_IN_FLOAT32, GELU_KERNEL, RESIZED_IN_FLOAT32 = 3e-8, 1e-8, 1e-6
KERAS_TOLERANCES = {
    "leaky_relu": SLOPE_IN_FLOAT32, "leaky_relu_0.1": SLOPE_IN_FLOAT32,
    "leaky_relu_default": SLOPE_IN_FLOAT32, "relu_negative_slope": SLOPE_IN_FLOAT32,
    "conv2d_leaky_relu": SLOPE_IN_FLOAT32,
    "gelu": GELU_KERNEL, "gelu_approximate": GELU_KERNEL, "dense_gelu": GELU_KERNEL,
    "upsampling_bilinear": RESIZED_IN_FLOAT32, "upsampling_bilinear_2": RESIZED_IN_FLOAT32,
}


# ---- helpers ------------------------------------------------------------------------------------
def read_only(x):
    x = np.array(x, dtype=np.float64)
    x.flags.writeable = False
    return x


def off_kinks(shape, seed=0, spread=3.0):
    """Normal values (standard deviation ``spread``), each at least 0.01 from every kink."""
    x = np.random.default_rng(seed).normal(size=shape) * spread
    near = np.abs(x[..., None] - KINKS).min(axis=-1) < 0.01
    x[near] += 0.05
    return x


def assert_small(errors, what):
    assert max(errors.values()) < TOLERANCE, f"{what}: relative errors {errors}"


def built(layer, x):
    return layer.build(x.shape[1:], np.random.default_rng(1), np.float64)


def from_config(class_name, config):
    """A layer from a JSON config, as load_model makes it (lists become tuples)."""
    arguments = {key: tuple(value) if isinstance(value, list) else value
                 for key, value in config.items()}
    return CLASSES[class_name](**arguments)


def tinycnn_weight_name(keras_name):
    """Keras's weight name ("dense/kernel", "gamma") as tinycnn's params key ("W", "gamma")."""
    short = keras_name.split("/")[-1]
    return KERAS_NAMES.get(short, short)


def one_step_then_save_and_load(layers, tmp_path, input_shape=(6, 6, 2)):
    """A Sequential of ``layers`` then Flatten and a softmax Dense, trained one step on random
    images, saved and loaded: (model, loaded, x)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, *input_shape)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    model = tc.Sequential([*layers, Flatten(), Dense(3, activation="softmax")], seed=0)
    model.build(input_shape)
    model.compile(optimizer=tc.optimizers.Adam(0.01))
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(x, y)
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(),
                                                         strict=True)), "a weight did not move"
    model.save(tmp_path / "model.npz")
    loaded = tc.load_model(tmp_path / "model.npz", custom_objects=NEW_LAYERS)
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert [layer.get_config() for layer in loaded.layers] == \
        [layer.get_config() for layer in model.layers]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    return model, loaded, x


# ---- activations by name: gradient checks ---------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_every_activation_layer_passes_the_gradient_check(name):
    x = off_kinks((3, 4, 5))
    layer = Activation(name)
    np.testing.assert_array_equal(layer.forward(read_only(x)),
                                  keras_activations.get(name)(x))
    assert_small(check_layer(layer, x), name)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("make, shape", [
    (lambda a: Dense(3, activation=a), (4, 5)),
    (lambda a: Conv2D(2, 3, padding="same", activation=a), (2, 4, 4, 2)),
], ids=["Dense", "Conv2D"])
def test_dense_and_conv2d_apply_every_activation(name, make, shape):
    x = off_kinks(shape, spread=1.0)
    layer = built(make(name), x)
    layer.params["b"][...] = np.random.default_rng(2).normal(size=layer.params["b"].shape)
    linear = built(make(None), x)
    linear.set_weights(layer.get_weights())
    np.testing.assert_allclose(layer.forward(read_only(x)),
                               keras_activations.get(name)(linear.forward(x)),
                               rtol=1e-12, atol=1e-15)
    assert_small(check_layer(layer, x), f"{type(layer).__name__} {name}")


def test_only_the_activations_that_need_it_keep_their_input():
    """Memory: a layer keeps out for backward, and x only when the derivative reads x."""
    x = off_kinks((2, 3))
    for name in NAMES:
        layer = Activation(name)
        layer.forward(x)
        assert (layer._cache.x is not None) == (name in NEEDS_INPUT), name
    assert NEEDS_INPUT == {"gelu", "silu", "mish", "hard_silu", "tanh_shrink"}


# ---- activations against Keras ------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(REFERENCE["functions"]))
def test_activation_functions_equal_keras(case):
    expected = REFERENCE["functions"][case]
    x = read_only(expected["x"])
    function = getattr(keras_activations, expected["function"])
    tolerance = KERAS_TOLERANCES.get(case, 1e-12)
    out = function(x, **expected["arguments"])
    np.testing.assert_allclose(out, expected["output"], rtol=tolerance, atol=tolerance)
    if expected["by_layers"]:  # the same function as an Activation layer, and its gradient
        layer = Activation(expected["function"])
        np.testing.assert_array_equal(layer.forward(x), out)
        np.testing.assert_allclose(layer.backward(np.array(expected["dout"])), expected["dx"],
                                   rtol=tolerance, atol=tolerance)


def test_gelu_is_the_exact_erf_form_by_default():
    x = off_kinks((20,))
    exact = np.array([0.5 * v * math.erfc(-v / math.sqrt(2)) for v in x])
    np.testing.assert_allclose(keras_activations.gelu(x), exact, rtol=1e-14, atol=1e-16)
    tanh_form = keras_activations.gelu(x, approximate=True)
    assert 1e-5 < np.max(np.abs(tanh_form - exact)) < 1e-2  # close, and not the same


def test_sparsemax_projects_onto_the_simplex():
    """Rows sum to 1 with zeros below the threshold; for two values it is a clipped line:
    out_0 = clip((x_0 - x_1 + 1) / 2, 0, 1). (Keras 3.15.1 gets both wrong: [1, 1] -> [0, 0],
    keras-team/keras#23425.)"""
    x = off_kinks((6, 5))
    out = keras_activations.sparsemax(x)
    np.testing.assert_allclose(out.sum(axis=-1), 1, rtol=1e-12)
    assert (out >= 0).all() and (out == 0).any()
    pairs = off_kinks((10, 2), seed=1, spread=1.0)
    np.testing.assert_allclose(keras_activations.sparsemax(pairs)[:, 0],
                               np.clip((pairs[:, 0] - pairs[:, 1] + 1) / 2, 0, 1), rtol=1e-12)
    np.testing.assert_array_equal(keras_activations.sparsemax(np.array([[1.0, 1.0]])),
                                  [[0.5, 0.5]])


def test_activation_functions_take_lists_and_keep_float32():
    np.testing.assert_array_equal(keras_activations.relu([-10, -5, 0.0, 5, 10]),
                                  [0, 0, 0, 5, 10])
    assert keras_activations.relu([-1, 2]).dtype == np.float32  # ints become floatx
    x = np.linspace(-4, 4, 9, dtype=np.float32)
    for name in keras_activations.NAMES.values():
        arguments = {"threshold": 0.0, "default_value": 0.0} if name == "threshold" else {}
        rows = x.reshape(1, -1)[:, :8] if name == "glu" else x
        assert getattr(keras_activations, name)(rows, **arguments).dtype == np.float32, name
    # a NumPy float64 argument does not turn float32 values into float64 ones
    assert keras_activations.relu(x, max_value=np.float64(2)).dtype == np.float32


def test_a_function_of_keras_activations_is_taken_as_its_name():
    assert Dense(2, activation=keras_activations.gelu).activation == "gelu"
    assert Conv2D(2, 3, activation=keras_activations.swish).activation == "silu"
    assert Activation(keras_activations.linear).activation is None
    layer = Activation(keras_activations.hard_swish)
    assert layer.get_config()["activation"] == "hard_silu"
    assert keras_activations.get("Swish") is keras_activations.silu
    assert keras_activations.get(None) is keras_activations.linear
    assert keras_activations.serialize(keras_activations.swish) == "silu"
    assert keras_activations.deserialize("relu6") is keras_activations.relu6


@pytest.mark.parametrize("make, fragments", [
    (lambda: Dense(2, activation="swishy"), ["Dense: unknown activation 'swishy'", "'gelu'"]),
    (lambda: Activation("glu"), ["Activation: activation 'glu' cannot be a layer's",
                                 "halves the last axis"]),
    (lambda: Conv2D(2, 3, activation=keras_activations.threshold),
     ["Conv2D: activation 'threshold'", "needs its arguments"]),
    (lambda: Dense(2, activation=lambda z: z * 2), ["Dense: activation <function",
                                                    "not one of tinycnn.keras.activations",
                                                    "derivative"]),
    (lambda: Activation(np.tanh), ["Activation: activation <ufunc 'tanh'>"]),
    (lambda: Tanh(activation="gelu"), ["Tanh: always applies 'tanh'", "'gelu'"]),
])
def test_activations_a_layer_cannot_apply_are_refused(make, fragments):
    with pytest.raises(ValueError, match=".*".join(re.escape(f) for f in fragments)):
        make()


def test_linear_activation_layer_saves_and_loads(tmp_path):
    """Activation("linear") holds None inside; its config says "linear", so it rebuilds."""
    assert Activation("linear").get_config()["activation"] == "linear"
    one_step_then_save_and_load([Conv2D(2, 3), Activation("linear")], tmp_path)


@pytest.mark.parametrize("name", NAMES)
def test_each_activation_trains_saves_and_loads(name, tmp_path):
    model, loaded, _ = one_step_then_save_and_load(
        [Conv2D(3, 3, padding="same", activation=name), Activation(name)], tmp_path)
    assert loaded.layers[0].activation == model.layers[0].activation


# ---- the new layers: gradient checks --------------------------------------------------------
LAYER_CASES = [  # (layer factory, input shape with the batch axis)
    (lambda: LeakyReLU(), (2, 3, 4, 2)),
    (lambda: LeakyReLU(negative_slope=0.05, name="leaky"), (3, 5)),
    (lambda: ELU(), (2, 3, 4, 2)),
    (lambda: ELU(alpha=0.5), (3, 5)),
    (lambda: ReLU(), (2, 3, 4, 2)),
    (lambda: ReLU(max_value=1.5, negative_slope=0.1, threshold=0.3), (2, 3, 4, 2)),
    (lambda: ReLU(max_value=6.0), (3, 5)),
    (lambda: PReLU(alpha_initializer="random_normal"), (2, 3, 4, 2)),
    (lambda: PReLU(alpha_initializer="random_normal", shared_axes=[1, 2]), (2, 3, 4, 2)),
    (lambda: PReLU(alpha_initializer="random_normal", shared_axes=3), (2, 3, 4, 2)),
    (lambda: UpSampling2D(), (2, 3, 4, 2)),
    (lambda: UpSampling2D((3, 1)), (1, 2, 3, 2)),
    (lambda: UpSampling2D((2, 3), interpolation="bilinear"), (2, 3, 4, 2)),
    (lambda: UpSampling2D(4, interpolation="Bilinear"), (1, 1, 2, 1)),
    (lambda: Cropping2D(((1, 0), (2, 1))), (2, 4, 5, 2)),
    (lambda: Cropping2D(1), (2, 3, 3, 1)),
    (lambda: Cropping2D(((1, 2), 0)), (2, 4, 5, 2)),
    (lambda: SpatialDropout2D(0.5), (3, 2, 3, 4)),
    (lambda: LayerNormalization(gamma_initializer="random_normal",
                                beta_initializer="random_normal"), (2, 3, 4, 5)),
    (lambda: LayerNormalization(axis=[1, 2, 3], gamma_initializer="random_normal"),
     (2, 3, 4, 2)),
    (lambda: LayerNormalization(axis=(-3, -1), epsilon=0.1, center=False), (2, 3, 4, 2)),
    (lambda: LayerNormalization(axis=1, scale=False), (3, 6)),
    (lambda: Rescaling(1 / 127.5, offset=-1), (2, 3, 4, 2)),
    (lambda: Identity(), (3, 5)),
]
LAYER_IDS = [repr(make()) + f"-{shape}" for make, shape in LAYER_CASES]


@pytest.mark.parametrize("make, shape", LAYER_CASES, ids=LAYER_IDS)
def test_layers_pass_the_gradient_check(make, shape):
    x = off_kinks(shape)
    layer = built(make(), x)
    assert_small(check_layer(layer, x), repr(layer))
    for training in (True, False):  # on a read-only x, after both kinds of forward, twice
        layer.forward(read_only(x), training=training)
        dout = np.random.default_rng(5).normal(size=(len(x), *layer.output_shape))
        first = layer.backward(dout)
        np.testing.assert_array_equal(layer.backward(dout), first)


@pytest.mark.parametrize("make, shape", LAYER_CASES, ids=LAYER_IDS)
def test_configs_round_trip_through_json(make, shape):
    layer = make()
    config = json.loads(json.dumps(layer.get_config()))
    twin = from_config(type(layer).__name__, config)
    assert twin.get_config() == layer.get_config() and repr(twin) == repr(layer)
    assert built(twin, np.zeros(shape)).output_shape == built(make(), np.zeros(shape)).output_shape


@given(n=st.integers(1, 2), h=st.integers(1, 5), w=st.integers(1, 5), c=st.integers(1, 2),
       size=st.tuples(st.integers(1, 3), st.integers(1, 3)),
       interpolation=st.sampled_from(["nearest", "bilinear"]), seed=SEEDS)
def test_upsampling_shapes_and_gradients(n, h, w, c, size, interpolation, seed):
    x = np.random.default_rng(seed).normal(size=(n, h, w, c))
    layer = built(UpSampling2D(size, interpolation=interpolation), x)
    assert layer.output_shape == (h * size[0], w * size[1], c)
    assert_small(check_layer(layer, x), repr(layer))


@given(data=st.data(), seed=SEEDS)
def test_cropping_shapes_and_gradients(data, seed):
    h, w = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    top, left = data.draw(st.integers(0, h - 1)), data.draw(st.integers(0, w - 1))
    bottom, right = data.draw(st.integers(0, h - 1 - top)), data.draw(st.integers(0, w - 1 - left))
    x = np.random.default_rng(seed).normal(size=(2, h, w, 2))
    layer = built(Cropping2D(((top, bottom), (left, right))), x)
    np.testing.assert_array_equal(layer.forward(x), x[:, top:h - bottom, left:w - right])
    assert_small(check_layer(layer, x), repr(layer))


# ---- the new layers against Keras -----------------------------------------------------------
@pytest.mark.parametrize("case", sorted(REFERENCE["layers"]))
def test_layers_equal_keras(case):
    """Keras's weights go in with set_weights in Keras's order, and come back out the same;
    the output, dL/dx and each weight's gradient are Keras's."""
    expected = REFERENCE["layers"][case]
    tolerance = KERAS_TOLERANCES.get(case, 1e-12)
    x = read_only(expected["x"])
    layer = built(from_config(expected["class"], expected["config"]), x)
    weights = [np.array(w) for w in expected["weights"]]
    layer.set_weights(weights)
    names = [tinycnn_weight_name(name) for name in expected["weight_names"]]
    assert list(layer.params) == names
    for ours, theirs in zip(layer.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(ours, theirs)

    np.testing.assert_allclose(layer.forward(x), expected["output"], rtol=tolerance,
                               atol=tolerance)
    dx = layer.backward(np.array(expected["dout"]))
    np.testing.assert_allclose(dx, expected["dx"], rtol=tolerance, atol=tolerance)
    for name, grad in zip(names, expected["dweights"], strict=True):
        np.testing.assert_allclose(layer.grads[name], grad, rtol=tolerance, atol=tolerance,
                                   err_msg=name)


# ---- what each layer does -------------------------------------------------------------------
def test_relu_with_the_defaults_is_the_relu_activation_bit_for_bit():
    x = off_kinks((4, 3, 3, 2)).astype(np.float32)
    dout = np.random.default_rng(3).normal(size=x.shape).astype(np.float32)
    plain, named = ReLU(), Activation("relu")
    np.testing.assert_array_equal(plain.forward(x), named.forward(x))
    np.testing.assert_array_equal(plain.backward(dout), named.backward(dout))
    older_file_config = {"name": "r"}  # what tinycnn saved for a ReLU before its arguments
    assert ReLU(**older_file_config).get_config() == {"name": "r", "max_value": None,
                                                      "negative_slope": 0.0, "threshold": 0.0}
    assert repr(ReLU(name="r")) == "ReLU(name='r')"


def test_relu_arguments_follow_keras_formula():
    x = np.array([[-10.0, -5.0, 0.0, 0.5, 1.0, 5.0, 10.0]])
    np.testing.assert_array_equal(ReLU(max_value=5.0, negative_slope=0.5).forward(x),
                                  [[-5, -2.5, 0, 0.5, 1, 5, 5]])
    np.testing.assert_array_equal(ReLU(threshold=1.0).forward(x), [[0, 0, 0, 0, 0, 5, 10]])
    np.testing.assert_array_equal(LeakyReLU(alpha=0.5).forward(x),  # Keras 2's name
                                  [[-5, -2.5, 0, 0.5, 1, 5, 10]])


def test_prelu_learns_one_slope_per_value_or_per_shared_axis():
    x = off_kinks((2, 3, 4, 5))
    assert built(PReLU(), x).params["alpha"].shape == (3, 4, 5)
    layer = built(PReLU(shared_axes=[1, 2]), x)
    assert layer.params["alpha"].shape == (1, 1, 5) and layer.count_params() == 5
    np.testing.assert_array_equal(layer.params["alpha"], 0)  # zeros: a ReLU at first
    np.testing.assert_array_equal(layer.forward(x), np.maximum(x, 0))


def test_upsampling_nearest_repeats_and_bilinear_blends():
    x = off_kinks((2, 3, 4, 2))
    np.testing.assert_array_equal(UpSampling2D((2, 3)).forward(x),
                                  x.repeat(2, axis=1).repeat(3, axis=2))
    ramp = np.broadcast_to(np.arange(4.0)[None, None, :, None], (1, 3, 4, 1))
    out = UpSampling2D(2, interpolation="bilinear").forward(ramp)[0, 0, :, 0]
    # pixel centres: output column j sits at (j + 1/2) / 2 - 1/2, clamped to [0, 3]
    np.testing.assert_allclose(out, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])


def test_cropping_undoes_zero_padding():
    x = off_kinks((2, 3, 4, 2))
    for cropping in (1, (2, 1), ((1, 2), (0, 3))):
        padded = ZeroPadding2D(cropping).forward(x)
        np.testing.assert_array_equal(Cropping2D(cropping).forward(padded), x)


def test_spatial_dropout_drops_whole_channels_in_training_only():
    x = off_kinks((16, 3, 4, 8)) + 100  # no zeros of its own
    layer = built(SpatialDropout2D(0.25), x)
    out = layer.forward(x, training=True)
    kept = out != 0
    assert (kept == kept[:, :1, :1, :]).all()  # a whole map is kept or dropped
    assert 0.1 < 1 - kept[:, 0, 0, :].mean() < 0.4  # about a quarter of 128 maps dropped
    np.testing.assert_allclose(out[kept], x[kept] / 0.75)
    np.testing.assert_array_equal(layer.backward(np.ones_like(x)), kept / 0.75)
    assert layer.forward(x) is x


def test_spatial_dropout_draws_from_the_model_generator():
    x = np.ones((4, 3, 3, 6), np.float32)

    def trained_output(seed):
        model = tc.Sequential([SpatialDropout2D(0.5, input_shape=(3, 3, 6))], seed=seed)
        return model.forward(x, training=True)

    np.testing.assert_array_equal(trained_output(1), trained_output(1))
    assert not np.array_equal(trained_output(1), trained_output(2))


def test_layer_normalization_normalises_each_example_on_its_own():
    x = off_kinks((4, 3, 5)) * np.arange(1, 5)[:, None, None]  # examples of different scales
    layer = LayerNormalization(axis=[1, 2], epsilon=1e-12)
    out = layer.forward(x)
    np.testing.assert_allclose(out.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(out.var(axis=(1, 2)), 1, rtol=1e-9)
    np.testing.assert_array_equal(layer.forward(x[:1]), out[:1])  # the batch plays no part
    assert layer.params["gamma"].shape == (3, 5)


def test_rescaling_and_identity():
    x = read_only(off_kinks((2, 3)))
    np.testing.assert_allclose(Rescaling(1 / 255, offset=-1).forward(x), x / 255 - 1)
    assert Identity().forward(x) is x
    assert Rescaling(0.5).forward(x.astype(np.float32)).dtype == np.float32


@pytest.mark.parametrize("layers", [
    [LeakyReLU()], [ELU(alpha=0.5)], [ReLU(max_value=2.0, negative_slope=0.1)],
    [PReLU(shared_axes=[1, 2])], [PReLU(alpha_regularizer="l2")],
    [UpSampling2D()], [UpSampling2D(interpolation="bilinear")], [Cropping2D(((1, 0), (0, 2)))],
    [SpatialDropout2D(0.3)], [LayerNormalization()], [LayerNormalization(axis=[1, 2, 3])],
    [Rescaling(0.5, offset=0.1)], [Identity()],
], ids=lambda layers: repr(layers[0]))
def test_each_layer_trains_saves_and_loads(layers, tmp_path):
    one_step_then_save_and_load([Conv2D(3, 3, padding="same"), *layers], tmp_path)


def test_prelu_regularizer_adds_to_the_loss():
    layer = PReLU(alpha_regularizer="l2", alpha_initializer="ones")
    built(layer, np.zeros((1, 3)))
    assert layer.penalty() == pytest.approx(0.01 * 3)
    assert layer.get_config()["alpha_regularizer"] == {"l1": 0.0, "l2": 0.01}


# ---- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: LeakyReLU(-0.1), r"LeakyReLU negative_slope: expected a number >= 0, got -0\.1"),
    (lambda: ELU(alpha=-1.0), r"ELU alpha: expected a number >= 0, got -1\.0"),
    (lambda: ReLU(max_value=-1), r"ReLU max_value: expected a number >= 0, got -1"),
    (lambda: ReLU(threshold="1"), r"ReLU threshold: expected a number >= 0, got '1'"),
    (lambda: ReLU(negative_slope=True), r"ReLU negative_slope: .*got True"),
    (lambda: PReLU(shared_axes=0), r"PReLU shared_axes: expected an int >= 1 .*got 0"),
    (lambda: PReLU(alpha_constraint="non_neg"),
     r"PReLU alpha_constraint: tinycnn has no weight constraints; expected None"),
    (lambda: PReLU(alpha_regularizer="l3"), r"PReLU alpha_regularizer: expected None"),
    (lambda: UpSampling2D(0), r"UpSampling2D size: expected a positive int, got 0"),
    (lambda: UpSampling2D(interpolation="bicubic"),
     r"UpSampling2D interpolation: tinycnn has only \('nearest', 'bilinear'\), not Keras's "
     r"'bicubic'"),
    (lambda: UpSampling2D(interpolation="cubic"),
     r"UpSampling2D interpolation: expected one of .*got 'cubic'"),
    (lambda: UpSampling2D(data_format="channels_first"),
     r"UpSampling2D data_format: tinycnn's images are channels-last"),
    (lambda: Cropping2D(-1), r"Cropping2D cropping: expected an int, a pair .*got -1"),
    (lambda: Cropping2D((1, 2, 3)), r"Cropping2D cropping: .*got \(1, 2, 3\)"),
    (lambda: Cropping2D(data_format="channels_first"), r"Cropping2D data_format"),
    (lambda: SpatialDropout2D(0.2, seed=-1),
     r"SpatialDropout2D seed: expected None or an int >= 0"),
    (lambda: SpatialDropout2D(1.0), r"rate: expected a number in \[0, 1\), got 1\.0"),
    (lambda: SpatialDropout2D(0.2, data_format="channels_first"),
     r"SpatialDropout2D data_format"),
    (lambda: LayerNormalization(axis="last"),
     r"LayerNormalization axis: expected an int or a list of ints, got 'last'"),
    (lambda: LayerNormalization(epsilon=0), r"LayerNormalization epsilon: expected a number > 0"),
    (lambda: LayerNormalization(center="yes"), r"LayerNormalization center: expected True or "),
    (lambda: LayerNormalization(gamma_constraint="non_neg"),
     r"LayerNormalization gamma_constraint: tinycnn has no weight constraints"),
    (lambda: Rescaling("1/255"), r"Rescaling scale: expected a finite number, got '1/255'"),
    (lambda: Rescaling(1.0, offset=np.nan), r"Rescaling offset: expected a finite number"),
])
def test_bad_arguments_are_refused_by_name(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


@pytest.mark.parametrize("layer, input_shape, message", [
    (Cropping2D(2, name="crop"), (4, 6, 1),
     r"Cropping2D\(name='crop'.*\): cropping \(\(2, 2\), \(2, 2\)\) leaves nothing of an image "
     r"4x6"),
    (Cropping2D(1), (5, 3), r"expects images \(H, W, C\), got input shape \(5, 3\)"),
    (UpSampling2D(), (6,), r"UpSampling2D\(.*\): expects images \(H, W, C\)"),
    (SpatialDropout2D(0.1), (4, 4), r"SpatialDropout2D\(.*\): expects images \(H, W, C\)"),
    (PReLU(shared_axes=[1, 3]), (4, 4), r"PReLU\(.*\): shared axis 3 is beyond the input's "
                                        r"axes 1 to 2"),
    (LayerNormalization(axis=0), (4, 4), r"axis 0 is not an axis of the examples.*0 is the batch"),
    (LayerNormalization(axis=[1, 3]), (4, 4), r"axis 3 is not an axis of the examples"),
])
def test_inputs_a_layer_cannot_take_are_refused(layer, input_shape, message):
    with pytest.raises(ValueError, match=message):
        layer.forward(np.zeros((2, *input_shape)))


def test_backward_needs_a_forward_first():
    for make, _ in LAYER_CASES:
        with pytest.raises(RuntimeError, match=r"backward\(\) needs a forward\(x\) call first"):
            make().backward(np.zeros((1, 3)))


@pytest.mark.parametrize("layer_spec, message", [
    ({"class": "UpSampling2D", "config": {"name": "u", "size": [10**9, 1]}},
     r"layer 0 \(UpSampling2D 'u'\)'s output has shape \(6000000000, 6, 1\), an axis longer"),
    ({"class": "Cropping2D", "config": {"name": "c", "cropping": [[3, 3], [0, 0]]}},
     r"cannot take input of shape \(6, 6, 1\): .*leaves nothing"),
    ({"class": "LayerNormalization", "config": {"name": "n", "axis": [0]}},
     r"cannot take input of shape \(6, 6, 1\): .*0 is the batch"),
    ({"class": "PReLU", "config": {"name": "p", "alpha_constraint": "non_neg"}},
     "cannot be made from the file's arguments: PReLU alpha_constraint"),
])
def test_a_model_file_that_misuses_them_is_refused_before_any_array_is_read(layer_spec, message):
    """tinycnn/saving/expected.py builds each layer from its config to work out the arrays a
    file must hold: a hostile size is caught at the output's shape, before any memory."""
    from tinycnn.saving.errors import ModelFileError
    from tinycnn.saving.expected import expected_arrays

    config = {"version": 2, "dtype": "float32", "input_shape": [6, 6, 1],
              "layers": [{**layer_spec, "trainable": True}]}
    with pytest.raises(ModelFileError, match=message):
        expected_arrays(config, {**LAYER_CLASSES, **NEW_LAYERS}, 5000, "model.npz")
