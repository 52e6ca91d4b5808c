"""Bad input gets a clear error, never a wrong answer: every case listed in issue 3.

Each test checks the exception's type and that its message names the culprit (the argument or
the layer) and, for shapes, both the expected and the given shape.
"""

import re

import numpy as np
import pytest

import tinycnn as tc
from tinycnn.callbacks import EarlyStopping
from tinycnn.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D
from tinycnn.optimizers import SGD, Adam


def compiled_model(loss="sparse_categorical_crossentropy"):
    model = tc.Sequential([Conv2D(4, 3, activation="relu", input_shape=(6, 6, 1)), Flatten(),
                           Dense(3, activation="softmax")], seed=0)
    model.compile(loss=loss, metrics=["accuracy"])
    return model


@pytest.fixture
def xy():
    rng = np.random.default_rng(0)
    return rng.random((4, 6, 6, 1)).astype(np.float32), np.array([0, 1, 2, 0])


def raises(exception, *fragments):
    """pytest.raises whose message must contain every fragment, literally and in order."""
    return pytest.raises(exception, match=".*".join(re.escape(f) for f in fragments))


# ---- wrong rank or shape ------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 5, 5, 1), (4, 6, 6, 3), (4, 36), (4, 6, 6, 1, 1), (4,)])
@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_model_names_both_shapes(xy, shape, method):
    x = np.zeros(shape, np.float32)
    args = (x,) if method == "predict" else (x, np.zeros(shape[0], int))
    with raises(ValueError, "x: expected shape (N, 6, 6, 1)", f"got {shape}"):
        getattr(compiled_model(), method)(*args, verbose=0)


def test_layer_names_itself_and_both_shapes():
    layer = Conv2D(2, 3, name="edges").build((6, 6, 1))
    with raises(ValueError, "name='edges'", "expected input of shape (N, 6, 6, 1)",
                "got (2, 5, 5, 1)"):
        layer.forward(np.zeros((2, 5, 5, 1)))
    dense = Dense(3, name="head").build((8,))
    with raises(ValueError, "name='head'", "(N, 8)", "got (2, 9)"):
        dense.forward(np.zeros((2, 9)))


def test_layers_that_do_not_fit_together_are_named_when_the_model_builds():
    # A declared input shape builds the model as its layers come in, as in Keras.
    with raises(ValueError, "name='dense'", "got input shape (4, 4, 2)", "Flatten()"):
        tc.Sequential([Conv2D(2, 3, input_shape=(6, 6, 1)), Dense(3)])
    model = tc.Sequential([Conv2D(2, 3), Dense(3)])
    with raises(ValueError, "name='dense'", "got input shape (4, 4, 2)", "Flatten()"):
        model.build((6, 6, 1))
    with raises(ValueError, "name='conv'", "expects images (H, W, C)", "(6, 6)"):
        Conv2D(2, 3, name="conv").build((6, 6))


# ---- non-float, NaN and infinite inputs ------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.uint8, np.int64, bool, np.complex64])
def test_non_float_images_are_refused(xy, dtype):
    x, y = xy
    model = compiled_model()
    bad = (x * 255).astype(dtype)
    with raises(TypeError, "x: expected float images", f"dtype {np.dtype(dtype)}"):
        model.fit(bad, y, verbose=0)
    with raises(TypeError, "x: expected float images"):
        model.predict(bad)
    with raises(TypeError, "expected a float32 or float64 array", f"dtype {np.dtype(dtype)}"):
        Conv2D(2, 3, name="c").forward(bad)


def test_half_precision_is_refused_by_layers():
    # Numba has no float16 kernels: a clear error instead of a typing error from deep inside.
    with raises(TypeError, "expected a float32 or float64 array", "dtype float16"):
        Conv2D(2, 3, name="c").forward(np.zeros((1, 5, 5, 1), np.float16))


def test_images_that_are_not_arrays_are_refused(xy):
    x, _ = xy
    with raises(TypeError, "x: expected a NumPy array, got list"):
        compiled_model().predict(x.tolist())
    with raises(TypeError, "expected a NumPy array, got list"):
        Flatten().forward(x.tolist())


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_nan_and_infinite_images_are_refused(xy, bad_value):
    x, y = xy
    bad = x.copy()
    bad[2, 3, 4, 0] = bad_value
    model = compiled_model()
    with raises(ValueError, "x: contains NaN or infinite values"):
        model.fit(bad, y, verbose=0)
    with raises(ValueError, "x: contains NaN or infinite values"):
        model.predict(bad)
    with raises(ValueError, "validation_data: contains NaN or infinite values"):
        model.fit(x, y, validation_data=(bad, y), verbose=0)


# ---- labels --------------------------------------------------------------------------------
@pytest.mark.parametrize("labels, lowest, highest", [([0, 1, 3, 0], 0, 3), ([0, -1, 2, 0], -1, 2)])
def test_labels_out_of_range(xy, labels, lowest, highest):
    x, _ = xy
    model = compiled_model()
    with raises(ValueError, "y: class ids must lie in [0, 3)", "3 outputs",
                f"from {lowest} to {highest}"):
        model.fit(x, np.array(labels), verbose=0)
    with raises(ValueError, "y: class ids must lie in [0, 3)"):
        model.evaluate(x, np.array(labels))
    with raises(ValueError, "validation_data labels: class ids must lie in [0, 3)"):
        model.fit(x, np.zeros(4, int), validation_data=(x, np.array(labels)), verbose=0)


