"""Keras's semantics, or an error that names what is not supported (issue 17, items 1-10).

Reference values marked "Keras 3.15.1" were printed by real Keras (TensorFlow 2.21 backend) for
the same inputs and weights; the others come from the formulas, computed here in float64.
"""

import functools
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest

import tinycnn as tc
from tinycnn import keras
from tinycnn.callbacks import Callback, CSVLogger
from tinycnn.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D
from tinycnn.losses import (
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from tinycnn.optimizers import SGD


@functools.cache
def keras_reference():
    """tests/data/keras_parity.json: data, initial weights and results from real Keras 3.15.1
    (written by tests/data/make_keras_parity.py)."""
    return json.loads((Path(__file__).parent / "data" / "keras_parity.json").read_text())


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 6, 6, 1)).astype(np.float32), rng.integers(0, 3, n)


def small_model(seed=0, metrics=("accuracy",), optimizer="adam", dropout=False):
    layers = [Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1)), BatchNormalization(),
              Flatten(), *([Dropout(0.3)] if dropout else []), Dense(3, activation="softmax")]
    model = tc.Sequential(layers, seed=seed)
    model.compile(optimizer=optimizer, metrics=list(metrics))
    return model


def same_weights(a, b):
    return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))


# ---- 1. losses are called (y_true, y_pred) ------------------------------------------------------
PROBS = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]])
LABELS = np.array([0, 1, 2])


def test_loss_objects_take_the_targets_first():
    expected = -np.mean(np.log(PROBS[np.arange(3), LABELS]))  # 0.5202
    assert CategoricalCrossentropy()(np.eye(3)[LABELS], PROBS) == pytest.approx(expected)
    assert SparseCategoricalCrossentropy()(LABELS, PROBS) == pytest.approx(expected)
    assert keras.losses.SparseCategoricalCrossentropy()(LABELS, PROBS) == pytest.approx(expected)


def test_the_loss_functions_give_one_loss_per_example_as_keras_documents():
    # Keras's own docstring examples and their printed results.
    np.testing.assert_allclose(
        keras.losses.sparse_categorical_crossentropy(
            np.array([1, 2]), np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])),
        [0.0513, 2.303], atol=5e-4)
    b = np.array([[.9, .05, .05], [.05, .89, .06], [.05, .01, .94]])
    np.testing.assert_allclose(categorical_crossentropy(np.eye(3), b),
                               [0.10536, 0.11653, 0.06188], atol=5e-6)
    np.testing.assert_allclose(sparse_categorical_crossentropy(LABELS, PROBS),
                               -np.log(PROBS[np.arange(3), LABELS]))


@pytest.mark.parametrize("loss, y_true", [
    (SparseCategoricalCrossentropy(), LABELS),
    (CategoricalCrossentropy(), np.eye(3)[LABELS]),
])
def test_arguments_in_the_wrong_order_are_an_error(loss, y_true):
    with pytest.raises(ValueError, match=r"y_true, y_pred|swapped|wrong order"):
        loss(PROBS, y_true)


def test_probabilities_are_clipped_and_normalised_as_keras_does():
    p = np.array([[0.2, 0.3, 0.4], [1e-9, 0.5, 0.7]], np.float32)  # rows not summing to 1
    # Keras 3.15.1: 8.902247428894043, 8.811086654663086, 1.4198987483978271
    assert SparseCategoricalCrossentropy()(np.array([0, 0]), p) == pytest.approx(8.902247, 1e-6)
    assert CategoricalCrossentropy()(np.eye(3)[[0, 0]], p) == pytest.approx(8.811087, 1e-6)
    smooth = CategoricalCrossentropy(label_smoothing=0.1)
    assert smooth(np.eye(3)[[0, 1]], p) == pytest.approx(1.419899, 1e-6)


def test_reductions_sample_weights_and_unsupported_arguments():
    losses = -np.log(PROBS[np.arange(3), LABELS])
    assert SparseCategoricalCrossentropy(reduction="sum")(LABELS, PROBS) == pytest.approx(
        losses.sum())
    np.testing.assert_allclose(SparseCategoricalCrossentropy(reduction="none")(LABELS, PROBS),
                               losses)
    weighted = SparseCategoricalCrossentropy()(LABELS, PROBS, sample_weight=[1, 0, 2])
    assert weighted == pytest.approx((losses[0] + 2 * losses[2]) / 3)
    with pytest.raises(ValueError, match="ignore_class"):
        SparseCategoricalCrossentropy(ignore_class=255)
    with pytest.raises(ValueError, match="reduction"):
        SparseCategoricalCrossentropy(reduction="average")
    with pytest.raises(ValueError, match="axis"):
        CategoricalCrossentropy(axis=1)


