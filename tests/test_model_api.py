"""The Model API of issue 19, as Keras 3.15.1 has it: class_weight and sample_weight,
validation_freq, steps_per_epoch, the learning rate set from a callback, test_on_batch,
predict_on_batch, metrics_names.

tests/data/model_api_parity.json holds what real Keras 3.15.1 (TensorFlow 2.21) computed for the
same data and initial weights (written by tests/data/make_model_api_parity.py); these tests need
no TensorFlow. Both sides compute in float32 with different kernels: measured, histories within
1.2e-6 relative, weights within 6.3e-7. The helpers here serve test_metrics_objects.py and
test_callbacks_more.py too.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import tinycnn as tc
from tinycnn import keras
from tinycnn.callbacks import LambdaCallback
from tinycnn.keras import layers

DATA = Path(__file__).parent / "data"
REFERENCE = json.loads((DATA / "model_api_parity.json").read_text())
_BASE = json.loads((DATA / "keras_parity.json").read_text())  # its data and initial weights
X = np.array(_BASE["x"], np.float32)
Y = np.array(_BASE["y"])
ONE_HOT = np.eye(3, dtype=np.float32)[Y]
SAMPLE_WEIGHT = np.array(REFERENCE["sample_weight"], np.float32)
CLASS_WEIGHT = {int(k): v for k, v in REFERENCE["class_weight"].items()}


def parity_model(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=(),
                 weighted_metrics=()):
    """The parity model (make_keras_parity.py) with Keras's initial weights, compiled; seed 0
    fixes tinycnn's shuffling."""
    model = keras.Sequential([
        keras.Input((6, 6, 1)), layers.Conv2D(3, 3, activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")], seed=0)
    model.set_weights([np.array(w, np.float32) for w in _BASE["initial"]])
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics),
                  weighted_metrics=list(weighted_metrics))
    return model


def fit_like_the_reference(model, targets=Y, **arguments):
    return model.fit(X, targets, shuffle=False, verbose=0, **arguments)


def assert_like_keras(case, history, model):
    """The history (same names, values within float32 rounding) and final weights of Keras's
    run ``case``."""
    expected = REFERENCE["trainings"][case]
    assert sorted(history.history) == sorted(expected["history"])
    for name, values in expected["history"].items():
        np.testing.assert_allclose(history.history[name], values, rtol=5e-6, err_msg=name)
    for ours, theirs in zip(model.get_weights(), expected["weights"], strict=True):
        np.testing.assert_allclose(ours, theirs, atol=5e-6)


def assert_logs_like(logs, expected):
    assert sorted(logs) == sorted(expected)
    for name, value in expected.items():
        assert logs[name] == pytest.approx(value, rel=1e-6), name


def same_weights(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a.get_weights(), b.get_weights(),
                                                    strict=True))


# ---- class_weight and sample_weight ---------------------------------------------------------
def test_class_weight_weighs_the_loss_and_the_weighted_metrics_as_keras():
    # The loss is sum_n w_n L_n / N; "accuracy" counts every example, the weighted one by its
    # class's weight; the validation part is not weighted.
    model = parity_model(keras.optimizers.Adam(0.01), metrics=[
        "accuracy", tc.metrics.SparseTopKCategoricalAccuracy(k=2)], weighted_metrics=["accuracy"])
    history = fit_like_the_reference(model, batch_size=16, epochs=3, validation_split=0.2,
                                     class_weight=CLASS_WEIGHT)
    assert_like_keras("class_weight", history, model)


