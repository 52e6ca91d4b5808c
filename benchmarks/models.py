"""The notebook's CNN, once in tinycnn and once in PyTorch, for side-by-side timing.

Both: Conv 32 -> pool -> Conv 64 -> pool -> Conv 128 -> Flatten -> Dense 128 -> Dense 10,
3x3 kernels, ReLU, 2x2 max-pooling, softmax cross-entropy, Adam (lr 1e-3, eps 1e-7), float32.
"""

import numpy as np

import tinycnn as tc
from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D


def tinycnn_model(seed=0):
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
    """Training steps and inference for tinycnn on NHWC float32 batches."""

    name = "tinycnn"
    kernel_threads = 1  # Sequential's default; bench.py --kernel-threads changes it

    def __init__(self, seed=0):
        self.model = tinycnn_model(seed)
        self.model.kernel_threads = self.kernel_threads

    def train_step(self, x, y):
        self.model.train_step(x, y)

    def predict(self, x):
        return self.model.predict_prepared(x, batch_size=len(x))


class TorchRunner:
    """The same model and steps in PyTorch (NCHW, its native CPU layout)."""

    name = "pytorch"

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

    def train_step(self, x, y):
        self.optimizer.zero_grad()
        loss = self.loss(self.model(self._tensor(x)), self.torch.from_numpy(y))
        loss.backward()
        self.optimizer.step()

    def predict(self, x):
        with self.torch.no_grad():
            return self.torch.softmax(self.model(self._tensor(x)), dim=1).numpy()


def available_runners():
    """tinycnn, plus PyTorch when it is installed (pip install .[bench])."""
    runners = [TinycnnRunner]
    try:
        import torch  # noqa: F401

        runners.append(TorchRunner)
    except ImportError:
        pass
    return runners
