"""Smoke test: the package imports, the seed model builds, and one training step runs."""

import numpy as np
from helpers import seed_model

import tinycnn as tc


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

    loss, accuracy = model.train_on_batch(x, y)  # as Keras: [loss, metrics]
    loss_again, probs = model.train_step(x, y)

    assert np.isfinite(loss) and 0 < loss < 10 and 0 <= accuracy <= 1
    assert loss_again < loss, "a second step on the same images lowers their loss"
    assert probs.shape == (8, 10) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    changed = [not np.array_equal(b, a) for b, a in zip(before, model.get_weights(), strict=True)]
    assert all(changed), "every parameter should move after one Adam step"
    assert model.optimizer.iterations == 2