def test_compile_takes_the_loss_functions_as_keras_does():
    x, y = data()
    by_function = small_model()
    by_function.compile(loss=keras.losses.sparse_categorical_crossentropy, optimizer="adam")
    by_name = small_model()
    by_name.compile(loss="sparse_categorical_crossentropy", optimizer="adam")
    by_function.fit(x, y, epochs=1, verbose=0)
    by_name.fit(x, y, epochs=1, verbose=0)
    assert same_weights(by_function, by_name)


# ---- 2. trainable = False -----------------------------------------------------------------------
def test_a_frozen_layer_is_left_alone_while_the_layers_below_it_learn():
    x, y = data()
    model = small_model()
    model.layers[1].trainable = False  # the BatchNormalization between the conv and the Dense
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    after = model.get_weights()
    conv_w, conv_b, gamma, beta, mean, var, dense_w, dense_b = range(8)
    for i in (gamma, beta, mean, var):  # its params, and (inference mode) its statistics
        np.testing.assert_array_equal(before[i], after[i])
    for i in (conv_w, conv_b, dense_w, dense_b):  # dL/dx flowed through it to the conv
        assert not np.array_equal(before[i], after[i]), i
    assert not any(key.startswith("1/") for slot in model.optimizer.state.values()
                   for key in slot)  # no Adam moments for it


def test_a_frozen_batchnorm_normalises_with_its_moving_statistics_while_training():
    x, _ = data(8)
    layer = BatchNormalization()
    layer.build((6, 6, 1), np.random.default_rng(0))
    layer.state["moving_mean"][...] = 0.3
    layer.state["moving_variance"][...] = 2.0
    layer.trainable = False
    np.testing.assert_array_equal(layer.forward(x, training=True),
                                  layer.forward(x, training=False))
    assert layer.state["moving_mean"][0] == np.float32(0.3)
    assert not layer.mixes_batch


def test_summary_counts_frozen_weights_as_non_trainable_as_keras_does():
    model = small_model()
    model.layers[0].trainable = False
    model.layers[1].trainable = False
    text = model.summary(print_fn=None)
    # Keras 3.15.1, the same model with its conv and batch norm frozen: 147 and 42.
    assert "Trainable params: 147" in text and "Non-trainable params: 42" in text


def test_freezing_a_whole_model_used_as_a_layer():
    x, y = data()
    base = tc.Sequential([Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1)), Flatten()],
                         seed=1)
    base.trainable = False
    model = tc.Sequential([base, Dense(3, activation="softmax")], seed=2)
    model.compile(optimizer="adam")
    before = [w.copy() for w in base.get_weights()]
    head = model.layers[1].params["W"].copy()
    model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(before, base.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(head, model.layers[1].params["W"])
    assert "Non-trainable params: 30" in model.summary(print_fn=None)
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    base.layers[0].trainable = True  # a layer may be set on its own again, as in Keras
    assert model.layers[0].count_trainable_params() == 30


def test_trainable_takes_only_true_or_false():
    with pytest.raises(TypeError, match="trainable: expected True or False, got 'no'"):
        Dense(2).trainable = "no"


# ---- 3. a backward that forgot a gradient ---------------------------------------------------
class ForgetsTheBias(Layer):
    """out = x @ W + b, whose backward never writes grads['b']."""

    def compute_output_shape(self, input_shape):
        return (3,)

    def _create_params(self, input_shape, rng, dtype):
        return {"W": rng.normal(size=(input_shape[0], 3)).astype(dtype),
                "b": np.zeros(3, dtype)}

    def forward(self, x, training=False):
        self._check_input(x)
        self._cache = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        self.grads["W"] = self._cached().T @ dout
        return dout @ self.params["W"].T


def test_a_gradient_the_backward_did_not_write_fails_fit_naming_layer_and_key():
    x, y = data()
    model = tc.Sequential([Flatten(input_shape=(6, 6, 1)), ForgetsTheBias(name="lazy"),
                           keras.layers.Softmax()], seed=0)
    model.compile(optimizer="sgd")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(KeyError, match=r"lazy.*grads\['b'\]"):
        model.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# ---- 4. the loss a model reports is Keras's ---------------------------------------------------
def sure_and_wrong_model(from_logits=False):
    """Every image gets logits (0, 0, 60): class 2 with probability 1 - 2e-26."""
    dense = Dense(3, activation=None if from_logits else "softmax")
    model = tc.Sequential([Flatten(input_shape=(6, 6, 1)), dense], seed=0)
    model.compile(optimizer=SGD(1e-9), metrics=["accuracy"],
                  loss=SparseCategoricalCrossentropy(from_logits=from_logits))
    dense.params["W"][...] = 0
    dense.params["b"][...] = [0, 0, 60]
    return model


@pytest.mark.parametrize("from_logits", [False, True])
def test_a_confident_mistake_counts_its_full_loss(from_logits):
    x, _ = data(4)
    y = np.zeros(4, int)  # the true class has probability e^-60
    model = sure_and_wrong_model(from_logits)
    # log-softmax: 60 + log(1 + 2 e^-60) = 60; clipped at 1e-7 it read 16.12 before.
    assert model.evaluate(x, y)[0] == pytest.approx(60.0, rel=1e-6)
    assert model.train_on_batch(x, y)[0] == pytest.approx(60.0, rel=1e-6)
    history = model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y))
    assert history.history["loss"][0] == pytest.approx(60.0, rel=1e-6)
    assert history.history["val_loss"][0] == pytest.approx(60.0, rel=1e-6)
    if not from_logits:  # probabilities a user passes in are still clipped, as in Keras
        assert model.loss(y, model.predict(x)) == pytest.approx(-np.log(1e-7), rel=1e-4)


