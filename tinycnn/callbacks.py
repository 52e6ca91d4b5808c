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
"""

import csv

import numpy as np

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

    def __init__(self, callbacks, model, **params):
        self.callbacks = list(callbacks or [])
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


class _Monitor:
    """Tracks the best value of one logged quantity ("val_loss", "accuracy", ...)."""

    def __init__(self, monitor, mode, min_delta=0.0, best=None):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode: expected 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self.best = best  # None: the first value is an improvement

    def value(self, logs):
        if self.monitor not in (logs or {}):
            raise KeyError(
                f"monitor {self.monitor!r} is not logged; available: {sorted(logs or {})} "
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
        value = self._monitor.value(logs)
        if epoch < self.start_from_epoch:
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

    def on_epoch_end(self, epoch, logs=None):
        # As Keras: the best value so far is kept across fit calls, not reset.
        path = self.filepath.format(epoch=epoch + 1, **(logs or {}))
        if self.save_best_only:
            value = self._monitor.value(logs)
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
        value = self._monitor.value(logs)
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
    """Write one row per epoch (epoch, then every logged value) to a CSV file as training goes."""

    def __init__(self, filename, append=False):
        super().__init__()
        self.filename, self.append = str(filename), append
        self._keys = None

    def on_train_begin(self, logs=None):
        self._keys = None
        if not self.append:
            open(self.filename, "w").close()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        with open(self.filename, "a", newline="") as f:
            writer = csv.writer(f)
            if self._keys is None:
                self._keys = sorted(logs)
                if f.tell() == 0:
                    writer.writerow(["epoch", *self._keys])
            writer.writerow([epoch, *(logs.get(k, "") for k in self._keys)])


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite (the running mean of the
    epoch's losses is, from that batch on)."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            print(f"Batch {batch}: invalid loss {loss}, terminating training")
            self.model.stop_training = True
