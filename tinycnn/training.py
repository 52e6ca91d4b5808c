"""The training loop behind Sequential.fit: epochs of shuffled batches, validation, callbacks.

    for epoch in range(epochs):
        order = a new shuffle of the training images
        for each batch of batch_size images in that order:
            loss, probs = model.train_step(x[batch], y[batch])   (model.py: one optimizer step)
            running loss and accuracy -> progress bar and on_batch_end
        val_loss, val_accuracy on the validation images, if any
        on_epoch_end(epoch, logs): History records, EarlyStopping may set model.stop_training
``validation_split`` keeps the last fraction of the data for validation, before shuffling, as
Keras does. Ctrl-C stops after the current batch and keeps the weights and the finished epochs.
"""

import signal
import threading
import time

import numpy as np
from tqdm.auto import tqdm

from tinycnn.callbacks import History
from tinycnn.layers.shapes import positive_int

VALIDATION_BATCH = 256  # images per validation forward call (predict runs them in pieces)


def fit(model, x, y, epochs=1, batch_size=32, validation_split=0.0, validation_data=None,
        callbacks=None, verbose=1, shuffle=True, seed=None):
    """Train ``model`` (compiled) on prepared x, y; returns the History. See Sequential.fit."""
    epochs = positive_int(epochs, "fit epochs")
    batch_size = positive_int(batch_size, "fit batch_size")
    (x, y), validation = split_validation(model, x, y, validation_split, validation_data)

    rng = model.training_rng if seed is None else np.random.default_rng(seed)
    for layer in model.layers:
        if hasattr(layer, "rng"):  # Dropout draws its masks from the same stream
            layer.rng = rng
    history = History()
    all_callbacks = [history, *(callbacks or [])]
    for callback in all_callbacks:
        callback.set_model(model)
    model.stop_training = False
    model.history = history

    with StopOnCtrlC() as interrupt:
        for callback in all_callbacks:
            callback.on_train_begin()
        for epoch in range(epochs):
            for callback in all_callbacks:
                callback.on_epoch_begin(epoch)
            order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
            bar = tqdm(total=-(-len(x) // batch_size), desc=f"Epoch {epoch + 1}/{epochs}",
                       unit="batch", disable=verbose != 1, dynamic_ncols=True)
            started = time.perf_counter()
            logs, batches = train_epoch(model, x, y, order, batch_size, bar, all_callbacks,
                                        interrupt)
            if interrupt.requested:
                bar.close()
                print(f"Interrupted in epoch {epoch + 1} after batch {batches}: training "
                      "stopped; the weights and the history of the finished epochs are kept.")
                break
            if validation is not None:
                val_loss, val_accuracy = model.evaluate_prepared(*validation, VALIDATION_BATCH)
                logs["val_loss"] = val_loss
                if model.metrics:
                    logs["val_accuracy"] = val_accuracy
            bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=True)
            bar.close()
            if verbose == 2:
                print(f"Epoch {epoch + 1}/{epochs} - {time.perf_counter() - started:.0f}s - "
                      f"{format_logs(logs)}")
            for callback in all_callbacks:
                callback.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
        for callback in all_callbacks:
            callback.on_train_end()
    return history


def split_validation(model, x, y, validation_split, validation_data):
    """((x, y) to train on, (x_val, y_val) or None)."""
    if not 0 <= validation_split < 1:
        raise ValueError(f"fit validation_split: expected a number in [0, 1), "
                         f"got {validation_split!r}")
    if validation_data is not None:
        return (x, y), model.prepare(*validation_data, what="validation_data")
    if validation_split == 0:
        return (x, y), None
    split_at = int(len(x) * (1 - validation_split))
    if split_at == 0 or split_at == len(x):
        raise ValueError(f"fit validation_split={validation_split} leaves no "
                         f"{'training' if split_at == 0 else 'validation'} data "
                         f"out of {len(x)} examples")
    return (x[:split_at], y[:split_at]), (x[split_at:], y[split_at:])


def train_epoch(model, x, y, order, batch_size, bar, callbacks, interrupt):
    """One pass over the batches of ``order``: (mean loss and accuracy, batches done)."""
    loss_sum = hits = seen = 0.0
    for step, start in enumerate(range(0, len(order), batch_size)):
        batch = order[start:start + batch_size]
        loss, probs = model.train_step(x[batch], y[batch])
        loss_sum += loss * len(batch)
        hits += np.sum(np.argmax(probs, axis=1) == class_ids(y[batch]))
        seen += len(batch)
        logs = {"loss": loss_sum / seen}
        if model.metrics:
            logs["accuracy"] = hits / seen
        bar.update(1)
        if step % 20 == 0:  # refreshing the bar's numbers every batch would cost time
            bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
        for callback in callbacks:
            callback.on_batch_end(step, {**logs, "batch_loss": loss})
        if interrupt.requested or model.stop_training:
            break
    return {name: float(value) for name, value in logs.items()}, step + 1


def verbosity(verbose):
    """Keras's verbose levels: 0 silent, 1 (or "auto") a progress bar, 2 one line per epoch."""
    if verbose == "auto" or verbose is True:
        return 1
    if verbose in (0, 1, 2, False):
        return int(verbose)
    raise ValueError(f"verbose: expected 0, 1, 2 or 'auto', got {verbose!r}")


def format_logs(logs):
    """{"loss": 0.31, "accuracy": 0.9} -> "loss: 0.3100 - accuracy: 0.9000", as Keras prints."""
    return " - ".join(f"{name}: {value:.4f}" for name, value in logs.items())


def progress(iterable, verbose, desc="Predict", total=None):
    """``iterable`` with a progress bar when verbose (predict and evaluate)."""
    return tqdm(iterable, desc=desc, unit="chunk", disable=not verbose, total=total)


def class_ids(y):
    """(N,) class ids from class ids or from one-hot targets (N, K)."""
    return y if y.ndim == 1 else np.argmax(y, axis=1)


class StopOnCtrlC:
    """While active, the first Ctrl-C only sets ``requested`` (fit stops after the batch);
    a second one interrupts at once. Signals can only be caught in the main thread."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def _handler(self, signum, frame):
        self.requested = True
        signal.signal(signal.SIGINT, self._previous)

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False