# ---- 5. metrics keep the name given ----------------------------------------------------------
def test_metrics_are_logged_under_the_name_given():
    x, y = data()
    model = small_model(metrics=["acc"])
    history = model.fit(x, y, epochs=1, verbose=0, validation_split=0.25)
    assert list(history.history) == ["loss", "acc", "val_loss", "val_acc"]
    assert list(model.evaluate(x, y, return_dict=True)) == ["loss", "acc"]
    assert list(model.train_on_batch(x, y, return_dict=True)) == ["loss", "acc"]


def test_a_metric_name_survives_save_and_load(tmp_path):
    x, y = data()
    model = small_model(metrics=["sparse_categorical_accuracy"])
    model.save(tmp_path / "m.npz")
    loaded = tc.load_model(tmp_path / "m.npz")
    assert list(loaded.evaluate(x, y, return_dict=True)) == ["loss", "sparse_categorical_accuracy"]


@pytest.mark.parametrize("metrics, error, match", [
    (["f1"], ValueError, "unknown metric 'f1'"),
    (["categorical_accuracy"], ValueError, "one-hot"),
    ("accuracy", TypeError, "list of names"),
])
def test_metrics_tinycnn_cannot_compute_are_refused_at_compile(metrics, error, match):
    model = small_model()
    with pytest.raises(error, match=match):
        model.compile(metrics=metrics)


# ---- 6. every callback moment, with Keras's logs ------------------------------------------------
class Recorder(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def _note(self, *call):
        self.calls.append(call)

    def on_train_begin(self, logs=None):
        self._note("train_begin", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._note("epoch_begin", epoch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._note("train_batch_end", batch, sorted(logs))

    def on_test_begin(self, logs=None):
        self._note("test_begin", logs)

    def on_test_batch_end(self, batch, logs=None):
        self._note("test_batch_end", batch, sorted(logs))

    def on_test_end(self, logs=None):
        self._note("test_end", sorted(logs))

    def on_epoch_end(self, epoch, logs=None):
        self._note("epoch_end", epoch, sorted(logs))

    def on_train_end(self, logs=None):
        self._note("train_end", sorted(logs))

    def on_predict_batch_end(self, batch, logs=None):
        self._note("predict_batch_end", batch, sorted(logs))


def test_callbacks_are_called_at_keras_moments_in_keras_order():
    x, y = data()
    recorder = Recorder()
    model = small_model(metrics=["acc"])
    model.fit(x[:24], y[:24], batch_size=8, epochs=1, shuffle=False, verbose=0,
              validation_data=(x[24:], y[24:]), callbacks=[recorder])
    model.predict(x[:10], batch_size=8, callbacks=[recorder])
    metrics, val = ["acc", "loss"], ["acc", "loss", "val_acc", "val_loss"]
    # What Keras 3.15.1 called for the same fit and predict, in order:
    assert recorder.calls == [
        ("train_begin", {}), ("epoch_begin", 0, {}),
        ("train_batch_end", 0, metrics), ("train_batch_end", 1, metrics),
        ("train_batch_end", 2, metrics),
        ("test_begin", {}), ("test_batch_end", 0, metrics), ("test_batch_end", 1, metrics),
        ("test_end", metrics), ("epoch_end", 0, val), ("train_end", val),
        ("predict_batch_end", 0, ["outputs"]), ("predict_batch_end", 1, ["outputs"]),
    ]


def test_callback_logs_hold_the_numbers_fit_evaluate_and_predict_report():
    x, y = data()

    class Logs(Callback):
        def __init__(self):
            super().__init__()
            self.batch, self.test, self.outputs, self.old_name = None, None, [], 0

        def on_train_batch_end(self, batch, logs=None):
            super().on_train_batch_end(batch, logs)  # Keras's older on_batch_end still runs
            self.batch = logs

        def on_batch_end(self, batch, logs=None):
            self.old_name += 1

        def on_test_end(self, logs=None):
            self.test = logs

        def on_predict_batch_end(self, batch, logs=None):
            self.outputs.append(logs["outputs"])

    seen = Logs()
    model = small_model()
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[seen])
    assert seen.batch == {name: values[-1] for name, values in history.history.items()}
    assert seen.old_name == 3 and seen.params == {"verbose": 0, "epochs": 1, "steps": 3}
    results = model.evaluate(x, y, callbacks=[seen], return_dict=True)
    assert seen.test == results
    predicted = model.predict(x, callbacks=[seen])
    np.testing.assert_array_equal(np.concatenate(seen.outputs), predicted)


def test_a_callback_can_stop_evaluate_and_predict_early():
    x, y = data()

    class Stop(Callback):
        def on_test_batch_end(self, batch, logs=None):
            self.model.stop_evaluating = True

        def on_predict_batch_end(self, batch, logs=None):
            self.model.stop_predicting = True

    model = small_model()
    assert model.predict(x, batch_size=8, callbacks=[Stop()]).shape == (8, 3)
    first = model.evaluate(x[:8], y[:8], return_dict=True)
    assert model.evaluate(x, y, batch_size=8, callbacks=[Stop()], return_dict=True) == first


def test_a_callback_moment_tinycnn_never_calls_is_an_error_before_training():
    class Typo(Callback):
        def on_epoch_ends(self, epoch, logs=None):
            pass

    x, y = data()
    model = small_model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(TypeError, match="on_epoch_ends.*never calls"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[Typo()])
    with pytest.raises(TypeError, match="Callback"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[object()])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


# ---- 7. resuming ------------------------------------------------------------------------------
def test_initial_epoch_numbers_the_epochs_and_csv_logger_continues(tmp_path):
    x, y = data()
    log = tmp_path / "log.csv"
    model = small_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[CSVLogger(log)])
    history = model.fit(x, y, epochs=4, initial_epoch=2, verbose=0,
                        callbacks=[CSVLogger(log, append=True)])
    assert history.epoch == [2, 3] and model.epochs_trained == 4
    rows = log.read_text().splitlines()
    assert rows[0] == "epoch,accuracy,loss" and [r.split(",")[0] for r in rows[1:]] == [
        "0", "1", "2", "3"]
    with pytest.raises(ValueError, match="epochs is the epoch to stop at"):
        model.fit(x, y, epochs=2, initial_epoch=2, verbose=0)


def test_fit_save_load_fit_gives_the_bits_of_one_longer_fit(tmp_path):
    x, y = data(64)
    once = small_model(dropout=True)
    once_history = once.fit(x, y, epochs=4, batch_size=16, verbose=0).history
    twice = small_model(dropout=True)
    first = twice.fit(x, y, epochs=2, batch_size=16, verbose=0).history
    twice.save(tmp_path / "model.npz")
    loaded = tc.load_model(tmp_path / "model.npz")
    assert loaded.epochs_trained == 2
    second = loaded.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, verbose=0).history
    assert same_weights(once, loaded)
    for name in once_history:
        assert once_history[name] == first[name] + second[name], name


