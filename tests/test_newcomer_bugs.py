"""The silent failures a new user hit (issue 9, part 4): each test failed before its fix."""

import re

import numpy as np
import pytest

import tinycnn as tc
from tinycnn.gradcheck import check_layer
from tinycnn.kernels import NUMBA, NUMPY
from tinycnn.layers import Conv2D, Dense, Flatten, Layer, MaxPool2D
from tinycnn.optimizers import SGD, Adam


def raises(exception, *fragments):
    return pytest.raises(exception, match=".*".join(re.escape(f) for f in fragments))


def small_model(seed=0):
    return tc.Sequential([Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), MaxPool2D(2),
                          Flatten(), Dense(3, activation="softmax")], seed=seed)


def data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 8, 8, 1)).astype(np.float32), rng.integers(0, 3, n)


# 1. a gradient of the wrong shape ------------------------------------------------------------
@pytest.mark.parametrize("kernels", [NUMBA, NUMPY], ids=["numba", "numpy"])
def test_adam_kernels_refuse_a_gradient_of_another_shape(kernels):
    p, m, v = np.zeros(2, np.float32), np.zeros(2, np.float32), np.zeros(2, np.float32)
    with raises(ValueError, "adam_update", "(4, 2)", "(2,)"):
        kernels.adam_update(p, np.ones((4, 2), np.float32), m, v, 1e-3, 0.9, 0.999, 1e-7)
    np.testing.assert_array_equal(p, 0)


class WrongShapeGrad(Layer):
    """A bias layer whose backward forgets to sum over the batch: grads["b"] is (N, D)."""

    def compute_output_shape(self, input_shape):
        return input_shape

    def _create_params(self, input_shape, rng, dtype):
        return {"b": np.zeros(input_shape, dtype)}

    def forward(self, x, training=False):
        self._check_input(x)
        return x + self.params["b"]

    def backward(self, dout):
        self.grads["b"] = dout  # should be dout.sum(axis=0)
        return dout


class ForgetsGrad(WrongShapeGrad):
    def backward(self, dout):
        self.grads = {}
        return dout


@pytest.mark.parametrize("optimizer", [Adam(), SGD(), SGD(momentum=0.9)],
                         ids=["adam", "sgd", "momentum"])
