"""The notebook's CNN in tinycnn, TensorFlow/Keras and PyTorch, for side-by-side timing.

All three: Conv 32 -> pool -> Conv 64 -> pool -> Conv 128 -> Flatten -> Dense 128 -> Dense 10,
3x3 kernels, ReLU, 2x2 max-pooling, softmax cross-entropy on integer labels, Adam (lr 1e-3,
eps 1e-7), float32; NHWC for tinycnn and TensorFlow, NCHW (its native CPU layout) for PyTorch.

Each runner imports its library only when it is created, and this module imports none, so a
process that times one library never loads another (benchmarks/worker.py).

A runner offers one or more *ways* to train and to predict, each a method that takes the whole
data set and a batch size: ``TRAIN_WAYS`` (x, y, batch_size) train one pass over the full
batches of x (a last, partial batch is left out) and ``PREDICT_WAYS`` (x, batch_size) return the
class probabilities of every image. benchmarks/worker.py times every way; bench.py reports a
library's fastest.
"""

import importlib.util

import numpy as np

# Name on the command line -> (module that must be importable, name in the tables).
LIBRARIES = {
    "tinycnn": ("tinycnn", "tinycnn"),
    "tensorflow": ("tensorflow", "TensorFlow"),
    "pytorch": ("torch", "PyTorch"),
}


def installed(library):
    """Whether ``library`` (a key of LIBRARIES) can be imported; does not import it."""
    return importlib.util.find_spec(LIBRARIES[library][0]) is not None


def full_batches(count, batch_size):
    """Slices of the full batches of ``count`` images, in order."""
    return [slice(start, start + batch_size)
            for start in range(0, count - batch_size + 1, batch_size)]


def tinycnn_model(seed=0):
    import tinycnn as tc
    from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D

    model = tc.Sequential([
        Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
        MaxPool2D(2),
        Conv2D(64, 3, activation="relu"),
        MaxPool2D(2),
        Conv2D(128, 3, activation="relu"),
        Flatten(),
        Dense(128, activation="relu"),
        Dense(10, activation="softmax"),
    ], seed=seed)
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


class TinycnnRunner:
    """Training steps and inference for tinycnn on NHWC float32 batches.

    ``workers`` (--workers), when not None, is set as the model's ``workers`` (the threads that
    predict shares a batch out to, tinycnn/parallel.py); ``threads`` (--threads) is its
    default; with neither, the model keeps its own (one per core).
    """

    name = "tinycnn"
    TRAIN_WAYS = ("train_step",)
    PREDICT_WAYS = ("predict_prepared",)
    workers = None
    threads = None

    def __init__(self, seed=0):
        self.model = tinycnn_model(seed)
        workers = self.workers if self.workers is not None else self.threads
        if workers is not None:
            self.model.workers = workers

    def thread_settings(self):
        """The model's thread settings, by name."""
        return {"workers": self.model.workers}

    def train_step(self, x, y, batch_size):
        for batch in full_batches(len(x), batch_size):
            self.model.train_step(x[batch], y[batch])

    def predict_prepared(self, x, batch_size):
        return self.model.predict_prepared(x, batch_size=batch_size)


class KerasRunner:
    """The same model in Keras 3 on TensorFlow, trained and run the ways a Keras user would.

    Compiled without metrics: the other runners compute the loss and nothing else. Keras's
    defaults otherwise (graph mode through tf.function; ``jit_compile="auto"``, which Keras
    resolves to no XLA on a CPU-only machine).
    """

    name = "tensorflow"
    TRAIN_WAYS = ("train_on_batch", "fit")
    PREDICT_WAYS = ("predict", "call")

    def __init__(self, seed=0):
        import os

        os.environ["KERAS_BACKEND"] = "tensorflow"  # this runner times TensorFlow
        import keras
        from keras import layers

        keras.utils.set_random_seed(seed)
        self.model = keras.Sequential([
            keras.Input((28, 28, 1)),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(128, 3, activation="relu"),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, activation="softmax"),
        ])
        self.model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
                           loss="sparse_categorical_crossentropy")

    def train_on_batch(self, x, y, batch_size):
        for batch in full_batches(len(x), batch_size):
            self.model.train_on_batch(x[batch], y[batch])

    def fit(self, x, y, batch_size):
        count = len(x) // batch_size * batch_size
        self.model.fit(x[:count], y[:count], batch_size=batch_size, epochs=1, verbose=0,
                       shuffle=False)

    def predict(self, x, batch_size):
        return self.model.predict(x, batch_size=batch_size, verbose=0)

    def call(self, x, batch_size):
        return np.concatenate([self.model(x[batch], training=False).numpy()
                               for batch in full_batches(len(x), batch_size)])


class TorchRunner:
    """The same model and steps in PyTorch (NCHW, its native CPU layout)."""

    name = "pytorch"
    TRAIN_WAYS = ("train_step",)
    PREDICT_WAYS = ("no_grad",)

    def __init__(self, seed=0):
        import torch
        from torch import nn

        torch.manual_seed(seed)
        self.torch = torch
        self.model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3), nn.ReLU(), nn.Flatten(),
            nn.Linear(1152, 128), nn.ReLU(), nn.Linear(128, 10),
        )
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3, eps=1e-7)
        self.loss = nn.CrossEntropyLoss()

    def _tensor(self, x):
        return self.torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))

    def train_step(self, x, y, batch_size):
        for batch in full_batches(len(x), batch_size):
            self.optimizer.zero_grad()
            loss = self.loss(self.model(self._tensor(x[batch])), self.torch.from_numpy(y[batch]))
            loss.backward()
            self.optimizer.step()

    def no_grad(self, x, batch_size):
        with self.torch.no_grad():
            return np.concatenate([
                self.torch.softmax(self.model(self._tensor(x[batch])), dim=1).numpy()
                for batch in full_batches(len(x), batch_size)])


RUNNERS = {"tinycnn": TinycnnRunner, "tensorflow": KerasRunner, "pytorch": TorchRunner}
