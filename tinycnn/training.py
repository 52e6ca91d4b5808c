"""Training, top to bottom: one step, then an epoch of steps, then fit; and the loops behind
evaluate and predict, with the callbacks' moments in Keras's order.

    train_step(model, x, y)                     one optimizer step on one batch
        z     = model.forward(x, logits=True)   the scores before the final softmax
        probs = softmax(z);  dz = (probs - onehot(y)) / N
        model.backward(dz)                      every layer fills layer.grads
        optimizer.step(params, grads)           whole, even under Ctrl-C
    train_epoch                                 train_step over shuffled batches
    fit
        for epoch in range(initial_epoch, epochs):
            on_epoch_begin(epoch)
            for each batch: on_train_batch_begin, train_step, on_train_batch_end(running means)
            val_loss, val_accuracy = evaluate(the validation images)  (the test moments)
            on_epoch_end(epoch, logs): History records, EarlyStopping may set stop_training
``validation_split`` keeps the last fraction of the data for validation, before shuffling, as
Keras does. Ctrl-C stops before the next batch and keeps the weights and the finished epochs
(interrupts.py).
"""

import time

import numpy as np
from tqdm.auto import tqdm

from tinycnn import interrupts, parallel
from tinycnn.callbacks import CallbackList, History
from tinycnn.layers.shapes import flag, positive_int
from tinycnn.metrics import accuracy

TRAIN_PIECE = 32  # images per forward and backward pass inside one training step


def train_step(model, x, y):
    """One optimisation step of ``model`` on prepared arrays x (N, H, W, C), y; returns
    (loss, probs (N, K)).

    A batch of more than TRAIN_PIECE images goes forward and backward in pieces whose
    gradients are added up, each weighted by its share of the batch, before the optimizer
    moves once (gradient accumulation). That is the same step as one pass over the whole
    batch when every layer treats images independently, and each layer's arrays stay in
    cache (at batch 128, ~11% more images/s). A layer that mixes the batch (BatchNorm's
    batch statistics) makes the step one pass. The optimizer's step is whole or not at all
    (interrupts.py): a Ctrl-C never leaves some layers a step ahead of the others.
    """
    model._ensure_built(x.shape[1:])  # from the model's seed, not layer by layer
    piece = len(x) if any(layer.mixes_batch for layer in model.layers) else TRAIN_PIECE
    grads, scores, probs = None, [], []
    for start in range(0, len(x), piece):
        scores.append(model.forward(x[start:start + piece], training=True, logits=True))
        probs.append(model.probabilities(scores[-1]))
        model.backward_loss(probs[-1], y[start:start + piece], weight=len(probs[-1]) / len(x))
        grads = _add_grads(grads, model.layers, alone=len(x) <= piece)
    # Weight penalties (kernel_regularizer=...): their gradients join the layers', and the
    # loss reported is the data's loss plus the penalties, as Keras reports it.
    penalty = sum(layer.add_penalties(layer_grads)
                  for layer, layer_grads in zip(model.layers, grads, strict=True))
    with interrupts.deferred():
        model.optimizer.step([layer.trainable_params for layer in model.layers], grads,
                             [layer.name for layer in model.layers])
    return model.loss_of(np.concatenate(scores), y) + penalty, np.concatenate(probs)


def _add_grads(total, layers, alone=False):
    """Each layer's grads added into ``total`` (a list of dicts), a copy the first time; the
    layers' own dicts when the batch is one piece (``alone``)."""
    if alone:
        return [layer.grads for layer in layers]
    if total is None:
        return [{name: g.copy() for name, g in layer.grads.items()} for layer in layers]
    for layer_total, layer in zip(total, layers, strict=True):
        for name, g in layer.grads.items():
            layer_total[name] += g
    return total


def train_epoch(model, x, y, order, batch_size, bar, callbacks, interrupt):
    """One pass over the batches of ``order``: (the epoch's logs, batches done)."""
    running = RunningLogs(model.metrics)
    done = 0
    for step, start in enumerate(range(0, len(order), batch_size)):
        if interrupt.requested:
            break
        callbacks.on_train_batch_begin(step)
        batch = order[start:start + batch_size]
        loss, probs = model.train_step(x[batch], y[batch])
        running.add(loss, probs, y[batch])
        logs = running.logs()
        done += 1
        bar.update(1)
        if step % 20 == 0:  # refreshing the bar's numbers every batch would cost time
            bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
        callbacks.on_train_batch_end(step, logs)
        if model.stop_training:
            break
    return running.logs(), done