# ---- 8. Ctrl-C ----------------------------------------------------------------------------------
def ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)


def test_ctrl_c_during_validation_stops_without_training_another_batch(capsys):
    x, y = data()

    class CtrlCInValidation(Callback):
        def on_test_begin(self, logs=None):
            ctrl_c()

    model = small_model()
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_split=0.2,
                        callbacks=[CtrlCInValidation()])
    assert model.optimizer.iterations == 4  # 32 images in batches of 8: one epoch
    assert len(history.history["val_loss"]) == 1 and model.epochs_trained == 1
    assert "Interrupted after epoch 1" in capsys.readouterr().out


class CtrlCTwiceInTheStep(tc.optimizers.Adam):
    """Adam that gets two Ctrl-C in the middle of its ``at``-th step, after the first layer's
    parameters moved and before the others did."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def _update(self, key, p, g):
        super()._update(key, p, g)
        if self.iterations == self.at and key == "0/W":
            ctrl_c()
            ctrl_c()


def test_a_second_ctrl_c_never_tears_an_optimizer_step():
    x, y = data()
    model = small_model(optimizer=CtrlCTwiceInTheStep(at=3))
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    reference = small_model()  # three whole steps on the same batches
    for start in range(0, 24, 8):
        reference.train_on_batch(x[start:start + 8], y[start:start + 8])
    assert model.optimizer.iterations == reference.optimizer.iterations == 3
    assert same_weights(model, reference)


# ---- 10. a declared input shape builds the model at once ---------------------------------------
@pytest.mark.parametrize("first", ["input_shape", "keras.Input"])
def test_a_declared_input_shape_builds_the_model_at_once(first):
    layers = [Conv2D(3, 3, activation="relu"), MaxPool2D(2), Flatten(),
              Dense(3, activation="softmax")]
    if first == "input_shape":
        layers[0] = Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1))
    else:
        layers.insert(0, keras.Input(shape=(6, 6, 1)))
    model = tc.Sequential(layers, seed=0)
    assert model.built and model.count_params() == 30 + (2 * 2 * 3) * 3 + 3
    assert "Total params: 69" in model.summary(print_fn=None)
    x, y = data(8)
    assert tc.saliency(model, x).shape == x.shape
    assert tc.grad_cam(model, x, layer=0).shape == (8, 4, 4)  # the conv's 4x4 maps
    model.compile(optimizer="adam", metrics=["accuracy"])
    assert len(tc.checkup(model, x, y, print_fn=None).checks) == 6


def test_a_frozen_layer_stays_frozen_in_the_checkup_and_in_a_saved_file(tmp_path):
    x, y = data(32)
    model = small_model()
    model.layers[0].trainable = False
    before = [w.copy() for w in model.get_weights()[:2]]
    report = tc.checkup(model, x, y, print_fn=None)
    update = next(row for row in report.layers if row["name"] == model.layers[0].name)
    assert update["update_ratio"] in (None, 0.0)  # the copies left the frozen conv alone too
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "frozen.npz")
    loaded = tc.load_model(tmp_path / "frozen.npz")
    assert [layer.trainable for layer in loaded.layers] == [False, True, True, True]
    loaded.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(before, loaded.get_weights()[:2], strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("arguments, match", [
    ({"shuffle": "batch"}, "fit shuffle: expected True or False"),
    ({"validation_data": (np.zeros((2, 6, 6, 1), np.float32), np.zeros(2, int), np.ones(2))},
     "validation_data: expected a pair"),
])
def test_fit_arguments_tinycnn_does_not_take_are_refused_by_name(arguments, match):
    x, y = data()
    model = small_model()
    with pytest.raises((TypeError, ValueError), match=match):
        model.fit(x, y, epochs=1, verbose=0, **arguments)


# ---- randomness reaches a model used as a layer ---------------------------------------------
def nested_dropout_model(seed=0):
    inner = tc.Sequential([Flatten(input_shape=(6, 6, 1)), Dense(8, activation="relu"),
                           Dropout(0.5)], seed=seed + 1)
    model = tc.Sequential([inner, Dense(3, activation="softmax")], seed=seed)
    model.compile(optimizer="adam", metrics=["accuracy"])
    return model


def test_fit_gives_its_stream_to_a_dropout_inside_a_model_used_as_a_layer():
    x, y = data()
    model = nested_dropout_model()
    model.fit(x, y, epochs=1, verbose=0)
    assert model.layers[0].network.layers[2].rng is model.training_rng
    again = nested_dropout_model()
    again.fit(x, y, epochs=1, verbose=0)
    assert same_weights(model, again)


def test_the_checkup_does_not_blame_a_correct_dropout_inside_a_nested_model():
    x, y = data(32)
    report = tc.checkup(nested_dropout_model(), x, y, print_fn=None)
    backward = next(check for check in report.checks if check.name == "backward")
    assert backward.verdict == "ok", backward


# ---- layer(x) and model(x) run them, as in Keras ------------------------------------------------
def test_calling_a_layer_or_a_model_on_arrays_runs_it():
    x, _ = data(8)
    model = small_model()
    np.testing.assert_allclose(model(x), model.predict(x), rtol=1e-6)
    dense = Dense(4)
    out = dense(x.reshape(8, -1))
    np.testing.assert_array_equal(out, x.reshape(8, -1) @ dense.params["W"] + dense.params["b"])
    add = keras.layers.Add()
    np.testing.assert_array_equal(add([x, x]), 2 * x)
    moving = model.layers[1].state["moving_mean"].copy()
    model(x, training=True)  # BatchNorm's training mode updates its statistics, as Keras's
    assert not np.array_equal(moving, model.layers[1].state["moving_mean"])


def test_calling_a_layer_on_keras_input_gives_a_symbolic_tensor_and_on_anything_else_fails():
    tensor = Conv2D(2, 3)(keras.Input(shape=(6, 6, 1)))
    assert tensor.shape == (None, 4, 4, 2)
    with pytest.raises(TypeError, match="has no values"):
        np.asarray(tensor)
    with pytest.raises(TypeError, match="no operators.*Add"):
        tensor + tensor
    with pytest.raises(TypeError, match="called on list; a layer runs on NumPy arrays"):
        Dense(2)([[1.0, 2.0]])
    with pytest.raises(TypeError, match="training: expected True or False"):
        Dense(2)(np.ones((2, 3), np.float32), training="yes")


def test_the_lowercase_merge_functions_run_on_arrays():
    a, b = data(4)[0], data(4, seed=1)[0]
    np.testing.assert_array_equal(keras.layers.add([a, b]), a + b)
    np.testing.assert_array_equal(keras.layers.subtract([a, b]), a - b)
    np.testing.assert_array_equal(keras.layers.maximum([a, b]), np.maximum(a, b))
    np.testing.assert_array_equal(keras.layers.concatenate([a, b], axis=1),
                                  np.concatenate([a, b], axis=1))
    assert keras.layers.add([keras.Input(shape=(6, 6, 1)),
                             keras.Input(shape=(6, 6, 1))]).shape == (None, 6, 6, 1)


# ---- weights, as Keras hands them out ----------------------------------------------------------
def test_get_weights_are_copies_so_set_weights_puts_a_model_back():
    x, y = data()
    model = small_model()
    initial = model.get_weights()  # Keras's idiom to reset a model later
    before = model.predict(x)
    model.fit(x, y, epochs=2, verbose=0)
    assert not np.allclose(model.predict(x), before)
    model.set_weights(initial)
    np.testing.assert_array_equal(model.predict(x), before)


def test_layer_weights_in_keras_order_and_by_keras_names():
    model = small_model()
    conv, batchnorm, _, dense = model.layers
    assert conv.kernel is conv.params["W"] and dense.bias is dense.params["b"]
    assert [w.shape for w in conv.get_weights()] == [(3, 3, 1, 3), (3,)]  # kernel, bias
    def same_arrays(a, b):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))

    params, state = batchnorm.params, batchnorm.state
    assert same_arrays(batchnorm.weights, [params["gamma"], params["beta"],
                                           state["moving_mean"], state["moving_variance"]])
    assert same_arrays(batchnorm.trainable_weights, batchnorm.weights[:2])
    assert same_arrays(batchnorm.non_trainable_weights, batchnorm.weights[2:])
    batchnorm.trainable = False
    assert batchnorm.trainable_weights == []
    assert same_arrays(batchnorm.non_trainable_weights, batchnorm.weights)
    assert dense.count_params() == 48 * 3 + 3 == sum(w.size for w in dense.get_weights())
    with pytest.raises(AttributeError, match="has no kernel"):
        batchnorm.kernel  # noqa: B018


def test_a_layers_weights_move_over_layer_by_layer_as_from_keras():
    # The parity fixture holds a real Keras model's initial weights, in Keras's order per layer.
    reference = keras_reference()
    keras_weights = [np.array(w, np.float32) for w in reference["initial"]]
    model = tc.Sequential([keras.Input((6, 6, 1)), Conv2D(3, 3, activation="relu"),
                           BatchNormalization(), MaxPool2D(2), Flatten(),
                           Dense(8, activation="relu"), Dense(3, activation="softmax")])
    start = 0
    for layer in model.layers:
        count = len(layer.weights)
        layer.set_weights(keras_weights[start:start + count])
        start += count
    for ours, theirs in zip(model.get_weights(), keras_weights, strict=True):
        np.testing.assert_array_equal(ours, theirs)
    with pytest.raises(ValueError, match=r"set_weights: expected 2 arrays, got 1"):
        model.layers[0].set_weights(keras_weights[:1])
    with pytest.raises(ValueError, match=r"array 0 should have shape \(3, 3, 1, 3\)"):
        model.layers[0].set_weights(keras_weights[1:3])


def test_an_activation_set_after_the_constructor_is_checked_when_it_runs():
    x, _ = data(2)
    layer = Dense(3)
    layer.activation = "Relu"  # not the name check_activation would have made of it
    with pytest.raises(ValueError, match="unknown activation 'Relu'"):
        layer(x.reshape(2, -1))


# ---- building a Sequential as Keras does -----------------------------------------------------
def test_pop_removes_the_last_layer_and_its_optimizer_state(tmp_path):
    x, y = data()
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    kept = [w.copy() for w in model.get_weights()[:6]]
    dense = model.pop()
    assert isinstance(dense, Dense) and model.output_shape == (48,)
    assert not any(key.startswith("3/") for slot in model.optimizer.state.values()
                   for key in slot)
    for a, b in zip(kept, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    model.add(Dense(3, activation="softmax", name="new_head"))
    model.compile(optimizer="adam")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "popped.npz")
    assert tc.load_model(tmp_path / "popped.npz").layers[-1].name == "new_head"
    with pytest.raises(TypeError, match="no layers"):
        tc.Sequential().pop()


def test_build_takes_keras_batch_axis():
    model = tc.Sequential([Flatten(), Dense(3, activation="softmax")], seed=0)
    model.build((None, 6, 6, 1))
    assert model.input_shape == (6, 6, 1) and model.count_params() == 36 * 3 + 3
    with pytest.raises(ValueError, match="every size but the batch axis"):
        tc.Sequential([Flatten()]).build((None, None, 6, 1))


def test_summary_of_a_model_whose_input_shape_is_unknown_says_what_keras_says():
    model = tc.Sequential([Flatten(), Dense(3, activation="softmax")])
    text = model.summary(print_fn=None)
    assert "flatten (Flatten)" in text and "0 (unbuilt)" in text and " ? " in text
    assert "Total params: 0" in text and not model.built
    with pytest.raises(ValueError, match="input shape is unknown"):
        model.summary(print_fn=None, costs=True)
    model.build((None, 6, 6, 1))
    assert "Total params: 111" in model.summary(print_fn=None)


def test_bias_is_none_without_one_as_in_keras():
    assert Dense(2, use_bias=False).build((3,), np.random.default_rng(0)).bias is None


def test_clone_model_backend_and_version_as_keras_code_uses_them():
    x, y = data()
    model = small_model()
    model.layers[0].trainable = False
    model.fit(x, y, epochs=1, verbose=0)
    clone = keras.models.clone_model(model)
    assert clone.summary(print_fn=None) == model.summary(print_fn=None)
    assert same_weights(clone, small_model())  # new weights: a fresh model's, from the seed
    assert clone.loss is None and clone.layers[0].trainable is False
    clone.compile(optimizer="adam")
    before = model.get_weights()
    clone.fit(x, y, epochs=1, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    keras.backend.clear_session()
    assert keras.backend.floatx() == "float32"
    assert keras.backend.image_data_format() == "channels_last"
    assert keras.__version__ == tc.__version__


def test_dense_input_dim_and_save_weights_load_weights(tmp_path):
    x, y = data()
    model = tc.Sequential([Dense(8, activation="relu", input_dim=36),
                           Dense(3, activation="softmax")], seed=0)
    assert model.built and model.input_shape == (36,)
    model.compile(optimizer="adam")
    model.fit(x.reshape(40, 36), y, epochs=1, verbose=0)
    model.save_weights(tmp_path / "w.npz")
    other = tc.Sequential([Dense(8, activation="relu", input_dim=36),
                           Dense(3, activation="softmax")], seed=1)
    other.load_weights(tmp_path / "w.npz")
    assert same_weights(model, other)
    with pytest.raises(ValueError, match="input_dim=36 and input_shape=.*disagree"):
        Dense(2, input_dim=36, input_shape=(5,))


# ---- EarlyStopping and ModelCheckpoint with Keras's arguments ---------------------------------
class Logs(Callback):
    """Feeds fit's callbacks a made-up val_loss per epoch, after the real logs."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def run_with(values, *callbacks):
    x, y = data(16)
    model = small_model()
    return model.fit(x, y, epochs=len(values), verbose=0, callbacks=[Logs(values), *callbacks])


