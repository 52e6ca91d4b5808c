"""Callbacks of issue 19: LambdaCallback, BackupAndRestore, ProgbarLogger, TensorBoard (refused),
CSVLogger's separator, and the monitors with validation_freq."""

import csv
import os
import signal

import numpy as np
import pytest
from test_model_api import REFERENCE, X, Y, fit_like_the_reference, parity_model

import tinycnn as tc
from tinycnn import keras
from tinycnn.callbacks import (
    BackupAndRestore,
    Callback,
    CSVLogger,
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
    ProgbarLogger,
    ReduceLROnPlateau,
    TensorBoard,
)
from tinycnn.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten


def dropout_model():
    """Shuffling, dropout and batch statistics: every stream a resumed run must put back."""
    model = tc.Sequential([Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1)),
                           BatchNormalization(), Flatten(), Dropout(0.3),
                           Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer="adam", metrics=["accuracy"])
    return model


def fit(model, epochs=6, callbacks=(), verbose=0, **arguments):
    return model.fit(X, Y, epochs=epochs, batch_size=8, verbose=verbose, validation_split=0.2,
                     callbacks=list(callbacks), **arguments)


def same_state(a, b):
    """Weights, optimizer state and stream: the same bits."""
    return (all(np.array_equal(p, q) for p, q in zip(a.get_weights(), b.get_weights(),
                                                     strict=True))
            and a.optimizer.iterations == b.optimizer.iterations
            and all(np.array_equal(a.optimizer.state[slot][key], b.optimizer.state[slot][key])
                    for slot in a.optimizer.state for key in a.optimizer.state[slot])
            and a.training_rng.bit_generator.state == b.training_rng.bit_generator.state
            and a.epochs_trained == b.epochs_trained)


