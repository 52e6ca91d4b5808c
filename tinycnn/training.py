"""Training, top to bottom: one step, then an epoch of steps, then fit; and the loops behind
evaluate and predict, with the callbacks' moments in Keras's order.

    train_step(model, x, y)                     one optimizer step on one batch
        z     = model.forward(x, logits=True)   the scores before the final softmax
        probs = softmax(z);  dz = (probs - onehot(y)) / N
        model.backward(dz)                      every layer fills layer.grads
                                                (other losses: model.backward_loss)
        optimizer.step(params, grads)           whole, even under Ctrl-C; then each
                                                layer's weight constraints, if it has any
    train_epoch                                 train_step over shuffled batches
    fit
        for epoch in range(initial_epoch, epochs):
            on_epoch_begin(epoch)
            for each batch: on_train_batch_begin, train_step, on_train_batch_end(running means)
            val_loss, val_accuracy = evaluate(the validation images)  (the test moments)
            on_epoch_end(epoch, logs): History records, EarlyStopping may set stop_training
``validation_split`` keeps the last fraction of the data for validation, before shuffling, as
Keras does. Ctrl-C stops before the next batch and keeps the weights and the finished epochs
(interrupts.py). What fit shows (verbose) is a callback's work, ProgbarLogger's.

Sample weights w (N,) (fit's sample_weight, or class_weight[y_n] for each example) weigh each
example's loss, as Keras's "sum over the batch size": loss = sum_n w_n L_n / N, so
dz_n = w_n (probs_n - onehot(y_n)) / N. The logged loss is that weighted loss; the metrics
of compile(metrics=...) count every example once, those of weighted_metrics by its weight.
"""

import warnings

import numpy as np

from tinycnn import interrupts, parallel
from tinycnn.callbacks import CallbackList, History
from tinycnn.layers.shapes import flag, positive_int
from tinycnn.metric_objects import Mean
from tinycnn.metrics import log_names

TRAIN_PIECE = 32  # images per forward and backward pass inside one training step


