"""Callbacks: code that `fit`, `evaluate` and `predict` call at fixed moments, as in Keras.

    fit       on_train_begin()  on_epoch_begin(epoch)
                  on_train_batch_begin(batch)  on_train_batch_end(batch, logs)   each batch
                  (validation: the evaluate moments below)
              on_epoch_end(epoch, logs)  on_train_end(logs)
    evaluate  on_test_begin()  on_test_batch_begin(batch)  on_test_batch_end(batch, logs)
              on_test_end(logs)
    predict   on_predict_begin()  on_predict_batch_begin(batch)
              on_predict_batch_end(batch, {"outputs": that batch's output})  on_predict_end()
``logs`` hold what Keras's hold: at a training batch's end the running means of "loss" and
each metric (named as compile got them: "accuracy", or "acc") over the epoch so far; at an
epoch's end the epoch's, and with validation "val_loss", "val_accuracy"; on_test_batch_end
the running means of the evaluation, on_test_end its results; on_train_end the last epoch's
logs. on_batch_begin/on_batch_end are Keras's older names for the training batch moments.
A callback reaches the model as ``self.model``, fit's settings as ``self.params``
({"verbose", "epochs", "steps"}), and stops training with ``self.model.stop_training = True``
(evaluation: ``stop_evaluating``, prediction: ``stop_predicting``). Epochs and batches are
counted from 0, as Keras does. A callback that defines a moment tinycnn never calls is an
error at the start, not a method that silently never runs.

Here: History, ProgbarLogger (what verbose=1 and 2 show), EarlyStopping, ModelCheckpoint,
BackupAndRestore, LearningRateScheduler, ReduceLROnPlateau, CSVLogger, TerminateOnNaN and
LambdaCallback, as Keras's; TensorBoard is refused, with what to use instead.
"""

import csv
import glob
import io
import json
import os
import time

import numpy as np
from tqdm.auto import tqdm

from tinycnn.layers.shapes import flag
from tinycnn.network import NestedNetwork
from tinycnn.saving.writer import write_atomically

MOMENTS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
           "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end",
           "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
           "on_predict_begin", "on_predict_end", "on_predict_batch_begin",
           "on_predict_batch_end")


class Callback:
    """Base class: override the moments you need; each does nothing by default."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)  # Keras's older name, still called

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """The callbacks of one fit, evaluate or predict call: ``callbacks.on_epoch_end(epoch,
    logs)`` calls every callback's on_epoch_end in order, and so for every moment."""

    def __init__(self, callbacks, model, add_progbar=False, **params):
        self.callbacks = list(callbacks or [])
        # As Keras: fit, evaluate and predict show progress with a ProgbarLogger (last) when
        # verbose, unless one was given.
        if add_progbar and not any(isinstance(cb, ProgbarLogger) for cb in self.callbacks):
            self.callbacks.append(ProgbarLogger())
        for callback in self.callbacks:
            _check_callback(callback)
            callback.set_model(model)
            callback.set_params(params)

    def __getattr__(self, moment):
        if moment not in MOMENTS:
            raise AttributeError(moment)
        takes_index = moment.startswith(("on_epoch_", "on_batch_", "on_train_batch_",
                                         "on_test_batch_", "on_predict_batch_"))

        def call(*args):
            # Keras hands every moment a dict, {} where it has nothing to say.
            *index, logs = args if len(args) == 1 + takes_index else (*args, None)
            for callback in self.callbacks:
                getattr(callback, moment)(*index, logs if logs is not None else {})

        return call


def _check_callback(callback):
    """A Callback whose every on_... method is a moment tinycnn calls (a typo such as
    on_epoch_ends would otherwise never run, without a word)."""
    if not isinstance(callback, Callback):
        raise TypeError(f"callbacks: expected instances of tinycnn.callbacks.Callback (or "
                        f"keras.callbacks.Callback from tinycnn.keras), got {callback!r}")
    for name in dir(type(callback)):
        if name.startswith("on_") and name not in MOMENTS \
                and callable(getattr(callback, name)):
            raise TypeError(
                f"callback {type(callback).__name__} defines {name}, a moment tinycnn (and "
                f"Keras) never calls, so it would never run; the moments are: "
                f"{', '.join(MOMENTS)}")