def test_early_stopping_baseline_start_from_epoch_and_verbose(capsys):
    # Keras's order: monitor, min_delta, patience, verbose, mode, baseline, ...
    values = [0.9, 0.8, 0.85, 0.85, 0.85, 0.85]
    stop = keras.callbacks.EarlyStopping("val_loss", 0.0, 2, 1, "min", baseline=0.5)
    assert len(run_with(values, stop).epoch) == 3  # never below the baseline: no fresh start
    assert stop.stopped_epoch == 2 and "Epoch 3: early stopping" in capsys.readouterr().out
    plain = keras.callbacks.EarlyStopping(patience=2)
    assert len(run_with(values, plain).epoch) == 4  # Keras 3.15.1 stopped after 3, 4 and 5
    late = keras.callbacks.EarlyStopping(patience=1, start_from_epoch=3)
    assert len(run_with([0.5, 0.9, 0.9, 0.9, 0.9, 0.9], late).epoch) == 5  # watched from 3


def test_model_checkpoint_initial_value_threshold_verbose_and_save_freq(tmp_path, capsys):
    checkpoint = keras.callbacks.ModelCheckpoint(
        tmp_path / "best-{epoch}.npz", save_best_only=True, verbose=1,
        initial_value_threshold=0.7, save_weights_only=True)
    run_with([0.9, 0.6, 0.8, 0.5], checkpoint)
    # Keras 3.15.1 wrote best-2 and best-4 for the same values
    assert sorted(path.name for path in tmp_path.iterdir()) == ["best-2.npz", "best-4.npz"]
    assert "val_loss improved from 0.6 to 0.5" in capsys.readouterr().out
    with pytest.raises(ValueError, match="save_freq=100"):
        keras.callbacks.ModelCheckpoint(tmp_path / "x.npz", save_freq=100)


