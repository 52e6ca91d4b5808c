"""Callbacks: EarlyStopping, ModelCheckpoint, CSVLogger, TerminateOnNaN and a user's own."""

import csv

import numpy as np
import pytest

import tinycnn as tc
from tinycnn.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    ModelCheckpoint,
    TerminateOnNaN,
)
from tinycnn.layers import Conv2D, Dense, Flatten
from tinycnn.losses import SparseCategoricalCrossentropy


def small_model(optimizer="adam", loss="sparse_categorical_crossentropy"):
    model = tc.Sequential([Conv2D(3, 3, activation="relu", input_shape=(6, 6, 1)), Flatten(),
                           Dense(3, activation="softmax")], seed=0)
    model.compile(loss=loss, optimizer=optimizer, metrics=["accuracy"])
    return model


class WeightsPerEpoch(Callback):
    """Records a copy of the weights and the logs at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights, self.logs = [], []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append([w.copy() for w in self.model.get_weights()])
        self.logs.append(dict(logs))


class ScriptedLogs(Callback):
    """Overwrites ``logs[key]`` with scripted values, epoch by epoch: a monitored quantity with
    a known course, so EarlyStopping's decisions can be checked exactly. Put it before the
    callbacks that read the value."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, values

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


# ---- EarlyStopping ----------------------------------------------------------------------
@pytest.mark.parametrize("patience, epochs_run", [(0, 3), (1, 3), (2, 4), (3, 5)])
def test_early_stopping_waits_patience_epochs_without_improvement(tiny_data, patience,
                                                                  epochs_run):
    # Best at epoch 1 (counted from 0), never improved after it; like Keras, training stops
    # once `patience` epochs in a row have not improved (at least one, for patience 0).
    x, y = tiny_data
    losses = [1.0, 0.5, 0.7, 0.6, 0.8, 0.9, 0.95, 0.99]
    stopper = EarlyStopping(monitor="val_loss", patience=patience)
    history = small_model().fit(x, y, epochs=8, validation_split=0.25, verbose=0,
                                callbacks=[ScriptedLogs("val_loss", losses), stopper])
    assert len(history.history["loss"]) == epochs_run
    assert stopper.best_epoch == 1
    assert stopper.stopped_epoch == epochs_run - 1


def test_early_stopping_restore_best_weights_restores_the_best_epoch_exactly(tiny_data):
    x, y = tiny_data
    recorder = WeightsPerEpoch()
    losses = [1.0, 0.8, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9]  # best at epoch 2
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model = small_model()
    history = model.fit(x, y, epochs=8, batch_size=16, validation_split=0.25, verbose=0,
                        callbacks=[ScriptedLogs("val_loss", losses), recorder, stopper])
    assert len(history.history["loss"]) == 5
    assert not np.array_equal(recorder.weights[2][0], recorder.weights[-1][0])
    for best, restored in zip(recorder.weights[2], model.get_weights(), strict=True):
        np.testing.assert_array_equal(restored, best)


def test_early_stopping_on_real_val_loss_and_an_accuracy_monitor(tiny_data):
    x, y = tiny_data
    recorder = WeightsPerEpoch()
    stopper = EarlyStopping(monitor="val_accuracy", patience=1, restore_best_weights=True)
    model = small_model(optimizer=tc.optimizers.Adam(0.05))
    model.fit(x, y, epochs=30, batch_size=8, validation_split=0.25, verbose=0,
              callbacks=[recorder, stopper])
    accuracies = [logs["val_accuracy"] for logs in recorder.logs]
    best = int(np.argmax(accuracies))  # "accuracy" is maximised; the first best counts
    assert stopper.best_epoch == best
    for saved, restored in zip(recorder.weights[best], model.get_weights(), strict=True):
        np.testing.assert_array_equal(restored, saved)


def test_early_stopping_names_a_monitor_that_is_not_logged(tiny_data):
    x, y = tiny_data
    with pytest.raises(KeyError, match="val_loss.*validation_split"):
        small_model().fit(x, y, epochs=2, verbose=0, callbacks=[EarlyStopping("val_loss")])


# ---- ModelCheckpoint --------------------------------------------------------------------
def test_model_checkpoint_saves_every_epoch_with_a_formatted_name(tiny_data, tmp_path):
    x, y = tiny_data
    model = small_model()
    checkpoint = ModelCheckpoint(tmp_path / "ckpt-{epoch:02d}-{loss:.3f}.npz", monitor="loss")
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[checkpoint])
    names = sorted(p.name for p in tmp_path.iterdir())
    expected = [f"ckpt-{e + 1:02d}-{loss:.3f}.npz" for e, loss in
                enumerate(history.history["loss"])]
    assert names == expected
    last = tc.load_model(tmp_path / expected[-1])
    np.testing.assert_array_equal(last.predict(x), model.predict(x))


