"""Initializers (tinycnn/layers/initializers.py) and Dense/Conv2D's use_bias, as Keras's.

Each initializer's values are checked against Keras's formula over a large draw (mean, standard
deviation, bounds), with the fans worked out here as Keras does: a Dense kernel (D, U) has
fan_in D and fan_out U, a conv kernel (KH, KW, C_in, F) fan_in KH*KW*C_in and fan_out KH*KW*F.
The default weights are the ones tinycnn always drew (a checksum of the study's model), and
use_bias=False layers hold, count, train and save their kernel only.
"""

import hashlib
import io
import json
import math
import tracemalloc
import zipfile

import numpy as np
import pytest
from helpers import seed_model
from numpy.lib import format as npy

import tinycnn as tc
from tinycnn import keras
from tinycnn.gradcheck import check_layer
from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D
from tinycnn.layers import initializers as init

DENSE_SHAPE = (300, 200)  # fan_in 300, fan_out 200
CONV_SHAPE = (3, 5, 16, 40)  # fan_in 3*5*16 = 240, fan_out 3*5*40 = 600
FANS = {DENSE_SHAPE: (300, 200), CONV_SHAPE: (240, 600)}

# Keras's presets: (scale, mode, distribution)
PRESETS = {
    "glorot_uniform": (1.0, "fan_avg", "uniform"),
    "glorot_normal": (1.0, "fan_avg", "truncated_normal"),
    "he_uniform": (2.0, "fan_in", "uniform"),
    "he_normal": (2.0, "fan_in", "truncated_normal"),
    "lecun_normal": (1.0, "fan_in", "truncated_normal"),
}


def draw(initializer, shape, seed=0, dtype=np.float64):
    return init.get(initializer)(shape, np.random.default_rng(seed), dtype)


def keras_n(shape, mode):
    fan_in, fan_out = FANS[shape]
    return {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]


# ---- the values, against Keras's formulas -------------------------------------------------
@pytest.mark.parametrize("shape", [DENSE_SHAPE, CONV_SHAPE], ids=["dense", "conv"])
def test_compute_fans_is_keras_receptive_field_times_channels(shape):
    assert init.compute_fans(shape) == FANS[shape]
    assert init.compute_fans((7,)) == (7, 7)


@pytest.mark.parametrize("shape", [DENSE_SHAPE, CONV_SHAPE], ids=["dense", "conv"])
@pytest.mark.parametrize("name", sorted(PRESETS))
def test_variance_scaling_presets_follow_keras_formulas(name, shape):
    scale, mode, distribution = PRESETS[name]
    n = keras_n(shape, mode)
    values = draw(name, shape)
    assert values.shape == shape
    assert abs(values.mean()) < 0.02 * math.sqrt(scale / n)
    # Var(W) = scale / n for both distributions (the truncated one is rescaled by 0.8796...)
    assert values.std() == pytest.approx(math.sqrt(scale / n), rel=0.02)
    if distribution == "uniform":
        limit = math.sqrt(3 * scale / n)
        assert np.abs(values).max() <= limit
        assert np.abs(values).max() > 0.99 * limit
    else:
        cut = 2 * math.sqrt(scale / n) / 0.87962566103423978
        assert np.abs(values).max() <= cut
        assert np.abs(values).max() > 0.99 * cut
        # a plain normal of that stddev would put 4.6% of its values beyond the cut
        assert (np.abs(values) > 0.9 * cut).mean() < 0.03


def test_glorot_uniform_limit_is_sqrt_6_over_fan_in_plus_fan_out():
    values = draw("glorot_uniform", CONV_SHAPE)
    assert np.abs(values).max() <= math.sqrt(6 / (240 + 600))