def test_sample_weight_with_a_validation_split_and_in_evaluate_as_keras():
    # The validation part keeps its own sample weights (the last quarter of them).
    model = parity_model(keras.optimizers.SGD(0.1, momentum=0.9), "categorical_crossentropy",
                         metrics=["categorical_accuracy"],
                         weighted_metrics=[tc.metrics.CategoricalAccuracy(name="weighted_acc")])
    history = fit_like_the_reference(model, ONE_HOT, batch_size=16, epochs=2,
                                     validation_split=0.25, sample_weight=SAMPLE_WEIGHT)
    assert_like_keras("sample_weight", history, model)
    logs = model.evaluate(X, ONE_HOT, batch_size=7, sample_weight=SAMPLE_WEIGHT,
                          return_dict=True)
    assert_logs_like(logs, REFERENCE["trainings"]["sample_weight"]["evaluate"])


def test_weights_of_one_train_exactly_as_no_weights():
    plain, weighted = parity_model("adam"), parity_model("adam")
    fit_like_the_reference(plain, batch_size=16, epochs=2)
    fit_like_the_reference(weighted, batch_size=16, epochs=2, sample_weight=np.ones(len(X)))
    assert same_weights(plain, weighted)


def test_class_weight_is_the_sample_weight_of_each_examples_class():
    by_class, by_example = parity_model("adam"), parity_model("adam")
    loss = by_class.train_on_batch(X, Y, class_weight=CLASS_WEIGHT)
    weights = np.array([CLASS_WEIGHT[label] for label in Y])
    assert by_example.train_on_batch(X, Y, sample_weight=weights) == loss
    assert same_weights(by_class, by_example)
    # A class the dict leaves out weighs 1, as in Keras.
    partial = parity_model("adam").train_on_batch(X, Y, class_weight={1: 2.5})
    assert partial == parity_model("adam").train_on_batch(
        X, Y, sample_weight=np.where(Y == 1, 2.5, 1.0))


@pytest.mark.parametrize("arguments, error, match", [
    ({"sample_weight": np.ones(40), "class_weight": {0: 1.0}}, ValueError, "not both"),
    ({"sample_weight": np.ones(39)}, ValueError, r"sample_weight: expected 40 numbers"),
    ({"sample_weight": np.array(["a"] * 40)}, ValueError, "sample_weight: expected 40"),
    ({"class_weight": {3: 1.0}}, ValueError, r"class ids must be ints in \[0, 3\)"),
    ({"class_weight": {0: "heavy"}}, ValueError, r"class_weight\[0\]: expected a number"),
    ({"class_weight": [1.0, 2.0, 1.0]}, TypeError, "expected a dict"),
    ({"validation_freq": 0}, ValueError, "validation_freq: expected a positive int"),
    ({"steps_per_epoch": 0}, ValueError, "steps_per_epoch: expected a positive int"),
])
def test_fit_refuses_weights_and_settings_it_cannot_use(arguments, error, match):
    model = parity_model()
    before = model.get_weights()
    with pytest.raises(error, match=match):
        model.fit(X, Y, verbose=0, **arguments)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


# ---- validation_freq and steps_per_epoch ------------------------------------------------------
def test_validation_freq_validates_every_nth_epoch_as_keras():
    model = parity_model(keras.optimizers.Adam(0.01), metrics=["accuracy"])
    history = fit_like_the_reference(model, batch_size=16, epochs=4, validation_split=0.2,
                                     validation_freq=2)
    assert_like_keras("validation_freq", history, model)  # val_loss twice, loss four times


def test_validation_freq_as_a_list_of_epochs():
    model = parity_model(keras.optimizers.Adam(0.01), metrics=["accuracy"])
    every_second = fit_like_the_reference(model, batch_size=16, epochs=4,
                                          validation_split=0.2, validation_freq=[2, 4])
    np.testing.assert_allclose(every_second.history["val_loss"],
                               REFERENCE["trainings"]["validation_freq"]["history"]["val_loss"],
                               rtol=5e-6)