# ---- learning-rate schedules and callbacks ---------------------------------------------------
def parity_model(optimizer, metrics=()):
    reference = keras_reference()
    model = keras.Sequential([
        keras.Input((6, 6, 1)), keras.layers.Conv2D(3, 3, activation="relu"),
        keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
        keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3, activation="softmax")])
    model.set_weights([np.array(w, np.float32) for w in reference["initial"]])
    model.compile(optimizer=optimizer, metrics=list(metrics))
    return model, np.array(reference["x"], np.float32), np.array(reference["y"])


def test_schedules_follow_keras_formulas():
    schedules = keras.optimizers.schedules
    decay = schedules.ExponentialDecay(0.1, 2, 0.5)
    assert [decay(t) for t in (0, 1, 2, 4)] == pytest.approx([0.1, 0.1 * 0.5**0.5, 0.05, 0.025])
    stairs = schedules.ExponentialDecay(0.1, 2, 0.5, staircase=True)
    assert [stairs(t) for t in (0, 1, 2, 3)] == pytest.approx([0.1, 0.1, 0.05, 0.05])
    pieces = schedules.PiecewiseConstantDecay([2, 4], [1.0, 0.5, 0.1])
    assert [pieces(t) for t in (0, 2, 3, 4, 5)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    cosine = schedules.CosineDecay(1.0, 4, alpha=0.1)
    assert [cosine(t) for t in (0, 2, 4, 9)] == pytest.approx([1.0, 0.55, 0.1, 0.1])
    with pytest.raises(ValueError, match="warmup"):
        schedules.CosineDecay(1.0, 4, warmup_steps=2)


def test_a_schedule_sets_every_steps_rate_and_survives_save_and_load(tmp_path):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 2, 0.5)
    model, x, y = parity_model(keras.optimizers.SGD(schedule))
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)  # 3 steps
    assert model.optimizer.learning_rate == pytest.approx(0.1 * 0.5**1.5)  # t = 3 next
    with pytest.raises(TypeError, match="comes from a schedule"):
        model.optimizer.learning_rate = 0.01
    model.save(tmp_path / "scheduled.npz")
    loaded = tc.load_model(tmp_path / "scheduled.npz")
    assert loaded.optimizer.learning_rate == model.optimizer.learning_rate
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    assert same_weights(model, loaded)


