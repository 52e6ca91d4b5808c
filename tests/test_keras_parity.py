"""tinycnn trains as real Keras does, on the same weights and data (issue 17).

tests/data/keras_parity.json holds what Keras 3.15.1 (TensorFlow 2.21 backend) computed for a
few small trainings: the history of every epoch, the final weights, evaluate's results. It
was written by tests/data/make_keras_parity.py; these tests need no TensorFlow. Both sides
compute in float32 with different kernels, so the numbers agree to float32 rounding
(measured: weights within 6e-7, losses within 7e-7 relative), not bit for bit.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from tinycnn import keras
from tinycnn.keras import layers

REFERENCE = json.loads((Path(__file__).parent / "data" / "keras_parity.json").read_text())
X = np.array(REFERENCE["x"], np.float32)
Y = np.array(REFERENCE["y"])


def make_model(weights):
    model = keras.Sequential([
        keras.Input((6, 6, 1)), layers.Conv2D(3, 3, activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])
    model.set_weights([np.array(w, np.float32) for w in weights])
    return model


def assert_like_keras(case, history, model):
    expected = REFERENCE["cases"][case]
    assert sorted(history.history) == sorted(expected["history"])  # the same names
    for name, values in expected["history"].items():
        np.testing.assert_allclose(history.history[name], values, rtol=1e-5, err_msg=name)
    for ours, theirs in zip(model.get_weights(), expected["weights"], strict=True):
        np.testing.assert_allclose(ours, theirs, atol=5e-6)


def test_adam_with_batchnorm_and_a_validation_split():
    model = make_model(REFERENCE["initial"])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(X, Y, batch_size=16, epochs=3, shuffle=False, validation_split=0.2,
                        verbose=0)
    assert_like_keras("adam_batchnorm_validation_split", history, model)
    expected = REFERENCE["cases"]["adam_batchnorm_validation_split"]["evaluate"]
    np.testing.assert_allclose(model.evaluate(X, Y, batch_size=7), expected, rtol=1e-5)


def test_sgd_nesterov_with_label_smoothing_on_one_hot_targets():
    model = make_model(REFERENCE["initial"])
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
                  metrics=["categorical_accuracy"])
    history = model.fit(X, np.eye(3, dtype=np.float32)[Y], batch_size=16, epochs=2,
                        shuffle=False, verbose=0)
    assert_like_keras("sgd_nesterov_label_smoothing", history, model)


def test_a_frozen_batchnorm():
    model = make_model(REFERENCE["initial"])
    model.layers[1].trainable = False
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["acc"])
    history = model.fit(X, Y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert_like_keras("frozen_batchnorm", history, model)


def test_the_loss_of_confident_mistakes_comes_from_the_logits():
    case = REFERENCE["cases"]["confident_mistakes_evaluate"]
    model = make_model(case["initial"])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    probs = model.predict(X)
    assert probs[np.arange(len(Y)), Y].min() < 1e-15  # far below the clipping at 1e-7
    loss, accuracy = model.evaluate(X, Y, batch_size=8)
    assert loss == pytest.approx(case["evaluate"][0], rel=1e-5)  # Keras: 15.29
    assert accuracy == pytest.approx(case["evaluate"][1])  # Keras counts in float32