def fit(model, x, y, epochs=1, batch_size=32, validation_split=0.0, validation_data=None,
        callbacks=None, verbose=1, shuffle=True, seed=None, initial_epoch=0,
        validation_batch_size=None):
    """Train ``model`` (compiled) on prepared x, y; returns the History. See Sequential.fit."""
    epochs = positive_int(epochs, "fit epochs")
    batch_size = positive_int(batch_size, "fit batch_size")
    shuffle = flag(shuffle, "fit shuffle")  # Keras's "batch" (for HDF5 files) is not ours
    initial_epoch = _initial_epoch(initial_epoch, epochs)
    (x, y), validation = split_validation(model, x, y, validation_split, validation_data)

    rng = model.training_rng if seed is None else np.random.default_rng(seed)
    for layer in model.layers:
        if hasattr(layer, "rng"):  # Dropout draws its masks from the same stream
            layer.rng = rng
    history = History()
    # History last, as in Keras: it records the logs as the other callbacks leave them
    # (a learning-rate callback adds "learning_rate").
    callbacks = CallbackList([*(callbacks or []), history], model, verbose=verbose,
                             epochs=epochs, steps=-(-len(x) // batch_size))
    model.stop_training = False
    model.history = history

    logs = None
    with interrupts.StopOnCtrlC() as interrupt:
        callbacks.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            if interrupt.requested:  # during the last validation or checkpoint
                print(f"Interrupted after epoch {epoch}: training stopped; the weights and "
                      "the history of the finished epochs are kept.")
                break
            callbacks.on_epoch_begin(epoch)
            order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
            bar = tqdm(total=-(-len(x) // batch_size), desc=f"Epoch {epoch + 1}/{epochs}",
                       unit="batch", disable=verbose != 1, dynamic_ncols=True)
            started = time.perf_counter()
            epoch_logs, batches = train_epoch(model, x, y, order, batch_size, bar, callbacks,
                                              interrupt)
            if interrupt.requested:
                bar.close()
                print(f"Interrupted in epoch {epoch + 1} after batch {batches}: training "
                      "stopped; the weights and the history of the finished epochs are kept.")
                break
            if validation is not None:
                val_logs = evaluate(model, *validation, validation_batch_size or batch_size,
                                    callbacks)
                epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
            bar.set_postfix({k: f"{v:.4f}" for k, v in epoch_logs.items()}, refresh=True)
            bar.close()
            if verbose == 2:
                print(f"Epoch {epoch + 1}/{epochs} - {time.perf_counter() - started:.0f}s - "
                      f"{format_logs(epoch_logs)}")
            callbacks.on_epoch_end(epoch, epoch_logs)
            model.epochs_trained += 1
            logs = epoch_logs
            if model.stop_training:
                break
        callbacks.on_train_end(logs)
    return history


def _initial_epoch(initial_epoch, epochs):
    if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, (int, np.integer)) \
            or initial_epoch < 0:
        raise ValueError(f"fit initial_epoch: expected an int >= 0, got {initial_epoch!r}")
    if initial_epoch >= epochs:
        raise ValueError(
            f"fit: initial_epoch={initial_epoch} and epochs={epochs} train no epoch: as in "
            f"Keras, epochs is the epoch to stop at, not how many to train (for 2 more: "
            f"initial_epoch={initial_epoch}, epochs={initial_epoch + 2})")
    return int(initial_epoch)


def split_validation(model, x, y, validation_split, validation_data):
    """((x, y) to train on, (x_val, y_val) or None)."""
    if not 0 <= validation_split < 1:
        raise ValueError(f"fit validation_split: expected a number in [0, 1), "
                         f"got {validation_split!r}")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("fit validation_data: expected a pair (x_val, y_val); tinycnn "
                             "does not take sample weights or a dataset object there")
        return (x, y), model.prepare(*validation_data, what="validation_data")
    if validation_split == 0:
        return (x, y), None
    split_at = int(len(x) * (1 - validation_split))
    if split_at == 0 or split_at == len(x):
        raise ValueError(f"fit validation_split={validation_split} leaves no "
                         f"{'training' if split_at == 0 else 'validation'} data "
                         f"out of {len(x)} examples")
    return (x[:split_at], y[:split_at]), (x[split_at:], y[split_at:])


def evaluate(model, x, y, batch_size, callbacks, verbose=False):
    """The loss and metrics of ``model`` on prepared (x, y), batch after batch, with the test
    moments for ``callbacks`` (a CallbackList): the logs {"loss": ..., metric: ...}."""
    running = RunningLogs(model.metrics)
    penalty = model.penalty()  # the weights do not change while evaluating
    model.stop_evaluating = False
    callbacks.on_test_begin()
    batches = parallel.batch_outputs(model, x, batch_size, logits=True)
    for step, scores in enumerate(progress(batches, verbose, "Evaluate", -(-len(x) // batch_size))):
        callbacks.on_test_batch_begin(step)
        labels = y[step * batch_size:step * batch_size + len(scores)]
        running.add(model.loss_of(scores, labels) + penalty, model.probabilities(scores), labels)
        callbacks.on_test_batch_end(step, running.logs())
        if model.stop_evaluating:
            batches.close()
            break
    logs = running.logs()
    callbacks.on_test_end(logs)
    return logs


def predict(model, x, batch_size, callbacks, verbose=False):
    """The output of ``model`` for prepared images x, batch after batch, with the predict
    moments for ``callbacks`` (a CallbackList)."""
    outputs = []
    model.stop_predicting = False
    callbacks.on_predict_begin()
    batches = parallel.batch_outputs(model, x, batch_size)
    for step, out in enumerate(progress(batches, verbose, "Predict", -(-len(x) // batch_size))):
        callbacks.on_predict_batch_begin(step)
        outputs.append(out)
        callbacks.on_predict_batch_end(step, {"outputs": out})
        if model.stop_predicting:
            batches.close()
            break
    callbacks.on_predict_end()
    return np.concatenate(outputs)


class RunningLogs:
    """Running means over the batches so far, weighted by batch size, as Keras logs them:
    "loss", then each metric under its compile name (every metric tinycnn knows is an
    accuracy)."""

    def __init__(self, metric_names):
        self.metric_names = list(metric_names)
        self.loss_sum = self.hits = self.seen = 0.0

    def add(self, loss, probs, y):
        """loss: the batch's mean loss; probs (n, K); y: (n,) class ids or (n, K) targets."""
        self.loss_sum += loss * len(probs)
        self.hits += accuracy(y, probs) * len(probs)
        self.seen += len(probs)

    def logs(self):
        logs = {"loss": float(self.loss_sum / self.seen)}
        logs.update({name: float(self.hits / self.seen) for name in self.metric_names})
        return logs


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
    return tqdm(iterable, desc=desc, unit="batch", disable=not verbose, total=total)


def class_ids(y):
    """(N,) class ids from class ids or from one-hot targets (N, K)."""
    return y if y.ndim == 1 else np.argmax(y, axis=1)