class History(Callback):
    """What `fit` returns: ``history.history[name]`` is a list with one value per epoch."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)


class ProgbarLogger(Callback):
    """What fit, evaluate and predict show, from ``params["verbose"]``: with 1, a progress bar
    (tqdm) for each epoch, with the running logs, and one for evaluate and predict; with 2,
    one line per epoch ("Epoch 2/5 - 3s - loss: 0.3100 - accuracy: 0.9000"). evaluate prints
    its results after its bar, or alone with 2. As Keras's, it takes no arguments, and fit,
    evaluate and predict add one (last) when verbose is not 0, unless given one."""

    def __init__(self):
        super().__init__()
        self.bar, self._in_fit, self._started = None, False, None

    def _open(self, desc, **options):
        self._close()
        if self.params.get("verbose") == 1:
            self.bar = tqdm(total=self.params.get("steps"), desc=desc, unit="batch", **options)

    def _advance(self, batch, logs=None):
        if self.bar is None:
            return
        self.bar.update(1)
        if logs is not None and batch % 20 == 0:  # refreshing the numbers every batch costs
            self.bar.set_postfix(_postfix(logs), refresh=False)

    def _close(self, logs=None):
        if self.bar is not None:
            if logs is not None:
                self.bar.set_postfix(_postfix(logs), refresh=True)
            self.bar.close()
        self.bar = None

    def on_train_begin(self, logs=None):
        self._in_fit = True  # the validation's test moments show nothing

    def on_train_end(self, logs=None):
        self._close()  # a bar left open by Ctrl-C
        self._in_fit = False

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()
        self._open(f"Epoch {epoch + 1}/{self.params['epochs']}", dynamic_ncols=True)

    def on_train_batch_end(self, batch, logs=None):
        self._advance(batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._close(logs)
        if self.params.get("verbose") == 2:
            print(f"Epoch {epoch + 1}/{self.params['epochs']} - "
                  f"{time.perf_counter() - self._started:.0f}s - {format_logs(logs)}")

    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._open("Evaluate")

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._advance(batch)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._close()
            if self.params.get("verbose"):
                print(format_logs(logs))

    def on_predict_begin(self, logs=None):
        self._open("Predict")

    def on_predict_batch_end(self, batch, logs=None):
        self._advance(batch)

    def on_predict_end(self, logs=None):
        self._close()


def format_logs(logs):
    """{"loss": 0.31, "accuracy": 0.9} -> "loss: 0.3100 - accuracy: 0.9000", as Keras prints."""
    return " - ".join(f"{name}: {_number(value)}" for name, value in logs.items())


def _postfix(logs):
    return {name: _number(value) for name, value in logs.items()}


def _number(value):
    """A logged value as Keras shows it: 4 decimals (a metric with several thresholds gives an
    array: each to 4 decimals)."""
    if np.ndim(value):
        return "[" + ", ".join(f"{v:.4f}" for v in np.ravel(value)) + "]"
    return f"{value:.4f}"


class _Monitor:
    """Tracks the best value of one logged quantity ("val_loss", "accuracy", ...)."""

    def __init__(self, monitor, mode, min_delta=0.0, best=None):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode: expected 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = best  # None: the first value is an improvement

    def value(self, logs, model):
        """The monitored value in this epoch's ``logs``; None on an epoch that fit did not
        validate (validation_freq), when the monitor is a val_ quantity: as Keras, that epoch
        is skipped. Anything else missing is an error."""
        logs = logs or {}
        if self.monitor not in logs:
            if self.monitor.startswith("val_") and model.validates \
                    and not any(name.startswith("val_") for name in logs):
                return None
            raise KeyError(
                f"monitor {self.monitor!r} is not logged; available: {sorted(logs)} "
                "(val_* quantities need validation_split or validation_data)"
            )
        return logs[self.monitor]

    def better(self, value, reference):
        """Whether ``value`` improves on ``reference`` by more than min_delta (any value
        improves on None)."""
        if reference is None:
            return True
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def improved(self, value):
        return self.better(value, self.best)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs (Keras's arguments and
    rules): ``baseline``, a value the monitor must beat for the waiting to start again;
    ``start_from_epoch``, epochs of warm-up before anything is watched;
    ``restore_best_weights``, put back the weights of the best epoch at the end; ``verbose``
    says when it stopped and what it restored."""

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self._monitor = _Monitor(monitor, mode, min_delta)
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.best_weights, self.best_epoch, self.stopped_epoch, self.wait = None, 0, 0, 0

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch, self.best_weights = 0, 0, 0, None
        self._monitor.best = None

    def on_epoch_end(self, epoch, logs=None):
        value = self._monitor.value(logs, self.model)
        if value is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._monitor.improved(value):
            self._monitor.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._monitor.better(value, self.baseline):
                self.wait = 0  # only beating the baseline too starts the waiting again
            return
        if self.wait >= self.patience and epoch > 0:  # as Keras
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print("Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model after each epoch to ``filepath`` (may use ``{epoch}`` and log names, e.g.
    "ckpt-{epoch:02d}-{val_loss:.3f}.npz"); with ``save_best_only``, only on improvement
    (``initial_value_threshold``: the value to beat first). The file is the whole model;
    ``save_weights_only`` writes the same file, which ``load_weights`` reads as well.
    ``save_freq`` is "epoch": tinycnn does not save every N batches."""

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__()
        if save_freq != "epoch":
            raise ValueError(f"ModelCheckpoint save_freq={save_freq!r}: tinycnn saves at the "
                             "end of epochs only (save_freq='epoch')")
        self.filepath, self.verbose = str(filepath), verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self._monitor = _Monitor(monitor, mode, best=initial_value_threshold)

    def on_train_begin(self, logs=None):
        self.model.check_saveable("ModelCheckpoint")  # before training, not after an epoch

    def on_epoch_end(self, epoch, logs=None):
        # As Keras: the best value so far is kept across fit calls, not reset.
        path = self.filepath.format(epoch=epoch + 1, **(logs or {}))
        if self.save_best_only:
            value = self._monitor.value(logs, self.model)
            if value is None:  # an epoch without validation: nothing to compare
                return
            if not self._monitor.improved(value):
                if self.verbose > 0:
                    print(f"Epoch {epoch + 1}: {self._monitor.monitor} did not improve from "
                          f"{self._monitor.best}")
                return
            if self.verbose > 0:
                print(f"Epoch {epoch + 1}: {self._monitor.monitor} improved from "
                      f"{self._monitor.best} to {value}, saving model to {path}")
            self._monitor.best = value
        elif self.verbose > 0:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        self.model.save(path)


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch to ``schedule(epoch, lr)``
    (or ``schedule(epoch)``), as Keras; the epoch's logs get "learning_rate"."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        rate = self.model.optimizer.learning_rate
        try:
            rate = self.schedule(epoch, rate)
        except TypeError:  # Keras's older form: schedule(epoch)
            rate = self.schedule(epoch)
        if isinstance(rate, bool) or not isinstance(rate, (float, np.floating)):
            raise ValueError(f"LearningRateScheduler: the schedule should return a float, "
                             f"got {rate!r}")
        self.model.optimizer.learning_rate = float(rate)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{float(rate)}.")

    def on_epoch_end(self, epoch, logs=None):
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved by more than
    ``min_delta`` for ``patience`` epochs, then wait ``cooldown`` epochs; never below
    ``min_lr``. Keras's arguments and rules; the epoch's logs get "learning_rate"."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__()
        if not factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau factor: expected a number < 1, got {factor!r}")
        self._monitor = _Monitor(monitor, mode, min_delta)
        self.factor, self.patience, self.verbose = factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr
        self.wait = self.cooldown_counter = 0

    def on_train_begin(self, logs=None):
        self._monitor.best, self.wait, self.cooldown_counter = None, 0, 0

    def on_epoch_end(self, epoch, logs=None):
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        value = self._monitor.value(logs, self.model)
        if value is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._monitor.improved(value):
            self._monitor.best, self.wait = value, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(self.model.optimizer.learning_rate)
                if old > np.float32(self.min_lr):
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                              f"to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class CSVLogger(Callback):
    """Write one row per epoch (epoch, then every logged value, by name) to a CSV file as
    training goes, values apart by ``separator``; ``append`` adds to the file instead of
    starting it again (no second header). A value first logged after the first epoch (val_*
    with validation_freq=2) widens the header: the file is written again, whole."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"CSVLogger separator: expected one character, got {separator!r}")
        self.filename, self.separator, self.append = str(filename), separator, append
        self._keys, self._rows, self._before = None, [], ""

    def on_train_begin(self, logs=None):
        self._keys, self._rows, self._before = None, [], ""
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                self._before = f.read()  # kept, ahead of this run's rows
        else:
            open(self.filename, "w").close()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self._rows.append([epoch, dict(logs)])  # as it is now: later callbacks may add
        if self._keys is not None and set(logs) <= set(self._keys):
            with open(self.filename, "a", newline="") as f:
                self._write([self._rows[-1]], f)
            return
        self._keys = sorted({*(self._keys or []), *logs})
        text = io.StringIO()
        text.write(self._before)
        if not self._before:
            csv.writer(text, delimiter=self.separator).writerow(["epoch", *self._keys])
        self._write(self._rows, text)
        write_atomically(self.filename, lambda f: f.write(text.getvalue().encode()))

    def _write(self, rows, f):
        writer = csv.writer(f, delimiter=self.separator)
        for epoch, logs in rows:
            writer.writerow([epoch, *(logs.get(key, "") for key in self._keys)])


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite (the running mean of the
    epoch's losses is, from that batch on)."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            print(f"Batch {batch}: invalid loss {loss}, terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback made of functions, as Keras's: LambdaCallback(on_epoch_end=lambda epoch,
    logs: print(epoch, logs["loss"])). Each function takes what its moment takes:
    on_epoch_begin and on_epoch_end (epoch, logs); on_train_batch_begin, on_train_batch_end,
    on_batch_begin and on_batch_end (batch, logs); on_train_begin and on_train_end (logs).
    Any other moment by its name (on_test_end=...); a name that is no moment is an error."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None,
                 **moments):
        super().__init__()
        moments.update(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                       on_train_begin=on_train_begin, on_train_end=on_train_end,
                       on_train_batch_begin=on_train_batch_begin,
                       on_train_batch_end=on_train_batch_end)
        for name, function in moments.items():
            if name not in MOMENTS:
                raise TypeError(f"LambdaCallback: {name} is not a moment tinycnn (or Keras) "
                                f"calls; the moments are: {', '.join(MOMENTS)}")
            if function is not None and not callable(function):
                raise TypeError(f"LambdaCallback {name}: expected a function, got {function!r}")
            if function is not None:
                setattr(self, name, function)  # this object's moment, in place of the class's