def test_model_checkpoint_save_best_only(tiny_data, tmp_path):
    x, y = tiny_data
    model = small_model()
    recorder = WeightsPerEpoch()
    losses = [0.9, 0.5, 0.7, 0.4, 0.6]  # improvements at epochs 0, 1 and 3
    checkpoint = ModelCheckpoint(tmp_path / "best-{epoch}.npz", save_best_only=True)
    model.fit(x, y, epochs=5, validation_split=0.25, verbose=0,
              callbacks=[ScriptedLogs("val_loss", losses), recorder, checkpoint])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best-1.npz", "best-2.npz",
                                                          "best-4.npz"]
    saved = tc.load_model(tmp_path / "best-4.npz")
    for kept, epoch_weights in zip(saved.get_weights(), recorder.weights[3], strict=True):
        np.testing.assert_array_equal(kept, epoch_weights)


# ---- CSVLogger --------------------------------------------------------------------------
def test_csv_logger_writes_a_header_and_one_row_per_epoch(tiny_data, tmp_path):
    x, y = tiny_data
    path = tmp_path / "log.csv"
    history = small_model().fit(x, y, epochs=3, validation_split=0.25, verbose=0,
                                callbacks=[CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "2"]
    for row, epoch in zip(rows[1:], range(3), strict=True):
        for key, value in zip(rows[0][1:], row[1:], strict=True):
            assert float(value) == pytest.approx(history.history[key][epoch], rel=1e-12)


def test_csv_logger_appends_without_a_second_header(tiny_data, tmp_path):
    x, y = tiny_data
    path = tmp_path / "log.csv"
    model = small_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, append=True)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss"]
    assert [row[0] for row in rows[1:]] == ["0", "1", "0"]
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path)])  # overwrites
    with open(path, newline="") as f:
        assert len(list(csv.reader(f))) == 2


# ---- TerminateOnNaN ---------------------------------------------------------------------
class NaNAfter(SparseCategoricalCrossentropy):
    """Cross-entropy whose reported loss turns NaN from its ``at``-th batch on (1-based)."""

    def __init__(self, at):
        super().__init__()
        self.calls, self.at = 0, at

    def of_logits(self, y_true, logits):
        self.calls += 1
        return float("nan") if self.calls >= self.at else super().of_logits(y_true, logits)


def test_terminate_on_nan_stops_at_the_first_nan_batch(tiny_data, capsys):
    x, y = tiny_data  # 48 examples in batches of 8: 6 batches an epoch

    class CountBatches(Callback):
        batches = 0

        def on_batch_end(self, batch, logs=None):
            self.batches += 1

    counter = CountBatches()
    model = small_model(loss=NaNAfter(at=9))
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0,
                        callbacks=[TerminateOnNaN(), counter])
    assert counter.batches == 9 and model.optimizer.iterations == 9
    assert len(history.history["loss"]) == 2
    assert np.isnan(history.history["loss"][1])
    assert "invalid loss nan" in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")
def test_terminate_on_nan_with_a_diverging_learning_rate(tiny_data):
    x, y = tiny_data
    model = small_model(optimizer=tc.optimizers.SGD(learning_rate=1e38))
    history = model.fit(x, y, epochs=20, batch_size=8, verbose=0, callbacks=[TerminateOnNaN()])
    assert len(history.history["loss"]) < 20
    assert not np.isfinite(history.history["loss"][-1])


# ---- a user's own callback --------------------------------------------------------------
class TrainingHistory(Callback):
    """As in the notebook: keep every epoch's logs, written without touching library code."""

    def on_train_begin(self, logs=None):
        self.epochs, self.losses, self.val_accuracies, self.began, self.ended = [], [], [], 1, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self.losses.append(logs["loss"])
        self.val_accuracies.append(logs["val_accuracy"])

    def on_train_end(self, logs=None):
        self.ended += 1


def test_a_user_defined_callback_sees_every_epoch(tiny_data):
    x, y = tiny_data
    mine = TrainingHistory()
    model = small_model()
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[mine])
    assert mine.model is model
    assert mine.epochs == [0, 1, 2] and mine.ended == 1
    assert mine.losses == history.history["loss"]
    assert mine.val_accuracies == history.history["val_accuracy"]


def test_a_callback_can_stop_training_at_an_epoch_end(tiny_data):
    x, y = tiny_data

    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    history = small_model().fit(x, y, epochs=10, verbose=0, callbacks=[StopAfterTwo()])
    assert len(history.history["loss"]) == 2
