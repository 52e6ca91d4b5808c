"""Functional-API code written for Keras runs on tinycnn.keras unchanged, and computes what
Keras computes on the same weights: layer order, forward output, losses and weights after SGD
and Adam steps (issue 18).

The models are in tests/data/functional_graphs.py, one function each taking the ``keras``
module; tests/data/make_functional_parity.py ran them on Keras 3.15.1 (TensorFlow 2.21) and
stored the reference in functional_parity.json. Both sides compute in float32 with different
kernels: they agree to float32 rounding, not bit for bit.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from tinycnn import keras

DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(DATA))
from functional_graphs import GRAPHS  # noqa: E402

REFERENCE = json.loads((DATA / "functional_parity.json").read_text())["cases"]
OPTIMIZERS = {"sgd": lambda: keras.optimizers.SGD(0.1),
              "adam": lambda: keras.optimizers.Adam(0.01)}
# tinycnn wraps a model used as a layer in a NestedNetwork; Keras keeps the Sequential itself
KERAS_CLASS = {"NestedNetwork": "Sequential", "MaxPool2D": "MaxPooling2D"}


def model_from_keras(name):
    """The model built by the same code as Keras's, holding Keras's initial weights."""
    model = GRAPHS[name](keras)
    model.set_weights([np.array(w, np.float32) for w in REFERENCE[name]["initial"]])
    return model


def data(name):
    case = REFERENCE[name]
    return np.array(case["x"], np.float32), np.array(case["y"])


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_the_layers_come_in_keras_order_with_their_weights_in_keras_order(name):
    model = GRAPHS[name](keras)
    classes = [type(layer).__name__ for layer in model.layers]
    assert [KERAS_CLASS.get(c, c) for c in classes] == REFERENCE[name]["layers"]
    assert [len(layer.weights) for layer in model.layers] == \
        REFERENCE[name]["weights_per_layer"]
    shapes = [np.shape(w) for w in REFERENCE[name]["initial"]]
    assert [w.shape for w in model.get_weights()] == shapes


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_the_forward_pass_equals_keras(name):
    x, _ = data(name)
    model = model_from_keras(name)
    expected = np.array(REFERENCE[name]["predict"])
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_two_training_steps_equal_keras(name, optimizer):
    x, y = data(name)
    model = model_from_keras(name)
    model.compile(optimizer=OPTIMIZERS[optimizer](), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    losses = [model.train_on_batch(x, y)[0] for _ in range(2)]
    expected = REFERENCE[name]["steps"][optimizer]
    np.testing.assert_allclose(losses, expected["losses"], rtol=1e-5)
    for ours, theirs in zip(model.get_weights(), expected["weights"], strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=2e-6)


def test_the_first_step_moves_every_weight_as_keras_did():
    """SGD's first step is -0.1 * the gradient: a gradient that is missing, or one that a
    shared layer did not add up, shows here on its own."""
    for name in GRAPHS:
        x, y = data(name)
        model = model_from_keras(name)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        before = model.get_weights()
        model.train_on_batch(x, y)
        moved = [after - start for after, start in zip(model.get_weights(), before, strict=True)]
        assert any(np.abs(m).max() > 1e-4 for m in moved), name


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_the_summary_says_what_each_layer_reads_as_keras_does(name):
    """Keras numbers its layer names across a session (conv2d_9), tinycnn within a model:
    Keras's names are mapped to ours by position before the cells are compared."""
    model = GRAPHS[name](keras)
    ours = {keras_name: layer.name
            for keras_name, layer in zip(REFERENCE[name]["names"], model.layers, strict=True)}
    text = model.summary(print_fn=None)
    header = next(line for line in text.splitlines() if line.startswith("Layer (type)"))
    assert header.split()[-2:] == ["Connected", "to"]
    column = header.index("Connected to")
    rows = [line for line in text.splitlines() if "(" in line[:column] and line[column:]]
    for row, layer, cell in zip(rows[1:], model.layers, REFERENCE[name]["connected"],
                                strict=True):
        expected = ", ".join(_renamed(part, ours) for part in cell.split(", "))
        assert row.startswith(f"{layer.name} (")
        assert row[column:].strip() == expected


def _renamed(value, names):
    """'conv2d_9[0][0]' -> ours for conv2d_9, with the same [call][0]."""
    if value == "-":
        return value
    layer, rest = value.split("[", 1)
    return f"{names[layer]}[{rest}"


def test_a_chain_written_with_the_functional_api_draws_the_weights_of_the_same_sequential():
    inputs = keras.Input(shape=(6, 6, 1))
    x = keras.layers.Conv2D(3, 3, activation="relu")(inputs)
    x = keras.layers.Flatten()(keras.layers.MaxPooling2D(2)(x))
    graph_model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x), seed=7)
    chain = keras.Sequential([keras.Input(shape=(6, 6, 1)),
                              keras.layers.Conv2D(3, 3, activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")], seed=7)
    for ours, theirs in zip(graph_model.get_weights(), chain.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert "Connected to" not in graph_model.summary(print_fn=None)  # a chain: as Keras
    x = np.random.default_rng(0).random((5, 6, 6, 1), np.float32)
    np.testing.assert_array_equal(graph_model.predict(x), chain.predict(x))