def test_random_constant_and_variance_scaling_objects():
    values = draw(init.RandomNormal(), DENSE_SHAPE)
    assert abs(values.mean()) < 0.001 and values.std() == pytest.approx(0.05, rel=0.02)
    values = draw(init.RandomNormal(mean=1.0, stddev=0.2), DENSE_SHAPE)
    assert values.mean() == pytest.approx(1.0, abs=0.003)
    assert values.std() == pytest.approx(0.2, rel=0.02)
    values = draw(init.RandomUniform(), DENSE_SHAPE)
    assert values.min() >= -0.05 and values.max() < 0.05
    assert values.std() == pytest.approx(0.1 / math.sqrt(12), rel=0.02)
    values = draw(init.TruncatedNormal(stddev=0.1), DENSE_SHAPE)
    assert np.abs(values).max() <= 0.2
    assert values.std() == pytest.approx(0.1 * 0.87962566103423978, rel=0.02)
    values = draw(init.VarianceScaling(2.0, "fan_out", "untruncated_normal"), CONV_SHAPE)
    assert values.std() == pytest.approx(math.sqrt(2 / 600), rel=0.02)
    assert np.all(draw("zeros", (3, 4)) == 0) and np.all(draw("ones", (3, 4)) == 1)
    constant = draw(init.Constant(0.25), (3, 4), dtype=np.float32)
    assert constant.dtype == np.float32 and np.all(constant == np.float32(0.25))


def test_the_constants_take_no_random_numbers_from_the_stream():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    for name in ("zeros", "ones", init.Constant(3.0)):
        init.get(name)((5, 6), rng, np.float32)
    assert rng.bit_generator.state == before


def test_the_layer_kernels_use_keras_fans():
    rng = np.random.default_rng(0)
    dense = Dense(200, kernel_initializer="he_uniform").build((300,), rng)
    assert np.abs(dense.kernel).max() <= math.sqrt(6 / 300)
    assert np.abs(dense.kernel).max() > 0.99 * math.sqrt(6 / 300)
    conv = Conv2D(40, (3, 5), kernel_initializer=keras.initializers.HeUniform(),
                  bias_initializer=keras.initializers.Ones()).build((12, 12, 16), rng)
    assert np.abs(conv.kernel).max() <= math.sqrt(6 / 240)
    assert np.abs(conv.kernel).max() > 0.99 * math.sqrt(6 / 240)
    assert np.all(conv.bias == 1)


# ---- the defaults are what tinycnn always drew --------------------------------------------
# sha256 of seed_model(0)'s weights (float32), taken before initializers were configurable
SEED_MODEL_WEIGHTS = "60e4c10a4cd0e823b87d2cf95c3685c2ae21d2608c308ef2f9e69bb45a763086"


def weights_digest(model):
    digest = hashlib.sha256()
    for value in model.get_weights():
        digest.update(np.ascontiguousarray(value).tobytes())
    return digest.hexdigest()


def test_the_default_weights_are_unchanged():
    assert weights_digest(seed_model(0)) == SEED_MODEL_WEIGHTS
    rng, twin = np.random.default_rng(7), np.random.default_rng(7)
    dense = Dense(5).build((4,), rng)
    limit = np.sqrt(6.0 / (4 + 5))
    np.testing.assert_array_equal(dense.kernel,
                                  twin.uniform(-limit, limit, size=(4, 5)).astype(np.float32))
    np.testing.assert_array_equal(dense.bias, np.zeros(5, np.float32))
    assert rng.bit_generator.state == twin.bit_generator.state  # the zero bias drew nothing
    assert Dense(5).get_config()["kernel_initializer"] == "glorot_uniform"
    assert Conv2D(2, 3).get_config()["bias_initializer"] == "zeros"


# ---- use_bias=False ----------------------------------------------------------------------
@pytest.mark.parametrize("activation", [None, "relu", "softmax"])
def test_dense_without_a_bias_is_gradient_checked(activation):
    layer = Dense(4, activation=activation, use_bias=False)
    x = np.random.default_rng(1).normal(size=(3, 5))
    errors = check_layer(layer, x)
    assert set(layer.params) == set(layer.grads) == {"W"}
    assert set(errors) == {"x", "W"} and max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("activation", [None, "relu"])
