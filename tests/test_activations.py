"""Sigmoid and tanh beside ReLU and softmax: as activation= names and as layers, each checked
against NumPy's own formulas and against numerical gradients in float64."""

import warnings

import numpy as np
import pytest

import tinycnn as tc
from tinycnn.gradcheck import check_layer
from tinycnn.layers import Activation, Conv2D, Dense, Flatten, ReLU, Sigmoid, Softmax, Tanh

REFERENCE = {
    "relu": lambda z: np.where(z > 0, z, 0.0),
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "softmax": lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True),
    None: lambda z: z,
}
LAYERS = {"relu": ReLU, "sigmoid": Sigmoid, "tanh": Tanh, "softmax": Softmax}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layers_equal_the_formulas_and_pass_the_gradient_check(name):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 5)) + 0.05  # keeps ReLU's inputs off the kink at 0
    x[np.abs(x) < 0.05] = 0.3
    for layer in (LAYERS[name](), Activation(name)):
        np.testing.assert_allclose(layer.forward(x), REFERENCE[name](x), rtol=1e-12)
        errors = check_layer(layer, x, seed=1)
        assert max(errors.values()) < 1e-7, (layer, errors)


def test_sigmoid_does_not_overflow_and_saturates():
    z = np.array([[-1000.0, -40.0, 0.0, 40.0, 1000.0]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would warn
        out = Sigmoid().forward(z)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 4.248e-18, 0.5, 1.0, 1.0]], rtol=1e-3, atol=1e-30)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
@pytest.mark.parametrize("make, shape", [
    (lambda a: Dense(3, activation=a), (4, 6)),
    (lambda a: Conv2D(2, 3, padding="same", activation=a), (2, 5, 5, 2)),
])
def test_dense_and_conv2d_apply_them(activation, make, shape):
    rng = np.random.default_rng(2)
    layer = make(activation).build(shape[1:], rng, np.float64)
    layer.params["b"][...] = rng.normal(size=layer.params["b"].shape)
    x = rng.normal(size=shape)
    z = make(None).build(shape[1:], rng, np.float64)
    for key in layer.params:
        z.params[key][...] = layer.params[key]
    np.testing.assert_allclose(layer.forward(x), REFERENCE[activation](z.forward(x)), rtol=1e-12)
    errors = check_layer(layer, x, seed=3)
    assert max(errors.values()) < 1e-7, errors


def test_names_are_case_insensitive_and_linear_is_none():
    assert Dense(2, activation="ReLU").activation == "relu"
    assert Conv2D(2, 3, activation="Tanh").activation == "tanh"
    assert Activation("linear").activation is None
    x = np.ones((2, 3))
    np.testing.assert_array_equal(Activation("linear").forward(x), x)


@pytest.mark.parametrize("make, fragments", [
    (lambda: Dense(2, activation="swishy"), ["Dense", "'swishy'", "sigmoid", "tanh"]),
    (lambda: Activation("glu"), ["Activation", "'glu'", "cannot be a layer's"]),
    (lambda: Activation(), ["Activation", "expected an activation name", "None"]),
    (lambda: Tanh(activation="relu"), ["Tanh", "'tanh'", "'relu'"]),
])
def test_bad_names_are_refused_naming_the_layer(make, fragments):
    import re

    with pytest.raises(ValueError, match=".*".join(re.escape(f) for f in fragments)):
        make()


def test_models_with_them_save_and_load(tmp_path):
    model = tc.Sequential([Flatten(input_shape=(4, 4, 1)), Dense(8, activation="tanh"),
                           Sigmoid(), Dense(6), Activation("tanh"), Dense(3),
                           Activation("softmax")], seed=0)
    model.compile(metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.random((24, 4, 4, 1)).astype(np.float32), rng.integers(0, 3, 24)
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.npz")
    loaded = tc.load_model(tmp_path / "m.npz")
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.layers[4].activation == "tanh"
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