class FailsIn(Callback):
    """Raises in the middle of epoch ``epoch`` (at its third batch), as a crash would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.model.epochs_trained == self.epoch and batch == 2:
            raise RuntimeError("the machine went down")


# ---- BackupAndRestore -----------------------------------------------------------------------
@pytest.mark.parametrize("seed", [None, 11], ids=["model's stream", "fit(seed=11)"])
def test_an_interrupted_fit_resumes_to_the_bits_of_an_uninterrupted_one(tmp_path, seed):
    whole = dropout_model()
    whole_history = fit(whole, seed=seed).history
    resumed, backup = dropout_model(), BackupAndRestore(tmp_path / "backup")
    with pytest.raises(RuntimeError, match="went down"):
        fit(resumed, callbacks=[backup, FailsIn(epoch=3)], seed=seed)
    assert sorted(os.listdir(tmp_path / "backup")) == ["epoch-3.npz", "training_metadata.json"]
    history = fit(resumed, callbacks=[backup], seed=seed)
    assert history.epoch == [3, 4, 5]
    assert same_state(whole, resumed)
    assert {name: values[3:] for name, values in whole_history.items()} == history.history
    assert not (tmp_path / "backup").exists()  # a finished fit deletes its backup


def ctrl_c_in_epoch(model, epoch):
    """A Ctrl-C at the second batch of ``epoch``: fit stops after that batch, without error."""
    def press(batch, logs):
        if model.epochs_trained == epoch and batch == 1:
            os.kill(os.getpid(), signal.SIGINT)

    return LambdaCallback(on_train_batch_end=press)


def test_ctrl_c_keeps_the_backup_and_a_finished_one_trains_nothing(tmp_path):
    whole = dropout_model()
    fit(whole)
    resumed = dropout_model()
    backup = BackupAndRestore(tmp_path, delete_checkpoint=False)
    fit(resumed, callbacks=[backup, ctrl_c_in_epoch(resumed, 2)])
    assert resumed.epochs_trained == 2 and (tmp_path / "training_metadata.json").exists()
    fit(resumed, callbacks=[backup])
    assert same_state(whole, resumed)
    assert sorted(os.listdir(tmp_path)) == ["epoch-6.npz", "training_metadata.json"]
    assert fit(resumed, callbacks=[backup]).history == {}  # as Keras: epoch 6 of 6 is done


@pytest.mark.parametrize("arguments, match", [
    ({"save_freq": 5}, "end of epochs only"),
    ({"double_checkpoint": True}, "all or nothing"),
    ({"backup_dir": ""}, "backup_dir is empty"),
])
def test_backup_and_restore_refuses_what_it_cannot_do(tmp_path, arguments, match):
    with pytest.raises(ValueError, match=match):
        BackupAndRestore(**{"backup_dir": tmp_path, **arguments})


@pytest.mark.parametrize("callback", [BackupAndRestore, ModelCheckpoint])
def test_saving_callbacks_refuse_metric_functions_before_training(tmp_path, callback):
    model = parity_model(metrics=[tc.metrics.sparse_top_k_categorical_accuracy])
    before = model.get_weights()
    with pytest.raises(ValueError, match="cannot hold the metric"):
        fit(model, callbacks=[callback(tmp_path / "file.npz")])
    assert model.optimizer.iterations == 0 and all(
        np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_a_checkpoint_holds_the_epochs_finished(tmp_path):
    fit(dropout_model(), epochs=3, callbacks=[ModelCheckpoint(tmp_path / "e{epoch}.npz")])
    assert tc.load_model(tmp_path / "e2.npz").epochs_trained == 2  # resume it from epoch 2


# ---- LambdaCallback -------------------------------------------------------------------------
def test_lambda_callback_calls_each_function_with_keras_arguments():
    calls = []

    def note(*call):
        calls.append(call[:-1] + (sorted(call[-1]),))

    callback = LambdaCallback(
        on_train_begin=lambda logs: note("train_begin", logs),
        on_epoch_begin=lambda epoch, logs: note("epoch_begin", epoch, logs),
        on_batch_end=lambda batch, logs: note("batch_end", batch, logs),  # Keras's older name
        on_epoch_end=lambda epoch, logs: note("epoch_end", epoch, logs),
        on_test_end=lambda logs: note("test_end", logs),  # any moment, by its name
        on_train_end=lambda logs: note("train_end", logs))
    fit(parity_model(), epochs=1, callbacks=[callback])
    metrics, val = ["loss"], ["loss", "val_loss"]
    assert calls == [("train_begin", []), ("epoch_begin", 0, []), ("batch_end", 0, metrics),
                     ("batch_end", 1, metrics), ("batch_end", 2, metrics),
                     ("batch_end", 3, metrics), ("test_end", metrics), ("epoch_end", 0, val),
                     ("train_end", val)]


@pytest.mark.parametrize("arguments, match", [
    ({"on_epoch_ends": print}, "on_epoch_ends is not a moment"),
    ({"on_epoch_end": "print"}, "expected a function"),
])
def test_lambda_callback_refuses_what_would_never_run(arguments, match):
    with pytest.raises(TypeError, match=match):
        LambdaCallback(**arguments)


# ---- ProgbarLogger and TensorBoard ----------------------------------------------------------
def test_verbose_2_prints_a_line_an_epoch_and_evaluate_its_results(capsys):
    model = parity_model(metrics=["accuracy"])
    history = fit(model, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "Epoch 2/2"]
    assert lines[1].endswith(f"val_accuracy: {history.history['val_accuracy'][1]:.4f}")
    logs = model.evaluate(X, Y, verbose=2, return_dict=True)
    assert capsys.readouterr().out == f"loss: {logs['loss']:.4f} - accuracy: " \
                                      f"{logs['accuracy']:.4f}\n"


def test_verbose_1_draws_bars_through_one_progbar_logger(capsys):
    model = parity_model()
    fit(model, epochs=2, verbose=1, callbacks=[ProgbarLogger()])  # fit adds no second one
    bars = capsys.readouterr().err.split("\n")[:-1]  # a bar ends with its line
    assert [bar.lstrip("\r").split(":")[0] for bar in bars] == ["Epoch 1/2", "Epoch 2/2"]
    assert all("4/4" in bar and "val_loss=" in bar for bar in bars)  # 32 images, batches of 8
    model.predict(X, verbose=1)
    assert "Predict" in capsys.readouterr().err
    fit(model, epochs=1, verbose=0, callbacks=[ProgbarLogger()])  # verbose=0: nothing shown
    assert capsys.readouterr() == ("", "")


def test_tensorboard_is_refused_with_what_to_use_instead():
    with pytest.raises(NotImplementedError, match="no TensorBoard.*CSVLogger.*plot_history"):
        TensorBoard(log_dir="logs")


# ---- CSVLogger and monitors with validation_freq --------------------------------------------
def read_csv(path, separator=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=separator))


def test_csv_logger_separator_and_a_header_widened_by_validation_freq(tmp_path):
    path = tmp_path / "log.csv"
    history = fit(parity_model(), epochs=4, validation_freq=2,
                  callbacks=[CSVLogger(path, separator=";")])
    rows = read_csv(path, ";")
    assert rows[0] == ["epoch", "loss", "val_loss"]  # val_loss first came at epoch 2
    assert [row[2] for row in rows[1:]][::2] == ["", ""]
    assert [float(row[2]) for row in rows[1:][1::2]] == history.history["val_loss"]
    assert [float(row[1]) for row in rows[1:]] == history.history["loss"]
    with pytest.raises(ValueError, match="one character"):
        CSVLogger(path, True)  # Keras's order: (filename, separator, append)


def test_early_stopping_skips_the_epochs_without_validation_as_keras():
    model = parity_model(keras.optimizers.Adam(0.01))
    history = fit_like_the_reference(model, batch_size=16, epochs=8, validation_split=0.2,
                                     validation_freq=2, callbacks=[EarlyStopping(patience=0)])
    expected = REFERENCE["trainings"]["validation_freq_early_stopping"]["history"]
    assert len(history.history["loss"]) == len(expected["loss"]) == 4  # stopped at epoch 4
    np.testing.assert_allclose(history.history["val_loss"], expected["val_loss"], rtol=5e-6)


def test_checkpoints_and_plateaus_wait_for_validated_epochs(tmp_path):
    best = ModelCheckpoint(tmp_path / "best-{epoch}.npz", save_best_only=True)
    plateau = ReduceLROnPlateau(patience=1, factor=0.5)
    history = fit(parity_model(), epochs=4, validation_freq=2, callbacks=[best, plateau])
    improved = history.history["val_loss"][1] < history.history["val_loss"][0]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["best-2.npz"] + (
        ["best-4.npz"] if improved else [])  # saved after validated epochs only
    assert len(history.history["learning_rate"]) == 4
    with pytest.raises(KeyError, match="'val_los' is not logged"):  # a typo is still an error
        fit(parity_model(), epochs=2, validation_freq=2, callbacks=[EarlyStopping("val_los")])