def test_conv2d_without_a_bias_is_gradient_checked(activation):
    layer = Conv2D(3, 3, padding="same", activation=activation, use_bias=False)
    x = np.random.default_rng(2).normal(size=(2, 5, 5, 2))
    errors = check_layer(layer, x)
    assert set(layer.params) == set(layer.grads) == {"W"}
    assert set(errors) == {"x", "W"} and max(errors.values()) < 1e-6, errors


def test_without_a_bias_the_outputs_are_the_kernel_alone():
    x = np.random.default_rng(3).normal(size=(4, 6))
    layer = Dense(3, activation="relu", use_bias=False, bias_initializer="ones")
    out = layer(x)
    np.testing.assert_allclose(out, np.maximum(x @ layer.kernel, 0))


def no_bias_model(seed=0):
    return tc.Sequential([
        Conv2D(4, 3, activation="relu", use_bias=False, input_shape=(8, 8, 1)),
        MaxPool2D(2), Flatten(),
        Dense(3, activation="softmax", use_bias=False, kernel_initializer="he_normal"),
    ], seed=seed)


def test_use_bias_false_counts_and_trains():
    model = no_bias_model()
    assert model.count_params() == 3 * 3 * 1 * 4 + 3 * 3 * 4 * 3
    assert [layer.count_params() for layer in model.layers] == [36, 0, 0, 108]
    assert len(model.get_weights()) == 2
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=60)
    x = rng.normal(size=(60, 8, 8, 1)).astype(np.float32) * 0.3
    for label in range(3):  # each class lights its own band of rows
        x[y == label, 3 * label:3 * label + 2] += 1.0
    model.compile(optimizer=tc.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=20, batch_size=20, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert set(model.layers[0].params) == {"W"}


# ---- errors ------------------------------------------------------------------------------
def test_an_unknown_name_is_an_error_naming_it_and_the_known_ones():
    with pytest.raises(ValueError, match="Dense kernel_initializer.*'glorot'.*glorot_uniform"):
        Dense(3, kernel_initializer="glorot")
    with pytest.raises(ValueError, match="Conv2D bias_initializer.*'Zero'.*he_normal"):
        Conv2D(3, 3, bias_initializer="Zero")
    with pytest.raises(ValueError, match="unknown initializer 'Orthogonal'"):
        init.get({"class_name": "Orthogonal", "config": {}})


def test_an_object_that_is_not_an_initializer_is_an_error_naming_it():
    with pytest.raises(TypeError, match="Dense kernel_initializer.*got 0.5"):
        Dense(3, kernel_initializer=0.5)
    with pytest.raises(TypeError, match="Conv2D kernel_initializer.*lambda"):
        Conv2D(3, 3, kernel_initializer=lambda shape, dtype=None: np.ones(shape))
    with pytest.raises(TypeError, match="RandomNormal does not take"):
        init.get({"class_name": "RandomNormal", "config": {"std": 0.1}})


def test_bad_arguments_are_errors_by_name():
    with pytest.raises(ValueError, match=r"HeNormal\(seed=42\).*model's seed"):
        keras.initializers.HeNormal(seed=42)
    with pytest.raises(ValueError, match=r"RandomUniform\(seed=1\)"):
        init.RandomUniform(seed=1)
    with pytest.raises(TypeError, match="RandomNormal stddev.*'big'"):
        init.RandomNormal(stddev="big")
    with pytest.raises(ValueError, match="RandomNormal stddev.*-1"):
        init.RandomNormal(stddev=-1)
    with pytest.raises(TypeError, match="Constant value.*True"):
        init.Constant(True)
    with pytest.raises(ValueError, match="VarianceScaling mode.*'fan'"):
        init.VarianceScaling(mode="fan")
    with pytest.raises(TypeError, match="Dense use_bias"):
        Dense(3, use_bias="no")
    with pytest.raises(AttributeError, match="keras.initializers.Orthogonal: tinycnn has no"):
        keras.initializers.Orthogonal  # noqa: B018


def test_the_keras_namespace_and_seed_none():
    assert keras.initializers.HeNormal is init.HeNormal
    assert keras.initializers.he_normal is init.HeNormal
    assert isinstance(keras.initializers.get("HeNormal"), init.HeNormal)
    assert init.GlorotUniform(seed=None).get_config() == {"seed": None}
    keras_form = {"module": "keras.initializers", "class_name": "RandomNormal",
                  "config": {"mean": 0.0, "stddev": 0.1, "seed": None}, "registered_name": None}
    assert init.get(keras_form).stddev == 0.1
    from tinycnn.keras.initializers import GlorotNormal
    assert GlorotNormal is init.GlorotNormal


# ---- configs, files ----------------------------------------------------------------------
CUSTOM = [
    ("he_normal", "ones"),
    (init.RandomNormal(stddev=0.1), init.Constant(0.2)),
    ({"class_name": "VarianceScaling",
      "config": {"scale": 0.5, "mode": "fan_out", "distribution": "uniform", "seed": None}},
     keras.initializers.Zeros()),
]


@pytest.mark.parametrize("kernel_initializer, bias_initializer", CUSTOM)
def test_get_config_round_trips(kernel_initializer, bias_initializer):
    for layer in (Dense(4, kernel_initializer=kernel_initializer,
                        bias_initializer=bias_initializer, use_bias=False),
                  Conv2D(2, 3, kernel_initializer=kernel_initializer,
                         bias_initializer=bias_initializer)):
        config = json.loads(json.dumps(layer.get_config()))
        assert type(layer)(**config).get_config() == config
    assert Dense(4, kernel_initializer=init.HeNormal()).get_config()["kernel_initializer"] \
        == "he_normal"
    assert Dense(4, bias_initializer=init.Constant(0.2)).get_config()["bias_initializer"] \
        == {"class_name": "Constant", "config": {"value": 0.2}}


def test_a_model_with_other_initializers_and_no_biases_saves_and_loads(tmp_path):
    model = tc.Sequential([
        Conv2D(4, 3, kernel_initializer="lecun_normal", bias_initializer=init.Constant(0.1),
               input_shape=(8, 8, 1)),
        Conv2D(4, 3, use_bias=False, kernel_initializer=init.RandomUniform(-0.2, 0.2)),
        Flatten(),
        Dense(3, activation="softmax", kernel_initializer="glorot_normal", use_bias=False),
    ], seed=4)
    model.save(tmp_path / "m.npz")
    loaded = tc.load_model(tmp_path / "m.npz")
    assert [layer.get_config() for layer in loaded.layers] == \
        [layer.get_config() for layer in model.layers]
    for saved, back in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(saved, back)
    assert loaded.count_params() == model.count_params() == 36 + 4 + 144 + 64 * 3


def test_a_truncated_normal_kernel_as_large_as_its_file_loads(tmp_path):
    """Its redraws take the draws a little past the file's size: the budget allows for that."""
    model = tc.Sequential([Dense(100, kernel_initializer="he_normal", input_shape=(1000,))])
    model.save(tmp_path / "big.npz")
    loaded = tc.load_model(tmp_path / "big.npz")
    np.testing.assert_array_equal(loaded.layers[0].kernel, model.layers[0].kernel)


def test_a_huge_constant_kernel_in_a_tiny_file_is_refused_before_it_is_made(tmp_path):
    """A constant kernel is made, not drawn, but through the generator, so the file's size
    limit still counts it (a 4096 x 4096 kernel of ones is 64 MB)."""
    path = tmp_path / "ones.npz"
    tc.Sequential([Dense(4, input_shape=(4,)), Dense(3)], seed=0).save(path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    config = json.loads(str(arrays.pop("tinycnn_model")))
    config["input_shape"] = [4096]
    config["layers"][0]["config"].update(units=4096, kernel_initializer="ones")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, value in {"tinycnn_model": np.array(json.dumps(config)), **arrays}.items():
            buffer = io.BytesIO()
            npy.write_array(buffer, np.asanyarray(value))
            archive.writestr(name + ".npy", buffer.getvalue())
    tracemalloc.start()
    try:
        with pytest.raises(tc.ModelFileError, match="larger model than the file holds"):
            tc.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20