def test_learning_rate_callbacks_change_the_rate_where_keras_does():
    plateau = keras.callbacks.ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1,
                                                min_delta=0.0)
    model, x, y = parity_model(keras.optimizers.SGD(0.1), metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=6, shuffle=False, verbose=0,
                        validation_split=0.25, callbacks=[plateau])
    # Keras 3.15.1 on the same weights and data: val_accuracy 0.2, 0.2, 0.1, 0.1, 0.1, 0.1
    assert history.history["val_accuracy"] == pytest.approx([0.2, 0.2, 0.1, 0.1, 0.1, 0.1])
    assert history.history["learning_rate"] == pytest.approx(
        [0.1, 0.1, 0.05, 0.025, 0.0125, 0.00625])
    halving = keras.callbacks.LearningRateScheduler(lambda epoch, rate: rate / 2 if epoch else rate)
    model, x, y = parity_model(keras.optimizers.SGD(0.1))
    history = model.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0,
                        callbacks=[halving])
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])  # as Keras
    with pytest.raises(ValueError, match="factor"):
        keras.callbacks.ReduceLROnPlateau(factor=1.5)


# ---- weight penalties --------------------------------------------------------------------------
def test_regularizers_add_to_the_loss_and_the_gradient_as_keras():
    reference = keras_reference()
    x, y = np.array(reference["x"], np.float32), np.array(reference["y"])
    regularizers = keras.regularizers
    model = keras.Sequential([
        keras.Input((6, 6, 1)),
        keras.layers.Conv2D(3, 3, activation="relu", kernel_regularizer=regularizers.l2(0.01)),
        keras.layers.BatchNormalization(), keras.layers.MaxPooling2D(2), keras.layers.Flatten(),
        keras.layers.Dense(8, activation="relu", bias_regularizer="l1",
                           kernel_regularizer=regularizers.l1_l2(l1=0.001, l2=0.01)),
        keras.layers.Dense(3, activation="softmax")])
    model.set_weights([np.array(w, np.float32) for w in reference["initial"]])
    model.compile(optimizer=keras.optimizers.SGD(0.1), metrics=["accuracy"])
    # Keras 3.15.1, the same model, weights and data: evaluate 1.2478536, then fit's losses
    assert model.evaluate(x, y, batch_size=8)[0] == pytest.approx(1.2478536, rel=1e-6)
    history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
                        validation_split=0.25).history
    assert history["loss"] == pytest.approx([1.4324199, 1.3082024], rel=1e-6)
    assert history["val_loss"] == pytest.approx([1.2750411, 1.2718718], rel=1e-6)
    layer = model.layers[4]  # the regularized Dense
    assert layer.penalty() == pytest.approx(
        0.001 * np.abs(layer.kernel).sum() + 0.01 * np.square(layer.kernel).sum()
        + 0.01 * np.abs(layer.bias).sum(), rel=1e-6)
    layer.trainable = False  # as Keras: a frozen layer's weights are not penalised
    assert layer.penalty() == 0.0


def test_regularizers_save_load_and_refuse_what_they_do_not_know(tmp_path):
    x, y = data()
    model = tc.Sequential([Flatten(input_shape=(6, 6, 1)),
                           Dense(3, activation="softmax", kernel_regularizer="l2")], seed=0)
    model.compile(optimizer="sgd")
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "reg.npz")
    loaded = tc.load_model(tmp_path / "reg.npz")
    assert loaded.layers[1].regularizers["W"].l2 == 0.01
    assert loaded.evaluate(x, y) == pytest.approx(model.evaluate(x, y))
    with pytest.raises(ValueError, match="kernel_regularizer: expected None, one of"):
        Dense(2, kernel_regularizer="l3")
    with pytest.raises(ValueError, match="l2: expected a number >= 0"):
        keras.regularizers.l2(-1.0)