def train_step(model, x, y, sample_weight=None):
    """One optimisation step of ``model`` on prepared arrays x (N, H, W, C), y; returns
    (loss, outputs (N, K), what the metrics see). ``sample_weight`` (N,): each example's
    weight in the loss.

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
        model.backward_loss(probs[-1], y[start:start + piece], weight=len(probs[-1]) / len(x),
                            sample_weight=_rows(sample_weight, start, start + piece))
        grads = _add_grads(grads, model.layers, alone=len(x) <= piece)
    # Weight penalties (kernel_regularizer=...): their gradients join the layers', and the
    # loss reported is the data's loss plus the penalties, as Keras reports it.
    penalty = sum(layer.add_penalties(layer_grads)
                  for layer, layer_grads in zip(model.layers, grads, strict=True))
    with interrupts.deferred():  # a Ctrl-C never leaves weights moved but not projected
        model.optimizer.step([layer.trainable_params for layer in model.layers], grads,
                             [layer.name for layer in model.layers])
        for layer in model.layers:  # kernel_constraint=...: back inside it, as Keras does
            layer.apply_constraints()
    scores, probs = np.concatenate(scores), np.concatenate(probs)
    return model.loss_of(scores, y, sample_weight) + penalty, model.output_of(scores, probs)


def _rows(array, start, stop):
    """array[start:stop], or None for None (no sample weights)."""
    return None if array is None else array[start:stop]


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


def train_epoch(model, x, y, batches, callbacks, interrupt, sample_weight=None):
    """One pass over ``batches`` (index arrays into x): (the epoch's logs, batches done)."""
    running = RunningLogs(model)
    done = 0
    for step, batch in enumerate(batches):
        if interrupt.requested:
            break
        callbacks.on_train_batch_begin(step)
        weights = None if sample_weight is None else sample_weight[batch]
        if weights is None:  # a train_step a user overrides may take (x, y) only
            loss, outputs = model.train_step(x[batch], y[batch])
        else:
            loss, outputs = model.train_step(x[batch], y[batch], weights)
        running.add(loss, outputs, y[batch], weights)
        done += 1
        callbacks.on_train_batch_end(step, running.logs())
        if model.stop_training:
            break
    return running.logs(), done


class EpochBatches:
    """The batches of each epoch, as index arrays into the training data. Without
    ``steps_per_epoch`` an epoch is one pass over the data, in a new order each time
    (``shuffle``). With it, as Keras does with arrays: an epoch takes the next
    steps_per_epoch batches of the current pass; the epoch in which the pass runs out ends
    there (a warning says so), and the next epoch starts a new pass."""

    def __init__(self, n, batch_size, shuffle, rng, steps_per_epoch=None):
        self.n, self.batch_size, self.shuffle, self.rng = n, batch_size, shuffle, rng
        self.steps_per_epoch = steps_per_epoch
        self.per_pass = -(-n // batch_size)
        self.steps = steps_per_epoch or self.per_pass  # what the callbacks' params say
        self._pass, self._taken = None, 0

    def _new_pass(self):
        order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)
        return [order[start:start + self.batch_size] for start in range(0, self.n,
                                                                         self.batch_size)]

    def next_epoch(self):
        if self.steps_per_epoch is None:
            return self._new_pass()
        if self._pass is None:
            self._pass, self._taken = self._new_pass(), 0
        batches = self._pass[self._taken:self._taken + self.steps_per_epoch]
        self._taken += len(batches)
        if self._taken == len(self._pass):
            self._pass = None
        if len(batches) < self.steps_per_epoch:
            warnings.warn(f"fit: the data ran out after {len(batches)} of steps_per_epoch="
                          f"{self.steps_per_epoch} batches; this epoch ends there, the next "
                          f"starts a new pass over the data ({self.per_pass} batches of "
                          f"{self.batch_size})", stacklevel=4)
        return batches


def fit(model, x, y, epochs=1, batch_size=32, validation_split=0.0, validation_data=None,
        callbacks=None, verbose=1, shuffle=True, seed=None, initial_epoch=0,
        validation_batch_size=None, sample_weight=None, class_weight=None,
        steps_per_epoch=None, validation_freq=1):
    """Train ``model`` (compiled) on prepared x, y; returns the History. See Sequential.fit.
    ``sample_weight`` (N,) or ``class_weight`` ({class id: weight}, checked) weigh the loss."""
    epochs = positive_int(epochs, "fit epochs")
    batch_size = positive_int(batch_size, "fit batch_size")
    shuffle = flag(shuffle, "fit shuffle")  # Keras's "batch" (for HDF5 files) is not ours
    initial_epoch = _initial_epoch(initial_epoch, epochs)
    validation_freq = _validation_freq(validation_freq)
    if steps_per_epoch is not None:
        steps_per_epoch = positive_int(steps_per_epoch, "fit steps_per_epoch")
    (x, y, sample_weight), validation = split_validation(model, x, y, validation_split,
                                                         validation_data, sample_weight)
    if class_weight is not None:  # as Keras: the training part's weights only
        sample_weight = class_sample_weights(y, class_weight)

    rng = model.training_rng if seed is None else np.random.default_rng(seed)
    model.set_rng(rng)  # the layers that draw (Dropout, augmentation) draw from it too
    model.fit_rng = rng  # what BackupAndRestore saves and puts back
    batches = EpochBatches(len(x), batch_size, shuffle, rng, steps_per_epoch)
    history = History()
    # History last, as in Keras: it records the logs as the other callbacks leave them
    # (a learning-rate callback adds "learning_rate"); then what verbose shows.
    callbacks = CallbackList([*(callbacks or []), history], model, add_progbar=verbose != 0,
                             verbose=verbose, epochs=epochs, steps=batches.steps)
    model.stop_training = False
    model.history = history
    model.validates = validation is not None

    logs = None
    with interrupts.StopOnCtrlC() as interrupt:
        callbacks.on_train_begin()
        # BackupAndRestore may have put back a later epoch to go on from.
        start, model._initial_epoch = model._initial_epoch or initial_epoch, None
        for epoch in range(start, epochs):
            if interrupt.requested:  # during the last validation or checkpoint
                print(f"Interrupted after epoch {epoch}: training stopped; the weights and "
                      "the history of the finished epochs are kept.")
                break
            callbacks.on_epoch_begin(epoch)
            epoch_logs, done = train_epoch(model, x, y, batches.next_epoch(), callbacks,
                                           interrupt, sample_weight)
            if interrupt.requested:
                print(f"Interrupted in epoch {epoch + 1} after batch {done}: training "
                      "stopped; the weights and the history of the finished epochs are kept.")
                break
            if validation is not None and _validates(epoch, validation_freq):
                val_logs = evaluate(model, *validation[:2], validation_batch_size or batch_size,
                                    callbacks, sample_weight=validation[2])
                epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
            model.epochs_trained += 1  # before on_epoch_end: a checkpoint saved there has it
            callbacks.on_epoch_end(epoch, epoch_logs)
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


def _validation_freq(value):
    """Keras's validation_freq: an int n >= 1 (validate every n-th epoch) or a list of the
    epochs to validate after, counted from 1."""
    if isinstance(value, (list, tuple)):
        return [positive_int(epoch, "fit validation_freq (an epoch)") for epoch in value]
    return positive_int(value, "fit validation_freq")


def _validates(epoch, validation_freq):
    """Whether epoch (from 0) ends with a validation, as Keras's _should_eval."""
    if isinstance(validation_freq, list):
        return epoch + 1 in validation_freq
    return (epoch + 1) % validation_freq == 0


def class_sample_weights(y, class_weight):
    """Each example's weight, class_weight[its class] (1 for a class not in the dict), as
    Keras turns class_weight into sample weights: (N,) float32."""
    weights = np.ones(len(y), dtype=np.float32)
    for index, label in enumerate(class_ids(y)):
        weights[index] = class_weight.get(int(label), 1.0)
    return weights


def split_validation(model, x, y, validation_split, validation_data, sample_weight=None):
    """((x, y, sample_weight) to train on, (x_val, y_val, val_sample_weight) or None)."""
    if not 0 <= validation_split < 1:
        raise ValueError(f"fit validation_split: expected a number in [0, 1), "
                         f"got {validation_split!r}")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("fit validation_data: expected a pair (x_val, y_val) or an "
                             "ImageDataset; tinycnn does not take sample weights there")
        validation = model.prepare(*validation_data, what="validation_data")
        return (x, y, sample_weight), (*validation, None)
    if validation_split == 0:
        return (x, y, sample_weight), None
    split_at = int(len(x) * (1 - validation_split))
    if split_at == 0 or split_at == len(x):
        raise ValueError(f"fit validation_split={validation_split} leaves no "
                         f"{'training' if split_at == 0 else 'validation'} data "
                         f"out of {len(x)} examples")
    return ((x[:split_at], y[:split_at], _rows(sample_weight, 0, split_at)),
            (x[split_at:], y[split_at:], _rows(sample_weight, split_at, None)))


def evaluate(model, x, y, batch_size, callbacks, sample_weight=None):
    """The loss and metrics of ``model`` on prepared (x, y), batch after batch, with the test
    moments for ``callbacks`` (a CallbackList): the logs {"loss": ..., metric: ...}.
    ``sample_weight`` (N,): each example's weight in the loss and the weighted metrics."""
    running = RunningLogs(model)
    penalty = model.penalty()  # the weights do not change while evaluating
    model.stop_evaluating = False
    callbacks.on_test_begin()
    batches = parallel.batch_outputs(model, x, batch_size, logits=True)
    for step, scores in enumerate(batches):
        callbacks.on_test_batch_begin(step)
        start, stop = step * batch_size, step * batch_size + len(scores)
        labels, weights = y[start:stop], _rows(sample_weight, start, stop)
        outputs = model.output_of(scores, model.probabilities(scores))
        running.add(model.loss_of(scores, labels, weights) + penalty, outputs, labels, weights)
        callbacks.on_test_batch_end(step, running.logs())
        if model.stop_evaluating:
            batches.close()
            break
    logs = running.logs()
    callbacks.on_test_end(logs)
    return logs


def predict(model, x, batch_size, callbacks):
    """The output of ``model`` for prepared images x, batch after batch, with the predict
    moments for ``callbacks`` (a CallbackList)."""
    outputs = []
    model.stop_predicting = False
    callbacks.on_predict_begin()
    batches = parallel.batch_outputs(model, x, batch_size)
    for step, out in enumerate(batches):
        callbacks.on_predict_batch_begin(step)
        outputs.append(out)
        callbacks.on_predict_batch_end(step, {"outputs": out})
        if model.stop_predicting:
            batches.close()
            break
    callbacks.on_predict_end()
    return np.concatenate(outputs)


class RunningLogs:
    """The logs of an epoch (or an evaluation) so far, as Keras keeps them: "loss", the mean
    of the batches' losses weighted by their sizes, then each metric under its name, from
    metric objects that are reset here (compile made them: model.metric_objects, and
    model.weighted_metric_objects, which count each example by its sample weight)."""

    def __init__(self, model):
        self.loss = Mean(name="loss")
        self.metrics = list(model.metric_objects)
        self.weighted_metrics = list(model.weighted_metric_objects)
        self.names = log_names(self.metrics, self.weighted_metrics)
        for metric in self.metrics + self.weighted_metrics:
            metric.reset_state()

    def add(self, loss, outputs, y, sample_weight=None):
        """loss: the batch's mean loss; outputs (n, K), the model's; y: (n,) class ids or
        (n, K) targets; sample_weight: (n,) or None."""
        self.loss.update_state(loss, sample_weight=len(outputs))
        for metric in self.metrics:
            metric.update_state(y, outputs)
        for metric in self.weighted_metrics:
            metric.update_state(y, outputs, sample_weight)

    def logs(self):
        results = [metric.result() for metric in self.metrics + self.weighted_metrics]
        return {"loss": self.loss.result(), **dict(zip(self.names, results, strict=True))}


def verbosity(verbose):
    """Keras's verbose levels: 0 silent, 1 (or "auto") a progress bar, 2 one line per epoch."""
    if verbose == "auto" or verbose is True:
        return 1
    if verbose in (0, 1, 2, False):
        return int(verbose)
    raise ValueError(f"verbose: expected 0, 1, 2 or 'auto', got {verbose!r}")


def class_ids(y):
    """(N,) class ids from class ids, one-hot targets (N, K), or binary targets (N, 1)
    (rounded, as Keras reads them for class_weight)."""
    if y.ndim == 1:
        return y
    return np.argmax(y, axis=1) if y.shape[1] != 1 else np.round(y[:, 0]).astype(np.int64)
