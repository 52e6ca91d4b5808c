"""Sequential: a stack of layers that trains like a Keras model.

One training step on a batch (x, y) (``train_step``):
    probs = layer_L(... layer_2(layer_1(x)))                 forward, caching what backward needs
    loss  = cross_entropy(probs, y)
    dz    = (probs - onehot(y)) / N                          the softmax + cross-entropy gradient
    dout  = layer_1.backward(... layer_L.backward(dz))      each layer fills layer.grads
    optimizer.step(params, grads)                            e.g. Adam moves every parameter
``fit`` (the loop in training.py) repeats this over shuffled batches for some epochs;
``evaluate`` and ``predict`` only run the forward pass (training=False). Batches of more than
32 images run in pieces of 32 (the gradients added up before the optimizer step), which keeps
every layer's arrays in cache, unless a layer mixes the images of a batch (BatchNorm).
Shapes: x (N, H, W, C) float32, y (N,) class ids, probs (N, K).
"""

import threading

import numpy as np

from tinycnn import parallel, saving, training
from tinycnn.layers.shapes import positive_int
from tinycnn.losses import get_loss
from tinycnn.metrics import accuracy
from tinycnn.network import Network
from tinycnn.optimizers import get_optimizer
from tinycnn.validation import check_images, check_labels, check_not_single_image

INFERENCE_CHUNK = 16  # images per forward pass in predict and evaluate
TRAIN_PIECE = 32  # images per forward and backward pass inside one training step
ACCURACY_NAMES = ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy")


