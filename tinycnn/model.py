"""Sequential: a stack of layers that trains like a Keras model.

One training step on a batch (x, y) (``train_step``), for a model ending in a softmax and
trained with cross-entropy:
    z     = layer_L(... layer_1(x))     forward up to the logits z, the final softmax left
                                        to the loss; each layer caches what backward needs
    probs = softmax(z)
    loss  = cross_entropy(y, z)         read stably from z, as Keras does
    dz    = (probs - onehot(y)) / N     the softmax + cross-entropy gradient
    dout  = layer_1.backward(... layer_L.backward(dz))     each layer fills layer.grads
    optimizer.step(params, grads)       e.g. Adam moves every trainable parameter
Binary cross-entropy does the same under a final sigmoid (dz = (sigmoid(z) - y) / (N K)); a
regression loss (mean squared error, ...) reads the output p itself and backward starts from
its dL/dp. Each loss says which (losses.py); ``_check_output`` holds the model to it.
``fit`` (the loop in training.py) repeats this over shuffled batches for some epochs;
``evaluate`` and ``predict`` only run the forward pass (training=False); ``train_on_batch``,
``test_on_batch`` and ``predict_on_batch`` do it for one batch. Batches of more than
32 images run in pieces of 32 (the gradients added up before the optimizer step), which keeps
every layer's arrays in cache, unless a layer mixes the images of a batch (BatchNorm).
Shapes: x (N, H, W, C) float32; y (N,) class ids or targets (N, K); z and probs (N, K).
fit, evaluate and predict also take an ImageDataset (keras.utils.image_dataset_from_directory)
as x, as Keras takes a dataset: its images and labels, in its batch size.
"""

import numpy as np

from tinycnn import graph, parallel, saving, training
from tinycnn.callbacks import CallbackList
from tinycnn.layers.activation import Activation
from tinycnn.layers.shapes import flag, positive_int
from tinycnn.losses import get_loss
from tinycnn.metrics import check_metrics, saved_form
from tinycnn.network import NestedNetwork, Network
from tinycnn.optimizers import get_optimizer
from tinycnn.validation import (
    check_images,
    check_labels,
    check_not_single_image,
    check_targets,
    from_dataset,
    is_dataset,
    validation_dataset,
)