class BackupAndRestore(Callback):
    """Keep the training resumable: at the end of every epoch the model is saved to
    ``backup_dir``; when fit is called again with this callback after an interruption (an
    error, a crash, Ctrl-C), it puts the model back as it was at the end of the last finished
    epoch (weights, state, optimizer state and step count, the training stream) and fit goes
    on from the next epoch, so the run ends as an uninterrupted one would, bit for bit. A fit
    that finishes (or is stopped by a callback) deletes the backup, unless
    ``delete_checkpoint=False``.

    The backup is the model file (model.save) and training_metadata.json: the epoch to go on
    from, the file, and the state of the stream fit draws from (the model's own, or
    default_rng(seed) with fit(seed=...)). Each is written all or nothing, the metadata last,
    so a crash while backing up leaves the previous backup whole: which is what Keras's
    double_checkpoint is for. With steps_per_epoch shorter than a pass over the data, the
    resumed run starts a new pass (as Keras's), so it is not the uninterrupted run's.
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir is empty")
        if save_freq != "epoch":
            raise ValueError(f"BackupAndRestore save_freq={save_freq!r}: tinycnn backs up at "
                             "the end of epochs only (save_freq='epoch')")
        if double_checkpoint:
            raise ValueError("BackupAndRestore double_checkpoint=True: not needed in tinycnn, "
                             "whose backups are written all or nothing (the last is whole)")
        self.backup_dir = os.fspath(backup_dir)
        self.delete_checkpoint = flag(delete_checkpoint, "BackupAndRestore delete_checkpoint")
        self._metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._next_epoch = 0

    def on_train_begin(self, logs=None):
        self.model.check_saveable("BackupAndRestore")
        self._next_epoch = 0
        if os.path.exists(self._metadata_path):
            with open(self._metadata_path) as f:
                self._restore(json.load(f))

    def _restore(self, metadata):
        from tinycnn.model import load_model  # model.py imports this module

        path = os.path.join(self.backup_dir, metadata["model_file"])
        saved = load_model(path, custom_objects=_layer_classes(self.model))
        model, optimizer = self.model, self.model.optimizer
        model.load_weights(path)
        optimizer.state = {slot: {key: value.copy() for key, value in values.items()}
                           for slot, values in saved.optimizer.state.items()}
        optimizer.iterations = saved.optimizer.iterations
        if optimizer.schedule is None:  # a callback may have changed it (ReduceLROnPlateau)
            optimizer.learning_rate = saved.optimizer.learning_rate
        model.training_rng.bit_generator.state = saved.training_rng.bit_generator.state
        model.fit_rng.bit_generator.state = metadata["fit_rng"]
        model.epochs_trained = saved.epochs_trained
        # fit starts from this epoch instead of its initial_epoch (Keras's _initial_epoch)
        model._initial_epoch = self._next_epoch = metadata["epoch"]

    def on_epoch_end(self, epoch, logs=None):
        self._next_epoch = epoch + 1
        os.makedirs(self.backup_dir, exist_ok=True)
        name = f"epoch-{epoch + 1}.npz"
        self.model.save(os.path.join(self.backup_dir, name))
        metadata = {"epoch": epoch + 1, "model_file": name,
                    "fit_rng": self.model.fit_rng.bit_generator.state}
        write_atomically(self._metadata_path, lambda f: f.write(json.dumps(metadata).encode()))
        for old in self._model_files():
            if os.path.basename(old) != name:
                os.remove(old)

    def on_train_end(self, logs=None):
        # Ctrl-C ends fit early with on_train_end too: then the backup stays, to resume from.
        finished = self.model.stop_training or self._next_epoch >= self.params["epochs"]
        if self.delete_checkpoint and finished and os.path.isdir(self.backup_dir):
            for path in [self._metadata_path, *self._model_files()]:
                if os.path.exists(path):
                    os.remove(path)
            if not os.listdir(self.backup_dir):
                os.rmdir(self.backup_dir)

    def _model_files(self):
        return glob.glob(os.path.join(glob.escape(self.backup_dir), "epoch-*.npz"))


def _layer_classes(network):
    """{class name: class} of every layer in ``network``, nested models' layers too: what
    load_model needs to rebuild a model with layers of the user's own."""
    classes = {}
    for layer in network.layers:
        classes[type(layer).__name__] = type(layer)
        if isinstance(layer, NestedNetwork):
            classes.update(_layer_classes(layer.network))
    return classes


class TensorBoard(Callback):
    """Not in tinycnn, which writes no TensorBoard event files: see the error it raises."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError(
            "TensorBoard: tinycnn has no TensorBoard (it writes no event files). To keep "
            "every epoch's logs, pass CSVLogger('training.csv') to fit; to draw them, "
            "tinycnn.viz.plot_history(history), with history = model.fit(...)")