@pytest.mark.parametrize("n_labels", [3, 5])
def test_labels_of_the_wrong_length(xy, n_labels):
    x, _ = xy
    with raises(ValueError, "y: expected 4 labels (one per image)", f"got {n_labels}"):
        compiled_model().fit(x, np.zeros(n_labels, int), verbose=0)


def test_labels_of_the_wrong_kind(xy):
    x, y = xy
    model = compiled_model()
    with raises(TypeError, "y: expected integer class ids, got dtype float64"):
        model.fit(x, y + 0.5, verbose=0)
    with raises(ValueError, "y: expected class ids of shape (4,), got (4, 3)"):
        model.fit(x, np.eye(3, dtype=int)[y], verbose=0)
    with raises(ValueError, "y: expected one-hot targets of shape (4, 3), got (4,)",
                "sparse_categorical_crossentropy"):
        compiled_model(loss="categorical_crossentropy").fit(x, y, verbose=0)


def test_integer_valued_float_labels_and_column_labels_are_fine(xy):
    x, y = xy
    model = compiled_model()
    expected = model.evaluate(x, y)
    assert model.evaluate(x, y.astype(np.float32)) == expected
    assert model.evaluate(x, y[:, np.newaxis]) == expected


# ---- compile ---------------------------------------------------------------------------------
def test_fit_and_evaluate_before_compile(xy):
    x, y = xy
    model = tc.Sequential([Flatten(input_shape=(6, 6, 1)), Dense(3, activation="softmax")])
    with raises(RuntimeError, "fit: call model.compile("):
        model.fit(x, y)
    with raises(RuntimeError, "evaluate: call model.compile("):
        model.evaluate(x, y)
    assert model.predict(x).shape == (4, 3)  # predicting needs no compile


def test_unknown_names():
    model = compiled_model()
    with raises(ValueError, "unknown loss 'hinge'", "sparse_categorical_crossentropy"):
        model.compile(loss="hinge")
    with raises(ValueError, "unknown optimizer 'lion'", "adam", "sgd"):
        model.compile(optimizer="lion")
    with raises(ValueError, "unknown metric 'wiggle_score'", "accuracy"):
        model.compile(metrics=["wiggle_score"])
    with raises(ValueError, "Dense: unknown activation 'wiggle'", "relu", "softmax"):
        Dense(3, activation="wiggle")
    with raises(ValueError, "Conv2D: unknown activation 'gelu_fast'"):
        Conv2D(3, 3, activation="gelu_fast")
    with raises(TypeError, "loss must be a name or a loss object"):
        model.compile(loss=42)
    with raises(TypeError, "optimizer must be a name or an Optimizer"):
        model.compile(optimizer=42)
    with raises(ValueError, "unknown kernel set 'cuda'"):
        model.use_kernels("cuda")


# ---- empty batches ----------------------------------------------------------------------------
def test_zero_sized_batches(xy):
    x, y = xy
    model = compiled_model()
    empty = np.zeros((0, 6, 6, 1), np.float32)
    with raises(ValueError, "x: got no examples", "(0, 6, 6, 1)"):
        model.predict(empty)
    with raises(ValueError, "x: got no examples"):
        model.fit(empty, np.zeros(0, int), verbose=0)
    with raises(ValueError, "name='d'", "empty batch", "(0, 4)"):
        Dense(3, name="d").forward(np.zeros((0, 4)))
    for call in (lambda: model.fit(x, y, batch_size=0, verbose=0),
                 lambda: model.predict(x, batch_size=0),
                 lambda: model.evaluate(x, y, batch_size=-1)):
        with raises(ValueError, "batch_size: expected a positive int"):
            call()


# ---- kernel larger than the (padded) input -----------------------------------------------
@pytest.mark.parametrize("layer, input_shape, fragments", [
    (Conv2D(2, 5, name="c"), (3, 3, 1), ["name='c'", "kernel (5, 5)", "input (3, 3)"]),
    (Conv2D(2, 5, padding=1, name="c"), (2, 2, 1), ["kernel (5, 5) with padding 1", "(2, 2)"]),
    (Conv2D(2, (1, 4), stride=3, name="c"), (5, 2, 1), ["kernel (1, 4)", "(5, 2)"]),
    (MaxPool2D(4, name="p"), (3, 3, 2), ["name='p'", "pool (4, 4)", "input (3, 3)"]),
])
def test_kernel_larger_than_the_padded_input(layer, input_shape, fragments):
    with raises(ValueError, *fragments):
        tc.Sequential([Conv2D(1, 1, input_shape=input_shape), layer])


