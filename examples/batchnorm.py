"""BatchNormalization and global pooling on Fashion-MNIST: a model a learner writes next.

    Conv2D -> BatchNormalization -> ReLU -> MaxPool2D -> Conv2D -> GlobalAveragePooling2D
    -> Dense(10, softmax)
trained on a subset, then saved, loaded and checked to predict bit-identically.
Run: python examples/batchnorm.py [--subset 10000] [--epochs 3]
"""

import argparse
import os
import tempfile
import time

import numpy as np

import tinycnn as tc
from tinycnn.datasets import fashion_mnist
from tinycnn.layers import (
    BatchNormalization,
    Conv2D,
    Dense,
    GlobalAveragePooling2D,
    MaxPool2D,
    ReLU,
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=10_000, help="training images (10000)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs (3)")
    parser.add_argument("--seed", type=int, default=0, help="seed (0)")
    args = parser.parse_args()

    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    x_train = fashion_mnist.normalize_images(x_train[:args.subset])
    y_train = y_train[:args.subset]
    x_test = fashion_mnist.normalize_images(x_test)

    model = tc.Sequential([
        Conv2D(32, 3, input_shape=(28, 28, 1)),
        BatchNormalization(),
        ReLU(),
        MaxPool2D(2),
        Conv2D(64, 3, activation="relu"),
        GlobalAveragePooling2D(),
        Dense(10, activation="softmax"),
    ], seed=args.seed)
    model.summary()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, validation_split=0.1,
              verbose=1)
    print(f"Training: {time.perf_counter() - start:.1f} s")

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "batchnorm.npz")
        model.save(path)
        loaded = tc.load_model(path)
    same = np.array_equal(model.predict(x_test), loaded.predict(x_test))
    print(f"Saved, loaded, and the loaded model predicts bit-identically: {same}")
    loss, accuracy = model.evaluate(x_test, y_test)
    print(f"Test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