class Sequential(Network):
    """A linear stack of layers that trains like a Keras model.

    Sequential(layers, name="sequential", seed=None, dtype="float32"): ``seed`` fixes the
    initial weights, the shuffling of every epoch and dropout, so a rerun gives bit-identical
    weights and history. Without a seed, one is drawn from the operating system and kept in
    ``model.seed``. Building, forward, summary and weights come from Network (network.py).

    ``model.workers`` (default: one per core) is the number of threads that predict on pieces
    of a batch at once (tinycnn/parallel.py); the numbers do not depend on it.
    """

    def __init__(self, layers=None, name="sequential", seed=None, dtype="float32"):
        self.loss, self.optimizer, self.metrics = None, None, []
        self.stop_training, self.history = False, None
        self.workers = parallel.default_workers()
        super().__init__(layers, name=name, seed=seed, dtype=dtype)

    def use_kernels(self, name):
        """Run every layer and the optimizer on the "numba" kernels (default) or on their
        "numpy" twins, to step through plain NumPy code in a debugger."""
        super().use_kernels(name)
        if self.optimizer is not None:
            self.optimizer.kernels = self.kernels
        return self

    # ---- compile -------------------------------------------------------------------------
    def compile(self, optimizer="adam", loss="sparse_categorical_crossentropy", metrics=None):
        """Choose the optimizer, the loss and the metrics ("accuracy") to train with (Keras's
        argument order)."""
        self.loss = get_loss(loss)
        self.optimizer = get_optimizer(optimizer)
        self.optimizer.kernels = self.kernels
        self.metrics = []
        for metric in metrics or []:
            if metric not in ACCURACY_NAMES:
                raise ValueError(f"compile: unknown metric {metric!r}: only 'accuracy' is known")
            self.metrics.append("accuracy")
        self._check_output("compile")
        return self

    def _check_output(self, what):
        """Cross-entropy reads the output as class probabilities (N, K): anything else would
        train on garbage or fail deep inside NumPy."""
        if self.loss is None:
            raise RuntimeError(f"{what}: call model.compile(loss=..., optimizer=...) first")
        if not self.layers:
            return
        last = self.layers[-1]
        ends_in_softmax = getattr(last, "activation", None) == "softmax"
        from_logits = getattr(self.loss, "from_logits", False)  # a user's own loss may lack it
        if from_logits and ends_in_softmax:
            raise ValueError(
                f"{what}: the loss has from_logits=True, but the last layer {last} already "
                "applies a softmax (it would be applied twice); drop the softmax or use "
                "from_logits=False")
        if not from_logits and not ends_in_softmax:
            raise ValueError(
                f"{what}: {self.loss.name} needs probabilities, but the last layer {last} does "
                "not end in a softmax; use Dense(K, activation='softmax'), add a Softmax() "
                "layer, or give the loss from_logits=True (e.g. "
                "tinycnn.losses.SparseCategoricalCrossentropy(from_logits=True))")
        if self.built and len(self.output_shape) != 1:
            raise ValueError(
                f"{what}: {self.loss.name} needs class scores of shape (N, K), but the "
                f"model's output has shape {(None, *self.output_shape)} (last layer "
                f"{last.name!r}); flatten or pool it first (Flatten() or "
                "GlobalAveragePooling2D()), then Dense(K, activation='softmax')")

    # ---- forward and backward ------------------------------------------------------------
    def backward_loss(self, out, y, weight=1.0):
        """Backpropagate the loss of (out, y), times ``weight``, through every layer; fills
        layer.grads. Either way the loss hands back dL/dlogits = (probs - onehot(y)) / N:
        a model that ends in a softmax skips the softmax's Jacobian (compile checks the
        softmax is there); with from_logits=True the output is the logits already."""
        dlogits = self.loss.gradient_wrt_logits(out, y)
        if weight != 1.0:
            dlogits *= weight
        self.backward(dlogits, before_activation=not getattr(self.loss, "from_logits", False))

    def train_step(self, x, y):
        """One optimisation step on prepared arrays x (N, H, W, C), y; returns (loss, probs).

        A batch of more than TRAIN_PIECE images goes forward and backward in pieces whose
        gradients are added up, each weighted by its share of the batch, before the optimizer
        moves once (gradient accumulation). That is the same step as one pass over the whole
        batch when every layer treats images independently, and each layer's arrays stay in
        cache (at batch 128, ~11% more images/s). A layer that mixes the batch (BatchNorm's
        batch statistics) makes the step one pass.
        """
        self._ensure_built(x.shape[1:])  # from the model's seed, not layer by layer
        piece = len(x) if any(layer.mixes_batch for layer in self.layers) else TRAIN_PIECE
        params = [layer.params for layer in self.layers]
        names = [layer.name for layer in self.layers]
        if len(x) <= piece:
            probs = self.forward(x, training=True)
            self.backward_loss(probs, y)
            self.optimizer.step(params, [layer.grads for layer in self.layers], names)
            return self.loss(probs, y), probs
        grads, all_probs = None, []
        for start in range(0, len(x), piece):
            probs = self.forward(x[start:start + piece], training=True)
            self.backward_loss(probs, y[start:start + piece], weight=len(probs) / len(x))
            grads = _add_grads(grads, self.layers)
            all_probs.append(probs)
        self.optimizer.step(params, grads, names)
        probs = np.concatenate(all_probs)
        return self.loss(probs, y), probs

    def train_on_batch(self, x, y):
        """One optimizer step on (x, y), as Keras: returns the loss (or [loss, accuracy])."""
        self._check_output("train_on_batch")
        loss, probs = self.train_step(*self.prepare(x, y))
        if not self.metrics:
            return loss
        return [loss, accuracy(training.class_ids(np.asarray(y)), probs)]

    # ---- fit, evaluate, predict ----------------------------------------------------------
    def prepare(self, x, y=None, what="x"):
        """Check and convert user data: images (N, H, W, C) in the model's dtype, labels as
        the loss wants. Builds an unbuilt model, but only from data that passed the checks."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{what}: expected a NumPy array, got {type(x).__name__}")
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
        sparse = getattr(self.loss, "sparse", True)
        return x, check_labels(y, len(x), self.output_shape[-1], sparse,
                               what="y" if what == "x" else f"{what} labels")

    def fit(self, x, y, batch_size=32, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, seed=None):
        """Train; returns a History whose ``.history`` maps each logged name to per-epoch values.

        x: (N, H, W, C) or (N, H, W) float images; y: (N,) class ids. ``validation_split``
        keeps the last fraction of (x, y), before shuffling, for validation (as Keras).
        ``seed`` fixes this call's shuffling and dropout (default: the model's own stream,
        ``model.training_rng``, which continues from one fit call to the next).
        Ctrl-C stops after the current batch; the model keeps its weights and the history.
        verbose: 1 (or "auto") a progress bar per epoch, 2 one line per epoch, 0 silent.
        """
        self._check_output("fit")
        batch_size = _batch_size(batch_size, "fit batch_size")
        x, y = self.prepare(x, y)
        return training.fit(self, x, y, epochs, batch_size, validation_split, validation_data,
                            callbacks, training.verbosity(verbose), shuffle, seed)

    def evaluate_prepared(self, x, y, batch_size, verbose=0):
        probs = self.predict_prepared(x, batch_size, verbose)
        return self.loss(probs, y), accuracy(training.class_ids(y), probs)

    def predict_prepared(self, x, batch_size, verbose=0):
        # Inference treats every image on its own, so the forward pass may run on smaller
        # pieces than batch_size, on self.workers threads, each thread with its own replica
        # of the model (tinycnn/parallel.py). Small pieces keep each layer's im2col matrix in
        # cache. Measured at batch_size=1000 on 2 threads, alternating in one process
        # (medians of 12 rounds): pieces of 16 images ~13,800 images/s, 32 ~12,200, 64 ~10,400;
        # on one thread, one 1,000-image pass gave ~6,000.
        step = min(batch_size, INFERENCE_CHUNK)
        starts = range(0, len(x), step)
        replicas = threading.local()

        def forward(start):
            if not hasattr(replicas, "model"):
                replicas.model = self.replica()
            return replicas.model.forward(x[start:start + step], training=False)

        with parallel.one_blas_thread():
            outputs = list(training.progress(
                parallel.map_in_threads(forward, starts, self.workers), verbose,
                total=len(starts)))
        return np.concatenate(outputs)

    def evaluate(self, x, y, batch_size=32, verbose=0):
        """[loss, accuracy] on (x, y) (just the loss if compiled without metrics)."""
        self._check_output("evaluate")
        x, y = self.prepare(x, y)
        verbose = training.verbosity(verbose)
        loss, acc = self.evaluate_prepared(x, y, _batch_size(batch_size, "evaluate batch_size"),
                                           verbose == 1)
        logs = {"loss": loss, "accuracy": acc} if self.metrics else {"loss": loss}
        if verbose:
            print(training.format_logs(logs))
        return [loss, acc] if self.metrics else loss

    def predict(self, x, batch_size=32, verbose=0):
        """Class probabilities (N, K) for images x (N, H, W, C) or (N, H, W); one image is
        a batch of one: x[None]."""
        x = self.prepare(x)
        return self.predict_prepared(x, _batch_size(batch_size, "predict batch_size"),
                                     training.verbosity(verbose) == 1)

    # ---- saving --------------------------------------------------------------------------
    def save(self, path):
        """Architecture, weights, state and optimizer state in one .npz file (no pickle)."""
        self._ensure_built()
        saving.save_model(self, path)

    def load_weights(self, path):
        """Load the weights saved in ``path`` into this model (same architecture)."""
        self._ensure_built()
        saving.load_weights_into(self, path)


def load_model(path, custom_objects=None):
    """Rebuild the model saved in ``path``: same layers, weights, state and (if it was
    compiled) loss, optimizer and optimizer state, so it predicts identically and resumes
    training. ``custom_objects``: {"ClassName": class} for your own layers (or register them
    with ``@tinycnn.layers.register``)."""
    config, arrays = saving.read_model_file(path)
    layers = saving.layers_from_config(config, path, custom_objects)
    model = Sequential(layers, name=config["name"], seed=config["seed"],
                       dtype=config.get("dtype", "float32"))
    model.build(tuple(config["input_shape"]))
    saving.restore(model, config, arrays, path)
    return model


def _batch_size(value, what):
    """A positive int, or Keras's default of 32 for None."""
    return 32 if value is None else positive_int(value, what)


def _add_grads(total, layers):
    """Each layer's grads added into ``total`` (a list of dicts), a copy the first time."""
    if total is None:
        return [{name: g.copy() for name, g in layer.grads.items()} for layer in layers]
    for layer_total, layer in zip(total, layers, strict=True):
        for name, g in layer.grads.items():
            layer_total[name] += g
    return total
