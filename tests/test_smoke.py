"""Smoke test: the package imports, the seed model builds, and one training step runs."""

import numpy as np

import tinycnn as tc
from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D


def seed_model(seed=0):
    """The model of the Fashion-MNIST study (see issue 3), written as a user would."""
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


def test_import_and_public_names():
    assert tc.__version__
    for name in ("Sequential", "load_model", "ModelFileError", "gradcheck", "kernels"):
        assert hasattr(tc, name), name


def test_seed_model_builds_and_trains_one_step():
    model = seed_model()
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
                  metrics=["accuracy"])
    assert model.count_params() == 241_546
    rng = np.random.default_rng(0)
    x = rng.random((8, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, size=8)
    before = [w.copy() for w in model.get_weights()]

    loss, probs = model.train_on_batch(x, y)

    assert np.isfinite(loss) and 0 < loss < 10
    assert probs.shape == (8, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    changed = [not np.array_equal(b, a) for b, a in zip(before, model.get_weights(), strict=True)]
    assert all(changed), "every parameter should move after one Adam step"
    assert model.optimizer.iterations == 1