def test_every_optimizer_names_the_layer_and_key_of_a_wrong_gradient(optimizer):
    model = tc.Sequential([Flatten(input_shape=(8, 8, 1)), WrongShapeGrad(name="my_bias"),
                           Dense(3, activation="softmax")], seed=0).build()
    model.compile(optimizer=optimizer)
    before = [w.copy() for w in model.get_weights()]
    with raises(ValueError, "my_bias", "grads['b']", "(16, 64)", "(64,)"):
        model.fit(*data(), epochs=1, batch_size=16, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # checked before any parameter moved


# 2. a single image -----------------------------------------------------------------------------
@pytest.mark.parametrize("one", [(8, 8, 1), (8, 8)])
def test_a_single_image_gets_a_clear_error(one):
    model = small_model()  # its declared input shape built it, as in Keras
    weights = [w.copy() for w in model.get_weights()]
    x = np.zeros(one, np.float32)
    with raises(ValueError, f"one image of shape {one}", "x[None]"):
        model.predict(x)
    assert model.predict(x[None]).shape == (1, 3)
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_a_failed_build_leaves_no_layer_built():
    model = tc.Sequential([Conv2D(4, 3), MaxPool2D(2), Conv2D(4, 3), Flatten(),
                           Dense(3, activation="softmax")])
    with raises(ValueError, "conv2d_1", "larger than the padded input"):
        model.predict(np.zeros((2, 5, 5, 1), np.float32))
    assert not model.built and not any(layer.built for layer in model.layers)
    assert model.predict(np.zeros((2, 9, 9, 1), np.float32)).shape == (2, 3)


# 3. the output must be class probabilities (N, K) ----------------------------------------------
def test_a_softmax_conv_output_is_refused_at_compile():
    model = tc.Sequential([Conv2D(10, 3, activation="softmax", input_shape=(8, 8, 1))])
    model.build()
    with raises(ValueError, "compile", "(N, K)", "(None, 6, 6, 10)"):
        model.compile()


def test_a_softmax_conv_output_is_refused_at_fit_when_built_late():
    model = tc.Sequential([Conv2D(3, 3, activation="softmax")])
    model.compile()  # not built yet: the shape is not known
    with raises(ValueError, "(N, K)", "(None, 6, 6, 3)"):
        model.fit(*data(), verbose=0)


# 4. the uint8 hint names a function that exists ------------------------------------------------
def test_the_integer_image_error_names_normalize_images():
    from tinycnn.datasets import fashion_mnist

    model = small_model()
    with pytest.raises(TypeError) as error:
        model.predict(np.zeros((2, 8, 8, 1), np.uint8))
    named = re.findall(r"fashion_mnist\.(\w+)", str(error.value))
    assert named == ["normalize_images"] and callable(getattr(fashion_mnist, named[0]))


# 5. loading your own layer ---------------------------------------------------------------------
class Double(Layer):
    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        self._check_input(x)
        return 2 * x

    def backward(self, dout):
        return 2 * dout


def double_model():
    return tc.Sequential([Flatten(input_shape=(8, 8, 1)), Double(), Dense(3, activation="softmax")],
                         seed=0)


def test_loading_an_unregistered_layer_says_how_to_register_it(tmp_path, monkeypatch):
    path = tmp_path / "double.npz"
    double_model().save(path)
    with raises(tc.ModelFileError, "unknown layer class 'Double'", "@tinycnn.layers.register",
                "custom_objects={'Double': Double}"):
        tc.load_model(path)

    x, _ = data()
    loaded = tc.load_model(path, custom_objects={"Double": Double})
    np.testing.assert_array_equal(loaded.predict(x), double_model().predict(x))

    monkeypatch.setitem(tc.layers.LAYER_CLASSES, "Double", Double)  # undone after the test
    assert tc.layers.register(Double) is Double
    np.testing.assert_array_equal(tc.load_model(path).predict(x), double_model().predict(x))


def test_register_refuses_what_is_not_a_layer():
    with raises(TypeError, "register", "subclass of tinycnn.layers.Layer"):
        tc.layers.register(int)


# 6. a forgotten grads key ----------------------------------------------------------------------
def test_a_forgotten_gradient_names_the_layer_and_the_key():
    model = tc.Sequential([Flatten(input_shape=(8, 8, 1)), ForgetsGrad(name="lazy"),
                           Dense(3, activation="softmax")], seed=0)
    model.compile()
    with raises(KeyError, "lazy", "grads['b']"):
        model.fit(*data(), verbose=0)


# 7. check_layer's own random stream ------------------------------------------------------------
class RecordsDout(Layer):
    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        self._check_input(x)
        return x.copy()

    def backward(self, dout):
        self.seen = dout.copy()
        return dout


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_check_layer_draws_dout_from_a_stream_of_its_own(seed):
    layer = RecordsDout()
    x = np.random.default_rng(seed).normal(size=(2, 5))
    errors = check_layer(layer, x, seed=seed)
    assert errors["x"] < 1e-8
    assert not np.allclose(layer.seen, x), "dout must not be the caller's own x"


# 8. summary columns ----------------------------------------------------------------------------
def test_summary_columns_fit_long_names():
    model = tc.Sequential([
        Conv2D(4, 3, input_shape=(8, 8, 1), name="a_very_long_layer_name_for_the_first_conv"),
        Flatten(name="flat"),
        Dense(3, activation="softmax", name="the_classifier_with_a_long_name_too_1234567"),
    ])
    lines = model.summary(print_fn=None).splitlines()
    header = next(line for line in lines if line.startswith("Layer (type)"))
    shape_column = header.index("Output Shape")
    for layer in model.layers:
        row = next(line for line in lines if line.startswith(layer.name + " "))
        label = f"{layer.name} ({type(layer).__name__})"
        assert row[len(label):shape_column].strip() == "" and len(label) < shape_column - 1
        assert row[shape_column:].startswith(str((None, *layer.output_shape)))
        assert row.endswith(f"{layer.count_params():,}")
    assert len({len(line) for line in lines if line and set(line) <= {"_", "="}}) == 1


# 9. layers of a model built before --------------------------------------------------------------
def test_reusing_built_layers_says_to_create_new_ones():
    layers = [Conv2D(4, 3, input_shape=(8, 8, 1)), Flatten(), Dense(3, activation="softmax")]
    tc.Sequential(layers).build()
    with raises(ValueError, "layer 'conv2d'", "already built", "create them again"):
        tc.Sequential(layers)


def test_adding_to_a_built_model_builds_the_new_layer_as_a_whole_build_would():
    # Keras builds a Sequential with a declared input as layers come in; a layer added later
    # gets the weights a build of the whole stack draws from the seed.
    grown = small_model()
    grown.add(Dense(5))
    whole = tc.Sequential([Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)), MaxPool2D(2),
                           Flatten(), Dense(3, activation="softmax"), Dense(5)], seed=0)
    assert grown.output_shape == (5,) and grown.count_params() == whole.count_params()
    for a, b in zip(grown.get_weights(), whole.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# 10. a layer must not write into its input ------------------------------------------------------
class ScalesInPlace(Layer):
    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        self._check_input(x)
        x *= 0.5  # wrong: the Dense below keeps x (its output) for its backward
        return x

    def backward(self, dout):
        return 0.5 * dout


def test_writing_into_the_input_fails_loudly_instead_of_corrupting_gradients():
    model = tc.Sequential([Flatten(input_shape=(8, 8, 1)), Dense(5, activation="relu"),
                           ScalesInPlace(), Dense(3, activation="softmax")], seed=0)
    model.compile()
    with raises(ValueError, "read-only"):
        model.fit(*data(), verbose=0)
    with raises(ValueError, "read-only"):
        model.predict(data()[0])