def test_steps_per_epoch_takes_batches_from_a_pass_that_goes_on_as_keras():
    # 40 examples in batches of 8: 5 a pass. Epochs take batches 0-1, 2-3, then 4 alone (the
    # pass runs out: a warning, as Keras's), then a new pass.
    model = parity_model(keras.optimizers.SGD(0.1), metrics=["accuracy"])
    with pytest.warns(UserWarning, match="ran out after 1 of steps_per_epoch=2"):
        history = fit_like_the_reference(model, batch_size=8, epochs=4, steps_per_epoch=2)
    assert_like_keras("steps_per_epoch", history, model)
    assert model.optimizer.iterations == 7


def test_steps_per_epoch_of_a_whole_pass_is_a_plain_fit():
    plain, stepped = parity_model("adam"), parity_model("adam")
    plain.fit(X, Y, batch_size=8, epochs=3, verbose=0)
    stepped.fit(X, Y, batch_size=8, epochs=3, verbose=0, steps_per_epoch=5)
    assert same_weights(plain, stepped)  # the same shuffles, drawn at the same moments


# ---- the learning rate, from a callback ----------------------------------------------------
def test_the_learning_rate_set_from_a_callback_is_the_next_steps_as_keras():
    model = parity_model(keras.optimizers.SGD(0.1))

    def set_rate(batch, logs):
        model.optimizer.learning_rate = 0.2 if batch % 2 == 0 else 0.02

    history = fit_like_the_reference(model, batch_size=16, epochs=2,
                                     callbacks=[LambdaCallback(on_train_batch_begin=set_rate)])
    assert_like_keras("learning_rate_from_a_callback", history, model)
    assert model.optimizer.learning_rate == 0.2  # set before the last batch, batch 2


# ---- one batch at a time, and metrics_names ----------------------------------------------------
SINGLE = REFERENCE["single_batches"]


def single_batch_model():
    return parity_model(metrics=["accuracy", tc.metrics.SparseTopKCategoricalAccuracy(k=2)])


def test_test_on_batch_and_predict_on_batch_as_keras():
    model = single_batch_model()
    np.testing.assert_allclose(model.test_on_batch(X, Y), SINGLE["test_on_batch"], rtol=1e-6)
    assert_logs_like(model.test_on_batch(X, Y, sample_weight=SAMPLE_WEIGHT, return_dict=True),
                     SINGLE["test_on_batch_weighted"])
    assert_logs_like(model.evaluate(X, Y, batch_size=16, sample_weight=SAMPLE_WEIGHT,
                                    return_dict=True), SINGLE["evaluate_weighted"])
    np.testing.assert_allclose(model.predict_on_batch(X[:5]), SINGLE["predict_on_batch"],
                               atol=1e-7)
    np.testing.assert_array_equal(model.predict_on_batch(X), model.predict(X, batch_size=40))


def test_test_on_batch_leaves_the_weights_and_starts_its_metrics_afresh():
    model = single_batch_model()
    before = model.get_weights()
    model.evaluate(X[:10], Y[:10])
    assert model.test_on_batch(X, Y) == pytest.approx(SINGLE["test_on_batch"], rel=1e-6)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_metrics_names_are_keras_3s():
    model = keras.Sequential([keras.Input((6, 6, 1)), layers.Flatten(),
                              layers.Dense(3, activation="softmax")])
    assert model.metrics_names == []
    model.compile(optimizer="sgd")
    assert model.metrics_names == ["loss"]
    model = single_batch_model()
    assert model.metrics_names == SINGLE["metrics_names"] == ["loss", "compile_metrics"]
    model.evaluate(X, Y)
    assert model.metrics_names == ["loss", "compile_metrics"]  # as Keras: no change
    assert list(model.evaluate(X, Y, return_dict=True)) == [
        "loss", "accuracy", "sparse_top_k_categorical_accuracy"]  # the names logged


def test_train_on_batch_takes_keras_arguments_in_keras_order():
    model, weighted = parity_model(), parity_model()
    assert list(model.train_on_batch(X, Y, None, None, True)) == ["loss"]  # return_dict
    weighted.train_on_batch(X, Y, SAMPLE_WEIGHT)
    assert not same_weights(model, weighted)