def test_same_padding_always_fits():
    model = tc.Sequential([Conv2D(2, 4, padding="same", input_shape=(1, 1, 1))]).build()
    assert model.output_shape == (1, 1, 2)


# ---- bad constructor and fit arguments --------------------------------------------------------
@pytest.mark.parametrize("make, fragments", [
    (lambda: Conv2D(0, 3), ["Conv2D filters", "positive int", "0"]),
    (lambda: Conv2D(2.5, 3), ["Conv2D filters", "2.5"]),
    (lambda: Conv2D(True, 3), ["Conv2D filters", "True"]),
    (lambda: Conv2D(8, (3, 3, 3)), ["Conv2D kernel_size", "(3, 3, 3)"]),
    (lambda: Conv2D(8, (3, 0)), ["Conv2D kernel_size", "positive int"]),
    (lambda: Conv2D(8, 3, stride=0), ["Conv2D stride", "0"]),
    (lambda: Conv2D(8, 3, padding="full"), ["Conv2D padding", "'full'"]),
    (lambda: Conv2D(8, 3, padding=-1), ["Conv2D padding", "-1"]),
    (lambda: Conv2D(8, 3, padding=True), ["Conv2D padding", "True"]),
    (lambda: MaxPool2D(0), ["MaxPool2D pool_size", "0"]),
    (lambda: MaxPool2D(2, stride=0), ["MaxPool2D stride", "0"]),
    (lambda: Dense(0), ["Dense units", "0"]),
    (lambda: Dense("10"), ["Dense units", "'10'"]),
    (lambda: Dropout(1.0), ["Dropout rate", "[0, 1)", "1.0"]),
    (lambda: Dropout(-0.1), ["Dropout rate", "-0.1"]),
    (lambda: Dropout("half"), ["Dropout rate", "'half'"]),
    (lambda: SGD(0), ["learning_rate", "> 0", "0"]),
    (lambda: SGD(0.1, momentum=1.0), ["SGD momentum", "1.0"]),
    (lambda: Adam(-1), ["learning_rate", "-1"]),
    (lambda: EarlyStopping(mode="up"), ["mode", "'up'"]),
])
def test_bad_constructor_arguments(make, fragments):
    with raises(ValueError, *fragments):
        make()


@pytest.mark.parametrize("kwargs, fragments", [
    ({"epochs": 0}, ["fit epochs", "positive int"]),
    ({"epochs": 1.5}, ["fit epochs", "1.5"]),
    ({"validation_split": 1.0}, ["validation_split", "[0, 1)", "1.0"]),
    ({"validation_split": -0.1}, ["validation_split", "-0.1"]),
])
def test_bad_fit_arguments(xy, kwargs, fragments):
    x, y = xy
    with raises(ValueError, *fragments):
        compiled_model().fit(x, y, verbose=0, **kwargs)


def test_validation_split_that_leaves_no_training_data(xy):
    x, y = xy
    with raises(ValueError, "validation_split=0.5 leaves no training data out of 1 examples"):
        compiled_model().fit(x[:1], y[:1], validation_split=0.5, verbose=0)


# ---- misuse of layers and models -------------------------------------------------------------
def test_backward_before_forward_names_the_layer():
    layer = Dense(3, name="head").build((4,))
    with raises(RuntimeError, "name='head'", "needs a forward(x) call first"):
        layer.backward(np.zeros((2, 3)))
    layer.forward(np.ones((2, 4)), training=False)  # inference keeps its cache too (saliency)
    assert layer.backward(np.ones((2, 3))).shape == (2, 4)
    np.testing.assert_array_equal(layer.grads["b"], [2, 2, 2])


def test_model_without_input_shape_or_layers():
    with raises(ValueError, "input shape is unknown", "input_shape=(H, W, C)"):
        tc.Sequential([Dense(3)]).build()
    with raises(ValueError, "no layers"):
        tc.Sequential().build((2,))


def test_add_after_build_and_set_weights_of_the_wrong_shape():
    model = compiled_model().build()
    with raises(ValueError, "name='conv'", "expects images (H, W, C)", "got input shape (3,)"):
        model.add(Conv2D(2, 3, name="conv"))  # a layer that does not fit is refused
    assert len(model.layers) == 3
    with raises(ValueError, "set_weights: expected 4 arrays, got 1"):
        model.set_weights([np.zeros(3)])
    wrong = [np.zeros_like(w) for w in model.get_weights()]
    wrong[1] = np.zeros(5)
    with raises(ValueError, "array 1 should have shape (4,)", "got (5,)"):
        model.set_weights(wrong)


def test_cross_entropy_needs_a_softmax_output():
    model = tc.Sequential([Flatten(input_shape=(4, 4, 1)), Dense(3)], seed=0)
    with raises(ValueError, "sparse_categorical_crossentropy needs probabilities",
                "name='dense'", "softmax"):
        model.compile(loss="sparse_categorical_crossentropy")


def test_learning_rate_may_be_any_real_number_type():
    assert SGD(learning_rate=np.float32(0.1)).learning_rate == pytest.approx(0.1)
    assert Adam(learning_rate=np.float64(1e-3)).learning_rate == 1e-3
