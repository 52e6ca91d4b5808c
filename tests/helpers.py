"""Shared by several test files: the Fashion-MNIST study's model, written as a user would."""

import tinycnn as tc
from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D


def seed_model(seed=0):
    """The notebook's CNN (issue 3): 241,546 parameters."""
    return tc.Sequential([
        Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
        MaxPool2D(2),
        Conv2D(64, 3, activation="relu"),
        MaxPool2D(2),
        Conv2D(128, 3, activation="relu"),
        Flatten(),
        Dense(128, activation="relu"),
        Dense(10, activation="softmax"),
    ], seed=seed)