class Model(Network):
    """A network that trains like a Keras model; with the functional API, as Keras:

        inputs = keras.Input(shape=(28, 28, 1))
        x = Conv2D(32, 3, activation="relu")(inputs)
        outputs = Dense(10, activation="softmax")(Flatten()(x))
        model = Model(inputs, outputs, name="functional", seed=None, dtype=None)

    One input and one output. ``seed`` fixes the initial weights, the shuffling of every
    epoch and dropout, so a rerun gives bit-identical weights and history. Without a seed, one
    is drawn from the operating system and kept in ``model.seed``. dtype: the input's.
    Building, the engine, summary and weights come from Network (network.py).

    ``model.workers`` (default: one per core) is the number of threads that predict on pieces
    of a batch at once (tinycnn/parallel.py); the numbers do not depend on it.
    ``model.epochs_trained`` counts the epochs every fit has finished (saved with the model):
    to resume a saved run, ``fit(..., initial_epoch=model.epochs_trained, epochs=...)``, or let
    callbacks.BackupAndRestore do it. While fit runs, its callbacks find ``model.history``,
    ``model.stop_training``, ``model.fit_rng`` (the generator fit draws from) and
    ``model.validates`` (whether it has validation data).
    """

    def __init__(self, inputs=None, outputs=None, name="functional", seed=None, dtype=None,
                 **unsupported):
        if unsupported:
            raise TypeError(f"Model: tinycnn does not support the argument(s) "
                            f"{', '.join(sorted(unsupported))}")
        if inputs is None or outputs is None:
            raise TypeError(
                "Model: give inputs and outputs, Model(inputs, outputs) (Keras's functional "
                "API). Subclassing Model with your own call() is not supported in tinycnn: "
                "write the graph with keras.Input and layer calls, or use Sequential")
        self._start_training_state()
        dtype = dtype or getattr(_first(inputs), "dtype", "float32")
        super().__init__(name=name, seed=seed, dtype=dtype)
        self.connect(inputs, outputs)

    def _start_training_state(self):
        self.loss, self.optimizer, self.metrics = None, None, []
        self.weighted_metrics, self.metric_objects, self.weighted_metric_objects = [], [], []
        self._metrics_units = None  # the outputs K "accuracy" was resolved for (None: unknown)
        self.stop_training, self.history = False, None
        self.fit_rng, self.validates, self._initial_epoch = None, False, None
        self.stop_evaluating = self.stop_predicting = False
        self.epochs_trained = 0
        self.workers = parallel.default_workers()
        self._as_layer = None

    def get_layer(self, name=None, index=None):
        """A layer by its name (or its index in ``model.layers``), as Keras's get_layer."""
        if index is not None:
            if name is not None:
                raise ValueError("get_layer: give a name or an index, not both")
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"get_layer: index {index} is out of range: model "
                                 f"{self.name!r} has {len(self.layers)} layers")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(f"get_layer: no layer named {name!r} in model {self.name!r}; its "
                         f"layers: {[layer.name for layer in self.layers]}")

    def use_kernels(self, name):
        """Run every layer and the optimizer on the "numba" kernels (default) or on their
        "numpy" twins, to step through plain NumPy code in a debugger."""
        super().use_kernels(name)
        if self.optimizer is not None:
            self.optimizer.kernels = self.kernels
        return self

    # ---- compile -------------------------------------------------------------------------
    def compile(self, optimizer="adam", loss="sparse_categorical_crossentropy", metrics=None,
                weighted_metrics=None):
        """Choose the optimizer, the loss and the metrics to train with (Keras's argument
        order). ``loss``: a name ("sparse_categorical_crossentropy", "binary_crossentropy",
        "mse", "mae", "huber", ...), a loss object or class (tinycnn.losses). ``metrics``:
        names ("accuracy", "mae", "top_k_categorical_accuracy", ...), metric objects
        (tinycnn.metrics.Precision(), ...) or functions f(y_true, y_pred), each logged under
        its name: ["acc"] logs "acc"; "accuracy" is the kind Keras picks (binary for one
        output, else sparse or categorical by the targets). ``weighted_metrics``: the same,
        counting each example by its sample weight (fit's sample_weight or class_weight)."""
        loss = get_loss(loss)
        targets = loss.targets
        check_metrics(metrics, targets)  # refuse a bad metric before changing anything
        check_metrics(weighted_metrics, targets, "weighted_metrics")
        self.metrics, self.weighted_metrics = list(metrics or []), list(weighted_metrics or [])
        self.loss = loss
        self._make_metric_objects()
        self.optimizer = get_optimizer(optimizer)
        self.optimizer.kernels = self.kernels
        self._check_output("compile")
        return self

    def _make_metric_objects(self):
        """compile's metrics as objects, "accuracy" resolved for the model's outputs as Keras
        resolves it (metrics.check_metrics); made again once a model compiled before it was
        built knows its outputs (``prepare``)."""
        units = self.output_shape[-1] if self.built and self.output_shape else None
        targets = self.loss.targets
        self.metric_objects = check_metrics(self.metrics, targets, units=units)
        self.weighted_metric_objects = check_metrics(self.weighted_metrics, targets,
                                                     "weighted_metrics", units)
        self._metrics_units = units

    @property
    def metrics_names(self):
        """Keras 3's: ["loss", "compile_metrics"] once compiled with metrics (["loss"] without,
        [] before compile): the names of the model's trackers, not of the values logged. Those
        are the keys of ``model.evaluate(x, y, return_dict=True)``."""
        if self.loss is None:
            return []
        return ["loss"] + (["compile_metrics"] if self.metrics or self.weighted_metrics else [])

    def _check_output(self, what):
        """Each loss reads the output as it says (losses.py): a cross-entropy the class
        probabilities of a softmax, binary cross-entropy those of sigmoids, a regression
        loss any values, each (N, K); anything else would train on garbage or fail deep
        inside NumPy."""
        if self.loss is None:
            raise RuntimeError(f"{what}: call model.compile(loss=..., optimizer=...) first")
        if not self.layers:
            return
        last = self.output_layer
        ends_in = getattr(last, "activation", None)
        reads = self.loss.activation  # the activation whose logits it reads: softmax, sigmoid
        if self.loss.from_logits and reads is not None and ends_in == reads:
            raise ValueError(
                f"{what}: the loss has from_logits=True, but the last layer {last} already "
                f"applies a {reads} (it would be applied twice); drop the {reads} or use "
                "from_logits=False")
        allowed = self.loss.output_activations
        if not self.loss.from_logits and allowed is not None and ends_in not in allowed:
            softmax_note = ("; a softmax's outputs are not independent probabilities (Keras "
                            "would read its logits as a sigmoid's): for one class per example "
                            "use a cross-entropy" if reads == "sigmoid" and ends_in == "softmax"
                            else "")
            raise ValueError(
                f"{what}: {self.loss.name} needs probabilities, but the last layer {last} does "
                f"not end in a {reads}; use Dense(K, activation='{reads}'), add a "
                f"{reads.capitalize()}() layer, or give the loss from_logits=True (e.g. "
                f"tinycnn.losses.{type(self.loss).__name__}(from_logits=True)){softmax_note}")
        if self.built and len(self.output_shape) != 1:
            activation = f", activation='{reads}'" if reads else ""
            raise ValueError(
                f"{what}: {self.loss.name} needs outputs of shape (N, K), but the "
                f"model's output has shape {(None, *self.output_shape)} (last layer "
                f"{last.name!r}); flatten or pool it first (Flatten() or "
                f"GlobalAveragePooling2D()), then Dense(K{activation})")

    # ---- from scores to loss and outputs -------------------------------------------------
    # "Scores" are what forward(x, logits=True) gives: the logits z when the model ends in the
    # activation its loss reads the logits of (a softmax or a sigmoid) and can stop before it,
    # or when it is trained from_logits; else its output.
    @property
    def gives_logits(self):
        """Whether ``forward(x, logits=True)`` stops before the final activation: the one the
        loss reads the logits of (losses.py: a softmax for cross-entropy, a sigmoid for binary
        cross-entropy, none for a regression loss), when the last layer can stop before it.
        Before compile, a final softmax's (Network.gives_logits)."""
        reads = "softmax" if self.loss is None else self.loss.activation
        last = self.output_layer
        if reads is None or getattr(last, "activation", None) != reads:
            return False
        return isinstance(last, Activation) or getattr(
            last, "gives_logits", hasattr(last, "forward_preactivation"))

    @property
    def _scores_are_logits(self):
        return self.loss.activation is not None and (self.loss.from_logits or self.gives_logits)

    def probabilities(self, scores):
        """What the loss's gradient reads, from scores (N, K): the loss's activation applied
        to logits (softmax(z), sigmoid(z)), else the scores as they are (the output)."""
        return self.loss.activate(scores) if self._scores_are_logits else scores

    def output_of(self, scores, probs):
        """The model's output (N, K) for its scores and their ``probabilities``: what predict
        gives and the metrics see, as in Keras: the logits themselves for a loss that takes
        logits (from_logits=True), else probs."""
        return scores if self.loss.from_logits else probs

    def loss_of(self, scores, y, sample_weight=None):
        """The mean loss (float) of scores (N, K) for targets y: from the logits where there
        are logits, as Keras reports it, else from the output. ``sample_weight`` (N,)
        weighs each example's loss: sum_n w_n L_n / N, Keras's "sum over the batch size"."""
        if sample_weight is None:
            if self._scores_are_logits:
                return self.loss.of_logits(y, scores)
            return self.loss(y, scores)
        if self._scores_are_logits:
            losses = self.loss.per_example_of_logits(y, scores)
        else:
            losses = self.loss.per_example(y, scores)
        return float(np.sum(losses * sample_weight.astype(losses.dtype)) / len(losses))

    def backward_loss(self, probs, y, weight=1.0, sample_weight=None):
        """Backpropagate the loss of (probs, y), times ``weight`` (and each example's row
        times its ``sample_weight``), through every layer; fills layer.grads. Where the loss
        reads logits it hands back dL/dlogits, (probs - targets) / N for cross-entropy: a
        model that ends in the loss's softmax (or sigmoid) skips that activation's Jacobian,
        and with from_logits=True the output is the logits already. A regression loss (or a
        loss reading clipped probabilities) hands back dL/d(output), and backward runs
        through every activation."""
        if self._scores_are_logits:
            dscores = self.loss.gradient_wrt_logits(y, probs)
            before_activation = not self.loss.from_logits
        else:
            dscores = self.loss.gradient(y, probs).astype(probs.dtype, copy=False)
            before_activation = False
        if weight != 1.0:
            dscores *= weight
        if sample_weight is not None:
            dscores *= sample_weight.astype(dscores.dtype)[:, None]
        self.backward(dscores, before_activation=before_activation)

    # ---- one training step ---------------------------------------------------------------
    def train_step(self, x, y, sample_weight=None):
        """One optimisation step on prepared arrays x (N, H, W, C), y (and sample weights
        (N,)); returns (loss, outputs (N, K)). The step itself reads top to bottom in training.py
        (``training.train_step``); this is the hook fit calls, to override as in Keras."""
        return training.train_step(self, x, y, sample_weight)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on (x, y), as Keras: returns the batch's loss, or [loss, *metrics]
        when compiled with metrics ({name: value} with ``return_dict``). ``sample_weight`` or
        ``class_weight`` weigh the examples, as in fit."""
        self._check_output("train_on_batch")
        x, y = self.prepare(x, y)
        weights, class_weight = self._weights(sample_weight, class_weight, y, "train_on_batch")
        if class_weight is not None:
            weights = training.class_sample_weights(y, class_weight)
        loss, outputs = self.train_step(x, y) if weights is None else self.train_step(x, y,
                                                                                      weights)
        running = training.RunningLogs(self)
        running.add(loss, outputs, y, weights)
        return _keras_result(running.logs(), return_dict)

    def test_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """The loss and metrics of one batch (x, y), as Keras: what evaluate gives for a
        single batch of all of x."""
        self._check_output("test_on_batch")
        x, y = self.prepare(x, y)
        weights, _ = self._weights(sample_weight, None, y, "test_on_batch")
        logs = training.evaluate(self, x, y, len(x), CallbackList([], self), weights)
        return _keras_result(logs, return_dict)

    def predict_on_batch(self, x):
        """The output (N, K) for images x as one batch, as Keras: predict with a single
        batch of all of x, and no callbacks."""
        x = self.prepare(x)
        return training.predict(self, x, len(x), CallbackList([], self))

    def __call__(self, x, training=False):
        """The model's output for a batch x (N, H, W, C), as Keras's ``model(x)``: one forward
        pass, checked and converted as predict does (predict runs it in pieces on threads).
        ``training=True`` runs the layers in training mode (Dropout drops, BatchNorm uses and
        updates the batch's statistics), as in Keras. On a KerasTensor it is a layer call in a
        functional model: the model is used as one layer, sharing its weights."""
        if isinstance(x, graph.KerasTensor):
            if self._as_layer is None:
                if not self.built:
                    self.build(x.shape)
                self._as_layer = NestedNetwork(self)
            return graph.call(self._as_layer, x)
        out = self.forward(self.prepare(x), training=flag(training, "model(x) training"))
        return np.array(out)  # a writable array of its own, not the last layer's read-only one

    # ---- fit, evaluate, predict ----------------------------------------------------------
    def prepare(self, x, y=None, what="x"):
        """Check and convert user data: images (N, H, W, C) in the model's dtype, labels as
        the loss wants (its ``targets``). Builds an unbuilt model, but only from data that
        passed the checks."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{what}: expected a NumPy array, got {type(x).__name__} (fit, "
                            "evaluate and predict also take an ImageDataset)")
        declared = self.layers[0].declared_input_shape if self.layers else None
        expected = self.input_shape or declared
        check_not_single_image(x, expected, what)
        if expected is None:  # (N, H, W) is a batch of grayscale images
            expected = x.shape[1:] + ((1,) if x.ndim == 3 else ())
        x = check_images(x, expected, self.dtype, what)
        self._ensure_built(expected)
        if y is None:
            return x
        self._check_output(what if what != "x" else "fit")
        units = self.output_shape[-1]
        if units != self._metrics_units:  # compiled before the outputs were known
            self._make_metric_objects()
        targets, labels_what = self.loss.targets, "y" if what == "x" else f"{what} labels"
        if targets in ("class ids", "one-hot"):
            y = check_labels(y, len(x), units, targets == "class ids", what=labels_what,
                             dtype=self.dtype)
        else:
            y = check_targets(y, len(x), units, targets == "binary", what=labels_what,
                              dtype=self.dtype)
        return x, y

    def fit(self, x, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None,
            validation_batch_size=None, validation_freq=1, seed=None):
        """Train; returns a History whose ``.history`` maps each logged name to per-epoch values.

        x: (N, H, W, C) or (N, H, W) float images; y: what the loss takes, (N,) class ids,
        one-hot rows (N, K) or targets (N, K) (or (N,) for one output). ``batch_size``: 32 if
        not given. x may be an ImageDataset instead (image_dataset_from_directory), as Keras
        takes a dataset: its images and labels (so no y), in batches of its batch_size (so no
        batch_size), shuffled as ``shuffle`` says; ``validation_data`` may be one too.
        ``validation_split``
        keeps the last fraction of (x, y), before shuffling, for validation (as Keras);
        ``validation_freq``: validate after every n-th epoch, or after the epochs listed
        (from 1). ``epochs`` is the epoch to stop at and ``initial_epoch`` the one to start
        from (Keras's meaning: fit(epochs=4, initial_epoch=2) trains epochs 2 and 3, numbered
        so in the history and the callbacks' logs).
        ``sample_weight`` (N,) weighs each example's loss (the logged loss is that weighted
        loss, sum_n w_n L_n / N over each batch); ``class_weight`` {class id: weight} gives
        each example its class's weight (1 for a class not listed), on the training part only.
        Metrics count every example once; weighted_metrics (compile) count its weight.
        ``steps_per_epoch``: batches per epoch, taken from a pass over the data that goes on
        into the next epoch, as Keras with arrays (training.EpochBatches).
        ``seed`` fixes this call's shuffling and dropout (default: the model's own stream,
        ``model.training_rng``, which continues from one fit call to the next, and is saved).
        Ctrl-C stops after the current batch; the model keeps its weights and the history.
        verbose: 1 (or "auto") a progress bar per epoch, 2 one line per epoch, 0 silent.
        """
        self._check_output("fit")
        x, y, batch_size = from_dataset(x, y, batch_size, "fit", sample_weight=sample_weight,
                                         validation_split=validation_split)
        batch_size = _batch_size(batch_size, "fit batch_size")
        if is_dataset(validation_data):
            validation_data, validation_batch_size = validation_dataset(validation_data,
                                                                         validation_batch_size)
        validation_batch_size = _batch_size(validation_batch_size or batch_size,
                                            "fit validation_batch_size")
        x, y = self.prepare(x, y)
        sample_weight, class_weight = self._weights(sample_weight, class_weight, y, "fit")
        return training.fit(self, x, y, epochs, batch_size, validation_split, validation_data,
                            callbacks, training.verbosity(verbose), shuffle, seed,
                            initial_epoch, validation_batch_size, sample_weight, class_weight,
                            steps_per_epoch, validation_freq)

    def evaluate(self, x, y=None, batch_size=None, verbose=0, sample_weight=None, callbacks=None,
                 return_dict=False):
        """[loss, *metrics] on (x, y) (just the loss if compiled without metrics; a dict with
        ``return_dict``), with Keras's test moments for ``callbacks``. ``sample_weight`` (N,)
        weighs each example's loss (and the weighted metrics), as in fit. x may be an
        ImageDataset, as in fit."""
        self._check_output("evaluate")
        x, y, batch_size = from_dataset(x, y, batch_size, "evaluate",
                                         sample_weight=sample_weight)
        x, y = self.prepare(x, y)
        weights, _ = self._weights(sample_weight, None, y, "evaluate")
        verbose = training.verbosity(verbose)
        batch_size = _batch_size(batch_size, "evaluate batch_size")
        callbacks = CallbackList(callbacks, self, add_progbar=verbose != 0, verbose=verbose,
                                 epochs=1, steps=-(-len(x) // batch_size))
        logs = training.evaluate(self, x, y, batch_size, callbacks, weights)
        return _keras_result(logs, return_dict)

    def predict(self, x, batch_size=None, verbose=0, callbacks=None):
        """The model's output (N, K) for images x (N, H, W, C) or (N, H, W): class
        probabilities under a softmax, a sigmoid's probabilities, a regression's values; one
        image is a batch of one: x[None]. x may be an ImageDataset (its images; its labels,
        if any, are not used). ``callbacks`` get Keras's predict moments."""
        x, _, batch_size = from_dataset(x, None, batch_size, "predict", labels_needed=False)
        x = self.prepare(x)
        verbose = training.verbosity(verbose)
        batch_size = _batch_size(batch_size, "predict batch_size")
        callbacks = CallbackList(callbacks, self, add_progbar=verbose != 0, verbose=verbose,
                                 epochs=1, steps=-(-len(x) // batch_size))
        return training.predict(self, x, batch_size, callbacks)

    def _weights(self, sample_weight, class_weight, y, what):
        """(sample_weight as a float array (N,), class_weight as {int: float}), each checked,
        or None where not given; both at once is an error, as in Keras."""
        if sample_weight is not None and class_weight is not None:
            raise ValueError(f"{what}: give sample_weight or class_weight, not both (as Keras)")
        if class_weight is not None:
            # one sigmoid output: its classes are 0 and 1, as its targets round to
            return None, _class_weight(class_weight, max(self.output_shape[-1], 2))
        if sample_weight is None:
            return None, None
        weights = np.asarray(sample_weight)
        if weights.ndim == 2 and weights.shape[1] == 1:
            weights = weights[:, 0]
        if weights.shape != (len(y),) or weights.dtype.kind not in "iuf":  # ints, floats
            raise ValueError(f"{what} sample_weight: expected {len(y)} numbers, one per "
                             f"example (shape ({len(y)},)), got {weights.dtype} of shape "
                             f"{weights.shape}")
        return weights.astype(np.float64), None

    def predict_prepared(self, x, batch_size, verbose=0):
        """predict on images already checked by ``prepare``, with no callbacks (what the
        benchmark times)."""
        callbacks = CallbackList([], self, add_progbar=bool(verbose), verbose=int(verbose),
                                 epochs=1, steps=-(-len(x) // batch_size))
        return training.predict(self, x, batch_size, callbacks)

    # ---- saving --------------------------------------------------------------------------
    def save(self, path):
        """Architecture, weights, state, optimizer state and the training stream in one .npz
        file (no pickle), written all or nothing (tinycnn/saving/writer.py)."""
        self._ensure_built()
        self.check_saveable("save")
        saving.save_model(self, path)

    def check_saveable(self, what="save"):
        """Refuse, by name, what the model file cannot hold (rather than write a file that
        loads as another model): a metric function, or a metric of a class of your own
        (metrics.saved_form). Names and tinycnn's metric objects it holds."""
        pairs = [*zip(self.metrics, self.metric_objects, strict=True),
                 *zip(self.weighted_metrics, self.weighted_metric_objects, strict=True)]
        unsaved = [made.name for given, made in pairs if saved_form(given, made) is None]
        if unsaved:
            raise ValueError(
                f"{what}: the model file cannot hold the metric(s) {unsaved}: it holds "
                "metric names and objects of tinycnn.metrics' classes, not functions or "
                "classes of your own; compile without them to save, and compile again with "
                "them after loading")

    def save_weights(self, path):
        """Keras's ``save_weights``: the model file (save), from which ``load_weights`` takes
        the weights and state into a model of the same architecture."""
        self.save(path)

    def load_weights(self, path):
        """Load the weights saved in ``path`` into this model (same architecture)."""
        self._ensure_built()
        saving.load_weights_into(self, path)


class Sequential(Model):
    """A linear stack of layers that trains like a Keras model: Model's chain case.

    Sequential(layers, name="sequential", seed=None, dtype="float32"): ``seed`` as in Model.
    ``add`` appends a layer, ``pop`` removes the last one.
    """

    def __init__(self, layers=None, name="sequential", seed=None, dtype="float32"):
        self._start_training_state()
        Network.__init__(self, layers, name=name, seed=seed, dtype=dtype)

    def pop(self):
        """Remove the last layer and return it, as Keras's ``Sequential.pop()``; the
        optimizer forgets its state for that layer's parameters."""
        layer = super().pop()
        if self.optimizer is not None:
            self.optimizer.forget(f"{len(self.layers)}/")
        return layer


def _first(tensors):
    return tensors[0] if isinstance(tensors, (list, tuple)) and tensors else tensors


def load_model(path, custom_objects=None):
    """Rebuild the model saved in ``path``: same layers, weights, state and (if it was
    compiled) loss, optimizer and optimizer state, so it predicts identically and resumes
    training. ``custom_objects``: {"ClassName": class} for your own layers (or register them
    with ``@tinycnn.layers.register``). A damaged or hostile file raises ModelFileError naming
    it, and nothing is built before the file has been checked (tinycnn/saving/loader.py)."""
    return saving.load_model(Sequential, path, custom_objects)


def _batch_size(value, what):
    """A positive int, or Keras's default of 32 for None."""
    return 32 if value is None else positive_int(value, what)


def _class_weight(class_weight, num_classes):
    """Keras's class_weight {class id: weight}, checked: ids in [0, K), weights numbers."""
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight: expected a dict {{class id: weight}}, got "
                        f"{class_weight!r}")
    for label, weight in class_weight.items():
        if isinstance(label, bool) or not isinstance(label, (int, np.integer)) \
                or not 0 <= label < num_classes:
            raise ValueError(f"class_weight: class ids must be ints in [0, {num_classes}) for "
                             f"a model with {num_classes} outputs, got {label!r}")
        if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)):
            raise ValueError(f"class_weight[{label}]: expected a number, got {weight!r}")
    return {int(label): float(weight) for label, weight in class_weight.items()}


def _keras_result(logs, return_dict):
    """What Keras's evaluate and train_on_batch return: the loss alone, [loss, *metrics], or
    the logs themselves."""
    if return_dict:
        return logs
    return logs["loss"] if len(logs) == 1 else list(logs.values())
